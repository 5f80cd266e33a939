"""Domains: where the PDE holds, and how to put points in it and on its boundary.

Every domain maps points of the unit cube (from :mod:`pinn.sampling`) onto its
interior and onto its boundary, the latter with outward unit normals. Boundaries are
made of *pieces* (box faces, arcs, polygon edges) picked in proportion to their
measure, so quasi-random points stay evenly spread on the whole boundary.

Space-time domains are products ``space * TimeInterval(t0, t1)``; their points are
``(x, ..., t)`` with time last. ``domain.boundary`` is then the lateral boundary
(spatial boundary times the time interval) and ``domain.sample_initial(n)`` samples the slice t = t0.

A part of a boundary is selected with a predicate on coordinates::

    left = domain.boundary.where(lambda x: np.isclose(x[0], 0.0))

The predicate receives coordinate arrays ``x[0], x[1], ...`` (one entry per point),
so it reads the same as a condition written for a single point.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

from pinn.sampling import unit_points

SPACE_NAMES = ("x", "y", "z")


@dataclasses.dataclass(frozen=True)
class _Piece:
    """A part of a boundary: its measure, a map from [0,1)^k to (points, normals), its label."""

    measure: float
    param_dim: int
    map: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
    label: str = ""


def _xp(points):
    """The array module of ``points``: signed distances run in NumPy or, traced, in JAX."""
    return jnp if isinstance(points, jax.Array) else np


def _norm(xp, v):
    """|v| along the last axis with a finite gradient at v = 0 (where JAX's norm gives NaN)."""
    s = (v * v).sum(axis=-1)
    positive = s > 0
    return xp.where(positive, xp.sqrt(xp.where(positive, s, 1.0)), 0.0)


def _scale(domain) -> float:
    lower, upper = domain.bounds
    return float(max(np.max(np.asarray(upper) - np.asarray(lower)), 1e-300))


class Domain:
    """Base class of spatial domains (subclasses are frozen dataclasses).

    Domains combine by constructive solid geometry: ``a | b`` (union), ``a & b``
    (intersection) and ``a - b`` (difference), in any dimension, and the result times
    a :class:`TimeInterval`. A boundary is made of labelled *parts* (box faces
    ``x_min``, ``y_max``, ...; polygon edges ``edge0``, ...; arcs ``circle``, ``outer``,
    ``inner``); a combined domain keeps the parts of its operands, so a condition can
    be put on ``domain.boundary.part("circle")`` or ``domain.boundary.of(hole)``.
    """

    dim: int
    time_dependent = False

    # -- what subclasses provide ------------------------------------------------
    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper corners of the bounding box."""
        raise NotImplementedError

    def _unit_to_interior(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Map unit points to candidate interior points and a mask of those kept."""
        raise NotImplementedError

    def _boundary_pieces(self) -> list[_Piece]:
        raise NotImplementedError

    def sdf(self, points):
        """Signed distance (negative inside, zero on the boundary, positive outside).

        ``points`` has shape (..., dim); a NumPy array gives a NumPy result, a JAX
        array (or a tracer, under ``jax.jit``/``jax.grad``) a JAX result. Exact for boxes,
        disks and polygons; for sectors and combined domains exact on the boundary and a
        bound of the right sign elsewhere.
        """
        raise NotImplementedError

    # -- boundary parts and candidates (pieces by default; combined domains override) ----
    def _parts(self) -> tuple[tuple[str, tuple], ...]:
        """(label, owners) of every boundary part; owners are the domains it comes from."""
        return tuple((piece.label, (self,)) for piece in self._boundary_pieces())

    def _candidate_measure(self, parts: np.ndarray | None) -> float:
        pieces = self._boundary_pieces()
        return float(sum(p.measure for i, p in enumerate(pieces) if parts is None or parts[i]))

    @property
    def _boundary_unit_dim(self) -> int:
        return 1 + max(p.param_dim for p in self._boundary_pieces())

    def _candidates(self, u: np.ndarray, parts: np.ndarray | None = None):
        """Map unit points onto the boundary parts selected by the mask ``parts``:
        (points, outward normals, part index, kept). Candidates are uniform in measure
        on the selected parts; a combined domain keeps those on its own boundary."""
        pieces = self._boundary_pieces()
        chosen = [i for i in range(len(pieces)) if parts is None or parts[i]]
        measures = np.array([pieces[i].measure for i in chosen], dtype=float)
        edges = np.cumsum(measures) / measures.sum()
        which = np.minimum(np.searchsorted(edges, u[:, 0], side="right"), len(chosen) - 1)
        points = np.empty((len(u), self.dim))
        normals = np.empty((len(u), self.dim))
        ids = np.empty(len(u), dtype=int)
        for k, i in enumerate(chosen):
            sel = which == k
            if sel.any():
                points[sel], normals[sel] = pieces[i].map(u[sel, 1 : 1 + pieces[i].param_dim])
                ids[sel] = i
        return points, normals, ids, np.ones(len(u), dtype=bool)

    # -- shared machinery ------------------------------------------------------
    @property
    def coordinate_names(self) -> tuple[str, ...]:
        return SPACE_NAMES[: self.dim] if self.dim <= 3 else tuple(f"x{i}" for i in range(self.dim))

    @property
    def _unit_dim(self) -> int:
        return self.dim

    @property
    def boundary_labels(self) -> tuple[str, ...]:
        """Labels of the boundary parts, in order (a label may repeat in a combined domain)."""
        return tuple(label for label, _ in self._parts())

    def contains(self, points, tol: float = 1e-9) -> np.ndarray:
        """Boolean mask of the points within ``tol`` of the closed domain."""
        return self.sdf(np.atleast_2d(points)) <= tol

    def sample_interior(self, n: int, sampler: str = "sobol", seed: int = 0) -> np.ndarray:
        """``n`` interior points, shape (n, dim)."""
        return _rejection_sample(self._unit_to_interior, self._unit_dim, n, sampler, seed)

    def sample_boundary(self, n: int, sampler: str = "sobol", seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """``n`` boundary points and their outward unit normals, each shape (n, dim)."""
        points, normals, _ = self._sample_boundary(n, sampler, seed)
        return points, normals

    def _sample_boundary(self, n, sampler="sobol", seed=0, parts=None):
        """``n`` points uniform on the selected boundary parts: (points, normals, part index)."""
        if n <= 0:
            raise ValueError(f"number of points must be positive, got {n}")
        m = n
        for _ in range(30):
            points, normals, ids, keep = self._candidates(unit_points(m, self._boundary_unit_dim, sampler, seed), parts)
            if keep.sum() >= n:
                return points[keep][:n], normals[keep][:n], ids[keep][:n]
            fraction = max(int(keep.sum()), 1) / m
            m = int(math.ceil(1.2 * n / fraction)) + 16
        raise ValueError(f"could not place points on the selected boundary of {self!r}; is it empty?")

    def grid(self, n: int | Sequence[int] = 101) -> np.ndarray:
        """A regular grid of the bounding box (``n`` per axis) clipped to the domain."""
        lower, upper = self.bounds
        counts = (n,) * self.dim if np.isscalar(n) else tuple(n)
        axes = [np.linspace(lo, hi, c) for lo, hi, c in zip(lower, upper, counts)]
        points = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, self.dim)
        return points[self.contains(points)]

    @property
    def boundary(self) -> "BoundarySet":
        return BoundarySet(self)

    def __mul__(self, other):
        if isinstance(other, TimeInterval):
            return SpaceTime(self, other)
        return NotImplemented

    def __or__(self, other):
        return _combine(Union, self, other)

    def __and__(self, other):
        return _combine(Intersection, self, other)

    def __sub__(self, other):
        return _combine(Difference, self, other)


def _combine(kind, a, b):
    if not isinstance(b, Domain):
        return NotImplemented
    if isinstance(a, SpaceTime) or isinstance(b, SpaceTime):
        if not (isinstance(a, SpaceTime) and isinstance(b, SpaceTime)):
            raise ValueError(
                f"cannot combine a space-time domain with a spatial one ({a!r}, {b!r}); "
                "combine the spatial domains, then multiply by the TimeInterval"
            )
        if a.time != b.time:
            raise ValueError(f"space-time domains combine only over the same time interval, got {a.time} and {b.time}")
        return SpaceTime(kind(a.space, b.space), a.time)
    return kind(a, b)


def _rejection_sample(unit_map, unit_dim, n, sampler, seed):
    """Draw until ``n`` mapped unit points are kept; exact maps keep all in one draw."""
    if n <= 0:
        raise ValueError(f"number of points must be positive, got {n}")
    m = n
    for _ in range(30):
        points, keep = unit_map(unit_points(m, unit_dim, sampler, seed))
        kept = points[keep]
        if len(kept) >= n:
            return kept[:n]
        fraction = max(len(kept), 1) / m
        m = int(math.ceil(1.2 * n / fraction)) + 16
    raise ValueError("could not place points inside the domain; is it empty?")


def _as_floats(name, values, dim=None) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in np.ravel(np.asarray(values, dtype=object)))
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numbers, got {values!r}") from None
    if dim is not None and len(values) != dim:
        raise ValueError(f"{name} must have {dim} values, got {len(values)}: {values}")
    if not all(np.isfinite(values)):
        raise ValueError(f"{name} must be finite, got {values}")
    return values


