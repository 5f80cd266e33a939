"""Domains: where the PDE holds, and how to put points in it and on its boundary.

Every domain maps points of the unit cube (from :mod:`pinn.sampling`) onto its
interior and onto its boundary, the latter with outward unit normals. Boundaries are
made of *pieces* (box faces, arcs, polygon edges) picked in proportion to their
measure, so quasi-random points stay evenly spread on the whole boundary.

Space-time domains are products ``space * TimeInterval(t0, t1)``; their points are
``(x, ..., t)`` with time last. ``domain.boundary`` is then the lateral boundary
(spatial boundary times the time interval) and ``domain.initial`` the slice t = t0.

A part of a boundary is selected with a predicate on coordinates::

    left = domain.boundary.where(lambda x: np.isclose(x[0], 0.0))

The predicate receives coordinate arrays ``x[0], x[1], ...`` (one entry per point),
so it reads the same as a condition written for a single point.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

import numpy as np

from pinn.sampling import unit_points

SPACE_NAMES = ("x", "y", "z")


@dataclasses.dataclass(frozen=True)
class _Piece:
    """A part of a boundary: its measure and a map from [0,1)^k to (points, normals)."""

    measure: float
    param_dim: int
    map: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def _map_pieces(pieces: Sequence[_Piece], u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Map unit points onto pieces: u[:, 0] picks a piece by measure, the rest place the point."""
    measures = np.array([p.measure for p in pieces], dtype=float)
    edges = np.cumsum(measures) / measures.sum()
    which = np.minimum(np.searchsorted(edges, u[:, 0], side="right"), len(pieces) - 1)
    points = normals = None
    for i, piece in enumerate(pieces):
        sel = which == i
        if not sel.any():
            continue
        p, n = piece.map(u[sel, 1 : 1 + piece.param_dim])
        if points is None:
            points = np.empty((len(u), p.shape[1]))
            normals = np.empty((len(u), p.shape[1]))
        points[sel], normals[sel] = p, n
    return points, normals


