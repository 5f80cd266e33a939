"""Property tests (hypothesis): geometry and sampling for random valid domains, operators for random MLPs.

Geometry: every sampled interior point lies in its domain; boundary points lie on the
boundary (|sdf| small); normals are unit and outward (x + eps n is outside, x - eps n
inside, away from corners); boundary predicates select what they say. Operators:
the Laplacian equals the trace of the Hessian and the divergence the trace of the
Jacobian, for every derivative engine, at random points of random small networks.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pinn

GEOMETRY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
OPERATORS = settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Four engines compiled per example: fewer examples (each a new random network and points).
ENGINES = settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])

coord = st.floats(-5.0, 5.0, allow_nan=False)
length = st.floats(0.1, 5.0, allow_nan=False)
samplers = st.sampled_from(pinn.SAMPLERS)
seeds = st.integers(0, 2**31 - 1)


@st.composite
def boxes(draw, dims=(1, 2, 3)):
    d = draw(st.sampled_from(dims))
    lower = [draw(coord) for _ in range(d)]
    upper = [lo + draw(length) for lo in lower]
    return pinn.Box(tuple(lower), tuple(upper))


@st.composite
def disks(draw):
    return pinn.Disk((draw(coord), draw(coord)), draw(length))


@st.composite
def annuli(draw):
    outer = draw(length)
    inner = outer * draw(st.floats(0.0, 0.9))
    if draw(st.booleans()):
        angles = (0.0, 2 * math.pi)
    else:
        start = draw(st.floats(-math.pi, math.pi))
        angles = (start, start + draw(st.floats(0.2, math.pi)))
    return pinn.Annulus((draw(coord), draw(coord)), inner, outer, angles)


@st.composite
def polygons(draw):
    """Star-shaped polygons around a centre: convex when all radii are equal, random otherwise."""
    n = draw(st.integers(3, 9))
    gaps = np.array([draw(st.integers(2, 8)) for _ in range(n)], dtype=float)
    angles = draw(st.floats(0, 2 * math.pi)) + 2 * math.pi * np.cumsum(gaps) / gaps.sum()
    convex = draw(st.booleans())
    radii = np.ones(n) if convex else np.array([draw(st.floats(0.4, 1.0)) for _ in range(n)])
    scale, cx, cy = draw(length), draw(coord), draw(coord)
    vertices = np.column_stack([cx + scale * radii * np.cos(angles), cy + scale * radii * np.sin(angles)])
    if draw(st.booleans()):
        vertices = vertices[::-1]  # either orientation
    return pinn.Polygon(tuple(map(tuple, vertices)))


spatial = st.one_of(boxes(), disks(), annuli(), polygons())


@st.composite
def space_time(draw):
    t0 = draw(coord)
    return draw(st.one_of(boxes((1, 2)), disks(), annuli(), polygons())) * pinn.TimeInterval(t0, t0 + draw(length))


def scale_of(domain):
    lower, upper = domain.bounds
    return float(np.max(upper - lower))


def corners(domain):
    """Points where the boundary is not smooth (normals there are one-sided)."""
    space = domain.space if isinstance(domain, pinn.SpaceTime) else domain
    if isinstance(space, pinn.Polygon):
        return np.asarray(space.vertices)
    if isinstance(space, pinn.Annulus) and not space.full:
        c = np.array(space.center)
        return np.array([c + r * np.array([math.cos(t), math.sin(t)]) for r in (space.inner, space.outer) for t in space.angles])
    return np.zeros((0, space.dim))


def away_from_corners(domain, points, distance):
    c = corners(domain)
    space_points = points[:, : c.shape[1]] if len(c) else points
    if not len(c):
        return np.ones(len(points), dtype=bool)
    return np.min(np.linalg.norm(space_points[:, None, :] - c[None], axis=-1), axis=1) > distance


@GEOMETRY
@given(domain=st.one_of(spatial, space_time()), sampler=samplers, seed=seeds)
def test_sampled_interior_points_lie_in_the_domain(domain, sampler, seed):
    points = domain.sample_interior(64, sampler, seed)
    assert points.shape == (64, domain.dim)
    assert np.all(domain.sdf(points) <= 1e-9 * scale_of(domain))
    assert domain.contains(points).all()


@GEOMETRY
@given(domain=spatial, sampler=samplers, seed=seeds)
def test_boundary_points_lie_on_the_boundary_with_unit_outward_normals(domain, sampler, seed):
    points, normals = domain.sample_boundary(64, sampler, seed)
    h = scale_of(domain)
    assert points.shape == normals.shape == (64, domain.dim)
    np.testing.assert_allclose(domain.sdf(points), 0.0, atol=1e-9 * h)
    np.testing.assert_allclose(np.linalg.norm(normals, axis=1), 1.0, atol=1e-12)
    eps = 1e-5 * h
    keep = away_from_corners(domain, points, 1e-3 * h)
    assert keep.sum() > 32
    p, n = points[keep], normals[keep]
    assert np.all(domain.sdf(p + eps * n) > 0), "normal points inward"
    assert np.all(domain.sdf(p - eps * n) < 0), "normal points inward"


@GEOMETRY
@given(domain=space_time(), sampler=samplers, seed=seeds)
def test_space_time_boundary_and_initial_points(domain, sampler, seed):
    h = scale_of(domain)
    points, normals = domain.sample_boundary(64, sampler, seed)
    t = points[:, -1]
    assert np.all((domain.time.t0 <= t) & (t <= domain.time.t1))
    np.testing.assert_allclose(domain.space.sdf(points[:, :-1]), 0.0, atol=1e-9 * h)
    np.testing.assert_array_equal(normals[:, -1], 0.0)  # lateral boundary: no time component
    np.testing.assert_allclose(np.linalg.norm(normals, axis=1), 1.0, atol=1e-12)
    keep = away_from_corners(domain, points, 1e-3 * h)
    eps = 1e-5 * h
    assert np.all(domain.sdf(points[keep] + eps * normals[keep]) > 0)
    initial = domain.sample_initial(32, sampler, seed)
    np.testing.assert_array_equal(initial[:, -1], domain.time.t0)
    assert np.all(domain.space.sdf(initial[:, :-1]) <= 1e-9 * h)


@GEOMETRY
@given(domain=st.one_of(boxes((2, 3)), disks(), annuli(), polygons()), fraction=st.floats(0.2, 0.8), sampler=samplers, seed=seeds)
def test_boundary_predicates_select_what_they_say(domain, fraction, sampler, seed):
    lower, upper = domain.bounds
    cut = lower[0] + fraction * (upper[0] - lower[0])
    left = domain.boundary.where(lambda x: x[0] < cut)
    points, normals = left.sample(32, sampler, seed)
    assert points.shape == (32, domain.dim)
    assert np.all(points[:, 0] < cut)
    np.testing.assert_allclose(domain.sdf(points), 0.0, atol=1e-9 * scale_of(domain))
    np.testing.assert_allclose(np.linalg.norm(normals, axis=1), 1.0, atol=1e-12)
    # predicates combine: the upper half (by the median height of the points above) of the left part
    mid = float(np.median(points[:, -1]))
    both = left.where(lambda x: x[-1] >= mid)
    points, _ = both.sample(16, sampler, seed)
    assert np.all((points[:, 0] < cut) & (points[:, -1] >= mid))


@GEOMETRY
@given(domain=boxes(), sampler=samplers, seed=seeds, data=st.data())
def test_a_box_face_predicate_gives_that_face_and_its_normal(domain, sampler, seed, data):
    axis = data.draw(st.integers(0, domain.dim - 1))
    side = data.draw(st.sampled_from([0, 1]))
    lower, upper = domain.bounds
    value = (lower, upper)[side][axis]
    face = domain.boundary.where(lambda x: np.isclose(x[axis], value))
    points, normals = face.sample(16, sampler, seed)
    np.testing.assert_array_equal(points[:, axis], value)
    expected = np.zeros(domain.dim)
    expected[axis] = 1.0 if side else -1.0
    np.testing.assert_array_equal(normals, np.tile(expected, (16, 1)))


# -- operators ---------------------------------------------------------------------------------
SMOOTH = ("tanh", "sin", "swish", "gelu", "softplus")


@st.composite
def networks(draw, square=False):
    d = draw(st.integers(2 if square else 1, 3))  # a one-output network is a scalar field
    m = d if square else draw(st.integers(1, 3))
    # few distinct shapes: eager JAX compiles each primitive once per shape, and the weights
    # (key), activation, dimensions and points are what varies
    hidden = draw(st.sampled_from([(5,), (4, 4)]))
    activation = draw(st.sampled_from(SMOOTH))
    key = draw(st.integers(0, 2**16))
    points = np.array([[draw(st.floats(-1.0, 1.0)) for _ in range(d)] for _ in range(3)])
    with jax.enable_x64(True):
        model = pinn.MLP(d, m, hidden, activation, key=key, dtype="float64")
    return model, points


def as_function(model):
    apply, params = pinn.pure_apply(model)
    return lambda x: apply(params, x)


@ENGINES
@given(case=networks())
def test_laplacian_is_the_trace_of_the_hessian_for_every_engine(case):
    model, points = case
    with jax.enable_x64(True):
        u = as_function(model)
        points = jnp.asarray(points)
        H = np.asarray(jax.vmap(jax.hessian(u))(points))  # (n, d, d) or (n, m, d, d): the reference
        expected = np.trace(H, axis1=-2, axis2=-1)
        atol = 1e-12 * (1.0 + np.abs(H).max())
        for engine in pinn.DERIVATIVE_ENGINES:
            with pinn.derivative_engine(engine):  # read while tracing: jit inside the context
                lap = jax.jit(jax.vmap(pinn.laplacian(u)))(points)
            np.testing.assert_allclose(lap, expected, rtol=0, atol=atol, err_msg=engine)


@OPERATORS
@given(case=networks(square=True))
def test_divergence_is_the_trace_of_the_jacobian(case):
    """Divergence is first order: one forward-mode path whatever the engine (no engine loop
    here; the second-order engines are compared in the Laplacian test above)."""
    model, points = case
    with jax.enable_x64(True):
        v = as_function(model)
        points = jnp.asarray(points)
        J = np.asarray(jax.vmap(jax.jacrev(v))(points))  # reverse mode: independent of the operators
        expected = np.trace(J, axis1=-2, axis2=-1)
        div = jax.vmap(pinn.divergence(v))(points)
        np.testing.assert_allclose(div, expected, rtol=0, atol=1e-12 * (1 + np.abs(J).max()))