@dataclasses.dataclass(frozen=True)
class Box(Domain):
    """The axis-aligned box [lower_0, upper_0] x ... x [lower_{d-1}, upper_{d-1}]."""

    lower: tuple[float, ...]
    upper: tuple[float, ...]

    def __post_init__(self):
        lower = _as_floats("lower", self.lower)
        upper = _as_floats("upper", self.upper, len(lower))
        for i, (lo, hi) in enumerate(zip(lower, upper)):
            if not lo < hi:
                raise ValueError(f"lower bound {lo} must be below upper bound {hi} on axis {i}")
        object.__setattr__(self, "lower", lower)
        object.__setattr__(self, "upper", upper)

    @property
    def dim(self) -> int:
        return len(self.lower)

    @property
    def bounds(self):
        return np.array(self.lower), np.array(self.upper)

    def _unit_to_interior(self, u):
        lower, upper = self.bounds
        return lower + u * (upper - lower), np.ones(len(u), dtype=bool)

    def _boundary_pieces(self):
        lower, upper = self.bounds
        span = upper - lower
        names = self.coordinate_names
        pieces = []
        for axis in range(self.dim):
            others = [a for a in range(self.dim) if a != axis]
            for side, value in ((-1.0, lower[axis]), (1.0, upper[axis])):

                def face(v, axis=axis, others=others, side=side, value=value):
                    p = np.empty((len(v), self.dim))
                    p[:, axis] = value
                    p[:, others] = lower[others] + v * span[others]
                    n = np.zeros_like(p)
                    n[:, axis] = side
                    return p, n

                label = f"{names[axis]}_{'min' if side < 0 else 'max'}"
                pieces.append(_Piece(float(np.prod(span[others])), self.dim - 1, face, label))
        return pieces

    def sdf(self, points):
        xp = _xp(points)
        lower, upper = self.bounds
        center, half = (lower + upper) / 2, (upper - lower) / 2
        q = xp.abs(points - center) - half
        return _norm(xp, xp.maximum(q, 0.0)) + xp.minimum(q.max(axis=-1), 0.0)


