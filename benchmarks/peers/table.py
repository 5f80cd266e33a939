"""Time to accuracy, pinn against DeepXDE, from ``benchmarks/results/peers.json``.

Standard library only: ``benchmarks/tables.py`` imports :func:`peers_table` whether or not
the peers (DeepXDE, PyTorch) are installed.

A run's ``curve`` is ``{"columns": [...], "rows": [[...], ...]}`` with at least the columns
``seconds`` (wall-clock training seconds since the run's start) and ``rel_l2`` (relative L2
error on the problem's evaluation grid), rows in time order; with a ``cpu_seconds`` column
(process CPU seconds) the table gives CPU times beside the wall times.
"""

from __future__ import annotations

#: The accuracies the table reports the time to, and the speed-up the claim asks for.
ACCURACIES: tuple[float, ...] = (1e-3, 1e-4)
CLAIM = 5.0

ENGINES: tuple[str, ...] = ("pinn", "deepxde")


def _column(curve: dict, name: str) -> int:
    return list(curve["columns"]).index(name)


def seconds_to(curve: dict, target: float, key: str = "seconds") -> float | None:
    """The first recorded time (``key``: ``seconds`` or ``cpu_seconds``) at which the error
    is at or below ``target`` (``None``: never)."""
    t, e = _column(curve, key), _column(curve, "rel_l2")
    for row in curve["rows"]:
        if row[e] is not None and row[e] <= target:
            return float(row[t])
    return None


def error_at(curve: dict, seconds: float) -> float | None:
    """The error the run had at time ``seconds``: that of the last row recorded at or before
    it (``None`` when nothing was recorded by then)."""
    t, e = _column(curve, "seconds"), _column(curve, "rel_l2")
    last = None
    for row in curve["rows"]:
        if row[t] > seconds:
            break
        if row[e] is not None:
            last = float(row[e])
    return last


def end_seconds(curve: dict, key: str = "seconds") -> float:
    """The time (``key``) of the last recorded row (0 for an empty curve)."""
    rows = curve["rows"]
    return float(rows[-1][_column(curve, key)]) if rows else 0.0


def best_error(curve: dict) -> float | None:
    e = _column(curve, "rel_l2")
    errors = [row[e] for row in curve["rows"] if row[e] is not None]
    return min(errors) if errors else None


def speedup(pinn_curve: dict, peer_curve: dict, target: float, key: str = "seconds") -> tuple[float | None, bool]:
    """(peer's time to ``target`` / pinn's, exact?) for one accuracy.

    When the peer never reaches ``target`` the ratio is a lower bound, its whole run time
    over pinn's time (``exact`` False); ``None`` when pinn never reaches it.
    """
    mine = seconds_to(pinn_curve, target, key)
    if mine is None or mine <= 0:
        return None, False
    theirs = seconds_to(peer_curve, target, key)
    if theirs is None:
        return end_seconds(peer_curve, key) / mine, False
    return theirs / mine, True


def _has_cpu(*curves: dict) -> bool:
    return all("cpu_seconds" in c["columns"] for c in curves)


def summary(entry: dict) -> dict:
    """The numbers of one problem's row: times to each accuracy, speed-ups, and both errors at
    the equal time ``T`` = the shorter of the two runs."""
    pinn, peer = entry["runs"]["pinn"]["curve"], entry["runs"]["deepxde"]["curve"]
    equal = min(end_seconds(pinn), end_seconds(peer))
    out = {"equal_seconds": equal, "pinn_at_equal": error_at(pinn, equal), "deepxde_at_equal": error_at(peer, equal)}
    cpu = _has_cpu(pinn, peer)
    for target in ACCURACIES:
        ratio, exact = speedup(pinn, peer, target)
        out[target] = {
            "pinn": seconds_to(pinn, target),
            "deepxde": seconds_to(peer, target),
            "ratio": ratio,
            "exact": exact,
            "claim": ratio is not None and ratio >= CLAIM,
        }
        if cpu:
            cpu_ratio, cpu_exact = speedup(pinn, peer, target, "cpu_seconds")
            out[target].update(
                pinn_cpu=seconds_to(pinn, target, "cpu_seconds"),
                deepxde_cpu=seconds_to(peer, target, "cpu_seconds"),
                cpu_ratio=cpu_ratio,
                cpu_exact=cpu_exact,
            )
    return out


def _s(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} s" if value >= 10 else f"{value:.1f} s"


def _e(value: float | None) -> str:
    return "—" if value is None else f"{value:.1e}"


def _times(cell: dict, engine: str) -> str:
    wall = cell[engine]
    if f"{engine}_cpu" not in cell or wall is None:
        return _s(wall)
    return f"{_s(wall)[:-2]} / {_s(cell[engine + '_cpu'])}"


def _x(ratio: float | None, exact: bool) -> str:
    if ratio is None:
        return "—"
    return f"{ratio:.1f}×" if exact else f"> {ratio:.1f}×"


