"""Data-parallel training over several devices gives the one-device trajectory.

Each case runs in a fresh interpreter with ``XLA_FLAGS=--xla_force_host_platform_device_count=4``
(the flag must be set before JAX starts), on the CPU.
"""

import json
import os
import subprocess
import sys

import pytest

SCRIPT = r"""
import json, sys
import jax, numpy as np
import pinn, problems
name, steps = sys.argv[1], int(sys.argv[2])
assert len(jax.local_devices()) == 4, jax.local_devices()
out = {}
for devices in (1, 4):
    spec = problems.get(name)
    problem = spec.problem()
    model = spec.make_model(problem, hidden=(8, 8), dtype="float64")
    r = pinn.solve(problem, model, steps=steps, lbfgs_steps=10, n_interior=256, n_boundary=64, eval_every=0,
                   log_every=50, devices=devices)
    out[devices] = {"loss": r.history["loss"].tolist(), "rel_l2": r.rel_l2, "compilations": r.metrics["compilations"]}
print(json.dumps(out))
"""


def run_on_four_devices(name: str, steps: int) -> dict:
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=4", "JAX_PLATFORMS": "cpu"}
    done = subprocess.run([sys.executable, "-c", SCRIPT, name, str(steps)], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["heat1d", "elasticity_plate"])
def test_four_devices_follow_the_one_device_trajectory(name):
    out = run_on_four_devices(name, 500)
    one, four = out["1"], out["4"]
    assert len(one["loss"]) == len(four["loss"]) == 11  # every 50 Adam steps, then the end of L-BFGS
    for a, b in zip(one["loss"], four["loss"]):
        assert abs(a - b) <= 1e-9 * abs(a), (a, b)  # sums over points in another order: rounding only
    assert four["rel_l2"] == pytest.approx(one["rel_l2"], rel=1e-6)
    assert four["compilations"] == {"0:adam": 1, "1:lbfgs": 1}


def test_more_devices_than_visible_is_refused():
    import pinn
    import problems

    spec = problems.get("poisson2d")
    problem = spec.problem()
    with pytest.raises(ValueError, match=r"devices=64 but only \d+ local device\(s\) are visible"):
        pinn.solve(problem, spec.make_model(problem, hidden=(4,)), steps=1, devices=64)
    with pytest.raises(ValueError, match=r"devices must be a positive integer, got 0"):
        pinn.TrainConfig(devices=0)
