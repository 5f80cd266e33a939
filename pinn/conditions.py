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
Data                u_F(x_i) - y_i = 0              at measurement points (F: the measured fields)
BoundaryResidual    r(u, x, n) = 0                  any pointwise boundary equation
==================  ==========================================================

``component`` picks one field of a vector problem (``None``: all fields); ``Data`` names
its measured fields instead (``fields=("u",)``) and reads measurements from files
(:meth:`Data.from_file`). ``n`` is the outward unit normal. ``Robin(alpha=a, beta=b, value=g)`` weighs the value against the
normal derivative (a, b numbers, not both 0): b = 0 is a Dirichlet condition, a = 0 a
Neumann one, and heat loss to surroundings at T_inf, -k dT/dn = h (T - T_inf), is
``Robin(alpha=h, beta=k, value=h * T_inf)``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

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

    def bind(self, fields: Sequence[str]) -> "Condition":
        """This condition for a problem whose outputs are named ``fields`` (a condition that
        names fields, :class:`Data`, resolves them here); most conditions return themselves."""
        return self


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


def _names(fields) -> tuple[str, ...]:
    names = (fields,) if isinstance(fields, str) else tuple(fields)
    if not names or not all(isinstance(f, str) and f for f in names) or len(set(names)) != len(names):
        raise ValueError(f"data fields must be distinct non-empty names such as ('u',), got {fields!r}")
    return names


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@dataclasses.dataclass(frozen=True)
class Data(Condition):
    r"""Measurements: u_F(x_i) = y_i at given points, F the measured fields.

    .. math::  L = \frac{1}{n} \sum_{i=1}^{n} \lVert u_F(x_i) - y_i \rVert^2

    ::

        pinn.Data(points, values)                           # every field, values (n,) or (n, m)
        pinn.Data(points, u_values, fields=("u",))          # only u of fields ("u", "k")
        pinn.Data.from_file("measured.csv", fields=("u",), coordinates=("x", "t"))
        pinn.Data.synthetic(points, exact, noise=0.01, seed=0)   # a known solution, with noise

    Args:
        points: (n, d) measurement points, coordinates in the problem's order
            (space, then time).
        values: (n,) for one measured field, (n, k) for k.
        fields: names of the measured fields, in the order of the columns of
            ``values`` (default: every field of the problem). :class:`pinn.Problem`
            binds the names to its outputs (:meth:`bind`) when it is built and refuses a
            name that is not one of its fields, listing them.
        noise: the stated measurement noise: the standard deviation of the errors
            relative to that of the values (0.01 is 1 %). Recorded and reported (the
            data term's loss cannot fall much below ``(noise * std(values))**2``
            without fitting the noise), never added to the values.
        component: the older form of ``fields``: the index of the one measured field.
        source: where the measurements came from (a file), named in error messages.
    """

    points: np.ndarray
    values: np.ndarray
    _: dataclasses.KW_ONLY
    fields: tuple[str, ...] | None = None
    noise: float | None = None
    component: int | None = None
    source: str | None = None
    bound_to: tuple[str, ...] | None = dataclasses.field(default=None, repr=False)
    kind = "data"

    def __post_init__(self):
        super().__post_init__()
        where = f" of {self.source}" if self.source else ""
        points = np.asarray(self.points, dtype=float)
        values = np.asarray(self.values, dtype=float)
        if points.ndim != 2 or len(values) != len(points) or values.ndim not in (1, 2):
            raise ValueError(
                f"data points must have shape (n, d) and values a first axis of length n; "
                f"got {points.shape} and {values.shape}"
            )
        if len(points) == 0:
            raise ValueError(f"data{where} holds no measurements (0 points)")
        try:
            check_finite_rows("data points", points)
            check_finite_rows("data values", values)
        except ValueError as err:
            raise ValueError(f"data points and values must be finite; {err}") from None
        columns = 1 if values.ndim == 1 else values.shape[1]
        if self.fields is not None:
            if self.component is not None:
                raise ValueError(f"data takes fields=... or component=..., not both; got fields={self.fields!r}, component={self.component!r}")
            names = _names(self.fields)
            if columns != len(names):
                raise ValueError(
                    f"data values{where} have {columns} column(s) but fields {names} name {len(names)}: "
                    f"values must have shape (n,) for one field or (n, k) for k"
                )
            object.__setattr__(self, "fields", names)
            if len(names) == 1:
                values = values.reshape(len(values))
        elif self.component is not None and columns == 1:
            values = values.reshape(len(values))
        if self.noise is not None:
            noise = self.noise
            if isinstance(noise, bool) or not isinstance(noise, (int, float, np.integer, np.floating)) or not (np.isfinite(noise) and noise >= 0):
                raise ValueError(f"data noise must be a finite number >= 0 (0.01 is 1 %), got {noise!r}")
            object.__setattr__(self, "noise", float(noise))
        index = None
        if self.bound_to is not None and self.fields is not None:
            valid = tuple(self.bound_to)
            for name in self.fields:
                if name not in valid:
                    raise ValueError(f"data{where}: {name!r} is not a field of the problem; its fields: {', '.join(valid)}")
            index = tuple(valid.index(name) for name in self.fields)
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "points", points)
        object.__setattr__(self, "values", values)

    # -- construction from files and known solutions ----------------------------------------
    @classmethod
    def from_file(cls, path, fields=None, *, coordinates=None, noise=None, name=None, weight: float = 1.0, n=None) -> "Data":
        """Measurements read from a ``.csv`` or ``.npy`` file.

        ``.csv``: a header row naming the columns, e.g. ``x,t,u``: the columns named in
        ``coordinates`` (the problem's coordinate names, e.g. ``domain.coordinate_names``)
        are the points, taken in that order; the others are the measured fields (or
        those of ``fields``, which must all be there). Without ``coordinates``, every
        column not in ``fields`` is a coordinate, in the file's order. A file without a
        header needs both ``coordinates`` and ``fields`` (columns in that order).

        ``.npy``: an array (n, d + k): the d coordinates, then the k fields named by
        ``fields`` (required: the file names no columns).

        Wrong columns, a row that is not finite (its line is named), an empty file:
        each raises a one-line ValueError naming the file. Points outside the domain
        are refused when the problem is built.
        """
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".csv", ".npy"):
            raise ValueError(f"data file {path} must end in .csv or .npy, got {suffix or 'no suffix'!r}")
        if not path.is_file():
            raise FileNotFoundError(f"data file {path} not found")
        fields = None if fields is None else _names(fields)
        coordinates = None if coordinates is None else tuple(coordinates)
        if suffix == ".npy":
            points, values, fields = _read_npy(path, fields, coordinates)
        else:
            points, values, fields = _read_csv(path, fields, coordinates)
        return cls(points, values, fields=fields, noise=noise, name=name, weight=weight, n=n, source=str(path))

    @classmethod
    def synthetic(cls, points, fn: Callable, *, noise: float = 0.0, seed: int = 0, fields=None, **settings) -> "Data":
        r"""Measurements of a known solution ``fn`` (one point -> the measured values) with
        Gaussian noise, for trying an inverse problem:

        .. math::  y_i = f(x_i) + \sigma\, \mathrm{std}(f)\, \varepsilon_i, \qquad
                   \varepsilon_i \sim N(0, 1) \text{ independent},

        σ = ``noise`` (0.01 is 1 %), std(f) the standard deviation of each measured field
        over ``points``, ε drawn from ``numpy.random.default_rng(seed)``. ``fn`` is
        evaluated in float64. ``settings`` go to :class:`Data` (``name``, ``weight``).
        """
        points = np.asarray(points, dtype=np.float64)
        if points.ndim != 2 or len(points) == 0:
            raise ValueError(f"data points must have shape (n, d) with n >= 1, got {points.shape}")
        if isinstance(noise, bool) or not isinstance(noise, (int, float, np.integer, np.floating)) or not (np.isfinite(noise) and noise >= 0):
            raise ValueError(f"data noise must be a finite number >= 0 (0.01 is 1 %), got {noise!r}")
        with jax.enable_x64(True):
            clean = np.asarray(jax.vmap(fn)(jnp.asarray(points)), dtype=np.float64)
        columns = clean.reshape(len(points), -1)
        rng = np.random.default_rng(seed)
        noisy = columns + noise * columns.std(axis=0) * rng.standard_normal(columns.shape)
        return cls(points, noisy.reshape(clean.shape), fields=fields, noise=float(noise), **settings)

    # -- the condition ------------------------------------------------------------------------
    def bind(self, fields: Sequence[str]) -> "Data":
        """These measurements with their field names resolved to the outputs ``fields``
        (what :class:`pinn.Problem` does); a name not among them raises a ValueError
        listing them."""
        if self.fields is None:
            return self
        return dataclasses.replace(self, bound_to=tuple(fields))

    @property
    def indices(self) -> tuple[int, ...] | None:
        """Output indices of the measured fields once bound (None: every field, or ``component``)."""
        return self._index

    def residual_shape(self, field_shape):
        if self.fields is None:
            return super().residual_shape(field_shape)
        if self._index is None:
            raise ValueError(
                f"data fields {self.fields} are not bound to the problem's field names; pinn.Problem binds "
                f"them when it is built (or call data.bind(fields))"
            )
        return () if len(self._index) == 1 else (len(self._index),)

    def sample(self, domain, n, sampler, seed):
        where = f" of {self.source}" if self.source else ""
        if self.points.shape[1] != domain.dim:
            raise ValueError(
                f"data points{where} have {self.points.shape[1]} coordinates, the domain has {domain.dim} "
                f"({', '.join(domain.coordinate_names)})"
            )
        check_inside(f"data points{where}", self.points, domain)
        return {"x": self.points, "y": self.values}

    def residual(self, u, data):
        value = u(data["x"])
        if self.fields is None:
            return _pick(value, self.component) - data["y"]
        index = self.indices
        if index is None:
            raise ValueError(f"data fields {self.fields} are not bound to the problem's field names")
        picked = jnp.atleast_1d(value)[index[0]] if len(index) == 1 else jnp.atleast_1d(value)[jnp.asarray(index)]
        return picked - data["y"]