class Interval(Box):
    """The interval [a, b]."""

    def __init__(self, a: float, b: float):
        super().__init__((a,), (b,))

    def __repr__(self):
        return f"Interval({self.lower[0]}, {self.upper[0]})"


class Rectangle(Box):
    """The rectangle [x0, x1] x [y0, y1], given as corners ``(x0, y0)``, ``(x1, y1)``."""

    def __init__(self, lower: Sequence[float], upper: Sequence[float]):
        super().__init__(_as_floats("lower", lower, 2), _as_floats("upper", upper, 2))


class Box3D(Box):
    """The box [x0, x1] x [y0, y1] x [z0, z1], given as corners."""

    def __init__(self, lower: Sequence[float], upper: Sequence[float]):
        super().__init__(_as_floats("lower", lower, 3), _as_floats("upper", upper, 3))


@dataclasses.dataclass(frozen=True)
class Annulus(Domain):
    """The ring inner <= |x - center| <= outer, optionally cut to the sector
    ``angles[0] <= theta <= angles[1]`` (at most half a turn, or the full circle).

    With a sector the boundary has four pieces: the outer arc, the inner arc and the
    two straight edges along the bounding rays.
    """

    center: tuple[float, float] = (0.0, 0.0)
    inner: float = 0.5
    outer: float = 1.0
    angles: tuple[float, float] = (0.0, 2 * math.pi)

    dim = 2

    def __post_init__(self):
        object.__setattr__(self, "center", _as_floats("center", self.center, 2))
        object.__setattr__(self, "angles", _as_floats("angles", self.angles, 2))
        if not 0.0 <= self.inner < self.outer:
            raise ValueError(f"need 0 <= inner < outer, got inner={self.inner}, outer={self.outer}")
        span = self.angles[1] - self.angles[0]
        if not (0 < span <= math.pi or math.isclose(span, 2 * math.pi)):
            raise ValueError(f"angles must span (0, pi] or the full circle 2*pi, got {self.angles}")

    @property
    def full(self) -> bool:
        return math.isclose(self.angles[1] - self.angles[0], 2 * math.pi)

    @property
    def bounds(self):
        c = np.array(self.center)
        if self.full:
            return c - self.outer, c + self.outer
        theta = np.linspace(*self.angles, 2001)
        ring = np.concatenate([r * np.stack([np.cos(theta), np.sin(theta)], -1) for r in (self.inner, self.outer)])
        return c + ring.min(axis=0), c + ring.max(axis=0)

    def _polar(self, r, theta):
        return np.array(self.center) + np.stack([r * np.cos(theta), r * np.sin(theta)], axis=-1)

    def _unit_to_interior(self, u):
        # r = sqrt(a^2 + u (b^2 - a^2)) makes the points uniform in area.
        r = np.sqrt(self.inner**2 + u[:, 0] * (self.outer**2 - self.inner**2))
        theta = self.angles[0] + u[:, 1] * (self.angles[1] - self.angles[0])
        return self._polar(r, theta), np.ones(len(u), dtype=bool)

    _outer_label = "outer"

    def _boundary_pieces(self):
        t0, t1 = self.angles
        span = t1 - t0

        def arc(radius, sign, label):
            def fn(v):
                theta = t0 + v[:, 0] * span
                unit = np.stack([np.cos(theta), np.sin(theta)], axis=-1)
                return self._polar(radius, theta), sign * unit

            return _Piece(radius * span, 1, fn, label)

        pieces = [arc(self.outer, 1.0, self._outer_label)]
        if self.inner > 0:
            pieces.append(arc(self.inner, -1.0, "inner"))
        if not self.full:
            for theta, normal, label in (
                (t0, (math.sin(t0), -math.cos(t0)), "start"),
                (t1, (-math.sin(t1), math.cos(t1)), "end"),
            ):

                def edge(v, theta=theta, normal=normal):
                    r = self.inner + v[:, 0] * (self.outer - self.inner)
                    return self._polar(r, np.full_like(r, theta)), np.tile(normal, (len(r), 1))

                pieces.append(_Piece(self.outer - self.inner, 1, edge, label))
        return pieces

    def sdf(self, points):
        xp = _xp(points)
        d = points - np.array(self.center)
        r = _norm(xp, d)
        # A disk (inner = 0) has no inner edge: max(-r, r - outer) would read ~0 at its centre.
        dist = xp.maximum(self.inner - r, r - self.outer) if self.inner > 0 else r - self.outer
        if not self.full:
            t0, t1 = self.angles
            dist = xp.maximum(dist, d @ np.array([math.sin(t0), -math.cos(t0)]))
            dist = xp.maximum(dist, d @ np.array([-math.sin(t1), math.cos(t1)]))
        return dist


