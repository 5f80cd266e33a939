"""Accuracy of every bundled problem solved by name at its defaults.

For each problem this runs ``problems.get(name).solve()`` (the defaults a user gets
from ``pinn solve NAME``), then measures the relative L2 error itself: the trained
network is evaluated with ``Result.predict`` on the problem's own evaluation grid
(``problem.evaluation_data()``: the exact solution on a dense regular grid of the whole
space-time domain, or the tabulated reference), overall and per field.

Run::

    .venv/bin/python benchmarks/accuracy.py                          # every registered problem
    .venv/bin/python benchmarks/accuracy.py --problems heat1d,wave1d --out /tmp/acc

It prints one JSON record per problem as it finishes (name, rel_l2, rel_l2_per_field,
target, met, train_seconds, steps per phase, n_params, activation, dtype, seed, ...)
and writes ``accuracy.json`` and ``accuracy.md`` (a markdown table) to ``--out``
(default ``benchmarks/results/``).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time

import numpy as np

import problems


def measure(name: str) -> dict:
    """Solve ``name`` at its defaults and measure its error; one JSON-ready record."""
    spec = problems.get(name)
    start = time.perf_counter()
    result = spec.solve()
    wall = time.perf_counter() - start
    problem = result.problem
    points, values = problem.evaluation_data()
    prediction = result.predict(points).reshape(values.shape)
    diff = prediction - values
    rel_l2 = float(np.linalg.norm(diff) / np.linalg.norm(values))
    per_field = np.linalg.norm(diff, axis=0) / np.linalg.norm(values, axis=0)
    m, c = result.metrics, result.config
    return {
        "name": name,
        "rel_l2": rel_l2,
        "rel_l2_per_field": {f: float(e) for f, e in zip(problem.fields, per_field)},
        "target": spec.target,
        "met": bool(rel_l2 <= spec.target),
        "train_seconds": round(float(m["train_seconds"]), 2),
        "wall_seconds": round(wall, 2),
        "steps": m["steps"],
        "n_params": int(m["n_params"]),
        "hidden": list(result.model.hidden),
        "activation": m["activation"],
        "dtype": m["dtype"],
        "derivatives": m["derivatives"],
        "lr": c.lr,
        "n_interior": c.n_interior,
        "n_boundary": c.n_boundary,
        "seed": m["seed"],
        "eval_points": int(len(points)),
        "events": list(result.events),
    }


def markdown(records: list[dict]) -> str:
    lines = [
        "| problem | rel L2 | target | met | per field | train s | Adam + L-BFGS steps | network | params | activation | dtype | seed |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        fields = ", ".join(f"{k} {v:.2e}" for k, v in r["rel_l2_per_field"].items())
        net = "x".join(str(w) for w in r["hidden"])
        lines.append(
            f"| `{r['name']}` | {r['rel_l2']:.2e} | {r['target']:.1e} | {'yes' if r['met'] else '**no**'} | {fields} "
            f"| {r['train_seconds']:.0f} | {r['steps']['adam']} + {r['steps']['lbfgs']} | {net} | {r['n_params']} "
            f"| {r['activation']} | {r['dtype']} | {r['seed']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", default="", help="comma-separated names (default: every registered problem)")
    parser.add_argument("--out", default=os.path.join("benchmarks", "results"), help="output folder")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.problems.split(",") if n.strip()] or list(problems.names())
    for name in names:
        problems.get(name)  # an unknown name fails here, listing the valid ones, before any run
    records = []
    for name in names:
        record = measure(name)
        records.append(record)
        print(json.dumps(record), flush=True)
    os.makedirs(args.out, exist_ok=True)
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([os.path.basename(sys.executable), *sys.argv]),
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
    }
    with open(os.path.join(args.out, "accuracy.json"), "w") as f:
        json.dump({**meta, "records": records}, f, indent=2)
    with open(os.path.join(args.out, "accuracy.md"), "w") as f:
        f.write(f"Measured {meta['date']} with `{meta['command']}` on {meta['machine']} ({meta['cpus']} CPUs).\n\n")
        f.write(markdown(records))
    return 0 if all(r["met"] for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