def _ratio(cell: dict) -> str:
    text = _x(cell["ratio"], cell["exact"])
    if cell["ratio"] is not None and not cell["claim"]:
        text = f"**{text}**"
    if "cpu_ratio" in cell:
        text += f" / {_x(cell['cpu_ratio'], cell['cpu_exact'])}"
    return text


def peers_table(report: dict) -> str:
    """Markdown: per problem, seconds to 1e-3 and 1e-4 for pinn and DeepXDE, the speed-up,
    both errors at equal time and at the end, from benchmarks/peers/run.py's JSON."""
    v = report.get("versions", {})
    lines = [
        f"Measured {report.get('date', '?')} on {report.get('machine', '?')} ({report.get('cpus', '?')} CPUs, "
        f"load average {report.get('load', '?')}); pinn (JAX {v.get('jax', '?')}) and DeepXDE {v.get('deepxde', '?')} "
        f"(PyTorch {v.get('torch', '?')} backend, {report.get('torch_threads', '?')} thread(s)), interleaved in one run, "
        f"each run held to {report.get('cpus_per_run') or 'all'} CPU(s). "
        "Both train the problem's default recipe from the same initial weights and the same points in float64: "
        "Adam then L-BFGS (pinn: optax.lbfgs, zoom line search; DeepXDE: torch.optim.LBFGS with its own defaults, "
        "strong Wolfe). Error: relative L2 on the problem's evaluation grid, every "
        f"{report.get('eval_every', '?')} steps; times: wall-clock / process CPU seconds of training (pinn's include "
        f"its compilation), each run capped at {report.get('max_seconds', '?')} s. Speed-up: DeepXDE's time over "
        f"pinn's, wall / CPU (> : DeepXDE never got there, its whole run over pinn's time; bold: wall speed-up under "
        f"the claimed {CLAIM:g}×). \"Equal time\": both errors at the end of the shorter run (wall).",
        "",
        "| problem | recipe, network, points | 1e-3: pinn | DeepXDE | speed-up | 1e-4: pinn | DeepXDE | speed-up "
        "| equal time | pinn | DeepXDE | end: pinn | DeepXDE |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, entry in report["problems"].items():
        s = summary(entry)
        runs = entry["runs"]
        recipe = f"{entry['recipe']}, {'x'.join(map(str, entry['hidden']))} tanh, {entry['points']}"
        cells = []
        for target in ACCURACIES:
            c = s[target]
            cells += [_times(c, "pinn"), _times(c, "deepxde"), _ratio(c)]
        ends = [f"{_e(runs[k]['rel_l2'])} ({_s(runs[k]['train_seconds'])})" for k in ENGINES]
        lines.append(
            f"| `{name}` | {recipe} | {' | '.join(cells)} | {_s(s['equal_seconds'])} | {_e(s['pinn_at_equal'])} "
            f"| {_e(s['deepxde_at_equal'])} | {' | '.join(ends)} |"
        )
    return "\n".join(lines) + "\n"


def folx_table(report: dict) -> str:
    """Markdown: per Laplacian problem, the Laplacian's time by pinn's forward engine, folx
    and the jax.hessian trace, and each one's ratio to folx, from
    benchmarks/folx_laplacian.py's JSON (``benchmarks/results/folx.json``)."""
    v = report.get("versions", {})
    lines = [
        f"Measured {report.get('date', '?')} on {report.get('machine', '?')} ({report.get('cpus', '?')} CPUs, "
        f"{report.get('backend', '?')}), JAX {v.get('jax', '?')}, folx {v.get('folx', '?')}; float64. The Laplacian "
        "each residual takes (in space only for the time-dependent problems) of the problem's default network at its "
        "initial weights, over its default number of interior points, vmapped and jitted: median (fastest) "
        f"milliseconds of {report.get('repeats', '?')} interleaved calls after compilation. \"vs folx\": time over "
        "folx's (below 1: faster than folx). \"max diff\": the largest difference from the jax.hessian trace, "
        f"relative to the largest Laplacian (required: at most {report.get('tolerance', 1e-10):g}).",
        "",
        "| problem | Laplacian in | network | points | pinn forward | folx | jax.hessian trace | pinn vs folx "
        "| jax.hessian vs folx | max diff | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, e in report["problems"].items():
        ms, fastest, ratio = e["ms"], e["ms_min"], e["ratio_to_folx"]
        times = [f"{ms[k]:.1f} ({fastest[k]:.1f}) ms" for k in ("pinn", "folx", "hessian")]
        net = f"{'x'.join(map(str, e['hidden']))} {e['activation']}" + (" + transform" if e["output_transform"] else "")
        diff = max(e["max_rel_diff_to_hessian"].values())
        lines.append(
            f"| `{name}` | {e['laplacian_dim']}-D | {net} | {e['points']} | {' | '.join(times)} "
            f"| {ratio['pinn']:.2f} | {ratio['hessian']:.2f} | {diff:.0e} | {e['load_average_before']:.0f} |"
        )
    return "\n".join(lines) + "\n"
