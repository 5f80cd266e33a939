r"""Side-by-side activation comparison on a bundled problem (a leaf: trains, writes files, draws).

:func:`compare_activations` trains the same architecture on the same collocation
points with the same budget once per activation (and per seed), measures each
network's error and curvature (:func:`pinn.curvature.curvature_diagnostics`) and
writes ``compare.json`` and ``compare.png``::

    summary = compare_activations("heat1d", ["relu", "tanh", "swish", "gelu"], seeds=(0, 1), out="runs/cmp")
    summary["summary"]["ratio_to_best_smooth"]["relu"]     # how much worse ReLU is

The figure shows, per activation, the predicted field, its error, and the spatial
Laplacian (u_xx in 1-D) of the prediction beside the exact one, on a 2-D slice of
the domain; a bottom row overlays all activations on one line through the slice.
A ReLU network's Laplacian is zero everywhere, so its panel is blank where the exact
one is not -- the failure reads without the numbers.
"""

from __future__ import annotations

import json
import math
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from pinn.activations import get_activation
from pinn.curvature import CurvatureWarning, curvature_diagnostics, sample_points, spatial_laplacian
from pinn.nn import DTYPES
from pinn.train import solve

RESERVED_SETTINGS = ("activation", "key", "seed")


def _check_activations(activations) -> tuple[str, ...]:
    if isinstance(activations, str):
        activations = [a for a in activations.split(",") if a.strip()]
    names = tuple(get_activation(str(a).strip()).name for a in activations)
    if not names:
        raise ValueError("activations must name at least one activation, e.g. ['relu', 'tanh']")
    if len(set(names)) != len(names):
        raise ValueError(f"activations must be distinct, got {list(names)}")
    return names


def _check_seeds(seeds) -> tuple[int, ...]:
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        if seeds < 1:
            raise ValueError(f"seeds must be a positive count or a sequence of seeds, got {seeds!r}")
        return tuple(range(int(seeds)))
    out = []
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0:
            raise ValueError(f"seeds must be non-negative integers, got {s!r}")
        out.append(int(s))
    if not out or len(set(out)) != len(out):
        raise ValueError(f"seeds must be a non-empty sequence of distinct integers, got {list(seeds)!r}")
    return tuple(out)


def _finite(x):
    """JSON-safe numbers: NaN and infinities become None."""
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(x) else None
    if isinstance(x, np.integer):
        return int(x)
    return x


def _mean(values) -> float:
    return float(np.mean(values)) if len(values) else float("nan")


