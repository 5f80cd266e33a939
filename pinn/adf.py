r"""Hard Dirichlet conditions from geometry: approximate distance functions (ADFs).

:func:`hard_dirichlet` returns an ``output_transform`` for :class:`pinn.Problem` that
makes the network's field equal ``g`` on chosen boundary parts whatever its weights:

.. math::  u(x) = g(x) + \phi(x)\, N(x),

with :math:`\phi = 0` on the chosen parts and :math:`\phi > 0` inside the domain
(Sukumar & Srivastava 2022, "Exact imposition of boundary conditions with distance
functions in physics-informed deep neural networks", CMAME 389). :math:`\phi` is
built from one smooth function per boundary curve, joined by R-equivalence

.. math::  \phi = \Big(\sum_i \phi_i^{-m}\Big)^{-1/m},

which is zero where any :math:`\phi_i` is and normalized to order ``m``
(:math:`\partial\phi/\partial n = -1` on a chosen part, away from its ends).

The curve functions:

* box face :math:`x_k = a`: the plane distance :math:`|x_k - a|` (a box is convex, so the
  plane meets it only in that face);
* segment :math:`x_1 x_2` (length :math:`L`, midpoint :math:`x_c`): with the line distance
  :math:`f = (x - x_1) \times (x_2 - x_1) / L` and the trimming disk
  :math:`t = ((L/2)^2 - |x - x_c|^2) / L`, :math:`\varphi = \sqrt{t^2 + f^4}`,
  :math:`\phi_i = \sqrt{f^2 + ((\varphi - t)/2)^2}`, zero on the segment only;
* circle of radius :math:`R`: :math:`|R^2 - |x - c|^2| / (2R)`; an arc (at most a quarter
  turn) is that circle function trimmed by its chord's half-plane, as for a segment.

Combined 2D domains (``a - b``, ``a | b``, ``a & b`` of rectangles, polygons, disks
and annuli) are first cut into the exact segments and arcs of their boundary, each
with the part label it came from. Boxes of any dimension use their faces. In space-time
the spatial :math:`\phi(x)` serves the lateral boundary at every time.

Derivatives of :math:`\phi` are finite everywhere (square roots are guarded); exactly on
a chosen part, where :math:`\phi` has a kink, they are not the one-sided limits.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from pinn.geometry import (
    Annulus,
    Box,
    BoundarySet,
    Difference,
    Domain,
    Polygon,
    SpaceTime,
    _Combined,
    _scale,
)
from pinn.mesh import MeshDomain

TINY = 1e-30  # floor of a curve function before 1/phi_i: phi is then ~1e-30 on its curve, not 0/0


def _sqrt(s):
    """sqrt with a finite derivative at 0 (JAX's is infinite there, which gives NaN)."""
    positive = s > 0
    return jnp.where(positive, jnp.sqrt(jnp.where(positive, s, 1.0)), 0.0)


# -- boundary curves of 2D domains -----------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _Segment:
    a: np.ndarray
    b: np.ndarray
    normal: np.ndarray  # outward of the domain the segment bounds
    part: int

    def at(self, t):
        t = np.asarray(t, dtype=float)
        return self.a + t[..., None] * (self.b - self.a)

    def normal_at(self, p):
        return np.broadcast_to(self.normal, np.shape(p))

    def sub(self, t0, t1):
        return _Segment(self.at(t0), self.at(t1), self.normal, self.part)

    def flipped(self):
        return dataclasses.replace(self, normal=-self.normal)

    def params_of(self, p):
        """Parameters of the points p that lie on this segment (within tolerance)."""
        ab = self.b - self.a
        length2 = float(ab @ ab)
        t = (p - self.a) @ ab / length2
        off = np.abs((p[:, 0] - self.a[0]) * ab[1] - (p[:, 1] - self.a[1]) * ab[0]) / math.sqrt(length2)
        ok = (off < 1e-9 * math.sqrt(length2)) & (t > 1e-12) & (t < 1 - 1e-12)
        return t[ok]


@dataclasses.dataclass(frozen=True)
class _Arc:
    """The arc of the circle (center, radius) from angle t0 to t1 (t1 > t0); ``full``: the circle."""

    center: np.ndarray
    radius: float
    t0: float
    t1: float
    sign: float  # +1: the domain it bounds is inside the circle; -1: outside
    part: int
    full: bool = False

    def at(self, t):
        theta = self.t0 + np.asarray(t, dtype=float) * (self.t1 - self.t0)
        return self.center + self.radius * np.stack([np.cos(theta), np.sin(theta)], axis=-1)

    def normal_at(self, p):
        return self.sign * (p - self.center) / self.radius

    def sub(self, t0, t1):
        span = self.t1 - self.t0
        return _Arc(self.center, self.radius, self.t0 + t0 * span, self.t0 + t1 * span, self.sign, self.part)

    def flipped(self):
        return dataclasses.replace(self, sign=-self.sign)

    def params_of(self, p):
        d = p - self.center
        on = np.abs(np.linalg.norm(d, axis=1) - self.radius) < 1e-9 * self.radius
        theta = np.arctan2(d[:, 1], d[:, 0])
        t = np.mod(theta - self.t0, 2 * math.pi) / (self.t1 - self.t0)
        ok = on & (t > 1e-12) & (t < 1 - 1e-12)
        return t[ok]

    def chord(self):
        """An end of the arc's chord and the chord's unit normal pointing away from the centre."""
        p1, p2 = self.at(0.0), self.at(1.0)
        chord = p2 - p1
        away = np.array([chord[1], -chord[0]]) / np.linalg.norm(chord)
        if away @ ((p1 + p2) / 2 - self.center) < 0:
            away = -away
        return p1, away


def _carrier_points(c, other) -> np.ndarray:
    """Points where the line/circle of ``c`` meets ``other``'s, plus ``other``'s ends."""
    found = []
    if not getattr(other, "full", False):
        found += [other.at(0.0), other.at(1.0)]
    if isinstance(c, _Segment) and isinstance(other, _Segment):
        d1, d2 = c.b - c.a, other.b - other.a
        den = d1[0] * d2[1] - d1[1] * d2[0]
        if abs(den) > 1e-14 * np.linalg.norm(d1) * np.linalg.norm(d2):
            w = other.a - c.a
            found.append(c.a + (w[0] * d2[1] - w[1] * d2[0]) / den * d1)
    elif isinstance(c, _Arc) and isinstance(other, _Arc):
        d = other.center - c.center
        dist = float(np.linalg.norm(d))
        r0, r1 = c.radius, other.radius
        if 1e-14 < dist <= r0 + r1 and dist >= abs(r0 - r1):
            a = (r0**2 - r1**2 + dist**2) / (2 * dist)
            h = math.sqrt(max(r0**2 - a**2, 0.0))
            mid = c.center + a * d / dist
            perp = np.array([-d[1], d[0]]) / dist
            found += [mid + h * perp, mid - h * perp]
    else:
        seg, arc = (c, other) if isinstance(c, _Segment) else (other, c)
        d = seg.b - seg.a
        w = seg.a - arc.center
        qa, qb, qc = d @ d, 2 * (w @ d), w @ w - arc.radius**2
        disc = qb * qb - 4 * qa * qc
        if disc >= 0:
            for s in ((-qb - math.sqrt(disc)) / (2 * qa), (-qb + math.sqrt(disc)) / (2 * qa)):
                found.append(seg.a + s * d)
    return np.array(found).reshape(-1, 2)


def _split(c, others, keep: Callable) -> list:
    """The pieces of ``c`` between its crossings with ``others`` for which ``keep(point,
    normal)`` holds at their midpoint; neighbouring kept pieces are joined again."""
    ts = [0.0, 1.0]
    for other in others:
        ts += list(c.params_of(_carrier_points(c, other)))
    ts = np.unique(np.round(np.sort(ts), 13))
    if getattr(c, "full", False) and len(ts) == 2:
        return [c] if keep(c.at(np.array([0.5])), c.normal_at(c.at(np.array([0.5])))) else []
    c = dataclasses.replace(c, full=False) if isinstance(c, _Arc) else c
    runs = []
    for t0, t1 in zip(ts[:-1], ts[1:]):
        if t1 - t0 <= 1e-12:
            continue
        p = c.at(np.array([(t0 + t1) / 2]))
        if keep(p, c.normal_at(p)):
            if runs and runs[-1][1] == t0:
                runs[-1][1] = t1
            else:
                runs.append([t0, t1])
    return [c.sub(t0, t1) for t0, t1 in runs]


def _quarter_arcs(c) -> list:
    if not isinstance(c, _Arc) or c.full:
        return [c]
    k = max(1, math.ceil((c.t1 - c.t0) / (math.pi / 2) - 1e-12))
    return [c.sub(i / k, (i + 1) / k) for i in range(k)]


def boundary_curves(domain: Domain) -> list:
    """The segments and arcs of a 2D domain's boundary, each with its part index."""
    if isinstance(domain, Box) and domain.dim == 2:
        (x0, y0), (x1, y1) = domain.lower, domain.upper
        return [
            _Segment(np.array([x0, y0]), np.array([x0, y1]), np.array([-1.0, 0.0]), 0),
            _Segment(np.array([x1, y0]), np.array([x1, y1]), np.array([1.0, 0.0]), 1),
            _Segment(np.array([x0, y0]), np.array([x1, y0]), np.array([0.0, -1.0]), 2),
            _Segment(np.array([x0, y1]), np.array([x1, y1]), np.array([0.0, 1.0]), 3),
        ]
    if isinstance(domain, Polygon):
        v = np.asarray(domain.vertices)
        curves = []
        for i, (a, b) in enumerate(zip(v, np.roll(v, -1, axis=0))):
            normal = np.array([b[1] - a[1], a[0] - b[0]]) / np.linalg.norm(b - a)
            curves.append(_Segment(a, b, normal, i))
        return curves
    if isinstance(domain, Annulus):
        c = np.asarray(domain.center)
        t0, t1 = domain.angles
        curves = [_Arc(c, domain.outer, t0, t1, 1.0, 0, domain.full)]
        part = 1
        if domain.inner > 0:
            curves.append(_Arc(c, domain.inner, t0, t1, -1.0, 1, domain.full))
            part = 2
        if not domain.full:
            for k, (theta, normal) in enumerate(
                ((t0, (math.sin(t0), -math.cos(t0))), (t1, (-math.sin(t1), math.cos(t1))))
            ):
                ray = np.array([math.cos(theta), math.sin(theta)])
                curves.append(_Segment(c + domain.inner * ray, c + domain.outer * ray, np.array(normal), part + k))
        return [q for curve in curves for q in _quarter_arcs(curve)]
    if isinstance(domain, MeshDomain) and domain.dim == 2:
        v = domain.points[domain.facets]
        return [_Segment(a, b, n, int(p)) for a, b, n, p in zip(v[:, 0], v[:, 1], domain.normals, domain.facet_parts)]
    if isinstance(domain, _Combined) and domain.dim == 2:
        offset = len(domain.a._parts())
        ca = boundary_curves(domain.a)
        cb = [dataclasses.replace(c, part=c.part + offset) for c in boundary_curves(domain.b)]
        tol, eps = 1e-10 * _scale(domain), 1e-6 * _scale(domain)
        kept = []
        for curve in ca:
            kept += _split(curve, cb, lambda p, n: domain._keep_from_a(p, n, tol, eps)[0])
        for curve in cb:
            pieces = _split(curve, ca, lambda p, n: domain._keep_from_b(p, tol)[0])
            kept += [piece.flipped() for piece in pieces] if isinstance(domain, Difference) else pieces
        return [q for curve in kept for q in _quarter_arcs(curve)]
    raise ValueError(
        f"no distance function for {domain!r}: hard_dirichlet takes boxes of any dimension and 2D "
        "polygons, rectangles, disks, annuli, triangle meshes and their unions, intersections and differences"
    )


# -- the curve functions, vectorized over curves of one kind ---------------------------------------
def _trimmed(f, t):
    """Zero where f = 0 and t >= 0 (Sukumar & Srivastava's trimming), positive elsewhere."""
    varphi = _sqrt(t**2 + f**4)
    return _sqrt(f**2 + ((varphi - t) / 2) ** 2)


def _segments_phi(x, a, b):
    d = b - a
    length = jnp.sqrt((d * d).sum(axis=-1))
    f = ((x[..., None, 0] - a[:, 0]) * d[:, 1] - (x[..., None, 1] - a[:, 1]) * d[:, 0]) / length
    r = x[..., None, :] - (a + b) / 2
    t = ((length / 2) ** 2 - (r * r).sum(axis=-1)) / length
    return _trimmed(f, t)


def _circle_f(x, center, radius):
    r = x[..., None, :] - center
    return (radius**2 - (r * r).sum(axis=-1)) / (2 * radius)


def _arcs_phi(x, center, radius, p1, away):
    # t > 0 on the arc's side of its chord; an arc of at most a quarter turn is where its
    # circle meets that half-plane.
    t = ((x[..., None, :] - p1) * away).sum(axis=-1)
    return _trimmed(_circle_f(x, center, radius), t)


def _curve_groups(curves) -> list:
    """The curves as (function, arrays) groups, one per kind."""
    segments = [c for c in curves if isinstance(c, _Segment)]
    arcs = [c for c in curves if isinstance(c, _Arc) and not c.full]
    circles = [c for c in curves if isinstance(c, _Arc) and c.full]
    groups = []
    if segments:
        groups.append((_segments_phi, (np.array([c.a for c in segments]), np.array([c.b for c in segments]))))
    if arcs:
        chords = [c.chord() for c in arcs]
        groups.append((
            _arcs_phi,
            (
                np.array([c.center for c in arcs]),
                np.array([c.radius for c in arcs]),
                np.array([p for p, _ in chords]),
                np.array([a for _, a in chords]),
            ),
        ))
    if circles:
        groups.append((
            lambda x, c, r: jnp.abs(_circle_f(x, c, r)),
            (np.array([c.center for c in circles]), np.array([c.radius for c in circles])),
        ))
    return groups


def _planes_phi(x, axes, values, signs):
    return signs * (x[..., axes] - values)


# -- selection and the distance function ---------------------------------------------------------
def _as_boundary_set(domain, on) -> BoundarySet:
    if on is None:
        return domain.boundary
    if isinstance(on, BoundarySet):
        if on.domain != domain:
            raise ValueError(f"'on' is a boundary set of {on.domain!r}, not of the domain {domain!r}")
        return on
    raise ValueError(
        f"'on' must be a boundary set of the domain, such as domain.boundary.part('x_min') or "
        f"domain.boundary.of(hole), got {on!r}"
    )


def _selected(on: BoundarySet, part: int, points: np.ndarray, what: str) -> bool:
    """Whether the curve or face ``part`` with sample ``points`` is in the set ``on``."""
    if on.parts is not None and part not in on.parts:
        return False
    if on.predicate is None:
        return True
    hits = on.select(points)
    if hits.all():
        return True
    if not hits.any():
        return False
    label = on.domain.boundary_labels[part]
    raise ValueError(
        f"the 'where' predicate holds on part of {what} (boundary part {label!r}) but not all of it; "
        "a distance function needs whole pieces: select parts with boundary.part(...) or boundary.of(...)"
    )


def distance_function(domain: Domain, on: BoundarySet | None = None, m: int = 1) -> Callable:
    r"""The approximate distance :math:`\phi(x)` to the boundary set ``on`` (default: the
    whole boundary) of ``domain``: zero there, positive inside, smooth, normalized to
    order ``m``. ``phi(x)`` takes one point (d,) or points (..., d) as JAX arrays."""
    if not (isinstance(m, int) and not isinstance(m, bool) and m >= 1):
        raise ValueError(f"the R-equivalence order m must be a positive integer, got {m!r}")
    on = _as_boundary_set(domain, on)
    space = domain.space if isinstance(domain, SpaceTime) else domain
    times = None
    if isinstance(domain, SpaceTime):
        times = np.linspace(domain.time.t0, domain.time.t1, 3)

    def with_time(points):
        if times is None:
            return points
        return np.concatenate([np.column_stack([points, np.full(len(points), t)]) for t in times])

    s = np.linspace(0.0, 1.0, 11)[1:-1]
    if isinstance(space, Box):
        lower, upper = space.bounds
        names = space.coordinate_names
        planes = []
        for axis in range(space.dim):
            for k, (value, sign) in enumerate(((lower[axis], 1.0), (upper[axis], -1.0))):
                width = max(space.dim - 1, 1)
                grid = np.stack(np.meshgrid(*[s] * width, indexing="ij"), -1).reshape(-1, width)
                face = np.empty((len(grid), space.dim))
                others = [a for a in range(space.dim) if a != axis]
                face[:, axis] = value
                face[:, others] = lower[others] + grid[:, : len(others)] * (upper - lower)[others]
                if _selected(on, 2 * axis + k, with_time(face), f"face {names[axis]} = {value}"):
                    planes.append((axis, value, sign))
        groups = [(_planes_phi, tuple(np.array(column) for column in zip(*planes)))] if planes else []  # axes, values, signs
    else:
        if space.dim != 2:
            boundary_curves(space)  # raises the message naming what is supported
        chosen = [
            curve
            for curve in boundary_curves(space)
            if _selected(on, curve.part, with_time(curve.at(s)), f"the curve from {curve.at(0.0)} to {curve.at(1.0)}")
        ]
        groups = _curve_groups(chosen)
    if not groups:
        raise ValueError(f"the boundary set selects no boundary piece of {domain!r}")
    d = space.dim

    # Jitted: called eagerly (a problem's checks do), its dozens of operations compile once.
    @jax.jit
    def phi(x):
        x = jnp.asarray(x)[..., :d]
        values = jnp.concatenate([fn(x, *(jnp.asarray(a, dtype=x.dtype) if a.dtype.kind == "f" else a for a in arrays)) for fn, arrays in groups], axis=-1)
        if values.shape[-1] == 1:
            return values[..., 0]
        return (jnp.maximum(values, TINY) ** (-m)).sum(axis=-1) ** (-1.0 / m)

    return phi


def hard_dirichlet(
    domain: Domain,
    g: float | Callable = 0.0,
    on: BoundarySet | None = None,
    *,
    component: int | None = None,
    m: int = 1,
) -> Callable:
    r"""An ``output_transform`` imposing :math:`u = g` on the boundary set ``on``:
    :math:`u = g(x) + \phi(x) N(x)` with :math:`\phi` from :func:`distance_function`.

    Args:
        domain: the problem's domain.
        g: the boundary value: a number, or ``g(x)`` at one point (a smooth extension of
            the boundary data into the domain: it is used everywhere).
        on: the boundary set (default: all of it); parts by ``domain.boundary.part(...)``
            or ``.of(operand)``; a ``where(...)`` predicate must select whole pieces.
        component: for several fields, the one field constrained (default: all).
        m: order of the R-equivalence joining the pieces.

    Transforms for different components chain: ``lambda x, y: t2(x, t1(x, y))``.
    """
    phi = distance_function(domain, on, m)
    if component is not None and (isinstance(component, bool) or not isinstance(component, (int, np.integer)) or component < 0):
        raise ValueError(f"component must be a field index (a non-negative integer), got {component!r}")
    if not callable(g):
        try:
            g = np.asarray(g, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"g must be a number, an array of one value per field, or a function g(x), got {g!r}") from None

    def transform(x, y):
        value = g(x) if callable(g) else jnp.asarray(g, dtype=jnp.result_type(y))
        if component is None:
            return value + phi(x) * y
        if jnp.ndim(y) == 0 or component >= y.shape[0]:
            raise ValueError(f"component {component} is not a field index of an output of shape {jnp.shape(y)}")
        return y.at[component].set(value + phi(x) * y[component])

    return transform
