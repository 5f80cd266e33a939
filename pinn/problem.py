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
import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType

import jax
import jax.numpy as jnp
import numpy as np

from pinn.conditions import Condition, bind_fields, check_finite_rows, check_inside, named
from pinn.geometry import Domain, SpaceTime
from pinn.parameters import Parameter

PDE_TERM = "pde"
#: The highest derivative order :meth:`Problem.residual_order` tells apart.
MAX_PROBED_ORDER = 4


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


def _runs(fn, points) -> bool:
    """Whether ``fn`` traces on one point of ``points`` (shapes only, nothing computed)."""
    try:
        jax.eval_shape(fn, points[0])
    except Exception:
        return False
    return True


def _signature(fn) -> str:
    try:
        return f"{getattr(fn, '__name__', 'residual')}{inspect.signature(fn)}"
    except (TypeError, ValueError):
        return repr(fn)


def _describe(value) -> str:
    if value is None:
        return "None"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} value{'' if len(value) == 1 else 's'}"
    if isinstance(value, dict):
        return f"a dict with keys {list(value)}"
    return f"a {type(value).__name__}"


@dataclasses.dataclass(frozen=True)
class Problem:
    """A PDE to solve.

    Args:
        domain: where the residual holds (a spatial domain or ``space * TimeInterval``).
        residual: ``residual(u, x, **params)`` at one point; scalar or vector.
        conditions: boundary, initial and data conditions (each a named loss term).
        params: named physical parameters handed to ``residual`` as keyword arguments:
            a number is a constant; a :class:`pinn.Parameter` is learned with the
            network (an inverse problem; its value reaches the residual as a traced
            scalar, so write the residual with ``jnp`` operations on it).
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
        up_to_constant: names of fields defined only up to an additive constant (the
            pressure of incompressible flow with no pinned value): their errors are
            measured with the means removed (:func:`pinn.evaluate.error_report`).
        extra_points: optional (k, d) collocation points of the residual, added to
            every sampled batch after the ``n_interior`` sampled ones (same shape at
            every resampling, so nothing recompiles). They put points where the
            solution needs them; on the L-shaped domain the solution is singular at
            the re-entrant corner (0.5, 0.5) (u ~ r^(2/3) there, r the distance to it), so::

                corner = np.array([0.5, 0.5])
                rings = [corner + r * np.array([np.cos(t), np.sin(t)])
                         for r in (0.01, 0.03, 0.1) for t in np.linspace(0.5 * np.pi, 2 * np.pi, 12)]
                problem = pinn.Problem(lshape, residual, conditions, extra_points=np.array(rings))

            Every point must be finite and inside the domain.
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
    up_to_constant: tuple[str, ...] = ()
    extra_points: np.ndarray | None = None

    def __post_init__(self):
        if not isinstance(self.domain, Domain):
            raise ValueError(f"domain must be a pinn domain (Interval, Rectangle, Disk, ... or space * TimeInterval), got {self.domain!r}")
        if not callable(self.residual):
            raise ValueError(f"residual must be a function residual(u, x, **params), got {self.residual!r}")
        fields = (self.fields,) if isinstance(self.fields, str) else tuple(self.fields)
        if not fields or len(set(fields)) != len(fields) or not all(isinstance(f, str) and f for f in fields):
            raise ValueError(f"fields must be distinct non-empty names, got {self.fields!r}")
        params, learned = {}, {}
        for key, value in dict(self.params).items():
            if isinstance(value, Parameter):
                learned[key] = value
                value = value.value
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"parameter {key!r} must be a number or a pinn.Parameter, got {value!r}") from None
            if not np.isfinite(value):
                raise ValueError(f"parameter {key!r} must be finite, got {value}")
            params[key] = value
        object.__setattr__(self, "fields", fields)
        object.__setattr__(self, "params", MappingProxyType(params))
        object.__setattr__(self, "learned", MappingProxyType(learned))
        terms = named(self.conditions)
        if PDE_TERM in terms:
            raise ValueError(f"the loss-term name {PDE_TERM!r} is reserved for the residual; rename that condition")
        object.__setattr__(self, "conditions", bind_fields(self.conditions, fields))
        if self.output_transform is not None and not callable(self.output_transform):
            raise ValueError(f"output_transform must be a function fn(x, y) -> y, got {self.output_transform!r}")
        if self.exact is not None and not callable(self.exact):
            raise ValueError(f"exact must be a function of one point, got {self.exact!r}")
        object.__setattr__(self, "up_to_constant", self._checked_up_to_constant(fields))
        object.__setattr__(self, "extra_points", self._checked_extra_points())
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

    def residual_at(self, u, x, learned: Mapping | None = None):
        """The residual at ``x``; ``learned`` (name -> value) replaces the starting values
        of the learned parameters (the trainer passes the current ones)."""
        return self.residual(u, x, **self.param_values(learned))

    def param_values(self, learned: Mapping | None = None) -> dict:
        """Every parameter's value: the constants, and the learned ones from ``learned``
        (their starting values where it is None)."""
        return {**self.params, **(learned or {})}

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
            r = self._residual_on(field, points)
            if r.ndim > 2:
                raise ValueError(f"residual must return a scalar or a vector (shape () or (k,)), got shape {r.shape[1:]}")
            if self.exact is not None and not np.isfinite(np.asarray(r)).all():
                raise ValueError("residual is not finite for the exact solution")
            for name, condition in self.named_conditions.items():
                self._check_condition(name, condition, field)

    def _residual_on(self, field, points):
        """The residual of ``field`` at ``points``; a residual called the wrong way round or
        returning something other than one array gets a message saying so."""
        try:
            r = jax.jit(jax.vmap(lambda x: self.residual_at(field, x)))(points)
        except Exception as err:
            if _runs(lambda x: self.residual_at(x, field), points):  # residual(x, u, ...)
                raise ValueError(
                    f"residual must take the field first and the point second, residual(u, x, **params); "
                    f"it fails called that way and runs with the two swapped (it is declared "
                    f"{_signature(self.residual)}): swap its first two arguments"
                ) from err
            raise ValueError(
                f"residual(u, x, **params) failed for a field with {self.n_fields} component(s) "
                f"and points of shape ({self.domain.dim},): {err}"
            ) from err
        if not isinstance(r, jax.Array):
            hint = "is a return statement missing?" if r is None else "stack the equations with jnp.stack([...])"
            raise ValueError(
                f"residual must return one array, a scalar or a vector of shape (k,) for k equations; "
                f"it returned {_describe(r)}: {hint}"
            )
        return r

    def _checked_up_to_constant(self, fields):
        names = (self.up_to_constant,) if isinstance(self.up_to_constant, str) else tuple(self.up_to_constant)
        for name in names:
            if name not in fields:
                raise ValueError(
                    f"up_to_constant must name fields defined up to a constant; {name!r} is not a field; "
                    f"fields: {', '.join(fields)}"
                )
        return tuple(dict.fromkeys(names))

    def _checked_extra_points(self):
        if self.extra_points is None:
            return None
        d = self.domain.dim
        try:
            points = np.array(self.extra_points, dtype=np.float64)  # a copy the caller cannot change
        except (TypeError, ValueError):
            raise ValueError(f"extra_points must be an array of shape (k, {d}), got {self.extra_points!r}") from None
        if points.ndim != 2 or points.shape[1] != d or len(points) == 0:
            raise ValueError(
                f"extra_points must have shape (k, {d}), k >= 1 points of coordinates {self.coordinates}, "
                f"got shape {points.shape}"
            )
        check_finite_rows("extra_points", points)
        check_inside("extra_points", points, self.domain)
        points.setflags(write=False)
        return points

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
        r"""Highest derivative order of u in the residual, 0 to :data:`MAX_PROBED_ORDER`
        (4: four or more), found by probing.

        At a point :math:`x_0`, with :math:`y = x - x_0`, the residual is evaluated on a
        random polynomial field (per field: random a, b, symmetric S and directions w_k)

        .. math::  p(x) = a + b \cdot y + \tfrac12 y^\top S y + \sum_{k=3}^{4} \tfrac{1}{k!} (w_k \cdot y)^k

        and on :math:`p + (v \cdot y)^k / k!` for k = 1 ... 4, which changes the k-th
        derivatives at :math:`x_0` and no lower ones. The order is the largest k whose
        change moves the residual. A linear k-th order part :math:`A : \nabla^k u`
        changes by :math:`A(v, \dots, v)`, a polynomial in the random direction v that
        vanishes only on a set of measure zero unless A = 0: the wave operator
        :math:`u_{tt} - u_{xx}`, Klein-Gordon and a lone :math:`u_{xy}` are all seen (an
        isotropic probe :math:`|y|^2` misses them). The random, full-rank S keeps
        nonlinear second-order parts such as :math:`\det \nabla^2 u` away from the
        rank-deficient Hessians where a rank-one change would not show. A non-local
        residual (one that evaluates u away from x) reports the maximum.
        """
        m, d, top = self.n_fields, self.domain.dim, MAX_PROBED_ORDER
        with jax.enable_x64(True):
            x0s = self._probe_points(3)
            n = len(x0s)
            keys = jax.random.split(jax.random.key(7), 5)
            a = jax.random.normal(keys[0], (n, m))
            b = jax.random.normal(keys[1], (n, m, d))
            s = jax.random.normal(keys[2], (n, m, d, d))
            s = 0.5 * (s + jnp.swapaxes(s, -1, -2))
            w = jax.random.normal(keys[3], (n, top + 1, m, d))
            v = jax.random.normal(keys[4], (n, top + 1, m, d))
            # Row 0 leaves p as it is; row k adds (v_k . y)^k / k!.
            switches = jnp.eye(top + 1).at[0, 0].set(0.0)

            def at(x0, a, b, s, w, v, on):
                def u(x):
                    y = x - x0
                    value = a + b @ y + 0.5 * jnp.sum((s @ y) * y, axis=-1)
                    for k in range(3, top + 1):
                        value = value + (w[k] @ y) ** k / math.factorial(k)
                    for k in range(1, top + 1):
                        value = value + on[k] * (v[k] @ y) ** k / math.factorial(k)
                    return value[0] if m == 1 else value

                return self.residual_at(u, x0)

            probe = jax.vmap(lambda *c: jax.vmap(lambda on: at(*c, on))(switches))
            r = np.asarray(jax.jit(probe)(x0s, a, b, s, w, v)).reshape(n, top + 1, -1)
            moved = [
                not np.allclose(r[:, k], r[:, 0], rtol=1e-10, atol=1e-12, equal_nan=True) for k in range(1, top + 1)
            ]
            return max((k for k, changed in enumerate(moved, start=1) if changed), default=0)

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