def compare_activations(
    problem_name: str,
    activations: Sequence[str] | str,
    *,
    steps: int | None = None,
    lbfgs_steps: int | None = None,
    seeds: Sequence[int] | int = (0,),
    out: str | Path | None = None,
    progress: bool = False,
    field: str | None = None,
    n_points: int = 1024,
    **settings,
) -> dict:
    """Train one network per activation and seed on a bundled problem; compare them.

    Args:
        problem_name: a registered problem (``problems.names()``).
        activations: registered activation names (a list, or ``"relu,tanh"``).
        steps, lbfgs_steps: Adam and L-BFGS budgets; ``None`` keeps the problem's defaults.
        seeds: the seeds to run (an int K means seeds 0..K-1). Seed s sets both the
            network initialisation and the collocation points, so for a given seed
            every activation starts from the same weights on the same points.
        out: folder for ``compare.json`` and ``compare.png`` (none written when None).
        progress: print one line per finished run to stderr.
        field: the field shown in the figure (default: the first).
        n_points: random interior points for the curvature diagnostics.
        **settings: further network/training overrides (``hidden``, ``n_interior``,
            ``lr``, ...); ``activation``, ``key`` and ``seed`` are set here.

    Returns the dict written to ``compare.json``: the problem and settings, per
    activation the relative L2 error (mean and per seed, overall and per field),
    final loss terms, curvature diagnostics and train seconds, the learned
    parameters and their relative errors (inverse problems; :func:`learned_table`),
    and a summary with the best smooth activation and every activation's error ratio
    to it.
    """
    import problems  # the registry sits above the core; this module is a leaf

    spec = problems.get(problem_name)
    names = _check_activations(activations)
    seeds = _check_seeds(seeds)
    clash = sorted(set(settings) & set(RESERVED_SETTINGS))
    if clash:
        raise ValueError(f"setting {clash[0]!r} is chosen by the comparison; pass activations= and seeds= instead")
    if steps is not None:
        settings["steps"] = steps
    if lbfgs_steps is not None:
        settings["lbfgs_steps"] = lbfgs_steps
    problem = spec.problem()
    if field is not None and field not in problem.fields:
        raise ValueError(f"unknown field {field!r}; fields of {problem_name!r}: {', '.join(problem.fields)}")
    if out is not None and problem.domain.dim < 2:
        raise ValueError(f"the comparison figure needs a domain of at least 2 coordinates; {problem_name!r} has 1")
    config = spec.config(**settings)  # validates the training settings once, up front
    model_settings, _ = spec.split_settings(settings)
    points = sample_points(problem, n_points, seed=10_000)

    runs: dict[str, dict] = {}
    trained = {}
    for name in names:
        per_seed = []
        for seed in seeds:
            model = spec.make_model(problem, **{**settings, "activation": name, "key": seed})
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", CurvatureWarning)
                result = solve(problem, model, config.replace(seed=seed))
            for w in caught:  # anything but our own warning goes on to the user
                if not issubclass(w.category, CurvatureWarning):
                    warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            diag = curvature_diagnostics(problem, result.model, points=points)
            per_seed.append(
                {
                    "seed": seed,
                    "rel_l2": result.metrics.get("rel_l2", float("nan")),
                    "rel_l2_per_field": result.metrics.get("rel_l2_per_field", {}),
                    "final_loss": result.metrics["final_loss"],
                    "train_seconds": result.metrics["train_seconds"],
                    "steps": result.metrics["steps"],
                    "curvature": diag,
                    "warnings": [str(w.message) for w in caught if issubclass(w.category, CurvatureWarning)],
                    "events": list(result.events),
                    "learned": dict(result.learned),
                    "learned_error": dict(result.metrics.get("learned_error", {})),
                }
            )
            if seed == seeds[0]:
                trained[name] = result
            if progress:
                learned = "".join(f", {k} = {v:.5g}" for k, v in result.learned.items())
                print(
                    f"[compare {problem_name}] {name:>15s} seed {seed}: rel L2 {per_seed[-1]['rel_l2']:.3e}{learned}, "
                    f"Hessian zero at {100 * diag['hessian_zero_fraction']:.0f}% of points, "
                    f"{per_seed[-1]['train_seconds']:.1f} s",
                    file=sys.stderr,
                    flush=True,
                )
        runs[name] = _aggregate(name, per_seed, problem.fields)

    report = {
        "problem": problem_name,
        "description": problem.description,
        "fields": list(problem.fields),
        "coordinates": list(problem.coordinates),
        "residual_order": problem.residual_order(),
        "activations": list(names),
        "seeds": list(seeds),
        "model": {k: (list(v) if isinstance(v, tuple) else v) for k, v in model_settings.items() if k not in ("activation", "key")},
        "config": {k: v for k, v in config.to_dict().items() if k != "seed"},
        "curvature_points": {"n": int(len(points)), "sampler": "uniform", "seed": 10_000},
        "learned": {
            name: {"start": p.value, "true": p.true_value} for name, p in getattr(problem, "learned", {}).items()
        },
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "runs": runs,
        "summary": _summary(runs),
    }
    report = _finite(report)
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        report["files"] = {"json": str(out / "compare.json"), "png": str(out / "compare.png")}
        fig = comparison_figure(problem, trained, report, field=field)
        fig.savefig(out / "compare.png", dpi=110)
        (out / "compare.json").write_text(json.dumps(report, indent=2))
    return report


