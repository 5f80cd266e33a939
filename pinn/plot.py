"""Figures of a trained result, written as PNG files (a leaf: nothing in the core imports it).

:func:`plot_result` writes every figure that applies to a result:

* ``solution.png`` -- predicted field, exact (or reference) field and absolute error,
  one row per field (and per time or slice): a map for 2D space, a space-time map
  for 1D space + time, maps at several times for 2D/3D space + time, the mid-plane
  of a 3D domain; disks, annuli, polygons and CSG or mesh domains are drawn on a
  grid masked outside the domain, and a static 2D problem whose reference is a
  scattered table (finite-element vertices) on the triangles of its points, those
  outside the domain left out, so that the error is shown at the reference's own points;
* ``slices.png`` -- 1D space + time: the solution against x at several times;
* ``loss.png`` -- every loss term and the error against the step, log scale;
* ``stress.png`` -- where the problem defines derived quantities (elasticity's
  stresses): the first one predicted, exact and its error;
* ``deformed.png`` -- static problems in the plane with two fields (displacements
  (u_x, u_y), as in elasticity): the deformed shape;
* ``learned.png`` -- runs that learned problem parameters (inverse problems): each
  value against the step, its true value (when known) as a line, and its error.

Figures are built on :class:`matplotlib.figure.Figure` objects and saved with the Agg
renderer; pyplot and its global backend state are never touched.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

from pinn.nn import describe

MAP_RESOLUTION = 121
N_TIME_SLICES = 3
DPI = 110
PHASE_NAMES = {"adam": "Adam", "lbfgs": "L-BFGS"}


# -- where to look -------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _Slice:
    """A 2D plane through the domain drawn as a map."""

    label: str  # "" or e.g. "t = 0.5", "z = 0.5"
    axes: tuple[int, int]  # coordinate indices drawn horizontally, vertically
    names: tuple[str, str]
    a: np.ndarray  # (nb, na) horizontal coordinates
    b: np.ndarray  # (nb, na) vertical coordinates
    points: np.ndarray  # (nb * na, d) full points
    inside: np.ndarray  # (nb * na,) points inside the domain
    spatial: bool  # both axes are space (draw with equal aspect)


def _plane(domain, axes, fixed: dict[int, float], label: str, n: int, spatial: bool) -> _Slice:
    lower, upper = (np.asarray(v, dtype=float) for v in domain.bounds)
    i, j = axes
    a, b = np.meshgrid(np.linspace(lower[i], upper[i], n), np.linspace(lower[j], upper[j], n))
    points = np.zeros((a.size, domain.dim))
    points[:, i], points[:, j] = a.ravel(), b.ravel()
    for k, value in fixed.items():
        points[:, k] = value
    names = domain.coordinate_names
    return _Slice(label, axes, (names[i], names[j]), a, b, points, domain.contains(points, tol=1e-9), spatial)


def slices(problem, n: int = MAP_RESOLUTION) -> list[_Slice]:
    """The planes a solution is drawn on, chosen from the domain's shape (empty for 1D space)."""
    domain = problem.domain
    lower, upper = (np.asarray(v, dtype=float) for v in domain.bounds)
    names = domain.coordinate_names
    d = domain.dim
    space_dim = d - 1 if problem.time_dependent else d
    mid = 0.5 * (lower + upper)
    fixed_space = {2: mid[2]} if space_dim == 3 else {}
    space_label = f"{names[2]} = {mid[2]:.3g}" if space_dim == 3 else ""
    if problem.time_dependent and space_dim == 1:
        return [_plane(domain, (0, 1), {}, "", n, spatial=False)]
    if problem.time_dependent:
        out = []
        for t in np.linspace(lower[-1], upper[-1], N_TIME_SLICES):
            label = ", ".join(s for s in (space_label, f"t = {t:.3g}") if s)
            out.append(_plane(domain, (0, 1), {**fixed_space, d - 1: t}, label, n, spatial=True))
        return out
    if space_dim >= 2:
        return [_plane(domain, (0, 1), fixed_space, space_label, n, spatial=True)]
    return []


# -- values ----------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _Triangles:
    """The points of a scattered 2D reference table, triangulated (Delaunay); the
    triangles outside the domain are masked, so that the drawing keeps its shape."""

    label: str
    names: tuple[str, str]
    triangulation: object  # matplotlib.tri.Triangulation, its mask set
    points: np.ndarray  # (n, 2) the reference points, the triangulation's vertices
    spatial: bool = True


