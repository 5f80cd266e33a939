r"""Curvature fidelity: can this network represent the second derivatives the PDE needs?

A ReLU network is piecewise linear, so its Hessian is exactly zero almost everywhere:
every u_xx, Laplacian or div sigma(u) in a residual evaluates to zero whatever the
weights. Training such a network on a second-order PDE fails for a structural
reason, which :func:`warn_if_curvature_blind` says before training starts.

This module measures it, for any network (or any function of one point) on any
:class:`pinn.Problem`:

* :func:`activation_table` -- phi(0), phi'(0), max |phi'|, max |phi''| of every
  registered activation and whether phi' and phi'' are continuous, all computed from
  the functions (autodiff and dense sampling), not typed in.
* :func:`curvature_diagnostics` -- the fraction of points where the network's Hessian
  (or the residual's second-order part) is exactly zero, the relative error of its
  second derivatives against the exact solution's, the distribution of Hessian
  norms, and the residual split by derivative order (:func:`residual_parts`).

How the residual is split (no declaration needed)
-------------------------------------------------
A pointwise residual r(u, x0) of a second-order PDE depends on u only through its
2-jet at x0: the value u(x0), the Jacobian J and the Hessian H. Evaluating the
residual on the Taylor polynomials of u at x0,

.. math::  T_0 u = u(x_0), \quad T_1 u = T_0 u + J (x - x_0), \quad
           T_2 u = T_1 u + \tfrac12 (x - x_0)^\top H (x - x_0),

splits it exactly into

.. math::  r = \underbrace{r(T_0 u)}_{\text{zeroth (sources, } c\,u)}
             + \underbrace{r(T_1 u) - r(T_0 u)}_{\text{first } (b \cdot \nabla u)}
             + \underbrace{r(T_2 u) - r(T_1 u)}_{\text{second } (A : \nabla^2 u)}
             + \underbrace{r(u) - r(T_2 u)}_{\text{higher, } \approx 0}.

We chose this probe over letting problems declare their parts (an optional
attribute): it works for every residual a user writes, cannot drift out of sync with
the residual's code, and is the same mechanism as :meth:`pinn.Problem.residual_order`.
When the network's Hessian is exactly zero, T_2 u and T_1 u are the same function, so
the second-order part is *exactly* zero -- the structural failure of ReLU, in numbers.
The "higher" part is reported as a check: it is rounding-level for a residual that is
local and of order <= 2.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from pinn.activations import Activation, activation_names, get_activation
from pinn.nn import DTYPES, MLP, pure_apply

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
QUANTILES: tuple[float, ...] = (0.0, 0.01, 0.1, 0.5, 0.9, 0.99, 1.0)
_SAMPLE_RANGE = (-10.0, 10.0)


class CurvatureWarning(UserWarning):
    """A C0 (piecewise linear) network is asked to satisfy a second-order PDE."""


def _caller_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside the pinn package.

    So the warning names the user's line (their ``pinn.solve(...)``) however deep in
    pinn it is raised (``warnings.warn(skip_file_prefixes=...)`` needs Python 3.12).
    """
    frame, level = sys._getframe(1), 1  # 1: the caller of this helper, i.e. the warn site
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    return level


def warn_if_curvature_blind(problem, activation: str | Activation) -> bool:
    """Warn (once per call) when ``activation`` is piecewise linear and the residual has
    second derivatives.

    Piecewise linear is measured, not declared: the activation's second derivative is
    zero at every sampled point of [-10, 10] (ReLU; not hard-swish, which is C0 but
    curved between its kinks). The order comes from probing the residual
    (:meth:`pinn.Problem.residual_order`), never from the problem's name; any order
    >= 2 warns (every derivative of order >= 2 of such a network is zero). Returns True
    when it warned.
    """
    act = get_activation(activation)
    if act.smoothness != "C0" or activation_properties(act)["max_abs_d2phi"] != 0.0:
        return False
    order = problem.residual_order()
    if order < 2:
        return False
    # Derivatives of every order >= 2 of a piecewise linear network vanish, so a
    # fourth-order residual (a biharmonic plate) is as blind as a second-order one.
    terms = "second-order terms" if order == 2 else f"terms of order 2 to {order}"
    warnings.warn(
        f"activation {act.name!r} is piecewise linear (C0): the network's second derivatives are zero "
        f"almost everywhere, so the {terms} of problem {problem.name!r}'s residual vanish whatever "
        f"the weights and the PINN cannot fit the PDE. Training goes on as a baseline; use a smooth "
        f"activation (tanh, swish, gelu, sin, softplus, mish) to solve it.",
        CurvatureWarning,
        stacklevel=_caller_stacklevel(),
    )
    return True


