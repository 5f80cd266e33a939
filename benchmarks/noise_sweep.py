"""How the learned diffusivity of ``heat1d_inverse`` degrades with measurement noise.

For each noise level σ the problem is rebuilt with synthetic measurements of that
noise (``problems.get("heat1d_inverse").solve(params={"noise": σ})``: the same 200
points and the same standard-normal draws, scaled by σ) and solved at its defaults;
the learned κ, its relative error against the true 0.4, the data term's final loss
against the noise floor and the cost are recorded.

Run::

    .venv/bin/python benchmarks/noise_sweep.py                       # σ = 0, 1 %, 5 %, 10 %
    .venv/bin/python benchmarks/noise_sweep.py --noise 0,0.02 --out /tmp/sweep.json

It prints one JSON record per level as it finishes and writes them, with the date,
command, machine and load, to ``benchmarks/results/noise_sweep.json``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import sys
import time

import numpy as np

import problems

PROBLEM = "heat1d_inverse"


def _levels(text: str) -> list[float]:
    try:
        levels = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be comma-separated numbers such as 0,0.01,0.05, got {text!r}") from None
    if not levels or not all(math.isfinite(v) and v >= 0 for v in levels):
        raise argparse.ArgumentTypeError(f"noise levels must be finite numbers >= 0, got {text!r}")
    return levels


def measure(noise: float, problem: str = PROBLEM) -> dict:
    """Solve ``problem`` at its defaults with measurement noise ``noise``; one record."""
    spec = problems.get(problem)
    load = os.getloadavg()
    start, cpu = time.perf_counter(), time.process_time()
    result = spec.solve(params={"noise": noise})
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    data = next(c for c in result.problem.conditions if c.kind == "data")
    # The loss of the data term cannot fall much below the variance of the noise it holds.
    floor = float(np.mean((data.values - np.asarray(_clean(result.problem, data.points))) ** 2))
    return {
        "noise": noise,
        "learned": dict(result.learned),
        "learned_error": dict(result.metrics.get("learned_error", {})),
        "true": {k: p.true_value for k, p in result.problem.learned.items()},
        "rel_l2": float(result.rel_l2),
        "data_loss": float(result.metrics["final_loss"]["data"]),
        "noise_floor": floor,
        "n_data": int(len(data.points)),
        "train_seconds": round(float(result.metrics["train_seconds"]), 2),
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "load_average_before": [round(v, 2) for v in load],
        "steps": result.metrics["steps"],
    }


def _clean(problem, points):
    import jax
    import jax.numpy as jnp

    with jax.enable_x64(True):
        return jax.vmap(problem.exact)(jnp.asarray(points))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--noise", type=_levels, default=[0.0, 0.01, 0.05, 0.10], help="noise levels (default 0,0.01,0.05,0.1)")
    parser.add_argument("--problem", default=PROBLEM, help=f"an inverse problem (default {PROBLEM})")
    parser.add_argument("--out", default=os.path.join("benchmarks", "results", "noise_sweep.json"), help="output JSON file")
    args = parser.parse_args(argv)
    problems.get(args.problem)  # an unknown name fails here, before any run
    records = []
    for noise in args.noise:
        record = measure(noise, args.problem)
        records.append(record)
        print(json.dumps(record), flush=True)
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([os.path.basename(sys.executable), *sys.argv]),
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "problem": args.problem,
    }
    with open(args.out, "w") as f:
        json.dump({**meta, "records": records}, f, indent=2)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