class Disk(Annulus):
    """The disk |x - center| <= radius; its boundary part is labelled ``circle``."""

    _outer_label = "circle"

    def __init__(self, center: Sequence[float] = (0.0, 0.0), radius: float = 1.0):
        if not radius > 0:
            raise ValueError(f"radius must be positive, got {radius}")
        super().__init__(center, 0.0, radius)

    def __repr__(self):
        return f"Disk(center={self.center}, radius={self.outer})"


def _first_crossing(v: np.ndarray) -> tuple[int, int] | None:
    """The first pair of non-adjacent edges of the closed polyline ``v`` that intersect."""
    n = len(v)
    edges = [(v[k], v[(k + 1) % n]) for k in range(n)]

    def orient(a, b, c):
        return np.sign((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))

    def on_segment(a, b, c):  # c collinear with a-b: is it within the segment?
        return min(a[0], b[0]) <= c[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= c[1] <= max(a[1], b[1])

    for i in range(n):
        for j in range(i + 1, n):
            if j == i + 1 or (i == 0 and j == n - 1):
                continue  # neighbours share a vertex
            (p, q), (r, s) = edges[i], edges[j]
            o1, o2, o3, o4 = orient(p, q, r), orient(p, q, s), orient(r, s, p), orient(r, s, q)
            if (o1 != o2 and o3 != o4) or (
                (o1 == 0 and on_segment(p, q, r))
                or (o2 == 0 and on_segment(p, q, s))
                or (o3 == 0 and on_segment(r, s, p))
                or (o4 == 0 and on_segment(r, s, q))
            ):
                return i, j
    return None


@dataclasses.dataclass(frozen=True)
class Polygon(Domain):
    """A simple polygon given by its vertices in order (either orientation)."""

    vertices: tuple[tuple[float, float], ...]

    dim = 2

    def __post_init__(self):
        v = np.asarray(self.vertices, dtype=float)
        if v.ndim != 2 or v.shape[1] != 2 or len(v) < 3:
            raise ValueError(f"a polygon needs at least 3 vertices of 2 coordinates, got shape {v.shape}")
        x, y = v[:, 0], v[:, 1]
        signed_area = 0.5 * np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y)
        crossing = _first_crossing(v)
        if crossing is not None:
            i, j = crossing
            raise ValueError(
                f"polygon edges {i} and {j} cross (edge k joins vertex k to vertex k+1); "
                f"give the vertices of a simple polygon in boundary order"
            )
        if abs(signed_area) < 1e-14:
            raise ValueError("polygon has zero area")
        # Edge k joins the given vertices k and k+1; its label keeps that number.
        labels = tuple(f"edge{k}" for k in range(len(v)))
        if signed_area < 0:  # store counter-clockwise so (dy, -dx) points out
            v = v[::-1]
            labels = tuple(f"edge{(len(v) - 2 - k) % len(v)}" for k in range(len(v)))
        object.__setattr__(self, "vertices", tuple(map(tuple, v)))
        object.__setattr__(self, "_edge_labels", labels)

    @property
    def _v(self):
        return np.asarray(self.vertices)

    @property
    def bounds(self):
        return self._v.min(axis=0), self._v.max(axis=0)

    def _inside(self, points):
        """Crossing-number point-in-polygon test, NumPy or JAX (a ray towards +x)."""
        xp = _xp(points)
        a, b = self._v, np.roll(self._v, -1, axis=0)
        px, py = points[..., None, 0], points[..., None, 1]
        straddles = (a[:, 1] > py) != (b[:, 1] > py)
        dy = np.where(b[:, 1] == a[:, 1], 1.0, b[:, 1] - a[:, 1])
        x_cross = a[:, 0] + (py - a[:, 1]) * (b[:, 0] - a[:, 0]) / dy
        crossings = (straddles & (px < x_cross)).sum(axis=-1)
        return crossings % 2 == 1

    def _unit_to_interior(self, u):
        lower, upper = self.bounds
        points = lower + u * (upper - lower)
        return points, self._inside(points)

    def _boundary_pieces(self):
        v = self._v
        pieces = []
        for a, b, label in zip(v, np.roll(v, -1, axis=0), self._edge_labels):
            length = float(np.linalg.norm(b - a))
            normal = np.array([b[1] - a[1], a[0] - b[0]]) / length

            def edge(s, a=a, b=b, normal=normal):
                return a + s[:, :1] * (b - a), np.tile(normal, (len(s), 1))

            pieces.append(_Piece(length, 1, edge, label))
        return pieces

    def sdf(self, points):
        xp = _xp(points)
        v = self._v
        a, b = v, np.roll(v, -1, axis=0)
        ab = b - a
        ap = points[..., None, :] - a
        s = xp.clip((ap * ab).sum(axis=-1) / (ab * ab).sum(axis=-1), 0.0, 1.0)
        dist = _norm(xp, ap - s[..., None] * ab).min(axis=-1)
        return xp.where(self._inside(points), -dist, dist)