# ---------------------------------------------------------------------------------
# The activation table
# ---------------------------------------------------------------------------------
def _max_step(values) -> jax.Array:
    """Largest jump |g(x_{i+1}) - g(x_i)| between neighbouring samples."""
    return jnp.max(jnp.abs(jnp.diff(values)))


def _continuous(coarse_step, fine_step) -> bool:
    """Continuity judged from the largest steps on a grid and on a 10x finer one.

    A continuous g with a bounded derivative changes by at most h max|g'| between
    samples h apart, so refining the grid tenfold shrinks the largest step about
    tenfold; a jump keeps its size whatever h.
    """
    return bool(fine_step < 1e-12 or fine_step <= 0.5 * coarse_step)


def sampled_continuous(g: Callable) -> bool:
    """Whether the scalar function ``g`` is continuous on [-10, 10], judged by sampling.

    Both grids (h = 0.01 and 0.001) contain the kinks of the registered activations
    (0 and +-3), so a jump is always straddled.
    """
    with jax.enable_x64(True):
        coarse, fine = (jax.jit(lambda xs: _max_step(jax.vmap(g)(xs)))(jnp.linspace(*_SAMPLE_RANGE, n)) for n in (2001, 20001))
        return _continuous(float(coarse), float(fine))


def _sampled(phi):
    """Everything the table needs from phi, in one compiled function (float64)."""
    dphi = jax.grad(phi)
    d2phi = jax.grad(dphi)

    @jax.jit
    def measure(dense, coarse, fine):
        out = {
            "phi_0": phi(0.0),
            "dphi_0": dphi(0.0),
            "d2phi_0": d2phi(0.0),
            "max_abs_dphi": jnp.max(jnp.abs(jax.vmap(dphi)(dense))),
            "max_abs_d2phi": jnp.max(jnp.abs(jax.vmap(d2phi)(dense))),
        }
        for name, g in (("dphi", dphi), ("d2phi", d2phi)):
            out[f"{name}_steps"] = jnp.stack([_max_step(jax.vmap(g)(coarse)), _max_step(jax.vmap(g)(fine))])
        return out

    grids = [jnp.linspace(*_SAMPLE_RANGE, n) for n in (200_001, 2001, 20001)]
    return {k: np.asarray(v) for k, v in measure(*grids).items()}


def measured_class(dphi_continuous: bool, d2phi_continuous: bool) -> str:
    """The smoothness class the sampling shows: "C0", "C1" or "C2+" (at least C2)."""
    return "C2+" if d2phi_continuous else "C1" if dphi_continuous else "C0"


def _activation_row(name: str) -> dict:
    act = get_activation(name)
    with jax.enable_x64(True):
        m = _sampled(lambda x: act(x))  # beta = 1 for the trainable swish
    dphi_continuous = _continuous(*m["dphi_steps"])
    return {
        "name": act.name,
        "smoothness": act.smoothness,
        "phi_0": float(m["phi_0"]),
        "dphi_0": float(m["dphi_0"]),
        "max_abs_dphi": float(m["max_abs_dphi"]),
        "d2phi_0": float(m["d2phi_0"]),
        "max_abs_d2phi": float(m["max_abs_d2phi"]),
        # Measured, not read off the declared class (the tests compare the two).
        "dphi_continuous": dphi_continuous,
        "d2phi_continuous": dphi_continuous and _continuous(*m["d2phi_steps"]),
        "measured": measured_class(dphi_continuous, dphi_continuous and _continuous(*m["d2phi_steps"])),
        "baseline": act.baseline,
        "trainable": act.trainable,
        "description": act.description,
    }


def activation_properties(activation: str | Activation) -> dict:
    """The measured row of one activation (see :func:`activation_table` for its keys)."""
    return _activation_row(get_activation(activation).name)


def activation_table(names: Sequence[str] | None = None) -> list[dict]:
    """One row per registered activation (or per name in ``names``), in registry order.

    Each row: ``name``, ``smoothness`` (declared class), ``phi_0``, ``dphi_0``,
    ``max_abs_dphi``, ``d2phi_0``, ``max_abs_d2phi`` (maxima over [-10, 10]),
    ``dphi_continuous`` and ``d2phi_continuous`` (measured by sampling, see
    :func:`sampled_continuous`), ``baseline``, ``trainable``, ``description``.
    Values of the trainable swish are at beta = 1. Computed in float64 by one compiled
    function per activation, so the whole table takes a few seconds.

    >>> [r["dphi_0"] for r in activation_table(["swish", "tanh"])]
    [0.5, 1.0]
    """
    names = activation_names() if names is None else tuple(get_activation(n).name for n in names)
    return [_activation_row(name) for name in names]


