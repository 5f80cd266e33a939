"""Result tables as data: the marked blocks of BENCHMARKS.md and README.md, regenerated from benchmarks/results/*.json.

A block is everything between a line ``<!-- table:NAME -->`` and a line
``<!-- /table:NAME -->``; NAME picks the generator and the JSON file it reads:

======================  ==================================  =====================================
NAME                    JSON (under ``--results``)           written by
======================  ==================================  =====================================
``baseline_speed``      ``baseline_speed.json``              ``benchmarks/baseline_speed.py``
``baseline_speed_gpu``  ``baseline_speed_gpu.json``          the same, run on a GPU
``accuracy``            ``accuracy.json``                    ``benchmarks/accuracy.py``
``inverse``             ``accuracy.json``                    the same (problems that learn values)
``readme_accuracy``     ``accuracy.json``                    the same (README's summary table)
``noise_sweep``         ``noise_sweep.json``                 ``benchmarks/noise_sweep.py``
``optimizers``          ``optimizers.json``                  ``benchmarks/optimizers.py``
``scaling``             ``scaling.json``                     ``benchmarks/scaling.py``
``peers``               ``peers.json``                       ``benchmarks/peers/run.py``
``folx``                ``folx.json``                        ``benchmarks/folx_laplacian.py``
======================  ==================================  =====================================

Text outside the markers is never touched, and a table without markers is not
generated. Run::

    .venv/bin/python benchmarks/tables.py            # rewrite the blocks from the JSON
    .venv/bin/python benchmarks/tables.py --check    # exit 1 (with a diff) if a block differs

so a number in a marked table is the number in the committed JSON, or the check fails.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MARKDOWN = (ROOT / "BENCHMARKS.md", ROOT / "README.md")
DEFAULT_RESULTS = ROOT / "benchmarks" / "results"

sys.path.insert(0, str(ROOT))
from benchmarks.peers.table import folx_table, peers_table  # noqa: E402  (standard library only)

_MARKER = re.compile(r"^<!-- (/?)table:([A-Za-z0-9_\-]+) -->[ \t]*$", re.MULTILINE)


# -- the generators --------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return f"{value:.2f}" if value < 100 else f"{value:.1f}"


def baseline_speed_table(report: dict) -> str:
    """Framework vs baseline step times, from benchmarks/baseline_speed.py's JSON."""
    settings, m = report["settings"], report["machine"]
    pairs = report["pairs"]
    rows, rel = [], []
    ratios = {"adam": {}, "lbfgs": {}}
    for name, row in report["problems"].items():
        for engine, entry in row["loss"].items():
            rel.append(entry["rel_diff"])
        first = True
        for engine in pairs:
            cells = [f"`{name}`" if first else "", f"{engine} / {pairs[engine]}"]
            for phase in ("adam", "lbfgs"):
                r = row.get(phase, {}).get(engine)
                if r is None:
                    cells += ["", "", ""]
                    continue
                cells += [_ms(r["framework_ms"]), _ms(r["baseline_ms"]), f"{r['ratio_paired']:.2f}"]
                ratios[phase].setdefault(engine, []).append(r["ratio_paired"])
            rows.append("| " + " | ".join(cells) + " |")
            first = False
    load = m.get("load_average") or [float("nan")]
    load_end = m.get("load_average_end") or [float("nan")]
    lines = [
        f"Measured {report['date']} with `{report['command']}` on {m['platform']} "
        f"({m['backend']}{'' if m['backend'] == 'cpu' else ' ' + m['device']}, {m['cpu_count']} CPUs), jax {m['jax']}; 1-minute load average "
        f"{load[0]:.1f} at the start, {load_end[0]:.1f} at the end.",
        "",
        f"Milliseconds per step: median of {settings['repeats']} interleaved repeats of "
        f"{settings['steps']} Adam / {settings['lbfgs_steps']} L-BFGS steps, after compilation. "
        "\"ratio\": framework / baseline, the median over repeats of the ratio within a repeat. "
        f"At the same parameters and points the two losses differed by at most {max(rel):.1e} (relative).",
        "",
        "| problem | engines (framework / baseline) | Adam: framework ms | baseline ms | ratio "
        "| L-BFGS: framework ms | baseline ms | ratio |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
    ]
    for phase, label in (("adam", "Adam"), ("lbfgs", "L-BFGS")):
        parts = [
            f"{engine} / {pairs[engine]} {min(v):.2f}–{max(v):.2f} (median {statistics.median(v):.2f})"
            for engine, v in ratios[phase].items()
        ]
        if parts:
            lines.append(f"Ratio range, {label}: " + "; ".join(parts) + ".")
    return "\n".join(lines) + "\n"


