"""Error against time for second-order optimizers on the bundled problems (issue 14).

For each problem this trains, from the same start (the problem's default network, key,
points and Adam warm-up):

``lm``      Adam, then Levenberg-Marquardt (``"lm"``: damped Gauss-Newton on the stacked
            residual vector, :mod:`pinn.gauss_newton`);
``lbfgs``   Adam, then L-BFGS (``"lbfgs"``);
``ssbfgs``  Adam, then self-scaled BFGS (``"ssbfgs"``, :mod:`pinn.quasi_newton`);
``old``     the recipe the problem had before issue 14 (Adam + L-BFGS on its larger
            network and point set: the problem's ``"adam-lbfgs"`` recipe), for reference.

The method of the defaults' last phase (LM for most problems) runs the defaults as they
are, first; each other method gets the same Adam warm-up and a long phase cut by time:
it stops once its training time passes ``--cap-factor`` times that of the defaults' run
(and ``--max-seconds`` caps every run), so every curve covers the same stretch of time. Every ``--eval-every`` steps the
history records the training seconds and the relative L2 error on the problem's
evaluation grid; the script adds the process CPU seconds at each of those rows (the
CPU time is what a run costs alone: on a loaded machine the wall time overstates it).

Run (one problem at a time on a shared machine)::

    .venv/bin/python benchmarks/optimizers.py --problems poisson2d
    .venv/bin/python benchmarks/optimizers.py --problems heat1d --methods lm,lbfgs --max-seconds 300

Writes, under ``--out`` (default ``benchmarks/results/``): ``optimizers.json`` (merged
with what is there: a run of some problems keeps the others), one figure per problem
``optimizers_<problem>.png`` (error against wall and CPU seconds, log scale). The table
in BENCHMARKS.md between ``<!-- table:optimizers -->`` markers is generated from the
JSON by ``benchmarks/tables.py``.

``OPENBLAS_NUM_THREADS`` is set to 1 unless given: the dense LM step's Cholesky
factorisation is a LAPACK call, and OpenBLAS's threads spin against each other on a
loaded 2-core machine (measured for a 257 x 257 factor under load ~13: 0.19 s of CPU
time with the default threads against 0.0023 s with one; the LM step went 3.3x faster
in wall time with the same iterates).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy/scipy load OpenBLAS; see the docstring

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pinn  # noqa: E402
import problems  # noqa: E402
from problems.registry import override_training  # noqa: E402

METHODS: tuple[str, ...] = ("lm", "lbfgs", "ssbfgs", "old")

#: Issue 14's targets (relative L2 error at each problem's defaults, float64, 2-core CPU,
#: at most 10 minutes); the problems' own ``target`` (issue 3) is unchanged.
TARGETS: dict[str, float] = {
    "poisson2d": 1e-6,
    "heat1d": 1e-6,
    "heat_disk": 1e-5,
    "heat3d": 1e-5,
    "elasticity_plate": 1e-5,
    "elasticity_beam": 1e-5,
    "elasticity_cylinder": 1e-5,
    "burgers": 1e-4,
    "wave1d": 1e-4,
    "helmholtz2d": 1e-5,
}

#: Steps of the comparators' second phase: more than any of them reaches in its time cap.
LONG_PHASE = 100_000


def _phases(spec, settings: dict) -> tuple[pinn.Phase, ...]:
    return spec.config(**settings).phase_list()


def default_method(spec, base: dict) -> str:
    """The method of the defaults' last phase (``lm`` for most problems since issue 14)."""
    return _phases(spec, base)[-1].name


def recipe(spec, method: str, base: dict) -> dict:
    """The settings (overrides of the problem's defaults) of one method's run: the defaults
    themselves for their own method, else their Adam warm-up and a long phase of ``method``."""
    if method == "old":
        # the recipe before issue 14 (a problem without one still has those defaults)
        return override_training(base, spec.recipe(spec.adam_lbfgs_recipe()))
    if method == default_method(spec, base):
        return dict(base)
    phases = _phases(spec, base)
    warm = [p for p in phases if p.name == "adam"][:1]
    return {**base, "phases": [*warm, pinn.Phase(method, LONG_PHASE)]}


