"""Is the training step of this checkout slower than an older revision's? Same machine, same run.

Each tree's own ``benchmarks/speed.py`` times that tree's trainer step (the jitted Adam
and L-BFGS steps the trainer runs, and beside them a hand-written step on the same
network and points), one problem at a time, alternating old and new (the order flips
from one problem to the next, so a drift of the machine's load does not favour either).
The report holds, per problem, each tree's milliseconds per step and the new/old ratio;
the hand-written step (the same code in both trees) is the yardstick for the machine.

Make the old tree with git, then run::

    git worktree add /tmp/old 39e265a        # the revision before the open training core
    .venv/bin/python benchmarks/revisions.py --old /tmp/old --out benchmarks/results/revisions.json

The trees share the interpreter and its packages (this one's, or whatever ``python3``
runs it). ``--problems`` picks a subset; ``--engines`` the derivative engines.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBLEMS = (
    "poisson2d", "heat1d", "heat_disk", "heat3d", "elasticity_plate",
    "elasticity_beam", "elasticity_cylinder", "burgers", "wave1d", "helmholtz2d",
)


def time_tree(tree: Path, problem: str, args) -> dict:
    """One problem's step times from ``tree``'s own speed.py, run in a fresh process."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "speed.json"
        command = [
            sys.executable, str(tree / "benchmarks" / "speed.py"), "--problems", problem,
            "--engines", *args.engines, "--steps", str(args.steps), "--lbfgs-steps", str(args.lbfgs_steps),
            "--repeats", str(args.repeats), "--no-sweep", "--json", str(out),
        ]
        env = {**os.environ, "PYTHONPATH": str(tree)}
        done = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{tree}: speed.py failed on {problem}:\n{done.stderr[-3000:]}")
        row = json.loads(out.read_text())["problems"][0]
    times = {}
    for engine, phases in row["engines"].items():
        for phase in ("adam", "lbfgs"):
            if phase in phases:
                times[f"{engine}/{phase}"] = {
                    "framework_ms": phases[phase]["framework"]["ms"],
                    "plain_ms": phases[phase]["plain"]["ms"],
                }
    return times


def compare(old: dict, new: dict) -> dict:
    out = {}
    for key in old.keys() & new.keys():
        o, n = old[key], new[key]
        out[key] = {
            "old_ms": o["framework_ms"], "new_ms": n["framework_ms"],
            "new_over_old": n["framework_ms"] / o["framework_ms"],
            # Each tree's step over the hand-written step timed beside it: the ratio of
            # these two does not depend on how loaded the machine was in either run.
            "old_over_plain": o["framework_ms"] / o["plain_ms"], "new_over_plain": n["framework_ms"] / n["plain_ms"],
        }
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", required=True, help="a source tree of the older revision (git worktree add DIR REV)")
    parser.add_argument("--new", default=str(ROOT), help="the newer tree (default: this checkout)")
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS))
    parser.add_argument("--engines", nargs="+", default=["forward"])
    parser.add_argument("--steps", type=int, default=10, help="Adam steps per timed repeat")
    parser.add_argument("--lbfgs-steps", type=int, default=3, help="L-BFGS steps per timed repeat")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--label", default="", help="a note on where it ran, kept in the JSON")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "revisions.json"))
    args = parser.parse_args(argv)
    trees = {"old": Path(args.old).resolve(), "new": Path(args.new).resolve()}
    for name, tree in trees.items():
        if not (tree / "benchmarks" / "speed.py").is_file():
            raise SystemExit(f"--{name} {tree}: not a pinn source tree (no benchmarks/speed.py)")
    report = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": "python benchmarks/revisions.py --old OLD_TREE",
        "machine": platform.platform(), "cpus": os.cpu_count(), "label": args.label,
        "settings": {k: getattr(args, k) for k in ("engines", "steps", "lbfgs_steps", "repeats")},
        "problems": {},
    }
    for k, problem in enumerate(args.problems):
        order = ("old", "new") if k % 2 == 0 else ("new", "old")
        times = {which: time_tree(trees[which], problem, args) for which in order}
        report["problems"][problem] = compare(times["old"], times["new"])
        print(json.dumps({problem: report["problems"][problem]}), flush=True)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