@dataclasses.dataclass(frozen=True)
class _Combined(Domain):
    """Constructive solid geometry of two domains of one dimension (``a | b``, ``a & b``, ``a - b``).

    Interior points are drawn from the bounding box and kept where the signed distance
    is negative, so they are uniform on the result. Boundary candidates are drawn from
    both operands' boundaries in proportion to their measure and kept where they lie on
    the result's boundary, so boundary points are uniform on it too; each keeps the part
    label of the operand it came from (and ``b``'s normals flip in a difference).
    """

    a: Domain
    b: Domain

    _op = "?"

    def __post_init__(self):
        for name, operand in (("a", self.a), ("b", self.b)):
            if not isinstance(operand, Domain) or isinstance(operand, SpaceTime):
                raise ValueError(f"operand {name} of {self._op!r} must be a spatial pinn domain, got {operand!r}")
        if self.a.dim != self.b.dim:
            raise ValueError(
                f"cannot combine a {self.a.dim}-dimensional domain with a {self.b.dim}-dimensional one: {self.a!r} {self._op} {self.b!r}"
            )
        self._check_not_empty()

    def _check_not_empty(self):
        pass

    def __repr__(self):
        return f"({self.a!r} {self._op} {self.b!r})"

    @property
    def dim(self) -> int:
        return self.a.dim

    def _unit_to_interior(self, u):
        lower, upper = self.bounds
        points = lower + u * (upper - lower)
        return points, self.sdf(points) <= 0

    def _parts(self):
        return tuple((label, (*owners, self)) for label, owners in (*self.a._parts(), *self.b._parts()))

    def _split(self, parts):
        if parts is None:
            return None, None
        k = len(self.a._parts())
        return parts[:k], parts[k:]

    def _candidate_measure(self, parts):
        pa, pb = self._split(parts)
        return self.a._candidate_measure(pa) + self.b._candidate_measure(pb)

    @property
    def _boundary_unit_dim(self):
        return max(self.a._boundary_unit_dim, self.b._boundary_unit_dim)

    def _candidates(self, u, parts=None):
        pa, pb = self._split(parts)
        ma, mb = self.a._candidate_measure(pa), self.b._candidate_measure(pb)
        share = ma / (ma + mb)
        # u[:, 0] picks the operand; rescaled, it is again uniform on [0, 1) for the operand's own choice.
        from_a = u[:, 0] < share
        points = np.empty((len(u), self.dim))
        normals = np.empty((len(u), self.dim))
        ids = np.empty(len(u), dtype=int)
        keep = np.zeros(len(u), dtype=bool)
        tol, eps = 1e-10 * _scale(self), 1e-6 * _scale(self)
        if from_a.any():
            v = u[from_a, : self.a._boundary_unit_dim].copy()
            v[:, 0] = v[:, 0] / share
            p, n, i, k = self.a._candidates(v, pa)
            points[from_a], normals[from_a], ids[from_a] = p, n, i
            keep[from_a] = k & self._keep_from_a(p, n, tol, eps)
        if (~from_a).any():
            v = u[~from_a, : self.b._boundary_unit_dim].copy()
            v[:, 0] = np.minimum((v[:, 0] - share) / (1.0 - share), np.nextafter(1.0, 0.0))
            p, n, i, k = self.b._candidates(v, pb)
            n = self._b_normals(n)
            points[~from_a], normals[~from_a], ids[~from_a] = p, n, i + len(self.a._parts())
            keep[~from_a] = k & self._keep_from_b(p, tol)
        return points, normals, ids, keep

    def _b_normals(self, normals):
        return normals