def _records(report: dict) -> list[dict]:
    """accuracy.py's ``records`` list, or a ``problems`` mapping name -> record."""
    if "records" in report:
        return list(report["records"])
    if "problems" in report:
        return [{"name": name, **record} for name, record in report["problems"].items()]
    raise ValueError(f"accuracy JSON has neither 'records' nor 'problems'; its keys: {', '.join(report)}")


def _steps(steps) -> str:
    """``{"adam": 2000, "lbfgs": 3000}`` -> ``adam 2000 + lbfgs 3000`` (the phases that ran)."""
    return " + ".join(f"{phase} {n}" for phase, n in steps.items()) if isinstance(steps, dict) else ""


def _require(r: dict, *keys: str) -> None:
    for key in keys:
        if key not in r:
            raise ValueError(f"accuracy record {r.get('name', r)!r} has no {key!r}")


def _dates(records: list[dict], report: dict) -> str:
    dates = sorted({str(r["date"])[:10] for r in records if "date" in r}) or [str(report.get("date", "?"))[:10]]
    return dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"


def accuracy_table(report: dict) -> str:
    """Relative L2 error per problem, from benchmarks/accuracy.py's JSON."""
    records = _records(report)
    machine = report.get("machine", "")
    cpus = f" ({report['cpus']} CPUs)" if "cpus" in report else ""
    lines = [
        f"Measured {_dates(records, report)} with `{report.get('command', '?')}` on {machine}{cpus}.",
        "",
        "| problem | rel L2 | target | met | per field | train s | CPU s | load | steps | network | activation | dtype | seed |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        _require(r, "name", "rel_l2", "target")
        met = r.get("met", r["rel_l2"] <= r["target"])
        per_field = r.get("rel_l2_per_field") or {}
        fields = ", ".join(f"{k} {v:.2e}" for k, v in per_field.items()) if len(per_field) > 1 else ""
        train = f"{r['train_seconds']:.0f}" if "train_seconds" in r else ""
        cpu = f"{r['cpu_seconds']:.0f}" if "cpu_seconds" in r else ""
        load = f"{r['load_average_before'][0]:.1f}" if "load_average_before" in r else ""
        net = "x".join(str(w) for w in r["hidden"]) if "hidden" in r else ""
        lines.append(
            f"| `{r['name']}` | {r['rel_l2']:.2e} | {r['target']:.1e} | {'yes' if met else '**no**'} | {fields} "
            f"| {train} | {cpu} | {load} | {_steps(r.get('steps'))} | {net} | {r.get('activation', '')} "
            f"| {r.get('dtype', '')} | {r.get('seed', '')} |"
        )
    return "\n".join(lines) + "\n"


def inverse_table(report: dict) -> str:
    """The inverse problems' learned values against the truth, from accuracy.py's JSON."""
    lines = [
        "| problem | learned | start | true | learned value | rel error | target | met | solution rel L2 | train s | CPU s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in _records(report):
        for k, target in r.get("learned_target", {}).items():
            _require(r, "learned", "learned_error", "learned_met", "solution_rel_l2")
            value, err = r["learned"].get(k), r["learned_error"][k]
            shown = "field" if value is None else f"{value:.6g}"
            lines.append(
                f"| `{r['name']}` | {k} | {r.get('learned_start', {}).get(k, 'field')} "
                f"| {r.get('learned_true', {}).get(k, 'field')} | {shown} | {err:.2e} | {target:.0e} "
                f"| {'yes' if r['learned_met'][k] else '**no**'} | {r['solution_rel_l2']:.2e} "
                f"| {r.get('train_seconds', float('nan')):.0f} | {r.get('cpu_seconds', float('nan')):.0f} |"
            )
    return "\n".join(lines) + "\n"


def readme_accuracy_table(report: dict) -> str:
    """The README's summary, in the registry's order: equation, target and what was
    reached (learned values too); a registered problem without a record says so."""
    import problems

    rows = {}
    for r in _records(report):
        _require(r, "name", "rel_l2", "target", "summary")
        reached = f"{r.get('solution_rel_l2', r['rel_l2']):.1e}"
        for k in r.get("learned_target", {}):
            value = r["learned"].get(k)
            what = f"{k} {value:.4g}" if value is not None else k
            reached += f"; {what} (error {r['learned_error'][k]:.1e})"
        if not r.get("met", True):
            reached += " (**target not met**)"
        rows[r["name"]] = f"| `{r['name']}` | {r['summary']} | {r['target']:.0e} | {reached} |"
    for name in problems.names():
        if name not in rows:  # never a typed number
            spec = problems.get(name)
            rows[name] = f"| `{name}` | {spec.summary} | {spec.target:.0e} | not yet measured at these defaults |"
    order = {n: k for k, n in enumerate(problems.names())}
    names = sorted(rows, key=lambda n: order.get(n, len(order)))
    return "\n".join(["| problem | equation | target | reached |", "|---|---|---|---|", *(rows[n] for n in names)]) + "\n"


def noise_sweep_table(report: dict) -> str:
    """The learned value at each noise level, from benchmarks/noise_sweep.py's JSON."""
    lines = [
        f"Measured {str(report.get('date', '?'))[:10]} with `{report.get('command', '?')}` "
        f"({report.get('problem', '?')}, {report.get('cpus', '?')} CPUs).",
        "",
        "| noise | learned | true | rel error | solution rel L2 | data loss | noise floor | steps | CPU s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report["records"]:
        for k, value in r["learned"].items():
            lines.append(
                f"| {100 * r['noise']:g} % | {k} = {value:.6g} | {r['true'][k]:g} | {r['learned_error'][k]:.2e} "
                f"| {r['rel_l2']:.2e} | {r['data_loss']:.2e} | {r['noise_floor']:.2e} | {_steps(r.get('steps'))} "
                f"| {r['cpu_seconds']:.0f} |"
            )
    return "\n".join(lines) + "\n"


_OPTIMIZER_LABELS = {"lm": "Adam + LM", "lbfgs": "Adam + L-BFGS", "ssbfgs": "Adam + SSBFGS", "old": "old recipe"}


def optimizers_table(report: dict) -> str:
    """Per problem: the defaults' final error against the issue-14 target, and each
    optimizer's best error and time to the target, from benchmarks/optimizers.py's JSON
    (``problems`` -> ``runs`` -> method -> record with a ``curve``)."""

    def when(r, target):
        hit = next((row for row in r["curve"]["rows"] if row[3] <= target), None)
        return "—" if hit is None else f"{hit[1]:.0f} / {hit[2]:.0f} s"

    lines = [
        f"Measured {report.get('date', '?')} on {report.get('machine', '?')} ({report.get('cpus', '?')} CPUs), "
        f"OPENBLAS_NUM_THREADS={report.get('openblas_threads')}; float64, seed 0. \"Defaults\": the final error of "
        "the problem's default recipe and its training time (wall / CPU seconds). Each optimizer's cell: the best "
        "relative L2 error it reached, then wall / CPU seconds of training until its error first met the target "
        "(—: never). LM, L-BFGS and SSBFGS start from the same network, key, points and Adam warm-up; "
        "\"old recipe\" is the Adam + L-BFGS default the problem had before. \"load\": the 1-minute load average "
        "at the start of the runs.",
        "",
        "| problem | target | defaults | met | network (params), points | default phases | Adam + LM | Adam + L-BFGS "
        "| Adam + SSBFGS | old recipe | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, entry in report["problems"].items():
        runs, target = entry["runs"], entry["target"]
        default = runs.get(entry.get("defaults") or "", next(iter(runs.values())))
        final = f"{default['rel_l2']:.2e} ({default['train_seconds']:.0f} / {default['cpu_seconds']:.0f} s)"
        met = default["rel_l2"] <= target
        net = f"{'x'.join(map(str, default['hidden']))} ({default['n_params']}), {default['n_interior']} + {default['n_boundary']}"
        cells = []
        for method in ("lm", "lbfgs", "ssbfgs", "old"):
            r = runs.get(method)
            cells.append("" if r is None else f"{r['best_rel_l2']:.1e}; {when(r, target)}")
        loads = [r["load_average_before"][0] for r in runs.values()]
        lines.append(
            f"| `{name}` | {target:.0e} | {final} | {'yes' if met else '**no**'} | {net} | {default['phases_text']} "
            f"| {' | '.join(cells)} | {min(loads):.0f}–{max(loads):.0f} |"
        )
    return "\n".join(lines) + "\n"


def gpu_table(report: dict) -> str:
    """Point-steps per second of the framework's Adam step per engine (benchmarks/gpu.py)."""
    rows = [r for r in report["rows"] if "ms_per_step" in r]
    engines = sorted({r["engine"] for r in rows}, key=["hessian", "forward", "jvp"].index)
    keys = sorted({(r["problem"], r["points"], r["dtype"]) for r in rows}, key=lambda k: (k[0], k[1], k[2]))
    lines = [
        f"{report['devices'][0]}, JAX {report['versions']['jax']}, {report['date']}; `{report['command']}`",
        "",
        "| problem | points | dtype | " + " | ".join(f"{e} ms (Mpt·steps/s)" for e in engines) + " | fastest | forward vs hessian | best % of fp32 peak |",
        "|---|---|---|" + "---|" * len(engines) + "---|---|---|",
    ]
    for problem, points, dtype in keys:
        cell = {r["engine"]: r for r in rows if (r["problem"], r["points"], r["dtype"]) == (problem, points, dtype)}
        fastest = min(cell.values(), key=lambda r: r["ms_per_step"])
        ratio = cell["hessian"]["ms_per_step"] / cell["forward"]["ms_per_step"]
        peak = max(r["fraction_of_peak"] for r in cell.values()) * 100
        values = " | ".join(
            f"{cell[e]['ms_per_step']:.2f} ({cell[e]['point_steps_per_s'] / 1e6:.0f})" if e in cell else "–" for e in engines
        )
        lines.append(f"| `{problem}` | {points:.0e} | {dtype} | {values} | {fastest['engine']} | {ratio:.2f}× | {peak:.1f} |")
    return "\n".join(lines) + "\n"


def scaling_table(report: dict) -> str:
    """Point-steps per second of heat3d on 1 and 2 local processes (benchmarks/scaling.py).

    A 2-process row is compared with the 1-process rows at the points one process held
    alone: the same total for strong scaling, the same points per process for weak."""
    rows = report["rows"]
    base = {(r["points"], r["pinned"]): r for r in rows if r["processes"] == 1}
    lines = [
        f"{report['date']}, load {report['load_before'][0]:.1f} before and {report['load_after'][0]:.1f} after, "
        f"{report['cpu_count']} cores, JAX {report['versions']['jax']}; `{report['command']}`",
        "",
        "| scaling | processes | points (per process) | threads | ms/step | Mpt·steps/s | vs 1 process | vs 1 process on 1 core |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: (r["points_per_process"] if r["kind"] == "weak" else r["points"], r["processes"], r["kind"] != "base", not r["pinned"])):
        alone = r["points"] if r["kind"] != "weak" else r["points_per_process"]
        threads = "1 per process" + (", pinned" if r.get("taskset") else "") if r["pinned"] else "XLA default"
        if r["processes"] == 1:
            versus = versus_one = "–"
        else:
            versus = f"{r['point_steps_per_s'] / base[(alone, False)]['point_steps_per_s']:.2f}×"
            versus_one = f"{r['point_steps_per_s'] / base[(alone, True)]['point_steps_per_s']:.2f}×"
        lines.append(
            f"| {r['kind']} | {r['processes']} | {r['points']:.0e} ({r['points_per_process']:.0e}) | {threads} "
            f"| {r['ms_per_step']:.1f} | {r['point_steps_per_s'] / 1e6:.2f} | {versus} | {versus_one} |"
        )
    return "\n".join(lines) + "\n"


GENERATORS: dict[str, tuple[str, Callable[[dict], str]]] = {
    "gpu": ("gpu.json", gpu_table),
    "scaling": ("scaling.json", scaling_table),
    "baseline_speed": ("baseline_speed.json", baseline_speed_table),
    "baseline_speed_gpu": ("baseline_speed_gpu.json", baseline_speed_table),
    "accuracy": ("accuracy.json", accuracy_table),
    "inverse": ("accuracy.json", inverse_table),
    "readme_accuracy": ("accuracy.json", readme_accuracy_table),
    "noise_sweep": ("noise_sweep.json", noise_sweep_table),
    "peers": ("peers.json", peers_table),
    "folx": ("folx.json", folx_table),
    "optimizers": ("optimizers.json", optimizers_table),
}


# -- blocks -------------------------------------------------------------------------------------------


def find_blocks(text: str) -> dict[str, tuple[int, int]]:
    """name -> (start, end) of each block's content (the text between its marker lines)."""
    blocks, open_name, open_end = {}, None, 0
    for match in _MARKER.finditer(text):
        closing, name = match.group(1) == "/", match.group(2)
        if name not in GENERATORS:
            raise ValueError(f"unknown table {name!r} in a marker; valid tables: {', '.join(GENERATORS)}")
        if not closing:
            if open_name is not None:
                raise ValueError(f"table {name!r} opens inside table {open_name!r}; close <!-- /table:{open_name} --> first")
            if name in blocks:
                raise ValueError(f"table {name!r} is marked twice")
            open_name, open_end = name, match.end() + 1
        else:
            if open_name != name:
                raise ValueError(f"<!-- /table:{name} --> closes a table that is not open (open: {open_name!r})")
            blocks[name] = (open_end, match.start())
            open_name = None
    if open_name is not None:
        raise ValueError(f"table {open_name!r} is never closed; add <!-- /table:{open_name} -->")
    return blocks


def generate(name: str, results: Path) -> str:
    filename, make = GENERATORS[name]
    path = Path(results) / filename
    if not path.is_file():
        raise FileNotFoundError(f"table {name!r} is generated from {path}, which does not exist")
    with open(path) as f:
        report = json.load(f)
    try:
        return make(report)
    except KeyError as err:
        raise ValueError(f"{path} lacks the entry {err} that table {name!r} needs") from None


def render(text: str, results: Path) -> str:
    """``text`` with every marked block replaced by what its JSON gives."""
    out, last = [], 0
    for name, (start, end) in sorted(find_blocks(text).items(), key=lambda item: item[1]):
        out += [text[last:start], generate(name, results)]
        last = end
    return "".join(out) + text[last:]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a marked block differs from its JSON")
    parser.add_argument(
        "--markdown", action="append", default=None,
        help="a markdown file with blocks (repeatable; default: BENCHMARKS.md and README.md)",
    )
    parser.add_argument("--results", default=str(DEFAULT_RESULTS), help="folder of the JSON results")
    args = parser.parse_args(argv)
    status = 0
    for markdown in args.markdown or [str(m) for m in DEFAULT_MARKDOWN]:
        status = max(status, _one(Path(markdown), Path(args.results), args.check))
    return status


def _one(path: Path, results: Path, check: bool) -> int:
    text = path.read_text()
    try:
        new = render(text, results)
    except (ValueError, FileNotFoundError, KeyError) as err:
        print(f"{path}: {err}", file=sys.stderr)
        return 1
    names = ", ".join(find_blocks(text)) or "none"
    if check:
        if new != text:
            diff = difflib.unified_diff(text.splitlines(True), new.splitlines(True), str(path), f"{path} (from the JSON)")
            sys.stderr.writelines(diff)
            print(f"{path}: tables differ from {results}; run python benchmarks/tables.py", file=sys.stderr)
            return 1
        print(f"{path}: tables up to date ({names})")
        return 0
    if new != text:
        path.write_text(new)
        print(f"{path}: tables regenerated ({names})")
    else:
        print(f"{path}: tables already up to date ({names})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
