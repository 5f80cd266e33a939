r"""Boundary, initial and data conditions; each one is a named loss term.

A condition knows where its points come from (:meth:`sample`, on the host, once or
at each resampling) and its pointwise residual (:meth:`residual`, traced under
``jax.jit``); the loss of the term is the mean over its points of the squared
residual, summed over components.

Values ``g`` are constants or functions of one point ``x`` written with ``jax.numpy``.

==================  ==========================================================
Dirichlet           u(x) - g(x) = 0                 on a boundary set
Neumann             n . grad u(x) - g(x) = 0        on a boundary set
Robin               alpha u + beta n . grad u - g = 0  on a boundary set
Initial             u(x, t0) - g(x) = 0             on the initial slice
InitialVelocity     u_t(x, t0) - g(x) = 0           (second order in time)
Periodic            u(x|axis=lo) - u(x|axis=hi) = 0 across one axis
Data                u(x_i) - y_i = 0                at observed points in the domain
BoundaryResidual    r(u, x, n) = 0                  any pointwise boundary equation
==================  ==========================================================

``component`` picks one field of a vector problem (``None``: all fields). ``n`` is the
outward unit normal. ``Robin(alpha=a, beta=b, value=g)`` weighs the value against the
normal derivative (a, b numbers, not both 0): b = 0 is a Dirichlet condition, a = 0 a
Neumann one, and heat loss to surroundings at T_inf, -k dT/dn = h (T - T_inf), is
``Robin(alpha=h, beta=k, value=h * T_inf)``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from pinn.geometry import BoundarySet, SpaceTime


def _value(g, x):
    return g(x) if callable(g) else jnp.asarray(g, dtype=x.dtype)


def _pick(u_x, component):
    return u_x if component is None else jnp.atleast_1d(u_x)[component]


def _row(array, i):
    row = array[i]
    return row.tolist() if np.ndim(row) else float(row)


def check_finite_rows(what: str, array: np.ndarray) -> None:
    """A ValueError naming the first row of ``array`` that holds a NaN or an infinity."""
    bad = ~np.isfinite(array.reshape(len(array), -1)).all(axis=1)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"{what} row {i} is not finite: {_row(array, i)}")


def check_inside(what: str, points: np.ndarray, domain) -> None:
    """A ValueError naming the first of ``points`` outside ``domain``.

    The tolerance (1e-9 of the domain's size) lets points on the boundary, rounded
    when written to a file, count as inside.
    """
    lower, upper = domain.bounds
    tol = 1e-9 * max(1.0, float(np.max(np.asarray(upper) - np.asarray(lower))))
    outside = ~domain.contains(points, tol)
    if outside.any():
        i = int(np.argmax(outside))
        raise ValueError(f"{what} row {i}, {_row(points, i)}, lies outside the domain {domain!r}")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Condition:
    """Base class: a loss term named ``name``, weighted by ``weight``, on ``n`` points
    (``None``: the trainer's boundary point count)."""

    name: str | None = None
    weight: float = 1.0
    n: int | None = None
    kind = "condition"

    def __post_init__(self):
        number = isinstance(self.weight, (int, float, np.integer, np.floating)) and not isinstance(self.weight, bool)
        if not (number and np.isfinite(self.weight) and self.weight >= 0):
            raise ValueError(f"condition weight must be a finite non-negative number, got {self.weight!r}")
        if self.n is not None and (isinstance(self.n, bool) or not isinstance(self.n, int) or self.n <= 0):
            raise ValueError(f"condition point count n must be a positive integer, got {self.n!r}")

    def sample(self, domain, n: int, sampler: str, seed: int) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def residual_shape(self, field_shape: tuple[int, ...]) -> tuple[int, ...] | None:
        """Shape of :meth:`residual` at one point for a field of ``field_shape``
        (``None``: any shape, e.g. a user's boundary equation)."""
        component = getattr(self, "component", None)
        if component is None:
            return field_shape if hasattr(self, "component") else None
        n_fields = field_shape[0] if field_shape else 1
        valid = isinstance(component, (int, np.integer)) and not isinstance(component, bool)
        if not (valid and 0 <= component < n_fields):
            raise ValueError(f"component {component!r} is not a field index; valid components: 0 to {n_fields - 1}")
        return ()

    def residual(self, u: Callable, data: dict) -> jax.Array:
        """Residual at ONE point; ``data`` holds that point's entries of :meth:`sample`."""
        raise NotImplementedError


@dataclasses.dataclass(frozen=True, kw_only=True)
class _OnBoundary(Condition):
    on: BoundarySet

    def __post_init__(self):
        super().__post_init__()
        if not isinstance(self.on, BoundarySet):
            raise ValueError(
                f"'on' must be a boundary set such as domain.boundary or domain.boundary.where(...), got {self.on!r}"
            )

    def sample(self, domain, n, sampler, seed):
        points, normals = self.on.sample(n, sampler, seed)
        return {"x": points, "normal": normals}


@dataclasses.dataclass(frozen=True, kw_only=True)
class Dirichlet(_OnBoundary):
    """u = g on a boundary set."""

    value: float | Callable = 0.0
    component: int | None = None
    kind = "dirichlet"

    def residual(self, u, data):
        x = data["x"]
        return _pick(u(x), self.component) - _value(self.value, x)


def _normal_derivative(u, x, normal, component):
    return _pick(jax.jacfwd(u)(x) @ normal, component)  # (d,) or (m, d) times (d,)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Neumann(_OnBoundary):
    """n . grad u = g on a boundary set (n the outward unit normal)."""

    value: float | Callable = 0.0
    component: int | None = None
    kind = "neumann"

    def residual(self, u, data):
        x = data["x"]
        return _normal_derivative(u, x, data["normal"], self.component) - _value(self.value, x)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Robin(_OnBoundary):
    r"""alpha u + beta n . grad u = g on a boundary set (n the outward unit normal).

    .. math::  \alpha\, u + \beta\, \partial u / \partial n = g

    ``beta = 0`` is a Dirichlet condition, ``alpha = 0`` a Neumann one. Heat loss to
    surroundings at temperature T_inf through a coefficient h, -k dT/dn = h (T - T_inf),
    is ``Robin(alpha=h, beta=k, value=h * T_inf)``.
    """

    alpha: float = 1.0
    beta: float = 1.0
    value: float | Callable = 0.0
    component: int | None = None
    kind = "robin"

    def __post_init__(self):
        super().__post_init__()
        coefficients = (self.alpha, self.beta)
        numbers = all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in coefficients)
        if not (numbers and np.isfinite(coefficients).all() and (self.alpha or self.beta)):
            raise ValueError(
                f"Robin imposes alpha * u + beta * (n . grad u) = value; alpha and beta must be finite numbers, "
                f"not both 0, got alpha={self.alpha!r}, beta={self.beta!r}"
            )

    def residual(self, u, data):
        x = data["x"]
        dn = _normal_derivative(u, x, data["normal"], self.component)
        return self.alpha * _pick(u(x), self.component) + self.beta * dn - _value(self.value, x)


def _require_time(domain, what):
    if not isinstance(domain, SpaceTime):
        raise ValueError(f"{what} needs a space-time domain (space * TimeInterval), got {domain!r}")


@dataclasses.dataclass(frozen=True, kw_only=True)
class Initial(Condition):
    """u(x, t0) = g(x); ``g`` receives the whole point (x, ..., t0)."""

    value: float | Callable = 0.0
    component: int | None = None
    kind = "initial"

    def sample(self, domain, n, sampler, seed):
        _require_time(domain, "an initial condition")
        return {"x": domain.sample_initial(n, sampler, seed)}

    def residual(self, u, data):
        x = data["x"]
        return _pick(u(x), self.component) - _value(self.value, x)


@dataclasses.dataclass(frozen=True, kw_only=True)
class InitialVelocity(Initial):
    """u_t(x, t0) = g(x): the second initial condition of a problem second order in time."""

    kind = "initial_velocity"

    def residual(self, u, data):
        x = data["x"]
        du_dt = jax.jvp(u, (x,), (jnp.zeros_like(x).at[-1].set(1.0),))[1]
        return _pick(du_dt, self.component) - _value(self.value, x)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Periodic(Condition):
    """u (and, with ``derivative=True``, du/dx_axis) equal on the two faces across ``axis``."""

    axis: int = 0
    derivative: bool = False
    kind = "periodic"

    def sample(self, domain, n, sampler, seed):
        lower, upper = domain.bounds
        space_dim = domain.space.dim if isinstance(domain, SpaceTime) else domain.dim
        if not 0 <= self.axis < space_dim:
            raise ValueError(f"periodic axis {self.axis} is not a spatial axis of {domain!r}")
        on_low = domain.boundary.where(lambda x: np.isclose(x[self.axis], lower[self.axis]))
        points, _ = on_low.sample(n, sampler, seed)
        partner = points.copy()
        partner[:, self.axis] = upper[self.axis]
        return {"x": points, "partner": partner}

    def residual(self, u, data):
        x, y = data["x"], data["partner"]
        diff = jnp.atleast_1d(u(x) - u(y))
        if not self.derivative:
            return diff
        e = jnp.zeros_like(x).at[self.axis].set(1.0)
        slope = jnp.atleast_1d(jax.jvp(u, (x,), (e,))[1] - jax.jvp(u, (y,), (e,))[1])
        return jnp.concatenate([diff, slope])


@dataclasses.dataclass(frozen=True, kw_only=True)
class Data(Condition):
    """Observed values: u(x_i) = y_i at given points (shape (n, d) and (n,) or (n, m))."""

    points: np.ndarray
    values: np.ndarray
    component: int | None = None
    kind = "data"

    def __post_init__(self):
        super().__post_init__()
        points = np.asarray(self.points, dtype=float)
        values = np.asarray(self.values, dtype=float)
        if points.ndim != 2 or len(values) != len(points):
            raise ValueError(
                f"data points must have shape (n, d) and values a first axis of length n; "
                f"got {points.shape} and {values.shape}"
            )
        try:
            check_finite_rows("data points", points)
            check_finite_rows("data values", values)
        except ValueError as err:
            raise ValueError(f"data points and values must be finite; {err}") from None
        object.__setattr__(self, "points", points)
        object.__setattr__(self, "values", values)

    def sample(self, domain, n, sampler, seed):
        if self.points.shape[1] != domain.dim:
            raise ValueError(f"data points have {self.points.shape[1]} coordinates, the domain has {domain.dim}")
        check_inside("data points", self.points, domain)
        return {"x": self.points, "y": self.values}

    def residual(self, u, data):
        return _pick(u(data["x"]), self.component) - data["y"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class BoundaryResidual(_OnBoundary):
    """Any pointwise equation r(u, x, normal) = 0 on a boundary set (e.g. a traction)."""

    fn: Callable
    kind = "boundary"

    def residual(self, u, data):
        return self.fn(u, data["x"], data["normal"])


def named(conditions: Sequence[Condition]) -> dict[str, Condition]:
    """Conditions keyed by loss-term name: ``name`` or the kind, numbered when repeated."""
    out: dict[str, Condition] = {}
    counts: dict[str, int] = {}
    for c in conditions:
        if not isinstance(c, Condition):
            raise ValueError(f"conditions must be pinn conditions (Dirichlet, Neumann, ...), got {c!r}")
        base = c.name or c.kind
        if c.name is not None and c.name in out:
            raise ValueError(f"two conditions are named {c.name!r}; loss-term names must be unique")
        counts[base] = counts.get(base, 0) + 1
        name = base if counts[base] == 1 and base not in out else f"{base}_{counts[base]}"
        out[name] = c
    return out