CURVE_COLUMNS: tuple[str, ...] = ("step", "seconds", "cpu_seconds", "rel_l2", "loss", "damping")
MAX_CURVE_ROWS = 300


def thin(rows: list[list], keep: int = MAX_CURVE_ROWS) -> list[list]:
    """At most about ``keep`` rows, evenly spread over the run, always with the first, the
    last and the one of the smallest error (so the stored curve keeps what the table cites)."""
    if len(rows) <= keep:
        return rows
    index = set(np.linspace(0, len(rows) - 1, keep).round().astype(int).tolist())
    errors = [(r[3], i) for i, r in enumerate(rows) if r[3] is not None]
    if errors:
        index.add(min(errors)[1])
    return [rows[i] for i in sorted(index)]


def run(spec, method: str, settings: dict, max_seconds: float, eval_every: int) -> dict:
    """Train one recipe, stopping once its training time passes ``max_seconds``; one JSON record.

    ``curve`` holds one row per evaluation (:data:`CURVE_COLUMNS`: step, training
    seconds, process CPU seconds since the start, relative L2 error, loss, and the LM
    damping where there is one), thinned to :data:`MAX_CURVE_ROWS`.
    """
    rows = []
    cpu0 = time.process_time()

    def record(row):
        if not math.isnan(row["rel_l2"]):
            damping = row.get("damping")
            rows.append([
                int(row["step"]), round(float(row["seconds"]), 3), round(time.process_time() - cpu0, 3),
                float(row["rel_l2"]), float(row["loss"]), None if damping is None or math.isnan(damping) else float(damping),
            ])
        if row["seconds"] > max_seconds:
            raise KeyboardInterrupt  # the trainer stops at this row and returns what it has

    load_before = os.getloadavg()
    wall0 = time.perf_counter()
    result = spec.solve(callback=record, eval_every=eval_every, log_every=eval_every, checkpoint_every=0, **settings)
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    m = result.metrics
    best = min(rows, key=lambda r: r[3]) if rows else [None] * len(CURVE_COLUMNS)
    phases = [
        {"method": p["method"], "steps": p["steps_done"], **{k: v for k, v in p.items() if k not in ("method", "steps", "steps_done")}}
        for p in m["phases"]
    ]
    history = result.history
    accepted = history.get("accepted")
    return {
        "method": method,
        "phases": phases,
        "phases_text": ",".join(f"{p['method']}:{p['steps']}" for p in phases),
        "hidden": list(m["hidden"]),
        "activation": m["activation"],
        "dtype": m["dtype"],
        "n_params": int(m["n_params"]),
        "n_interior": result.config.n_interior,
        "n_boundary": result.config.n_boundary,
        "seed": m["seed"],
        "rel_l2": float(result.rel_l2),
        "rel_l2_per_field": {k: float(v) for k, v in result.rel_l2_per_field.items()},
        "final_loss": float(m["final_total_loss"]),
        "best_rel_l2": best[3],
        "best_step": best[0],
        "best_seconds": best[1],
        "best_cpu_seconds": best[2],
        "train_seconds": round(float(m["train_seconds"]), 2),
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "stopped_by_time": bool(result.interrupted),
        "rejected_rows": None if accepted is None else int(np.sum(np.asarray(accepted) == 0)),
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
        "compilations": m["compilations"],
        "curve": {"columns": list(CURVE_COLUMNS), "rows": thin(rows)},
    }


def seconds_to(curve: dict, target: float, key: str = "seconds") -> float | None:
    """The first time (``key``: ``seconds`` or ``cpu_seconds``) at which the error is <= ``target``."""
    column = curve["columns"].index(key)
    for row in curve["rows"]:
        if row[3] <= target:
            return row[column]
    return None