def _cell(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


TABLE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "activation"),
    ("smoothness", "class"),
    ("phi_0", "φ(0)"),
    ("dphi_0", "φ'(0)"),
    ("max_abs_dphi", "max|φ'|"),
    ("max_abs_d2phi", "max|φ''|"),
    ("dphi_continuous", "φ' continuous"),
    ("d2phi_continuous", "φ'' continuous"),
    ("measured", "measured"),
    ("baseline", "baseline"),
    ("description", "description"),
)


def format_activation_table(rows: Sequence[dict]) -> str:
    """The rows of :func:`activation_table` as aligned text, one activation per line."""
    header = [title for _, title in TABLE_COLUMNS]
    body = [[_cell(row.get(key, "")) for key, _ in TABLE_COLUMNS] for row in rows]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    numeric = {i for i, (key, _) in enumerate(TABLE_COLUMNS) if key in ("phi_0", "dphi_0", "max_abs_dphi", "max_abs_d2phi")}

    def line(cells):
        parts = [c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in body)])


# ---------------------------------------------------------------------------------
# Fields, jets and the residual split
# ---------------------------------------------------------------------------------
def as_field(model) -> tuple[Callable, str]:
    """``(u, dtype name)`` for a :class:`pinn.MLP`, a trained result (``.model``) or a function.

    ``u`` maps one point to the field value (scalar or (m,)); a plain function is
    evaluated in float64.
    """
    candidate = getattr(model, "model", None)
    if isinstance(candidate, MLP):
        model = candidate
    if isinstance(model, MLP):
        apply, params = pure_apply(model)
        return (lambda x: apply(params, x)), model.dtype
    if callable(model):
        return model, "float64"
    raise ValueError(f"model must be a pinn.MLP, a trained result or a function of one point, got {model!r}")


def jets(u: Callable, points) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Value, Jacobian and Hessian of ``u`` at every row of ``points`` (computed with jax.hessian).

    Shapes: (n, m), (n, m, d), (n, m, d, d); a scalar field has m = 1.
    """
    points = jnp.asarray(points)
    n, d = points.shape

    def one(x):
        return u(x), jax.jacfwd(u)(x), jax.hessian(u)(x)

    value, jac, hess = jax.jit(jax.vmap(one))(points)
    return (
        np.asarray(value).reshape(n, -1),
        np.asarray(jac).reshape(n, -1, d),
        np.asarray(hess).reshape(n, -1, d, d),
    )


def _taylor(x0, value, jac, hess, order, scalar):
    """The Taylor polynomial of the given order of a field at x0, as a function of one point."""

    def T(x):
        dx = x - x0
        out = value
        if order >= 1:
            out = out + jac @ dx
        if order >= 2:
            out = out + 0.5 * jnp.einsum("ijk,j,k->i", hess, dx, dx)
        return out[0] if scalar else out

    return T


def residual_parts(problem, model, points) -> dict[str, np.ndarray]:
    """The residual at ``points`` split by derivative order (see the module docstring).

    Returns arrays of shape (n, k) (k residual components): ``"zeroth"``,
    ``"first"``, ``"second"``, ``"higher"`` (rounding-level for a local residual of
    order <= 2) and ``"total"`` (the residual of the field itself).
    """
    u, dtype = as_field(model)
    points = np.asarray(points, dtype=np.float64)
    with jax.enable_x64(dtype == "float64"):
        x = jnp.asarray(points, dtype=DTYPES[dtype])
        value, jac, hess = jets(u, x)
        total = np.asarray(jax.jit(jax.vmap(lambda y: problem.residual_at(u, y)))(x), dtype=np.float64)
    scalar = problem.n_fields == 1
    with jax.enable_x64(True):

        def split(x0, v, J, H):
            r = [problem.residual_at(_taylor(x0, v, J, H, k, scalar), x0) for k in (0, 1, 2)]
            return r[0], r[1] - r[0], r[2] - r[1], r[2]

        args = [jnp.asarray(a, dtype=jnp.float64) for a in (points, value, jac, hess)]
        zeroth, first, second, quadratic = (np.asarray(a) for a in jax.jit(jax.vmap(split))(*args))
    n = len(points)
    parts = {"zeroth": zeroth, "first": first, "second": second, "total": total}
    parts = {k: v.reshape(n, -1) for k, v in parts.items()}
    parts["higher"] = parts["total"] - quadratic.reshape(n, -1)
    return parts


def _rms(a) -> float:
    a = np.asarray(a, dtype=np.float64)
    return float(np.sqrt(np.mean(np.sum(a.reshape(len(a), -1) ** 2, axis=-1))))


def _relative(a, b) -> float:
    """||a - b|| / ||b|| over all entries (nan when b is zero)."""
    denom = np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / denom) if denom > 0 else float("nan")


def norm_quantiles(values, quantiles: Sequence[float] = QUANTILES) -> dict[str, float]:
    """Quantiles and mean of ``values``, keyed ``"q0"``, ``"q1"``, ..., ``"q100"`` (percent) and ``"mean"``."""
    values = np.asarray(values, dtype=np.float64)
    out = {f"q{100 * q:g}": float(np.quantile(values, q)) for q in quantiles}
    out["mean"] = float(np.mean(values))
    return out


def sample_points(problem, n: int = 1024, seed: int = 0) -> np.ndarray:
    """``n`` uniformly random interior points of the problem's domain (float64)."""
    return problem.domain.sample_interior(n, "uniform", seed)