class Union(_Combined):
    """``a | b``: points in either domain."""

    _op = "|"

    @property
    def bounds(self):
        (la, ua), (lb, ub) = self.a.bounds, self.b.bounds
        return np.minimum(la, lb), np.maximum(ua, ub)

    def sdf(self, points):
        return _xp(points).minimum(self.a.sdf(points), self.b.sdf(points))

    def _keep_from_a(self, p, n, tol, eps):
        # Outside b; on a face shared with b, once (from a), when both lie on its inner side.
        sb = self.b.sdf(p)
        return (sb > tol) | ((np.abs(sb) <= tol) & (self.b.sdf(p + eps * n) > 0))

    def _keep_from_b(self, p, tol):
        return self.a.sdf(p) > tol


class Intersection(_Combined):
    """``a & b``: points in both domains."""

    _op = "&"

    @property
    def bounds(self):
        (la, ua), (lb, ub) = self.a.bounds, self.b.bounds
        return np.maximum(la, lb), np.minimum(ua, ub)

    def _check_not_empty(self):
        lower, upper = self.bounds
        inside = np.all(lower < upper) and (self.b.sdf(self.a.sample_interior(4096, "halton", 0)) < 0).any()
        if not inside:
            raise ValueError(f"the intersection {self.a!r} & {self.b!r} is empty: the domains do not overlap")

    def sdf(self, points):
        return _xp(points).maximum(self.a.sdf(points), self.b.sdf(points))

    def _keep_from_a(self, p, n, tol, eps):
        # Inside b; on a shared face, once (from a), when both lie on its inner side.
        sb = self.b.sdf(p)
        return (sb < -tol) | ((np.abs(sb) <= tol) & (self.b.sdf(p - eps * n) < 0))

    def _keep_from_b(self, p, tol):
        return self.a.sdf(p) < -tol