def _aggregate(name, per_seed, fields) -> dict:
    act = get_activation(name)
    rel = [r["rel_l2"] for r in per_seed]
    curv = [r["curvature"] for r in per_seed]
    return {
        "activation": name,
        "smoothness": act.smoothness,
        "baseline": act.baseline,
        "rel_l2": {"mean": _mean(rel), "per_seed": rel},
        "rel_l2_per_field": {
            f: {"mean": _mean([r["rel_l2_per_field"].get(f, float("nan")) for r in per_seed]),
                "per_seed": [r["rel_l2_per_field"].get(f, float("nan")) for r in per_seed]}
            for f in fields
        },
        "final_loss": {
            term: {"mean": _mean([r["final_loss"][term] for r in per_seed]), "per_seed": [r["final_loss"][term] for r in per_seed]}
            for term in per_seed[0]["final_loss"]
        },
        "train_seconds": {"mean": _mean([r["train_seconds"] for r in per_seed]), "per_seed": [r["train_seconds"] for r in per_seed]},
        "learned": {
            k: {"mean": _mean([r["learned"][k] for r in per_seed]), "per_seed": [r["learned"][k] for r in per_seed]}
            for k in per_seed[0]["learned"]
        },
        "learned_error": {
            k: {"mean": _mean([r["learned_error"][k] for r in per_seed]), "per_seed": [r["learned_error"][k] for r in per_seed]}
            for k in per_seed[0]["learned_error"]
        },
        "curvature_summary": {
            key: _mean([c[key] for c in curv])
            for key in ("hessian_zero_fraction", "second_order_zero_fraction", "rel_hessian_error", "rel_second_order_error")
            if key in curv[0]
        },
        "per_seed": per_seed,
    }


def learned_table(report: dict) -> list[str]:
    """Lines of text: each learned parameter of the comparison (an inverse problem), its
    mean learned value and relative error per activation; empty when nothing was learned.

    A ReLU network's second derivatives are zero, so a coefficient that multiplies one
    (a diffusivity) gets no gradient: it stays at its starting value.
    """
    declared = report.get("learned") or {}
    runs = report.get("runs") or {}
    if not declared or not runs:
        return []
    lines = []
    for name, facts in declared.items():
        true, start = facts.get("true"), facts.get("start")
        known = f"start {start:g}" + (f", true {true:g}" if true is not None else "")
        lines.append(f"  learned {name} ({known}):")
        for activation, row in runs.items():
            value = ((row.get("learned") or {}).get(name) or {}).get("mean")
            error = ((row.get("learned_error") or {}).get(name) or {}).get("mean")
            text = f"{value:.6g}" if isinstance(value, (int, float)) else "n/a"
            if isinstance(error, (int, float)):
                text += f"  (error {100 * error:.3g}%)"
            lines.append(f"    {activation:<16}{text}")
    return lines


def _summary(runs) -> dict:
    smooth = {n: r["rel_l2"]["mean"] for n, r in runs.items() if r["smoothness"] == "Cinf" and math.isfinite(r["rel_l2"]["mean"])}
    if not smooth:
        return {"best_smooth": None}
    best = min(smooth, key=smooth.get)
    return {
        "best_smooth": best,
        "best_smooth_rel_l2": smooth[best],
        "ratio_to_best_smooth": {n: r["rel_l2"]["mean"] / smooth[best] for n, r in runs.items()},
    }


# ---------------------------------------------------------------------------------
# The figure
# ---------------------------------------------------------------------------------
def _slice(problem, resolution):
    """A regular grid over the first two coordinates (others at mid-range), and a line through it.

    Returns (points (n, d), X, Y, inside mask (ny, nx), line index along Y).
    """
    lower, upper = (np.asarray(b, dtype=np.float64) for b in problem.domain.bounds)
    mid = 0.5 * (lower + upper)
    a = np.linspace(lower[0], upper[0], resolution)
    b = np.linspace(lower[1], upper[1], resolution)
    X, Y = np.meshgrid(a, b, indexing="xy")
    points = np.tile(mid, (X.size, 1))
    points[:, 0], points[:, 1] = X.ravel(), Y.ravel()
    inside = problem.domain.contains(points).reshape(X.shape)
    return points, X, Y, inside