def curvature_diagnostics(problem, model, *, points=None, n_points: int = 1024, seed: int = 0) -> dict:
    """How well ``model`` represents the curvature ``problem`` needs, at random interior points.

    Args:
        problem: a :class:`pinn.Problem`.
        model: a :class:`pinn.MLP`, a trained result (anything with ``.model``), or any
            function of one point with the problem's field shape.
        points: (n, d) points to measure at; default ``n_points`` uniform random
            interior points drawn with ``seed``.

    Returns a dict of plain numbers:

    * ``n_points``, ``residual_order`` (probed);
    * ``hessian_zero_fraction``: share of points where every second derivative of
      every field is exactly 0.0 (a ReLU network: 1.0);
    * ``second_order_zero_fraction``: share where the residual's second-order part
      is exactly 0.0 (only when the residual is second order);
    * ``hessian_norm``: quantiles of the Frobenius norm of the Hessian per point
      (``"q0"`` ... ``"q100"``, ``"mean"``), and ``exact_hessian_norm`` for the exact
      solution;
    * ``rel_hessian_error`` (all second derivatives, all fields) and
      ``rel_hessian_error_per_field``: ||H - H*|| / ||H*|| against ``jax.hessian``
      of the exact solution (absent without one);
    * ``rel_second_order_error``: the same for the residual's second-order part;
    * ``residual_rms``: RMS of each residual part (zeroth, first, second, higher,
      total) for the network and, under ``"exact"``, for the exact solution.
    """
    if points is None:
        points = sample_points(problem, n_points, seed)
    points = np.atleast_2d(np.asarray(points, dtype=np.float64))
    if points.shape[1] != problem.domain.dim:
        raise ValueError(f"points must have {problem.domain.dim} columns {problem.coordinates}, got shape {points.shape}")
    u, dtype = as_field(model)
    with jax.enable_x64(dtype == "float64"):
        _, _, hess = jets(u, jnp.asarray(points, dtype=DTYPES[dtype]))
    hess = hess.astype(np.float64)
    n = len(points)
    order = problem.residual_order()
    report = {
        "n_points": n,
        "residual_order": order,
        "hessian_zero_fraction": float(np.mean(np.all(hess.reshape(n, -1) == 0.0, axis=1))),
        "hessian_norm": norm_quantiles(np.linalg.norm(hess.reshape(n, -1), axis=1)),
    }
    parts = residual_parts(problem, model, points)
    report["residual_rms"] = {"network": {k: _rms(v) for k, v in parts.items()}}
    if order >= 2:
        report["second_order_zero_fraction"] = float(np.mean(np.all(parts["second"] == 0.0, axis=1)))
    if problem.exact is not None:
        with jax.enable_x64(True):
            _, _, exact_hess = jets(problem.exact, jnp.asarray(points))
        exact_parts = residual_parts(problem, problem.exact, points)
        report["exact_hessian_norm"] = norm_quantiles(np.linalg.norm(exact_hess.reshape(n, -1), axis=1))
        report["rel_hessian_error"] = _relative(hess, exact_hess)
        report["rel_hessian_error_per_field"] = {
            name: _relative(hess[:, i], exact_hess[:, i]) for i, name in enumerate(problem.fields)
        }
        report["rel_second_order_error"] = _relative(parts["second"], exact_parts["second"])
        report["residual_rms"]["exact"] = {k: _rms(v) for k, v in exact_parts.items()}
    return report


def spatial_laplacian(u: Callable, problem, component: int = 0) -> Callable:
    """x -> the Laplacian over the *spatial* coordinates of field ``component`` (u_xx in 1-D).

    Time (the last coordinate of a space-time problem) is left out; the second
    derivatives come from ``jax.hessian``.
    """
    n_space = problem.domain.dim - (1 if problem.time_dependent else 0)
    scalar = problem.n_fields == 1

    def lap(x):
        H = jax.hessian(lambda y: u(y) if scalar else u(y)[component])(x)
        return jnp.trace(H[:n_space, :n_space])

    return lap