class Difference(_Combined):
    """``a - b``: points of ``a`` not in ``b``; ``b``'s boundary inside ``a`` has its normals flipped."""

    _op = "-"

    @property
    def bounds(self):
        return self.a.bounds

    def _check_not_empty(self):
        if np.all(self.b.sdf(self.a.sample_interior(4096, "halton", 0)) <= 0):
            raise ValueError(f"the difference {self.a!r} - {self.b!r} is empty: {self.b!r} covers {self.a!r}")

    def sdf(self, points):
        return _xp(points).maximum(self.a.sdf(points), -self.b.sdf(points))

    def _keep_from_a(self, p, n, tol, eps):
        # Outside b; on a face shared with b, when b lies across it (a's inner side is outside b).
        sb = self.b.sdf(p)
        return (sb > tol) | ((np.abs(sb) <= tol) & (self.b.sdf(p - eps * n) > 0))

    def _keep_from_b(self, p, tol):
        return self.a.sdf(p) < -tol

    def _b_normals(self, normals):
        return -normals


@dataclasses.dataclass(frozen=True)
class TimeInterval:
    """The time interval [t0, t1]; multiply a spatial domain by it."""

    t0: float
    t1: float

    def __post_init__(self):
        t0, t1 = _as_floats("time interval", (self.t0, self.t1))
        if not t0 < t1:
            raise ValueError(f"time interval start {t0} must be below its end {t1}")
        object.__setattr__(self, "t0", t0)
        object.__setattr__(self, "t1", t1)


@dataclasses.dataclass(frozen=True)
class SpaceTime(Domain):
    """The product of a spatial domain and a time interval; points are (x, ..., t)."""

    space: Domain
    time: TimeInterval

    time_dependent = True

    @property
    def dim(self) -> int:
        return self.space.dim + 1

    @property
    def coordinate_names(self):
        return (*self.space.coordinate_names, "t")

    @property
    def bounds(self):
        lower, upper = self.space.bounds
        return np.append(lower, self.time.t0), np.append(upper, self.time.t1)

    def _times(self, s):
        return self.time.t0 + s * (self.time.t1 - self.time.t0)

    def _unit_to_interior(self, u):
        points, keep = self.space._unit_to_interior(u[:, :-1])
        return np.column_stack([points, self._times(u[:, -1])]), keep

    @property
    def _boundary_unit_dim(self):
        return self.space._boundary_unit_dim + 1

    def _parts(self):
        return self.space._parts()

    def _candidate_measure(self, parts):
        return self.space._candidate_measure(parts) * (self.time.t1 - self.time.t0)

    def _candidates(self, u, parts=None):
        """Lateral boundary: spatial boundary points x times; normals have no time part."""
        points, normals, ids, keep = self.space._candidates(u[:, :-1], parts)
        times = self._times(u[:, -1])
        return np.column_stack([points, times]), np.column_stack([normals, np.zeros(len(u))]), ids, keep

    def sample_initial(self, n: int, sampler: str = "sobol", seed: int = 0) -> np.ndarray:
        """``n`` points of the initial slice (x, t0), x in the spatial domain."""
        space = self.space.sample_interior(n, sampler, seed)
        return np.column_stack([space, np.full(n, self.time.t0)])

    def sdf(self, points):
        xp = _xp(points)
        t = points[..., -1]
        return xp.maximum(self.space.sdf(points[..., :-1]), xp.maximum(self.time.t0 - t, t - self.time.t1))

    def grid(self, n=101, n_time: int | None = None):
        """Spatial grid (``n`` per axis) times ``n_time`` (default ``n``) instants, time last."""
        space = self.space.grid(n)
        times = np.linspace(self.time.t0, self.time.t1, n if n_time is None else n_time)
        return np.column_stack([np.tile(space, (len(times), 1)), np.repeat(times, len(space))])