def figure(name: str, entry: dict, path: Path) -> None:
    """Error against wall seconds and CPU seconds, one line per method (matplotlib's Figure API)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4.2), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    styles = {"lm": ("C0", "-"), "lbfgs": ("C1", "-"), "ssbfgs": ("C2", "-"), "old": ("0.4", "--")}
    for method, r in entry["runs"].items():
        rows = r["curve"]["rows"]
        if not rows:
            continue
        color, line = styles.get(method, ("C3", ":"))
        label = f"{method}: {r['phases_text']} ({'x'.join(map(str, r['hidden']))}, {r['n_params']} params)"
        for ax, column in zip(axes, (1, 2)):
            ax.semilogy([row[column] for row in rows], [row[3] for row in rows], line, color=color, label=label)
    loads = [r["load_average_before"][0] for r in entry["runs"].values()]
    for ax, xlabel in zip(axes, ("training seconds (wall)", "process CPU seconds")):
        ax.axhline(entry["target"], color="k", lw=0.8, ls=":", label=f"target {entry['target']:.0e}")
        ax.set_xlabel(xlabel)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("relative L2 error")
    axes[0].set_title(f"{name} (load average {min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} CPUs)", fontsize=9)
    axes[1].legend(fontsize=7, loc="upper right")
    fig.savefig(path, dpi=110)


def _summary(name: str, entry: dict) -> dict:
    target = entry["target"]
    out = {}
    for method, r in entry["runs"].items():
        out[method] = {
            "best_rel_l2": r["best_rel_l2"],
            "seconds_to_target": seconds_to(r["curve"], target),
            "cpu_seconds_to_target": seconds_to(r["curve"], target, "cpu_seconds"),
        }
    return out


def _parse_value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", default="", help="comma-separated names (default: every problem of TARGETS)")
    parser.add_argument("--methods", default=",".join(METHODS), help=f"comma-separated, of {', '.join(METHODS)}")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="training-time cap of every run")
    parser.add_argument("--cap-factor", type=float, default=1.5, help="other runs stop at this times the LM run's time")
    parser.add_argument("--eval-every", type=int, default=20, help="error (and a history row) every this many steps")
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE",
        help="override a default of every run (JSON value), e.g. --set 'hidden=[48]' --set phases='\"adam:200,lm:800\"'",
    )
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"), help="output folder")
    parser.add_argument("--no-figures", action="store_true")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.problems.split(",") if n.strip()] or list(TARGETS)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    for name in names:
        if name not in TARGETS:
            raise SystemExit(f"unknown problem {name!r}; valid problems: {', '.join(TARGETS)}")
    for method in methods:
        if method not in METHODS:
            raise SystemExit(f"unknown method {method!r}; valid methods: {', '.join(METHODS)}")
    base = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--set takes KEY=VALUE, got {item!r}")
        value = _parse_value(value)
        base[key] = tuple(value) if key == "hidden" else value
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "optimizers.json"
    report = json.loads(path.read_text()) if path.is_file() else {"problems": {}}
    for name in names:
        spec = problems.get(name)
        entry = {"target": TARGETS[name], "spec_target": spec.target, "overrides": {k: list(v) if isinstance(v, tuple) else v for k, v in base.items()}, "runs": {}}
        cap = args.max_seconds
        first = default_method(spec, base)
        entry["defaults"] = first if first in methods else None
        for method in sorted(methods, key=lambda m: m != first):  # the defaults first: they set the others' time cap
            settings = recipe(spec, method, base)
            print(f"{name} {method}: {settings}", flush=True)
            r = run(spec, method, settings, args.max_seconds if method == first else cap, args.eval_every)
            r["defaults"] = method == first and not base
            entry["runs"][method] = r
            if method == first:
                cap = min(args.max_seconds, args.cap_factor * r["train_seconds"])
            print(
                f"{name} {method}: rel L2 {r['rel_l2']:.3e} (best {r['best_rel_l2']:.3e} at {r['best_seconds']} s) "
                f"in {r['train_seconds']:.1f} s training, {r['cpu_seconds']:.1f} s CPU, load {r['load_average_before'][0]:.1f}",
                flush=True,
            )
        entry["summary"] = _summary(name, entry)
        report["problems"][name] = entry
        report.update(
            date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            machine=platform.platform(),
            cpus=os.cpu_count(),
            openblas_threads=os.environ.get("OPENBLAS_NUM_THREADS"),
        )
        report.setdefault("commands", {})[name] = " ".join([os.path.basename(sys.executable), *sys.argv])
        path.write_text(json.dumps(report, indent=1) + "\n")
        if not args.no_figures:
            figure(name, entry, out / f"optimizers_{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
