"""Every example runs with ``--tiny`` and writes a run that reloads.

Examples are imported from their files and their ``main(argv)`` called in-process
(the same code path as ``python examples/X.py --tiny``, without a new interpreter per
script). Only examples of problems that are registered are run; every registered
problem must have one.
"""

import importlib.util
import json
import pathlib

import numpy as np
import pytest

import pinn
import problems
from pinn import io

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"
# The inverse problems share one walk-through, examples/inverse_heat.py (heat1d_inverse);
# the others are solved by name (pinn solve NAME). The geometry problems share
# examples/geometry.py (--problem NAME).
EXAMPLE_OF = {
    "heat1d_inverse": "inverse_heat",
    "poisson_lshape": "geometry",
    "elasticity_hole": "geometry",
    "heat_bracket": "geometry",
}
WITHOUT_EXAMPLE = ("elasticity_plate_inverse", "burgers_inverse", "poisson_inverse_field")
WITH_EXAMPLE = tuple(name for name in problems.names() if name not in WITHOUT_EXAMPLE)
# An example serving several problems is smoke-tested once, with its default problem
# (module.NAME): one tiny run per example file.
TINY_RUNS = tuple(dict.fromkeys(EXAMPLE_OF.get(name, name) for name in WITH_EXAMPLE))


def load(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_registered_problem_has_an_example():
    missing = [name for name in WITH_EXAMPLE if not (EXAMPLES / f"{EXAMPLE_OF.get(name, name)}.py").is_file()]
    assert missing == []


@pytest.mark.parametrize("example", TINY_RUNS)
def test_bundled_example_runs_tiny(example, tmp_path, capsys):
    module = load(example)
    name = module.NAME
    assert EXAMPLE_OF.get(name, name) == example
    result = module.main(["--tiny", "--out", str(tmp_path / "run")])
    out = capsys.readouterr().out
    assert f"{name}: relative L2 error {result.rel_l2:.2e}" in out
    steps = json.loads((tmp_path / "run" / "metrics.json").read_text())["steps"]
    assert steps == {"adam": module.TINY["steps"]}
    assert (tmp_path / "run" / "figures" / "solution.png").is_file()
    assert (tmp_path / "run" / "params.npz").is_file()  # reloading is tested in test_io and test_cli


def test_custom_pde_example_runs_tiny(tmp_path, capsys):
    module = load("custom_pde")
    result = module.main(["--tiny", "--out", str(tmp_path / "run")])
    out = capsys.readouterr().out
    assert "second-order residual: order 2" in out
    assert f"reaction_diffusion_L: relative L2 error {result.rel_l2:.2e}" in out
    problem = module.build()
    assert problem.name == "reaction_diffusion_L" and result.metrics["steps"]["adam"] == module.TINY["steps"]
    # The manufactured solution satisfies the equation it defines.
    import jax
    import jax.numpy as jnp

    x = problem.domain.sample_interior(16, "halton", seed=1)
    with jax.enable_x64(True):
        r = np.asarray(jax.vmap(lambda p: module.reaction_diffusion(module.exact, p, k=1.0))(jnp.asarray(x)))
    assert np.abs(r).max() < 1e-10
    loaded = pinn.load_run(tmp_path / "run", problem=problem)
    np.testing.assert_array_equal(loaded.predict(x), result.predict(x))