@dataclasses.dataclass(frozen=True)
class BoundarySet:
    """The boundary of a domain, or the part of it selected by labelled parts
    (:meth:`part`, :meth:`of`) and/or a ``predicate`` on coordinates (:meth:`where`)."""

    domain: Domain
    predicate: Callable | None = None
    parts: tuple[int, ...] | None = None

    def where(self, predicate: Callable) -> "BoundarySet":
        """The part of this boundary set where ``predicate(x)`` is true (x[0], x[1], ... per point)."""
        if self.predicate is None:
            return dataclasses.replace(self, predicate=predicate)
        first = self.predicate
        return dataclasses.replace(self, predicate=lambda x: np.logical_and(first(x), predicate(x)))

    def _narrow(self, chosen: set[int]) -> "BoundarySet":
        if self.parts is not None:
            chosen &= set(self.parts)
        if not chosen:
            raise ValueError(f"no boundary part of {self.domain!r} is left in this selection")
        return dataclasses.replace(self, parts=tuple(sorted(chosen)))

    def part(self, *labels: str) -> "BoundarySet":
        """The boundary parts with these labels (see ``domain.boundary_labels``)."""
        valid = self.domain.boundary_labels
        for label in labels:
            if label not in valid:
                raise ValueError(
                    f"unknown boundary part {label!r} of {self.domain!r}; valid parts: {', '.join(dict.fromkeys(valid))}"
                )
        return self._narrow({i for i, label in enumerate(valid) if label in labels})

    def of(self, *operands: Domain) -> "BoundarySet":
        """The boundary parts that come from these operands of a combined domain
        (e.g. ``(plate - hole).boundary.of(hole)``: the hole's edge)."""
        parts = self.domain._parts()
        for operand in operands:
            if not any(operand in owners for _, owners in parts):
                raise ValueError(f"{operand!r} is not an operand of {self.domain!r}")
        return self._narrow({i for i, (_, owners) in enumerate(parts) if any(o in owners for o in operands)})

    @property
    def labels(self) -> tuple[str, ...]:
        """Labels of the parts in this set."""
        labels = self.domain.boundary_labels
        return labels if self.parts is None else tuple(labels[i] for i in self.parts)

    def _mask(self):
        if self.parts is None:
            return None
        mask = np.zeros(len(self.domain._parts()), dtype=bool)
        mask[list(self.parts)] = True
        return mask

    def select(self, points: np.ndarray) -> np.ndarray:
        if self.predicate is None:
            return np.ones(len(points), dtype=bool)
        mask = np.broadcast_to(np.asarray(self.predicate(points.T), dtype=bool), (len(points),))
        return mask

    def sample(self, n: int, sampler: str = "sobol", seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """``n`` points of this boundary set and their outward unit normals."""
        points, normals, _ = self.sample_labelled(n, sampler, seed)
        return points, normals

    def sample_labelled(self, n: int, sampler: str = "sobol", seed: int = 0):
        """``n`` points, their outward unit normals and the label of the part each lies on."""
        if n <= 0:
            raise ValueError(f"number of points must be positive, got {n}")
        mask = self._mask()
        labels = np.array(self.domain.boundary_labels, dtype=object)
        m = n
        for _ in range(20):
            points, normals, ids = self.domain._sample_boundary(m, sampler, seed, mask)
            keep = self.select(points)
            if keep.sum() >= n:
                return points[keep][:n], normals[keep][:n], labels[ids[keep][:n]]
            if m >= 4096 and not keep.any():
                lower, upper = self.domain.bounds
                raise ValueError(
                    f"the boundary predicate selects none of {m} sampled boundary points; "
                    f"check the coordinate and value it tests (the domain spans {lower.tolist()} to {upper.tolist()})"
                )
            m = int(math.ceil(1.2 * n * m / max(keep.sum(), 1))) + 16 if keep.any() else max(4 * m, 4096)
        raise ValueError("the boundary predicate selects too small a part of the boundary to sample")
