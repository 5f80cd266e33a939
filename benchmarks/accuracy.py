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
and writes ``accuracy.json`` to ``--out`` (default ``benchmarks/results/``). ``accuracy.json`` keeps the records of
problems not measured in this run (``--fresh`` starts it anew), so one problem can be
re-measured alone; each record has its own date and load. Runs made side by side (one
process per group of problems) are joined with ``--merge A/accuracy.json B/accuracy.json``.
``benchmarks/tables.py`` turns the file into the BENCHMARKS.md and README.md tables.

Inverse problems (a spec with ``learns``): the record adds every learned value, its
relative error against the truth and its target (``learned``, ``learned_error``,
``learned_target``); an unknown field listed in ``learns`` is scored by its own
relative L2 error, and ``target`` then holds for the other fields (``solution_rel_l2``).

Cost, for a machine shared with other work: ``cpu_seconds`` (the process's CPU time,
all threads), the load average before and after, and the median milliseconds per step
of each phase between its log rows (``ms_per_step``: compilation excluded). On a
loaded machine the wall time overstates what the run costs alone; the CPU time is the
estimate (a run alone on the 2 cores takes about its CPU time, less the part it ran in
parallel; :mod:`benchmarks.accuracy` records both so the two can be compared).
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


def ms_per_step(history) -> dict[str, float]:
    """Median milliseconds per step of each phase, from consecutive log rows of that
    phase (the first row of a phase, which holds its compilation, is left out)."""
    steps = np.asarray(history.get("step", []), dtype=float)
    seconds = np.asarray(history.get("seconds", []), dtype=float)
    phases = np.asarray(history.get("phase", []))
    out = {}
    for phase in dict.fromkeys(phases.tolist()):
        rows = np.flatnonzero(phases == phase)
        if len(rows) < 3:
            continue
        rows = rows[1:]
        dt, ds = np.diff(seconds[rows]), np.diff(steps[rows])
        keep = ds > 0
        if keep.any():
            out[str(phase)] = round(float(np.median(1e3 * dt[keep] / ds[keep])), 3)
    return out


def learned_record(spec, result, per_field: dict) -> dict:
    """Learned values, their errors and targets (inverse problems); {} otherwise."""
    learns = dict(getattr(spec, "learns", {}) or {})
    if not learns and not result.learned:
        return {}
    declared = result.problem.learned
    errors = dict(result.metrics.get("learned_error", {}))
    record = {
        "learned": dict(result.learned),
        "learned_true": {k: p.true_value for k, p in declared.items()},
        "learned_start": {k: p.value for k, p in declared.items()},
        "learned_error": errors,
        "learned_target": learns,
    }
    for name in learns:
        if name in per_field:  # an unknown field: its own relative L2 error
            errors[name] = per_field[name]
    record["learned_met"] = {k: bool(errors.get(k, float("inf")) <= t) for k, t in learns.items()}
    history = result.history
    record["learned_trajectory"] = {
        k: [[int(s), float(v)] for s, v in zip(history["step"], history[f"learned_{k}"])]
        for k in result.learned
        if f"learned_{k}" in history
    }
    return record


def measure(name: str) -> dict:
    """Solve ``name`` at its defaults and measure its error; one JSON-ready record."""
    spec = problems.get(name)
    load_before = os.getloadavg()
    start, cpu_start = time.perf_counter(), time.process_time()
    result = spec.solve()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    load_after = os.getloadavg()
    problem = result.problem
    points, values = problem.evaluation_data()
    prediction = result.predict(points).reshape(values.shape)
    diff = prediction - values
    rel_l2 = float(np.linalg.norm(diff) / np.linalg.norm(values))
    per_field = np.linalg.norm(diff, axis=0) / np.linalg.norm(values, axis=0)
    per_field = {f: float(e) for f, e in zip(problem.fields, per_field)}
    learned = learned_record(spec, result, per_field)
    # With unknown fields among the outputs, the target holds for the others (the solution).
    solution = [k for k, f in enumerate(problem.fields) if f not in learned.get("learned_target", {})]
    solution_rel_l2 = float(np.linalg.norm(diff[:, solution]) / np.linalg.norm(values[:, solution]))
    # Scalar quantities of the spec (e.g. elasticity_hole's stress concentration), from spec.solve.
    quantities = dict(result.metrics.get("quantities", {}))
    met = (
        solution_rel_l2 <= spec.target
        and all(learned.get("learned_met", {}).values())
        and all(q.get("met") is not False for q in quantities.values())
    )
    m, c = result.metrics, result.config
    return {
        "name": name,
        "summary": spec.summary,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "rel_l2": rel_l2,
        "rel_l2_per_field": per_field,
        "solution_rel_l2": solution_rel_l2,
        "target": spec.target,
        "met": bool(met),
        **learned,
        **({"quantities": quantities} if quantities else {}),
        "train_seconds": round(float(m["train_seconds"]), 2),
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in load_after],
        "ms_per_step": ms_per_step(result.history),
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


def write(out: str, records: list[dict], fresh: bool = False) -> int:
    """Write ``records`` into ``out``/accuracy.json, keeping (unless ``fresh``) the
    records there of other problems; 0 when every record written meets its targets."""
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "accuracy.json")
    measured = {r["name"] for r in records}
    if not fresh and os.path.isfile(path):
        with open(path) as f:
            kept = [r for r in json.load(f).get("records", []) if r["name"] not in measured]
    else:
        kept = []
    order = {n: k for k, n in enumerate(problems.names())}
    records_all = sorted(kept + records, key=lambda r: order.get(r["name"], len(order)))
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": "python benchmarks/accuracy.py [--problems NAMES]",
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
    }
    with open(path, "w") as f:
        json.dump({**meta, "records": records_all}, f, indent=2)
    print(f"wrote {path}; tables: python benchmarks/tables.py", file=sys.stderr)
    return 0 if all(r["met"] for r in records) else 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", default="", help="comma-separated names (default: every registered problem)")
    parser.add_argument("--out", default=os.path.join("benchmarks", "results"), help="output folder")
    parser.add_argument("--inverse", action="store_true", help="only the inverse problems (specs with `learns`)")
    parser.add_argument(
        "--fresh", action="store_true",
        help="start accuracy.json anew (default: replace the records of the problems measured, keep the others)",
    )
    parser.add_argument(
        "--merge", nargs="+", metavar="JSON", default=None,
        help="measure nothing: add the records of these accuracy.json files (runs made elsewhere, "
        "e.g. in parallel) to --out's, a newer record replacing an older one of the same problem",
    )
    args = parser.parse_args(argv)
    if args.merge:
        records = []
        for path in args.merge:
            with open(path) as f:
                records += json.load(f)["records"]
        by_name = {}
        for r in sorted(records, key=lambda r: r.get("date", "")):
            by_name[r["name"]] = r
        return write(args.out, list(by_name.values()), fresh=args.fresh)
    names = [n.strip() for n in args.problems.split(",") if n.strip()] or list(problems.names())
    if args.inverse:
        names = [n for n in names if getattr(problems.get(n), "learns", None)]
    for name in names:
        problems.get(name)  # an unknown name fails here, listing the valid ones, before any run
    records = []
    for name in names:
        record = measure(name)
        records.append(record)
        print(json.dumps(record), flush=True)
    return write(args.out, records, fresh=args.fresh)


if __name__ == "__main__":
    sys.exit(main())
