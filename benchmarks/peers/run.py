"""pinn against DeepXDE: relative L2 error against wall time on the same problem (issue 17).

For each problem (``poisson2d``, ``heat1d``, ``elasticity_plate``) this trains, one after
the other, in fresh processes (pinn first, then DeepXDE):

``pinn``     the problem's default recipe (``problems.get(name)``): Adam with its
             exponential decay, then L-BFGS (optax.lbfgs, zoom line search), float64;
``deepxde``  the same problem written the way DeepXDE's examples write it (PyTorch backend,
             ``dde.data.PDE`` + ``dde.Model``; Laplacians and stresses via ``dde.grad``), with
             the same points (pinn's Sobol batch: the interior points as anchors, each
             condition's points as a ``PointSetBC`` / ``PointSetOperatorBC``), the same
             loss weights, the same network (widths, tanh, the inputs mapped to [-1, 1], and
             pinn's initial weights copied in), float64, Adam at the same learning rate and
             decay, then DeepXDE's L-BFGS (``torch.optim.LBFGS`` with DeepXDE's own
             defaults: history 100, strong Wolfe line search, gtol 1e-8).

Every ``--eval-every`` steps both record the wall-clock training seconds and the relative
L2 error on ``problem.evaluation_data()``. pinn's seconds include its compilation and its
own evaluations; DeepXDE's exclude the evaluations this script makes (they favour DeepXDE).
DeepXDE's L-BFGS is driven ``--eval-every`` iterations per ``optimizer.step`` call
(DeepXDE's ``iter_per_step``, 1000 by default) so its curve has the same resolution; the
history carries over between calls. Each run stops at the end of its recipe or once its
time passes ``--max-seconds``. Each run is held to ``--cpus`` CPUs (1 by default,
``os.sched_setaffinity`` before JAX or PyTorch loads) and PyTorch to ``--torch-threads``
threads (1): on a loaded 2-core machine both engines run far faster that way than on their
default thread pools (measured under load average 5-11: pinn's Adam steps on
``poisson2d`` 24 ms on one core against 40 ms unpinned; DeepXDE's 80 ms with one thread
against about 1 s with PyTorch's default two). PyTorch's first-optimizer imports happen
before DeepXDE's clock starts.

Install the peers into their own venv (never in CI or ``make test``)::

    python3 -m venv .venv-peers && .venv-peers/bin/pip install -e ".[peers]"    # or: make peers
    .venv-peers/bin/python benchmarks/peers/run.py                               # all three
    .venv-peers/bin/python benchmarks/peers/run.py --problems poisson2d --max-seconds 300

Writes ``benchmarks/results/peers.json`` (merged: a run of some problems keeps the others);
``benchmarks/peers/table.py`` makes the BENCHMARKS.md table from it.
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

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PROBLEMS: tuple[str, ...] = ("poisson2d", "heat1d", "elasticity_plate")
ENGINES: tuple[str, ...] = ("pinn", "deepxde")
MISSING = "benchmarks/peers needs DeepXDE and PyTorch, which pinn does not install: pip install .[peers] (into its own venv: make peers)"


def require_peers() -> None:
    """Exit with one line naming ``pip install .[peers]`` when DeepXDE or PyTorch is absent.

    Only looks (``importlib.util.find_spec``): nothing is imported here, so the check costs
    nothing and works without either installed.
    """
    import importlib.util

    for name in ("deepxde", "torch"):
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # a module set to None in sys.modules, or a broken one
            found = False
        if not found:
            raise SystemExit(f"{MISSING} (no module named {name!r})")


def _side(engine: str, problem: str, args, python: str) -> dict:
    """One run in a fresh process; its JSON record."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "record.json"
        command = [
            python, str(Path(__file__).resolve()), "--side", engine, "--problems", problem,
            "--max-seconds", str(args.max_seconds), "--eval-every", str(args.eval_every), "--side-out", str(out),
            "--torch-threads", str(args.torch_threads), "--cpus", str(args.cpus),
        ]
        print(f"[peers] {engine} {problem}: {' '.join(command)}", flush=True)
        subprocess.run(command, check=True, cwd=ROOT)
        return json.loads(out.read_text())


def _loads(report: dict) -> tuple[float, float]:
    """The smallest and largest 1-minute load average at the start of the report's runs."""
    loads = [r["load_average_before"] for e in report["problems"].values() for r in e["runs"].values()]
    return min(loads), max(loads)


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("jax", "jaxlib", "deepxde", "torch", "optax"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    try:
        out["pinn_commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        out["pinn_commit"] = None
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", default=",".join(PROBLEMS), help=f"comma-separated, of {', '.join(PROBLEMS)}")
    parser.add_argument("--max-seconds", type=float, default=300.0, help="training-time cap of every run")
    parser.add_argument("--eval-every", type=int, default=50, help="error every this many steps (both engines)")
    parser.add_argument("--torch-threads", type=int, default=1, help="PyTorch's threads (0: its default; see deepxde_side)")
    parser.add_argument("--cpus", type=int, default=1, help="CPUs each run may use (sched_setaffinity; 0: all)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "peers.json")
    parser.add_argument("--pinn-python", default=sys.executable, help="the Python that runs the pinn side")
    parser.add_argument("--side", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--side-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    names = [n for n in args.problems.split(",") if n]
    unknown = [n for n in names if n not in PROBLEMS]
    if unknown:
        parser.error(f"unknown problem {unknown[0]!r}; valid: {', '.join(PROBLEMS)}")

    if args.side is not None:  # one run, in this (fresh) process
        if args.cpus:  # before JAX or PyTorch load: both size their thread pools from it
            os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[: args.cpus])
        if args.side == "deepxde":
            require_peers()
            from benchmarks.peers import deepxde_side as side
        else:
            from benchmarks.peers import pinn_side as side
        extra = {"threads": args.torch_threads} if args.side == "deepxde" else {}
        record = side.run(names[0], max_seconds=args.max_seconds, eval_every=args.eval_every, **extra)
        args.side_out.write_text(json.dumps(record))
        return 0

    require_peers()  # before any training: the whole run needs both
    report = json.loads(args.out.read_text()) if args.out.is_file() else {"problems": {}}
    for name in names:
        runs = {
            "pinn": _side("pinn", name, args, args.pinn_python),
            "deepxde": _side("deepxde", name, args, sys.executable),
        }
        setup = runs["pinn"].pop("setup")
        runs["deepxde"].pop("setup", None)
        report["problems"][name] = {**setup, "runs": runs}
        report.update(
            date=datetime.date.today().isoformat(),
            machine=f"{platform.machine()} {platform.processor() or ''}".strip(),
            cpus=os.cpu_count(),
            load="–".join(f"{v:.0f}" for v in _loads(report)),
            torch_threads=runs["deepxde"].get("torch_threads"),
            cpus_per_run=args.cpus,
            eval_every=args.eval_every,
            max_seconds=args.max_seconds,
            versions=_versions(),
        )
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1) + "\n")
        from benchmarks.peers.table import summary

        s = summary(report["problems"][name])
        print(f"[peers] {name}: " + json.dumps({str(k): v for k, v in s.items()}), flush=True)
    print(f"[peers] wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
