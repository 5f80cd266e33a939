"""Approximate distance functions and hard Dirichlet transforms (pinn.hard_dirichlet)."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pinn
from pinn.adf import boundary_curves

SQUARE = pinn.Rectangle((0.0, 0.0), (1.0, 1.0))
HOLE = pinn.Disk((0.5, 0.5), 0.2)
PLATE = SQUARE - HOLE
L_UNION = pinn.Rectangle((0.0, 0.0), (2.0, 1.0)) | pinn.Rectangle((0.0, 0.0), (1.0, 2.0))
L_POLYGON = pinn.Polygon([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)])
LENS = pinn.Disk((0.0, 0.0), 1.0) & pinn.Disk((1.0, 0.0), 1.0)
SECTOR = pinn.Annulus((0.0, 0.0), 1.0, 2.0, angles=(0.0, math.pi / 2))
BITTEN = pinn.Disk() - pinn.Rectangle((0.0, 0.0), (2.0, 2.0))  # three quarters of a disk

CASES = {
    "square": (SQUARE, None),
    "square_left_bottom": (SQUARE, SQUARE.boundary.part("x_min", "y_min")),
    "plate": (PLATE, None),
    "plate_hole_only": (PLATE, PLATE.boundary.of(HOLE)),
    "plate_outer_only": (PLATE, PLATE.boundary.of(SQUARE)),
    "l_union": (L_UNION, None),
    "l_polygon": (L_POLYGON, None),
    "lens": (LENS, None),
    "sector": (SECTOR, None),
    "sector_arcs": (SECTOR, SECTOR.boundary.part("outer", "inner")),
    "bitten_disk": (BITTEN, None),
    "box3d": (pinn.Box3D((0, 0, 0), (1, 2, 1)), None),
    "square_time_left": (SQUARE * pinn.TimeInterval(0, 1), (SQUARE * pinn.TimeInterval(0, 1)).boundary.part("x_min")),
}


def on_set(domain, on):
    return domain.boundary if on is None else on


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


@pytest.mark.parametrize("name", CASES)
def test_zero_on_chosen_parts_positive_inside_normalized(name):
    domain, on = CASES[name]
    phi = jax.jit(jax.vmap(pinn.distance_function(domain, on)))
    chosen = on_set(domain, on)
    x, n = chosen.sample(400, "sobol", seed=1)
    np.testing.assert_allclose(np.asarray(phi(x)), 0.0, atol=1e-12)
    inside = domain.sample_interior(2000, "sobol", seed=2)
    assert np.all(np.asarray(phi(inside)) > 0)
    # Normalized to first order: phi(x - h n) / h -> 1 stepping inward from a chosen part,
    # away from its ends (where two pieces meet, phi is smaller).
    h = 1e-5
    ratio = np.asarray(phi(x - h * n)) / h
    assert np.median(ratio) == pytest.approx(1.0, abs=1e-3)
    assert np.mean(np.abs(ratio - 1) < 0.02) > 0.8
    # Positive on the parts not chosen; clearly so away from the chosen ones.
    if on is not None:
        rest = sorted(set(range(len(domain.boundary_labels))) - set(on.parts))
        others, _ = pinn.geometry.BoundarySet(domain, parts=tuple(rest)).sample(400, "sobol", seed=3)
        phi_others = np.asarray(phi(others))
        gap = np.min(np.linalg.norm(others[:, None] - x[None], axis=-1), axis=1)
        assert np.all(phi_others > 0)
        assert np.all(phi_others[gap > 0.05] > 1e-3)


@pytest.mark.parametrize("name", ["plate", "l_union", "box3d"])
def test_second_derivatives_finite_inside(name):
    domain, on = CASES[name]
    phi = pinn.distance_function(domain, on)
    inside = jnp.asarray(domain.sample_interior(300, "halton", seed=4))
    hessians = np.asarray(jax.jit(jax.vmap(jax.hessian(phi)))(inside))
    assert np.all(np.isfinite(hessians))
    # Smooth, not merely finite: the Hessian matches central differences of the gradient.
    grad = jax.jit(jax.grad(phi))
    x0 = inside[7]
    h = 1e-5
    steps = jnp.concatenate([x0 + h * jnp.eye(domain.dim), x0 - h * jnp.eye(domain.dim)])
    g = np.asarray(jax.vmap(grad)(steps))
    fd = (g[: domain.dim] - g[domain.dim :]) / (2 * h)
    np.testing.assert_allclose(hessians[7], fd, rtol=1e-5, atol=1e-6)


def test_box_and_polygon_distances_match_known_values():
    phi = pinn.distance_function(SQUARE)
    # One face chosen: phi is exactly the distance to that face (a linear function).
    left = pinn.distance_function(SQUARE, SQUARE.boundary.part("x_min"))
    np.testing.assert_allclose(float(left(jnp.array([0.3, 0.9]))), 0.3, atol=1e-15)
    # All four faces, m = 1: 1 / phi = sum of 1 / distances.
    x = jnp.array([0.25, 0.5])
    np.testing.assert_allclose(float(phi(x)), 1 / (1 / 0.25 + 1 / 0.75 + 1 / 0.5 + 1 / 0.5), rtol=1e-14)
    # A disk: phi = (R^2 - r^2) / (2R).
    disk = pinn.distance_function(pinn.Disk((1.0, 0.0), 2.0))
    np.testing.assert_allclose(float(disk(jnp.array([1.0, 1.0]))), (4 - 1) / 4, rtol=1e-14)


def test_combined_boundaries_are_cut_exactly():
    curves = boundary_curves(PLATE)
    assert sorted(type(c).__name__ for c in curves) == ["_Arc", "_Segment", "_Segment", "_Segment", "_Segment"]
    # The lens: two 120 degree arcs, each cut into two of 60 degrees.
    arcs = boundary_curves(LENS)
    assert len(arcs) == 4
    np.testing.assert_allclose(sorted(c.t1 - c.t0 for c in arcs), [math.pi / 3] * 4, rtol=1e-12)
    total = sum(np.linalg.norm(c.b - c.a) for c in boundary_curves(L_UNION))
    assert total == pytest.approx(8.0, rel=1e-12)  # the L's perimeter, no inner segment


def test_hard_dirichlet_imposes_values_whatever_the_network():
    g = lambda x: jnp.sin(x[0]) + x[1] ** 2  # noqa: E731
    transform = pinn.hard_dirichlet(PLATE, g, on=PLATE.boundary)
    x, _ = PLATE.boundary.sample(300, seed=6)
    raw = jax.random.normal(jax.random.key(0), (300,))
    u = jax.jit(jax.vmap(transform))(jnp.asarray(x), raw)
    np.testing.assert_allclose(np.asarray(u), np.sin(x[:, 0]) + x[:, 1] ** 2, atol=1e-12)
    # One component of two fields: the other is untouched.
    t0 = pinn.hard_dirichlet(SQUARE, 0.0, on=SQUARE.boundary.part("x_min"), component=0)
    t1 = pinn.hard_dirichlet(SQUARE, 2.0, on=SQUARE.boundary.part("y_min"), component=1)
    both = lambda x, y: t1(x, t0(x, y))  # noqa: E731
    y = jnp.array([5.0, 7.0])
    np.testing.assert_allclose(np.asarray(both(jnp.array([0.0, 0.5]), y)), [0.0, 2.0 + 0.5 * 7.0], atol=1e-14)
    np.testing.assert_allclose(np.asarray(both(jnp.array([0.5, 0.0]), y)), [0.5 * 5.0, 2.0], atol=1e-14)


def test_where_selects_whole_pieces():
    left = pinn.distance_function(SQUARE, SQUARE.boundary.where(lambda x: np.isclose(x[0], 0.0)))
    np.testing.assert_allclose(float(left(jnp.array([0.3, 0.9]))), 0.3, atol=1e-15)
    upper_hole = PLATE.boundary.where(lambda x: np.hypot(x[0] - 0.5, x[1] - 0.5) < 0.3)
    phi = pinn.distance_function(PLATE, upper_hole)
    np.testing.assert_allclose(float(phi(jnp.array([0.5, 0.8]))), (0.3**2 - 0.2**2) / 0.4, rtol=1e-12)


@pytest.mark.slow
def test_trains_with_the_transform():
    """Poisson -lap u = 2 pi^2 sin(pi x) sin(pi y) on the unit square, u = 0 imposed."""
    exact = lambda x: jnp.sin(jnp.pi * x[0]) * jnp.sin(jnp.pi * x[1])  # noqa: E731
    problem = pinn.Problem(
        SQUARE,
        lambda u, x: -pinn.laplacian(u)(x) - 2 * jnp.pi**2 * exact(x),
        exact=exact,
        output_transform=pinn.hard_dirichlet(SQUARE, 0.0),
    )
    model = pinn.MLP.for_problem(problem, hidden=(16, 16), activation="tanh", dtype="float64", key=0)
    result = pinn.solve(problem, model, phases="lbfgs:150", n_interior=256, n_boundary=16, log_every=50)
    assert result.rel_l2 < 2e-2


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda: pinn.distance_function(PLATE, PLATE.boundary.where(lambda x: x[1] > 0.5)),
            "the 'where' predicate holds on part of .* but not all of it",
        ),
        (lambda: pinn.distance_function(PLATE, SQUARE.boundary), r"'on' is a boundary set of Rectangle.*, not of the domain"),
        (
            lambda: pinn.distance_function(pinn.Box3D((0, 0, 0), (2, 2, 2)) - pinn.Box3D((0, 0, 0), (1, 1, 1))),
            "no distance function for .*: hard_dirichlet takes boxes of any dimension and 2D",
        ),
        (lambda: pinn.distance_function(SQUARE, m=0), "the R-equivalence order m must be a positive integer, got 0"),
        (lambda: pinn.hard_dirichlet(SQUARE, "zero"), "g must be a number, an array of one value per field, or a function"),
        (lambda: pinn.hard_dirichlet(SQUARE, 0.0, component=-1), "component must be a field index"),
        (lambda: pinn.distance_function(SQUARE, "left"), "'on' must be a boundary set of the domain"),
    ],
)
def test_bad_input(make, message):
    with pytest.raises(ValueError, match=message):
        make()