def _file_error(path, message) -> ValueError:
    return ValueError(f"data file {path} {message}")


def _read_npy(path, fields, coordinates):
    try:
        array = np.load(path, allow_pickle=False)
    except ValueError as err:
        raise _file_error(path, f"is not a numeric .npy array: {err}") from None
    if array.dtype.kind not in "fiu":
        raise _file_error(path, f"must hold numbers, got dtype {array.dtype}")
    if fields is None:
        raise _file_error(path, "names no columns: pass fields=(...) naming its last k columns (the measured fields)")
    if array.ndim != 2:
        raise _file_error(path, f"must hold an array (n, d + k): d coordinates, then the fields {fields}; got shape {array.shape}")
    if len(array) == 0:
        raise _file_error(path, "holds no measurements (0 rows)")
    d = array.shape[1] - len(fields)
    if d < 1 or (coordinates is not None and d != len(coordinates)):
        wanted = f"{len(coordinates)} coordinates ({', '.join(coordinates)})" if coordinates is not None else "at least one coordinate"
        raise _file_error(
            path, f"has {array.shape[1]} columns; expected {wanted} then {len(fields)} field(s) ({', '.join(fields)})"
        )
    array = array.astype(np.float64)
    bad = ~np.isfinite(array).all(axis=1)
    if bad.any():
        i = int(np.argmax(bad))
        raise _file_error(path, f"row {i} is not finite: {array[i].tolist()}")
    return array[:, :d], array[:, d:], fields