def _is_tensor_grid(points: np.ndarray) -> bool:
    """Whether ``points`` are every node of a tensor grid (in any order)."""
    axes = [np.unique(points[:, k]) for k in range(points.shape[1])]
    return int(np.prod([len(a) for a in axes])) == len(points) and all(len(a) > 1 for a in axes)


def outside_triangles(domain, points: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """(n_triangles,) bool: the triangles (vertex indices into ``points``) not inside
    ``domain``: the centroid or a midpoint of an edge outside (a Delaunay triangulation
    of a non-convex point set bridges its notches and holes; these are its bridges)."""
    corners = points[triangles]  # (t, 3, 2)
    probes = [corners.mean(axis=1)] + [0.5 * (corners[:, i] + corners[:, (i + 1) % 3]) for i in range(3)]
    inside = np.ones(len(triangles), dtype=bool)
    for probe in probes:
        inside &= np.asarray(domain.contains(probe, tol=1e-9), dtype=bool)
    return ~inside


def reference_triangles(problem) -> _Triangles | None:
    """A static 2D problem with a scattered reference table and no exact solution: its
    points triangulated, triangles outside the domain masked; None otherwise."""
    from matplotlib.tri import Triangulation

    reference = problem.reference
    if problem.exact is not None or reference is None or not _static_2d(problem):
        return None
    points = np.asarray(reference.points, dtype=float)
    if _is_tensor_grid(points):
        return None
    triangulation = Triangulation(points[:, 0], points[:, 1])
    triangulation.set_mask(outside_triangles(problem.domain, points, triangulation.triangles))
    names = problem.domain.coordinate_names
    return _Triangles("", (names[0], names[1]), triangulation, points)


def _exact_values(problem, points: np.ndarray) -> np.ndarray | None:
    """The exact solution at ``points`` (n, m), or the reference interpolated there; None if neither."""
    if len(points) == 0:
        return np.zeros((0, problem.n_fields))
    if problem.exact is not None:
        with jax.enable_x64(True):
            values = np.asarray(jax.jit(jax.vmap(problem.exact))(jnp.asarray(points, dtype=jnp.float64)))
        return values.reshape(len(points), -1)
    if problem.reference is not None:
        return _interpolate_reference(problem.reference, points)
    return None


def _interpolate_reference(reference, points: np.ndarray) -> np.ndarray:
    """Tabulated reference values at ``points``: multilinear on a tensor grid, else the nearest point.

    (Delaunay-based interpolation is avoided: on a regular grid its triangulation is
    degenerate and takes minutes.) NaN outside the tabulated box.
    """
    from scipy.interpolate import RegularGridInterpolator
    from scipy.spatial import cKDTree

    ref_points, values = reference.points, reference.values
    if _is_tensor_grid(ref_points):
        axes = [np.unique(ref_points[:, k]) for k in range(ref_points.shape[1])]
        index = tuple(np.searchsorted(a, ref_points[:, k]) for k, a in enumerate(axes))
        table = np.full([len(a) for a in axes] + [values.shape[1]], np.nan)
        table[index] = values
        interpolate = RegularGridInterpolator(axes, table, bounds_error=False, fill_value=np.nan)
        return interpolate(points)
    _, nearest = cKDTree(ref_points).query(points)
    return values[nearest]


def _on_slice(sl: _Slice, values: np.ndarray) -> np.ndarray:
    """Scatter values at the inside points back onto the plane's grid; NaN outside."""
    full = np.full(sl.inside.shape + values.shape[1:], np.nan)
    full[sl.inside] = values
    return full.reshape(sl.a.shape + values.shape[1:])


def _error_title(result) -> str:
    metrics = result.metrics
    rel = metrics.get("rel_l2")
    text = f"{result.problem.name} ({describe(result.model)['activation']})"
    if rel is None or not math.isfinite(rel):
        return text
    per_field = metrics.get("rel_l2_per_field") or {}
    text += f": relative L2 error {rel:.2e}"
    if len(per_field) > 1:
        text += " (" + ", ".join(f"{k} {v:.2e}" for k, v in per_field.items()) + ")"
    for name, q in (metrics.get("quantities") or {}).items():  # e.g. a stress concentration factor
        text += f"; {name} {q['value']:.4g}" + (f" (exact {q['exact']:g})" if q.get("exact") is not None else "")
    return text


def _map(fig, ax, sl: _Slice | _Triangles, values, title, cmap="viridis", vmin=None, vmax=None):
    if isinstance(sl, _Triangles):  # values at the vertices, linear in between
        mesh = ax.tripcolor(sl.triangulation, values, shading="gouraud", cmap=cmap, vmin=vmin, vmax=vmax)
    else:
        mesh = ax.pcolormesh(sl.a, sl.b, np.ma.masked_invalid(values), shading="auto", cmap=cmap, vmin=vmin, vmax=vmax)
    fig.colorbar(mesh, ax=ax, shrink=0.9)
    ax.set_xlabel(sl.names[0])
    ax.set_ylabel(sl.names[1])
    ax.set_title(title, fontsize=9)
    if sl.spatial:
        ax.set_aspect("equal")


def _limits(*arrays):
    finite = np.concatenate([a[np.isfinite(a)].ravel() for a in arrays if a is not None])
    if finite.size == 0:
        return None, None
    lo, hi = float(finite.min()), float(finite.max())
    return (lo, hi) if hi > lo else (lo - 1e-12, hi + 1e-12)


# -- figures --------------------------------------------------------------------------------
def solution_figure(result, resolution: int = MAP_RESOLUTION) -> Figure:
    """Predicted, exact and |error| maps of every field, on the problem's planes."""
    problem = result.problem
    triangles = reference_triangles(problem)
    planes = [triangles] if triangles is not None else slices(problem, resolution)
    if not planes:
        return _line_figure(result)
    rows = []  # (field index, plane, predicted, exact)
    if triangles is not None:  # at the reference's own points: no interpolation in the error
        predicted = result.predict(triangles.points).reshape(len(triangles.points), -1)
        exact = np.asarray(problem.reference.values, dtype=float).reshape(len(triangles.points), -1)
        rows = [(k, triangles, predicted[:, k], exact[:, k]) for k in range(problem.n_fields)]
        planes = []
    for sl in planes:
        inside = sl.points[sl.inside]
        predicted = _on_slice(sl, result.predict(inside).reshape(len(inside), -1))
        exact = _exact_values(problem, inside)
        exact = None if exact is None else _on_slice(sl, exact)
        for k in range(problem.n_fields):
            rows.append((k, sl, predicted[..., k], None if exact is None else exact[..., k]))
    has_exact = rows[0][3] is not None
    kind = "exact" if problem.exact is not None else "reference"
    ncols = 3 if has_exact else 1
    fig = Figure(figsize=(4.4 * ncols, 3.5 * len(rows) + 0.6), dpi=DPI, layout="constrained")
    axes = fig.subplots(len(rows), ncols, squeeze=False)
    for r, (k, sl, predicted, exact) in enumerate(rows):
        field = problem.fields[k]
        where = f" ({sl.label})" if sl.label else ""
        vmin, vmax = _limits(predicted, exact)
        _map(fig, axes[r, 0], sl, predicted, f"{field} predicted{where}", vmin=vmin, vmax=vmax)
        if has_exact:
            _map(fig, axes[r, 1], sl, exact, f"{field} {kind}{where}", vmin=vmin, vmax=vmax)
            err = np.abs(predicted - exact)
            per_field = (result.metrics.get("rel_l2_per_field") or {}).get(field)
            tail = f", rel L2 {per_field:.2e}" if isinstance(per_field, float) and math.isfinite(per_field) else ""
            _map(fig, axes[r, 2], sl, err, f"|error| of {field}{where}{tail}", cmap="magma")
    fig.suptitle(_error_title(result))
    return fig


def _line_figure(result) -> Figure:
    """A 1D static problem: the fields against x and the error."""
    problem = result.problem
    lower, upper = problem.domain.bounds
    x = np.linspace(lower[0], upper[0], 501)[:, None]
    predicted = result.predict(x).reshape(len(x), -1)
    exact = _exact_values(problem, x)
    fig = Figure(figsize=(10, 3.8), dpi=DPI, layout="constrained")
    ax, ax_err = fig.subplots(1, 2)
    for k, field in enumerate(problem.fields):
        ax.plot(x[:, 0], predicted[:, k], label=f"{field} predicted")
        if exact is not None:
            ax.plot(x[:, 0], exact[:, k], "--", label=f"{field} exact")
            ax_err.semilogy(x[:, 0], np.abs(predicted[:, k] - exact[:, k]) + 1e-300, label=field)
    name = problem.coordinates[0]
    ax.set_xlabel(name), ax.set_ylabel("value"), ax.legend(), ax.set_title("solution")
    ax_err.set_xlabel(name), ax_err.set_ylabel("|error|"), ax_err.set_title("absolute error")
    fig.suptitle(_error_title(result))
    return fig


def slices_figure(result, n_times: int = 4) -> Figure | None:
    """1D space + time: each field against x at ``n_times`` times, predicted and exact."""
    problem = result.problem
    if not (problem.time_dependent and problem.domain.dim == 2):
        return None
    lower, upper = problem.domain.bounds
    x = np.linspace(lower[0], upper[0], 401)
    times = np.linspace(lower[1], upper[1], n_times)
    m = problem.n_fields
    fig = Figure(figsize=(10, 3.6 * m + 0.5), dpi=DPI, layout="constrained")
    axes = fig.subplots(m, 2, squeeze=False)
    colors = [f"C{i}" for i in range(n_times)]
    kind = "exact" if problem.exact is not None else "reference"
    for t, color in zip(times, colors):
        points = np.column_stack([x, np.full_like(x, t)])
        predicted = result.predict(points).reshape(len(x), -1)
        exact = _exact_values(problem, points)
        for k in range(m):
            axes[k, 0].plot(x, predicted[:, k], color=color, label=f"t = {t:.3g} predicted")
            if exact is not None:
                axes[k, 0].plot(x, exact[:, k], "--", color="k", lw=0.8, label=kind if t == times[0] else None)
                err = np.abs(predicted[:, k] - exact[:, k])
                axes[k, 1].semilogy(x, np.where(err > 0, err, np.nan), color=color, label=f"t = {t:.3g}")
    for k, field in enumerate(problem.fields):
        axes[k, 0].set_xlabel(problem.coordinates[0]), axes[k, 0].set_ylabel(field)
        axes[k, 0].set_title(f"{field} at several times (dashed: {kind})", fontsize=9)
        axes[k, 0].legend(fontsize=7)
        axes[k, 1].set_xlabel(problem.coordinates[0]), axes[k, 1].set_ylabel(f"|error| of {field}")
        axes[k, 1].set_title(f"absolute error of {field}", fontsize=9)
        if axes[k, 1].lines:
            axes[k, 1].legend(fontsize=7)
    fig.suptitle(_error_title(result))
    return fig


def loss_figure(result) -> Figure:
    """Every loss term (and the weighted total) against the step on a log scale, and the error."""
    history = result.history
    steps = np.asarray(history.get("step", []), dtype=float)
    has_error = "rel_l2" in history and np.isfinite(np.asarray(history["rel_l2"], dtype=float)).any()
    fig = Figure(figsize=(11 if has_error else 6.5, 4), dpi=DPI, layout="constrained")
    axes = fig.subplots(1, 2 if has_error else 1, squeeze=False)[0]
    ax = axes[0]
    columns = (["loss"] if "loss" in history else []) + sorted(c for c in history if c.startswith("loss_"))
    for column in columns:
        values = np.asarray(history[column], dtype=float)
        label = "total (weighted)" if column == "loss" else column.removeprefix("loss_")
        ax.semilogy(steps, np.where(values > 0, values, np.nan), lw=2 if column == "loss" else 1.2, label=label)
    phases = np.asarray(history.get("phase", []))
    switch = np.flatnonzero(phases[1:] != phases[:-1]) if len(phases) > 1 else []
    for i in switch:
        for a in axes:
            a.axvline(0.5 * (steps[i] + steps[i + 1]), color="grey", ls=":", lw=1)
        ax.text(steps[i + 1], 0.97, f" {PHASE_NAMES.get(str(phases[i + 1]), phases[i + 1])}", transform=ax.get_xaxis_transform(), va="top", fontsize=8, color="grey")
    ax.set_xlabel("step")
    ax.set_ylabel("loss (mean squared residual)")
    ax.set_title("loss terms", fontsize=10)
    if columns:
        ax.legend(fontsize=8)
    if has_error:
        err = np.asarray(history["rel_l2"], dtype=float)
        keep = np.isfinite(err) & (err > 0)
        axes[1].semilogy(steps[keep], err[keep], "o-", ms=3)
        axes[1].set_xlabel("step")
        axes[1].set_ylabel("relative L2 error")
        axes[1].set_title("error against the exact solution", fontsize=10)
    fig.suptitle(_error_title(result))
    return fig


def _static_2d(problem) -> bool:
    return not problem.time_dependent and problem.domain.dim == 2


def stress_figure(result, derived: Mapping | None, name: str | None = None, resolution: int = MAP_RESOLUTION) -> Figure | None:
    """One derived quantity (by default the first, e.g. σ_xx): predicted, exact and error maps."""
    from pinn.io import predict_columns

    problem = result.problem
    if not derived or not _static_2d(problem):
        return None
    name = name or next(iter(derived))
    sl = slices(problem, resolution)[0]
    inside = sl.points[sl.inside]
    predicted = _on_slice(sl, predict_columns(result, inside, [name], derived)[:, 0])
    exact = None
    if problem.exact is not None:
        fn = derived[name]
        params = dict(problem.params)
        with jax.enable_x64(True):
            values = jax.jit(jax.vmap(lambda x: fn(problem.exact, x, **params)))(jnp.asarray(inside, dtype=jnp.float64))
        exact = _on_slice(sl, np.asarray(values).reshape(len(inside)))
    ncols = 3 if exact is not None else 1
    fig = Figure(figsize=(4.6 * ncols, 4.0), dpi=DPI, layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    vmin, vmax = _limits(predicted, exact)
    _map(fig, axes[0], sl, predicted, f"{name} predicted", cmap="coolwarm", vmin=vmin, vmax=vmax)
    title = f"{problem.name} ({describe(result.model)['activation']}): derived quantity {name}"
    if exact is not None:
        _map(fig, axes[1], sl, exact, f"{name} exact", cmap="coolwarm", vmin=vmin, vmax=vmax)
        diff = predicted - exact
        _map(fig, axes[2], sl, np.abs(diff), f"|error| of {name}", cmap="magma")
        ok = np.isfinite(diff)
        denominator = np.linalg.norm(exact[ok])
        if denominator > 0:
            title += f", relative L2 error {np.linalg.norm(diff[ok]) / denominator:.2e}"
    fig.suptitle(title)
    return fig


def deformed_figure(result, n_lines: int = 15, n_along: int = 200) -> Figure | None:
    """2D displacement fields: grid lines of the body before (grey) and after deformation.

    The displacement is magnified so that its largest value is a tenth of the body's size
    (the factor is in the title); the deformed points are coloured by |u|, and the exact
    deformed shape, when known, is drawn dashed.
    """
    problem = result.problem
    if not (_static_2d(problem) and problem.n_fields == 2):
        return None
    lower, upper = (np.asarray(v, dtype=float) for v in problem.domain.bounds)
    lines = []
    for k in range(2):
        for c in np.linspace(lower[1 - k], upper[1 - k], n_lines):
            along = np.linspace(lower[k], upper[k], n_along)
            pts = np.empty((n_along, 2))
            pts[:, k], pts[:, 1 - k] = along, c
            lines.append(pts)
    pts = np.concatenate(lines)
    inside = problem.domain.contains(pts, tol=1e-9)
    u = np.full_like(pts, np.nan)
    u[inside] = result.predict(pts[inside]).reshape(-1, 2)
    exact = None
    if problem.exact is not None:
        exact = np.full_like(pts, np.nan)
        exact[inside] = _exact_values(problem, pts[inside])
    pts = np.where(inside[:, None], pts, np.nan)
    size = float(np.max(upper - lower))
    magnitude = np.linalg.norm(u, axis=1)
    biggest = max(float(np.nanmax(np.linalg.norm(v, axis=1), initial=0.0)) for v in (u, exact) if v is not None)
    scale = 0.1 * size / biggest if biggest > 0 else 1.0
    fig = Figure(figsize=(7, 6), dpi=DPI, layout="constrained")
    ax = fig.subplots()
    for i in range(len(lines)):
        part = slice(i * n_along, (i + 1) * n_along)
        ax.plot(pts[part, 0], pts[part, 1], color="0.75", lw=0.7, label="undeformed" if i == 0 else None)
        if exact is not None:
            moved = pts[part] + scale * exact[part]
            ax.plot(moved[:, 0], moved[:, 1], "--", color="k", lw=0.6, label="exact" if i == 0 else None)
        moved = pts[part] + scale * u[part]
        ax.plot(moved[:, 0], moved[:, 1], color="C0", lw=0.9, label="predicted" if i == 0 else None)
    moved = pts + scale * u
    ok = np.isfinite(moved).all(axis=1)
    dots = ax.scatter(moved[ok, 0][::5], moved[ok, 1][::5], c=magnitude[ok][::5], s=2, cmap="viridis", zorder=3)
    fig.colorbar(dots, ax=ax, label="|u| predicted")
    names = problem.coordinates
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_aspect("equal")
    ax.legend(loc="best", fontsize=8)
    verb = "magnified" if scale >= 1 else "scaled"
    ax.set_title(f"deformed shape, displacement {verb} x {scale:.3g}", fontsize=10)
    fig.suptitle(_error_title(result))
    return fig


def _phase_switches(history, steps, axes):
    """Dotted lines between phases (Adam | L-BFGS | ...) on every axis."""
    phases = np.asarray(history.get("phase", []))
    switch = np.flatnonzero(phases[1:] != phases[:-1]) if len(phases) > 1 else []
    for i in switch:
        for a in axes:
            a.axvline(0.5 * (steps[i] + steps[i + 1]), color="grey", ls=":", lw=1)


def learned_figure(result) -> Figure | None:
    """Every learned problem parameter against the step (``learned_<name>`` in the
    history), its true value as a dashed line where the problem knows it, and below, its
    relative error |θ − θ*| / |θ*| on a log scale. ``None`` when nothing was learned."""
    history = result.history
    names = [n for n in (result.learned or {}) if f"learned_{n}" in history]
    names += [c.removeprefix("learned_") for c in sorted(history) if c.startswith("learned_") and c.removeprefix("learned_") not in names]
    if not names:
        return None
    steps = np.asarray(history["step"], dtype=float)
    declared = getattr(result.problem, "learned", {}) or {}
    truths = {n: declared[n].true_value for n in names if n in declared and declared[n].true_value is not None}
    rows = 2 if truths else 1
    fig = Figure(figsize=(4.6 * len(names), 3.3 * rows + 0.5), dpi=DPI, layout="constrained")
    axes = fig.subplots(rows, len(names), squeeze=False)
    for j, name in enumerate(names):
        values = np.asarray(history[f"learned_{name}"], dtype=float)
        final = (result.learned or {}).get(name, values[-1])
        ax = axes[0, j]
        ax.plot(steps, values, "o-", ms=3, label="learned")
        title = f"{name} = {final:.6g}"
        true = truths.get(name)
        if true is not None:
            ax.axhline(true, color="k", ls="--", lw=1, label=f"true {true:g}")
            error = abs(final - true) / abs(true) if true else abs(final)
            title += f" (true {true:g}, error {100 * error:.2g}%)"
            err = np.abs(values - true) / (abs(true) if true else 1.0)
            keep = np.isfinite(err) & (err > 0)
            axes[1, j].semilogy(steps[keep], err[keep], "o-", ms=3, color="C3")
            axes[1, j].set_xlabel("step")
            axes[1, j].set_ylabel(f"relative error of {name}")
        elif rows == 2:
            axes[1, j].set_visible(False)
        ax.set_xlabel("step")
        ax.set_ylabel(name)
        ax.set_title(title, fontsize=9)
        ax.legend(fontsize=8)
        _phase_switches(history, steps, [a for a in axes[:, j] if a.get_visible()])
    fig.suptitle(f"{result.problem.name}: learned parameters ({describe(result.model)['activation']})")
    return fig


def plot_result(result, directory, *, derived: Mapping | None = None, resolution: int = MAP_RESOLUTION) -> list[Path]:
    """Write every figure that applies to ``result`` into ``directory``; returns the paths.

    ``derived`` maps names to ``fn(u, x, **params)`` (a bundled problem's
    ``problems.get(name).derived``); it adds ``stress.png``. ``resolution`` is the
    number of grid points per axis of the maps.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    figures = {
        "solution": solution_figure(result, resolution),
        "slices": slices_figure(result),
        "loss": loss_figure(result) if result.history else None,
        "stress": stress_figure(result, derived, resolution=resolution),
        "deformed": deformed_figure(result),
        "learned": learned_figure(result) if result.history else None,
    }
    paths = []
    for name, fig in figures.items():
        if fig is None:
            continue
        path = directory / f"{name}.png"
        fig.savefig(path)
        paths.append(path)
    return paths
