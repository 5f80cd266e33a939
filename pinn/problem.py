r"""A PDE problem: domain, residual, conditions, parameters and a known solution.

The residual is a plain function of the field ``u`` (a function of ONE point), the
point ``x`` and the problem's named parameters, returning a scalar or a vector (a
system of equations)::

    def poisson(u, x, k):
        return -pinn.laplacian(u)(x) - source(x, k)

Everything that can be checked without training is checked when the problem is
built: parameter values, the shapes returned by the exact solution and the residual,
and whether the residual is finite for the exact solution.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType

import jax
import jax.numpy as jnp
import numpy as np

from pinn.conditions import Condition, named
from pinn.geometry import Domain, SpaceTime

PDE_TERM = "pde"


@dataclasses.dataclass(frozen=True)
class Reference:
    """Tabulated reference solution: ``values[i]`` (shape (m,) or scalar) at ``points[i]``."""

    points: np.ndarray
    values: np.ndarray
    source: str = ""

    def __post_init__(self):
        points = np.asarray(self.points, dtype=np.float64)
        values = np.asarray(self.values, dtype=np.float64)
        if points.ndim != 2 or len(values) != len(points):
            raise ValueError(f"reference points must be (n, d) and values (n,) or (n, m); got {points.shape}, {values.shape}")
        object.__setattr__(self, "points", points)
        object.__setattr__(self, "values", values.reshape(len(points), -1))


@dataclasses.dataclass(frozen=True)
class Problem:
    """A PDE to solve.

    Args:
        domain: where the residual holds (a spatial domain or ``space * TimeInterval``).
        residual: ``residual(u, x, **params)`` at one point; scalar or vector.
        conditions: boundary, initial and data conditions (each a named loss term).
        params: named physical parameters handed to ``residual`` as keyword arguments.
        exact: optional exact solution ``exact(x)``: scalar for one field, (m,) for m.
        reference: optional tabulated reference (:class:`Reference`) when no closed form exists.
        fields: names of the output fields, in output order.
        name: short name used in files and tables.
        description: one line: the equation and domain.
        output_transform: optional ``fn(x, y) -> y'`` that every network built for this
            problem (:meth:`pinn.MLP.for_problem`) applies to its raw output ``y`` at the
            point ``x``. It imposes conditions exactly (hard constraints): with
            ``u = g(x) + d(x) N(x)`` and ``d = 0`` on a boundary, ``u = g`` there whatever
            the weights; or it scales the output to the solution's size (``u = s N``).
            Keep the conditions it imposes: their loss then reads ~0, a check.
    """

    domain: Domain
    residual: Callable
    conditions: Sequence[Condition] = ()
    params: Mapping[str, float] = dataclasses.field(default_factory=dict)
    exact: Callable | None = None
    reference: Reference | None = None
    fields: tuple[str, ...] = ("u",)
    name: str = "custom"
    description: str = ""
    output_transform: Callable | None = None

    def __post_init__(self):
        if not isinstance(self.domain, Domain):
            raise ValueError(f"domain must be a pinn domain (Interval, Rectangle, Disk, ... or space * TimeInterval), got {self.domain!r}")
        if not callable(self.residual):
            raise ValueError(f"residual must be a function residual(u, x, **params), got {self.residual!r}")
        fields = (self.fields,) if isinstance(self.fields, str) else tuple(self.fields)
        if not fields or len(set(fields)) != len(fields) or not all(isinstance(f, str) and f for f in fields):
            raise ValueError(f"fields must be distinct non-empty names, got {self.fields!r}")
        params = {}
        for key, value in dict(self.params).items():
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"parameter {key!r} must be a number, got {value!r}") from None
            if not np.isfinite(value):
                raise ValueError(f"parameter {key!r} must be finite, got {value}")
            params[key] = value
        object.__setattr__(self, "fields", fields)
        object.__setattr__(self, "params", MappingProxyType(params))
        terms = named(self.conditions)
        if PDE_TERM in terms:
            raise ValueError(f"the loss-term name {PDE_TERM!r} is reserved for the residual; rename that condition")
        object.__setattr__(self, "conditions", tuple(self.conditions))
        if self.output_transform is not None and not callable(self.output_transform):
            raise ValueError(f"output_transform must be a function fn(x, y) -> y, got {self.output_transform!r}")
        if self.exact is not None and not callable(self.exact):
            raise ValueError(f"exact must be a function of one point, got {self.exact!r}")
        if self.reference is not None:
            if self.reference.points.shape[1] != self.domain.dim or self.reference.values.shape[1] != len(fields):
                raise ValueError(
                    f"reference must have {self.domain.dim} coordinates and {len(fields)} fields, "
                    f"got {self.reference.points.shape[1]} and {self.reference.values.shape[1]}"
                )
        self._check_shapes()

    # -- derived facts -------------------------------------------------------------
    @property
    def n_fields(self) -> int:
        return len(self.fields)

    @property
    def field_shape(self) -> tuple[int, ...]:
        return () if self.n_fields == 1 else (self.n_fields,)

    @property
    def coordinates(self) -> tuple[str, ...]:
        """Input column names, space first, then time."""
        return self.domain.coordinate_names

    @property
    def named_conditions(self) -> dict[str, Condition]:
        return named(self.conditions)

    @property
    def term_names(self) -> tuple[str, ...]:
        return (PDE_TERM, *self.named_conditions)

    @property
    def time_dependent(self) -> bool:
        return isinstance(self.domain, SpaceTime)

    def residual_at(self, u, x):
        return self.residual(u, x, **self.params)

    # -- validation ------------------------------------------------------------------
    def _probe_points(self, n=4):
        return jnp.asarray(self.domain.sample_interior(n, "halton", seed=1234))

    def _test_field(self):
        """A smooth stand-in for the solution with the right output shape."""
        m = self.n_fields

        def u(x):
            v = jnp.sin(x).sum() + 0.5 * jnp.cos(jnp.arange(1, m + 1) * x.sum())
            return v[0] if m == 1 else v

        return u

    def _check_shapes(self):
        with jax.enable_x64(True):
            points = self._probe_points()
            if self.exact is not None:
                try:
                    values = jax.vmap(self.exact)(points)
                except Exception as err:  # report what the user has to fix, not the trace
                    raise ValueError(f"exact solution failed on points of shape ({self.domain.dim},): {err}") from err
                if values.shape[1:] != self.field_shape:
                    raise ValueError(
                        f"exact solution must return shape {self.field_shape} for fields {self.fields}, "
                        f"got {values.shape[1:]}"
                    )
                if not np.isfinite(np.asarray(values)).all():
                    raise ValueError("exact solution returned non-finite values inside the domain")
            if self.output_transform is not None:
                self._check_output_transform(points)
            field = self.exact if self.exact is not None else self._test_field()
            try:
                r = jax.jit(jax.vmap(lambda x: self.residual_at(field, x)))(points)
            except Exception as err:
                raise ValueError(
                    f"residual(u, x, **params) failed for a field with {self.n_fields} component(s) "
                    f"and points of shape ({self.domain.dim},): {err}"
                ) from err
            if r.ndim > 2:
                raise ValueError(f"residual must return a scalar or a vector (shape () or (k,)), got shape {r.shape[1:]}")
            if self.exact is not None and not np.isfinite(np.asarray(r)).all():
                raise ValueError("residual is not finite for the exact solution")
            for name, condition in self.named_conditions.items():
                self._check_condition(name, condition, field)

    def _check_condition(self, name, condition, field):
        """Points, component and value shape of one condition, on a few sampled points."""
        try:
            expected = condition.residual_shape(self.field_shape)
            data = condition.sample(self.domain, 4, "halton", 1234)
        except ValueError as err:
            raise ValueError(f"condition {name!r}: {err}") from None
        data = {key: jnp.asarray(value[:4]) for key, value in data.items()}
        try:
            r = jax.jit(jax.vmap(lambda d: condition.residual(field, d)))(data)
        except Exception as err:
            raise ValueError(
                f"condition {name!r} failed for a field of shape {self.field_shape} (fields {self.fields}): {err}"
            ) from err
        if expected is not None and r.shape[1:] != expected:
            raise ValueError(
                f"condition {name!r}: its value must be a scalar or of shape {expected} "
                f"(one per field of {self.fields} it constrains), got a residual of shape {r.shape[1:]}"
            )
        if self.exact is not None and not np.isfinite(np.asarray(r)).all():
            raise ValueError(f"condition {name!r} is not finite for the exact solution")

    def _check_output_transform(self, points):
        raw = self._test_field()
        try:
            values = jax.vmap(lambda x: self.output_transform(x, raw(x)))(points)
        except Exception as err:
            raise ValueError(
                f"output_transform(x, y) failed for points of shape ({self.domain.dim},) and "
                f"y of shape {self.field_shape}: {err}"
            ) from err
        if values.shape[1:] != self.field_shape:
            raise ValueError(
                f"output_transform must return the shape of its y, {self.field_shape} for fields "
                f"{self.fields}, got {values.shape[1:]}"
            )

    def residual_order(self) -> int:
        """Highest derivative order of u in the residual (0, 1 or 2), found by probing.

        At a point x0 it compares fields that agree in value, in value and gradient,
        up to the Hessian: an affine field a + b.(x - x0), and the same plus
        (x - x0).(x - x0)/2, which changes only the second derivatives at x0.
        """
        m = self.n_fields
        with jax.enable_x64(True):
            x0s = self._probe_points(3)
            key = jax.random.key(7)
            a, b = jax.random.normal(key, (2, m, self.domain.dim))
            a = a[:, 0]

            def shaped(v):
                return v[0] if m == 1 else v

            def affine(x0, slope=True):
                return lambda x: shaped(a + (b @ (x - x0) if slope else 0.0))

            def curved(x0):
                return lambda x: shaped(a + b @ (x - x0) + 0.5 * jnp.sum((x - x0) ** 2) * jnp.ones(m))

            order = 0
            for x0 in x0s:
                base = self.residual_at(affine(x0, slope=False), x0)
                if not np.allclose(self.residual_at(affine(x0), x0), base, rtol=1e-10, atol=1e-12):
                    order = max(order, 1)
                if not np.allclose(self.residual_at(curved(x0), x0), self.residual_at(affine(x0), x0), rtol=1e-10, atol=1e-12):
                    order = 2
            return order

    # -- the solution it is measured against ------------------------------------------
    @property
    def has_solution(self) -> bool:
        return self.exact is not None or self.reference is not None

    def evaluation_data(self, resolution: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Points and reference values (n, m) on which errors are measured.

        A tabulated reference is used as it is; an exact solution is evaluated (in
        float64) on a regular grid of the domain with ``resolution`` points per axis
        (default: about 20,000 points in all).
        """
        if self.reference is not None:
            return self.reference.points, self.reference.values
        if self.exact is None:
            raise ValueError(f"problem {self.name!r} has no exact or reference solution to measure errors against")
        if resolution is None:
            resolution = {1: 2001, 2: 141, 3: 28, 4: 13}.get(self.domain.dim, 8)
        points = self.domain.grid(resolution)
        with jax.enable_x64(True):
            values = np.asarray(jax.vmap(self.exact)(jnp.asarray(points)))
        return points, values.reshape(len(points), -1)