def _read_csv(path, fields, coordinates):
    lines = [
        (number, line.strip())
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not lines:
        raise _file_error(path, "holds no measurements (the file is empty)")
    first = [cell.strip() for cell in lines[0][1].split(",")]
    if all(not _is_number(cell) for cell in first):
        header, rows = first, lines[1:]
        if len(set(header)) != len(header) or not all(header):
            raise _file_error(path, f"has a header with empty or repeated column names: {', '.join(header)}")
        coordinates, fields = _csv_columns(path, header, fields, coordinates)
    elif any(not _is_number(cell) for cell in first):
        raise _file_error(path, f"line {lines[0][0]} mixes names and numbers: {lines[0][1]}")
    else:
        if coordinates is None or fields is None:
            raise _file_error(
                path, "has no header row naming its columns (e.g. x,t,u): add one, or pass coordinates= and fields="
            )
        header, rows = [*coordinates, *fields], lines
    if not rows:
        raise _file_error(path, "holds no measurements (a header row only)")
    table = np.empty((len(rows), len(header)))
    for i, (number, line) in enumerate(rows):
        cells = line.split(",")
        if len(cells) != len(header):
            raise _file_error(path, f"line {number} has {len(cells)} values; the columns are {', '.join(header)}")
        for j, cell in enumerate(cells):
            try:
                table[i, j] = float(cell)
            except ValueError:
                raise _file_error(path, f"line {number}: {cell.strip()!r} in column {header[j]!r} is not a number") from None
        if not np.isfinite(table[i]).all():
            raise _file_error(path, f"line {number} is not finite: {line}")
    order = [header.index(c) for c in coordinates]
    measured = [header.index(f) for f in fields]
    return table[:, order], table[:, measured], fields


def _csv_columns(path, header, fields, coordinates):
    """(coordinates, fields) of a CSV file's header, checked against those asked for."""
    columns = ", ".join(header)
    if coordinates is None:
        if fields is None:
            raise _file_error(path, f"has columns {columns}: pass fields=(...) naming the measured ones")
        coordinates = tuple(c for c in header if c not in fields)
    missing = [c for c in coordinates if c not in header]
    if missing:
        raise _file_error(path, f"has columns {columns}; it needs the coordinates {', '.join(coordinates)} (missing {', '.join(missing)})")
    others = tuple(c for c in header if c not in coordinates)
    if fields is None:
        fields = others
    else:
        absent = [f for f in fields if f not in header]
        if absent:
            raise _file_error(path, f"has columns {columns}; no column for the field(s) {', '.join(absent)}")
        extra = [c for c in others if c not in fields]
        if extra:
            raise _file_error(
                path,
                f"has columns {columns}; {', '.join(extra)} is neither a coordinate ({', '.join(coordinates)}) "
                f"nor a measured field ({', '.join(fields)})",
            )
    if not fields:
        raise _file_error(path, f"has columns {columns}: only coordinates ({', '.join(coordinates)}), no measured field")
    if not coordinates:
        raise _file_error(path, f"has columns {columns}: no coordinate column")
    return coordinates, tuple(fields)


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


def bind_fields(conditions: Sequence[Condition], fields: Sequence[str]) -> tuple[Condition, ...]:
    """Every condition bound to the output names ``fields`` (:meth:`Condition.bind`), as
    :class:`pinn.Problem` does when it is built; an error names the condition."""
    out = []
    for name, condition in named(conditions).items():
        try:
            out.append(condition.bind(tuple(fields)))
        except ValueError as err:
            raise ValueError(f"condition {name!r}: {err}") from None
    return tuple(out)