class Domain:
    """Base class of spatial domains (subclasses are frozen dataclasses)."""

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

    def sdf(self, points: np.ndarray) -> np.ndarray:
        """Signed distance (negative inside, zero on the boundary, positive outside).

        Exact for boxes, disks and polygons; a correct-sign bound for sectors.
        """
        raise NotImplementedError

    # -- shared machinery ------------------------------------------------------
    @property
    def coordinate_names(self) -> tuple[str, ...]:
        return SPACE_NAMES[: self.dim] if self.dim <= 3 else tuple(f"x{i}" for i in range(self.dim))

    @property
    def _unit_dim(self) -> int:
        return self.dim

    @property
    def _boundary_unit_dim(self) -> int:
        return 1 + max(p.param_dim for p in self._boundary_pieces())

    def contains(self, points, tol: float = 1e-9) -> np.ndarray:
        """Boolean mask of the points within ``tol`` of the closed domain."""
        return self.sdf(np.atleast_2d(points)) <= tol

    def sample_interior(self, n: int, sampler: str = "sobol", seed: int = 0) -> np.ndarray:
        """``n`` interior points, shape (n, dim)."""
        return _rejection_sample(self._unit_to_interior, self._unit_dim, n, sampler, seed)

    def sample_boundary(self, n: int, sampler: str = "sobol", seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """``n`` boundary points and their outward unit normals, each shape (n, dim)."""
        u = unit_points(n, self._boundary_unit_dim, sampler, seed)
        return _map_pieces(self._boundary_pieces(), u)

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

                pieces.append(_Piece(float(np.prod(span[others])), self.dim - 1, face))
        return pieces

    def sdf(self, points):
        lower, upper = self.bounds
        center, half = (lower + upper) / 2, (upper - lower) / 2
        q = np.abs(points - center) - half
        return np.linalg.norm(np.maximum(q, 0.0), axis=-1) + np.minimum(q.max(axis=-1), 0.0)


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

    def _boundary_pieces(self):
        t0, t1 = self.angles
        span = t1 - t0

        def arc(radius, sign):
            def fn(v):
                theta = t0 + v[:, 0] * span
                unit = np.stack([np.cos(theta), np.sin(theta)], axis=-1)
                return self._polar(radius, theta), sign * unit

            return _Piece(radius * span, 1, fn)

        pieces = [arc(self.outer, 1.0)]
        if self.inner > 0:
            pieces.append(arc(self.inner, -1.0))
        if not self.full:
            for theta, normal in ((t0, (math.sin(t0), -math.cos(t0))), (t1, (-math.sin(t1), math.cos(t1)))):

                def edge(v, theta=theta, normal=normal):
                    r = self.inner + v[:, 0] * (self.outer - self.inner)
                    return self._polar(r, np.full_like(r, theta)), np.tile(normal, (len(r), 1))

                pieces.append(_Piece(self.outer - self.inner, 1, edge))
        return pieces

    def sdf(self, points):
        d = points - np.array(self.center)
        r = np.linalg.norm(d, axis=-1)
        dist = np.maximum(self.inner - r, r - self.outer)
        if not self.full:
            t0, t1 = self.angles
            dist = np.maximum(dist, d @ np.array([math.sin(t0), -math.cos(t0)]))
            dist = np.maximum(dist, d @ np.array([-math.sin(t1), math.cos(t1)]))
        return dist


class Disk(Annulus):
    """The disk |x - center| <= radius."""

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
        if signed_area < 0:  # store counter-clockwise so (dy, -dx) points out
            v = v[::-1]
        object.__setattr__(self, "vertices", tuple(map(tuple, v)))

    @property
    def _v(self):
        return np.asarray(self.vertices)

    @property
    def bounds(self):
        return self._v.min(axis=0), self._v.max(axis=0)

    def _inside(self, points):
        from matplotlib.path import Path  # geometry, not plotting: point-in-polygon

        return Path(self._v).contains_points(points)

    def _unit_to_interior(self, u):
        lower, upper = self.bounds
        points = lower + u * (upper - lower)
        return points, self._inside(points)

    def _boundary_pieces(self):
        v = self._v
        pieces = []
        for a, b in zip(v, np.roll(v, -1, axis=0)):
            length = float(np.linalg.norm(b - a))
            normal = np.array([b[1] - a[1], a[0] - b[0]]) / length

            def edge(s, a=a, b=b, normal=normal):
                return a + s[:, :1] * (b - a), np.tile(normal, (len(s), 1))

            pieces.append(_Piece(length, 1, edge))
        return pieces

    def sdf(self, points):
        v = self._v
        a, b = v, np.roll(v, -1, axis=0)
        ab = b - a
        ap = points[:, None, :] - a[None]
        s = np.clip(np.sum(ap * ab, -1) / np.sum(ab * ab, -1), 0.0, 1.0)
        dist = np.linalg.norm(ap - s[..., None] * ab, axis=-1).min(axis=1)
        return np.where(self._inside(points), -dist, dist)


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

    def sample_boundary(self, n, sampler="sobol", seed=0):
        """Lateral boundary: spatial boundary points x times; normals have no time part."""
        u = unit_points(n, self._boundary_unit_dim, sampler, seed)
        points, normals = _map_pieces(self.space._boundary_pieces(), u[:, :-1])
        return np.column_stack([points, self._times(u[:, -1])]), np.column_stack([normals, np.zeros(n)])

    def sample_initial(self, n: int, sampler: str = "sobol", seed: int = 0) -> np.ndarray:
        """``n`` points of the initial slice (x, t0), x in the spatial domain."""
        space = self.space.sample_interior(n, sampler, seed)
        return np.column_stack([space, np.full(n, self.time.t0)])

    def sdf(self, points):
        t = points[:, -1]
        return np.maximum(self.space.sdf(points[:, :-1]), np.maximum(self.time.t0 - t, t - self.time.t1))

    def grid(self, n=101, n_time: int | None = None):
        """Spatial grid (``n`` per axis) times ``n_time`` (default ``n``) instants, time last."""
        space = self.space.grid(n)
        times = np.linspace(self.time.t0, self.time.t1, n if n_time is None else n_time)
        return np.column_stack([np.tile(space, (len(times), 1)), np.repeat(times, len(space))])


@dataclasses.dataclass(frozen=True)
class BoundarySet:
    """The boundary of a domain, or the part of it where ``predicate`` holds."""

    domain: Domain
    predicate: Callable | None = None

    def where(self, predicate: Callable) -> "BoundarySet":
        """The part of this boundary set where ``predicate(x)`` is true (x[0], x[1], ... per point)."""
        if self.predicate is None:
            return BoundarySet(self.domain, predicate)
        first = self.predicate
        return BoundarySet(self.domain, lambda x: np.logical_and(first(x), predicate(x)))

    def select(self, points: np.ndarray) -> np.ndarray:
        if self.predicate is None:
            return np.ones(len(points), dtype=bool)
        mask = np.broadcast_to(np.asarray(self.predicate(points.T), dtype=bool), (len(points),))
        return mask

    def sample(self, n: int, sampler: str = "sobol", seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """``n`` points of this boundary set and their outward unit normals."""
        if n <= 0:
            raise ValueError(f"number of points must be positive, got {n}")
        m = n
        for _ in range(20):
            points, normals = self.domain.sample_boundary(m, sampler, seed)
            keep = self.select(points)
            if keep.sum() >= n:
                return points[keep][:n], normals[keep][:n]
            if m >= 4096 and not keep.any():
                lower, upper = self.domain.bounds
                raise ValueError(
                    f"the boundary predicate selects none of {m} sampled boundary points; "
                    f"check the coordinate and value it tests (the domain spans {lower.tolist()} to {upper.tolist()})"
                )
            m = int(math.ceil(1.2 * n * m / max(keep.sum(), 1))) + 16 if keep.any() else max(4 * m, 4096)
        raise ValueError("the boundary predicate selects too small a part of the boundary to sample")