def _on_grid(fn, points, dtype, shape, inside):
    with jax.enable_x64(dtype == "float64"):
        values = np.asarray(jax.jit(jax.vmap(fn))(jnp.asarray(points, dtype=DTYPES[dtype])), dtype=np.float64)
    values = values.reshape(shape)
    return np.where(inside, values, np.nan)


def comparison_figure(problem, results: dict, report: dict, *, field: str | None = None, resolution: int = 101):
    """The comparison figure (a matplotlib Figure) from trained results keyed by activation.

    Rows: one per activation -- predicted field, |error|, Laplacian of the prediction,
    exact Laplacian (same colour scale) -- then one row overlaying every activation
    along the middle line of the slice. Needs a domain of at least two coordinates.
    """
    from matplotlib.figure import Figure

    from pinn.curvature import as_field

    if problem.domain.dim < 2:
        raise ValueError(f"the comparison figure needs a domain of at least 2 coordinates; {problem.name!r} has 1")
    component = 0 if field is None else problem.fields.index(field)
    fname = problem.fields[component]
    coords = problem.coordinates
    n_space = problem.domain.dim - (1 if problem.time_dependent else 0)
    lap_name = (f"∂²{fname}/∂{coords[0]}²" if n_space == 1 else f"Δ{fname}")
    points, X, Y, inside = _slice(problem, resolution)
    row = resolution // 2
    fixed = ", ".join(f"{c} = {points[0, i]:.3g}" for i, c in enumerate(coords) if i >= 2)

    def pick(u):
        return (lambda x: u(x)) if problem.n_fields == 1 else (lambda x: u(x)[component])

    exact_u = exact_lap = None
    exact_name = "exact"
    if problem.exact is not None:
        exact_u = _on_grid(pick(problem.exact), points, "float64", X.shape, inside)
        exact_lap = _on_grid(spatial_laplacian(problem.exact, problem, component), points, "float64", X.shape, inside)
    elif problem.reference is not None and problem.domain.dim == 2:
        exact_u, exact_lap = _reference_on_grid(problem, component, X, Y, n_space)
        exact_u, exact_lap = np.where(inside, exact_u, np.nan), np.where(inside, exact_lap, np.nan)
        exact_name = "reference"

    names = list(results)
    n = len(names)
    fig = Figure(figsize=(17, 3.3 * (n + 1)), layout="constrained")
    grid = fig.add_gridspec(n + 1, 4)
    extent = dict(shading="auto")
    u_lim = (np.nanmin(exact_u), np.nanmax(exact_u)) if exact_u is not None else (None, None)
    # A robust colour limit: a reference's finite-difference Laplacian spikes at shocks.
    lap_abs = float(np.nanpercentile(np.abs(exact_lap), 99.5)) if exact_lap is not None else None
    lines = {}

    for i, name in enumerate(names):
        result = results[name]
        run = report["runs"][name]
        u, dtype = as_field(result)
        pred = _on_grid(pick(u), points, dtype, X.shape, inside)
        lap = _on_grid(spatial_laplacian(u, problem, component), points, dtype, X.shape, inside)
        lines[name] = (pred[row], lap[row])
        curv = run["per_seed"][0]["curvature"]
        rel = run["per_seed"][0]["rel_l2_per_field"].get(fname, run["per_seed"][0]["rel_l2"])
        act = get_activation(name)
        label = f"{name} ({act.smoothness})"

        ax = fig.add_subplot(grid[i, 0])
        im = ax.pcolormesh(X, Y, pred, cmap="viridis", vmin=u_lim[0], vmax=u_lim[1], **extent)
        learned = "".join(f", {k} = {v:.4g}" for k, v in run["per_seed"][0].get("learned", {}).items())
        ax.set_title(f"{label}: {fname}, rel L2 = {_fmt(rel)}{learned}", fontsize=10, color="crimson" if act.smoothness == "C0" else "black")
        fig.colorbar(im, ax=ax, label=fname)

        ax = fig.add_subplot(grid[i, 1])
        if exact_u is not None:
            err = np.abs(pred - exact_u)
            im = ax.pcolormesh(X, Y, err, cmap="magma", vmin=0.0, **extent)
            ax.set_title(f"|{fname} − {exact_name}|, max = {_fmt(np.nanmax(err))}", fontsize=10)
            fig.colorbar(im, ax=ax, label=f"|{fname} error|")
        else:
            ax.text(0.5, 0.5, "no exact or reference solution", ha="center", va="center", transform=ax.transAxes)

        ax = fig.add_subplot(grid[i, 2])
        kw = dict(vmin=-lap_abs, vmax=lap_abs) if lap_abs else {}
        im = ax.pcolormesh(X, Y, lap, cmap="RdBu_r", **kw, **extent)
        # The error of what the panel shows (this slice); the JSON has the full-Hessian error at random points.
        rel_lap = _nan_relative(lap, exact_lap) if exact_lap is not None else None
        ax.set_title(
            f"{lap_name} of network: rel err {_fmt(rel_lap)}, H = 0 at {100 * curv['hessian_zero_fraction']:.0f}% of pts",
            fontsize=10,
        )
        fig.colorbar(im, ax=ax, label=lap_name)

        ax = fig.add_subplot(grid[i, 3])
        if exact_lap is not None:
            im = ax.pcolormesh(X, Y, exact_lap, cmap="RdBu_r", **kw, **extent)
            ax.set_title(f"{lap_name} {exact_name}" + (" (finite differences)" if exact_name == "reference" else ""), fontsize=10)
            fig.colorbar(im, ax=ax, label=lap_name)
        else:
            ax.text(0.5, 0.5, "no exact or reference solution", ha="center", va="center", transform=ax.transAxes)

    for ax in fig.axes:
        if ax.get_label() != "<colorbar>":
            ax.set_xlabel(coords[0])
            ax.set_ylabel(coords[1])
            if ax.collections:  # a map: mark the line the bottom row follows
                ax.axhline(Y[row, 0], color="0.5", lw=0.8, ls=":")

    # Bottom row: every activation along the middle line, against the exact solution.
    at = f"{coords[1]} = {Y[row, 0]:.3g}" + (f", {fixed}" if fixed else "")
    for j, (what, k) in enumerate(((fname, 0), (lap_name, 1))):
        ax = fig.add_subplot(grid[n, 2 * j : 2 * j + 2])
        exact_line = (exact_u if k == 0 else exact_lap)
        if exact_line is not None:
            ax.plot(X[row], exact_line[row], color="black", lw=3, alpha=0.35, label=exact_name)
        for name, vals in lines.items():
            style = dict(color="crimson", lw=2) if get_activation(name).smoothness == "C0" else dict(lw=1.3)
            ax.plot(X[row], vals[k], label=name, **style)
        ax.set_xlabel(coords[0])
        ax.set_ylabel(what)
        ax.set_title(f"{what} along {at}", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)

    budget = report.get("config", {})
    fig.suptitle(
        f"{problem.name}: {problem.description}\n"
        f"same network {tuple(report.get('model', {}).get('hidden', ()))}, same points, "
        f"{budget.get('steps')} Adam + {budget.get('lbfgs_steps')} L-BFGS steps per activation; seed {report['seeds'][0]}"
        + (f"; slice at {fixed}" if fixed else ""),
        fontsize=11,
    )
    return fig


def _reference_on_grid(problem, component, X, Y, n_space):
    """A tabulated reference interpolated (linearly) onto the slice, and its spatial Laplacian by finite differences."""
    from scipy.interpolate import griddata

    ref_points, ref_values = problem.evaluation_data()
    u = griddata(ref_points, ref_values[:, component], (X, Y), method="linear")
    dx = X[0, 1] - X[0, 0]
    lap = np.gradient(np.gradient(u, dx, axis=1), dx, axis=1)
    if n_space >= 2:
        dy = Y[1, 0] - Y[0, 0]
        lap = lap + np.gradient(np.gradient(u, dy, axis=0), dy, axis=0)
    return u, lap


def _nan_relative(a, b) -> float:
    keep = np.isfinite(a) & np.isfinite(b)
    denom = np.linalg.norm(b[keep])
    return float(np.linalg.norm(a[keep] - b[keep]) / denom) if denom > 0 else float("nan")


def _fmt(x) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.2g}"
