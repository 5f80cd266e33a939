"""Constructive solid geometry: a | b, a & b, a - b in 2D, 3D and times a time interval.

Uniformity is checked by counts: with independent uniform points, the count in a region
of area fraction p among n points is Binomial(n, p); every count must lie within 5
standard deviations of n p (a false failure has probability below 1e-6 per check).
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pinn

SQUARE = pinn.Rectangle((0.0, 0.0), (1.0, 1.0))
HOLE = pinn.Disk((0.5, 0.5), 0.25)
PLATE = SQUARE - HOLE
L_SHAPE = pinn.Rectangle((0.0, 0.0), (2.0, 1.0)) | pinn.Rectangle((0.0, 0.0), (1.0, 2.0))
LENS = pinn.Disk((0.0, 0.0), 1.0) & pinn.Disk((1.0, 0.0), 1.0)
CUBE_CUT = pinn.Box3D((0, 0, 0), (1, 1, 1)) - pinn.Box3D((0.5, 0.5, 0.5), (1.5, 1.5, 1.5))
PLATE_TIME = PLATE * pinn.TimeInterval(0.0, 2.0)

DOMAINS = {"plate": PLATE, "l_shape": L_SHAPE, "lens": LENS, "cube_cut": CUBE_CUT, "plate_time": PLATE_TIME}


def within_binomial(count, n, p, sigmas=5.0):
    return abs(count - n * p) <= sigmas * math.sqrt(n * p * (1 - p))


def lens_area():
    # Two unit disks at distance 1: 2 r^2 acos(d / 2r) - (d / 2) sqrt(4 r^2 - d^2).
    return 2 * math.acos(0.5) - 0.5 * math.sqrt(3.0)


def test_interior_counts_follow_area():
    n = 20000
    x = PLATE.sample_interior(n, "uniform", seed=0)
    area = 1 - math.pi * 0.25**2
    left = x[:, 0] < 0.5  # the plate is symmetric: half its area on each side
    assert within_binomial(left.sum(), n, 0.5)
    near_hole = np.linalg.norm(x - 0.5, axis=1) < 0.35  # annulus 0.25 < r < 0.35
    assert within_binomial(near_hole.sum(), n, math.pi * (0.35**2 - 0.25**2) / area)

    x = L_SHAPE.sample_interior(n, "uniform", seed=1)
    for lower, upper in (((0, 0), (1, 1)), ((1, 0), (2, 1)), ((0, 1), (1, 2))):  # three unit squares
        inside = np.all((x >= lower) & (x < upper), axis=1)
        assert within_binomial(inside.sum(), n, 1 / 3)

    x = LENS.sample_interior(n, "uniform", seed=2)
    below = x[:, 1] < 0
    assert within_binomial(below.sum(), n, 0.5)
    # The lens is symmetric about x = 1/2 too; for x < 1/2 its height is set by the
    # disk centred at (1, 0), 2 sqrt(1 - (1 - x)^2), so the strip |x - 1/2| < 0.1 has
    # twice the integral of that over (0.4, 0.5).
    strip = np.abs(x[:, 0] - 0.5) < 0.1
    s = np.linspace(0.4, 0.5, 20001)
    strip_area = 2 * np.trapezoid(2 * np.sqrt(1 - (1 - s) ** 2), s)
    assert within_binomial(strip.sum(), n, strip_area / lens_area())


def test_interior_counts_in_3d_and_time():
    n = 16000
    x = CUBE_CUT.sample_interior(n, "uniform", seed=3)
    assert np.all(CUBE_CUT.sdf(x) <= 0)
    assert not np.any(np.all(x > 0.5, axis=1)), "points in the removed corner"
    # 7 equal octants remain: each holds 1/7.
    octant = np.all(x < 0.5, axis=1)
    assert within_binomial(octant.sum(), n, 1 / 7)
    x = PLATE_TIME.sample_interior(n, "uniform", seed=4)
    assert np.all(PLATE.sdf(x[:, :2]) <= 0) and x[:, 2].min() >= 0 and x[:, 2].max() <= 2
    assert within_binomial((x[:, 2] < 0.5).sum(), n, 0.25)


@pytest.mark.parametrize("name", DOMAINS)
def test_boundary_points_labels_and_outward_normals(name):
    domain = DOMAINS[name]
    x, n, labels = domain.boundary.sample_labelled(3000, "sobol", seed=5)
    assert x.shape == n.shape == (3000, domain.dim)
    scale = float(np.max(domain.bounds[1] - domain.bounds[0]))
    np.testing.assert_allclose(domain.sdf(x), 0.0, atol=1e-9 * scale)
    np.testing.assert_allclose(np.linalg.norm(n, axis=1), 1.0, rtol=1e-12)
    eps = 1e-5 * scale
    assert np.all(domain.sdf(x + eps * n) > 0), "x + eps n must leave the domain"
    inward = domain.sdf(x - eps * n) < 0
    assert inward.mean() > 0.99  # all but points within eps of a corner or edge
    assert set(labels) <= set(domain.boundary_labels)


def test_difference_parts_come_from_their_operand():
    x, n, labels = PLATE.boundary.sample_labelled(4000, "sobol", seed=6)
    on_circle = labels == "circle"
    np.testing.assert_allclose(np.linalg.norm(x[on_circle] - 0.5, axis=1), 0.25, atol=1e-12)
    # The hole's normals point into the hole, out of the plate.
    np.testing.assert_allclose(n[on_circle], -(x[on_circle] - 0.5) / 0.25, atol=1e-12)
    for label, axis, value in (("x_min", 0, 0.0), ("x_max", 0, 1.0), ("y_min", 1, 0.0), ("y_max", 1, 1.0)):
        assert np.all(x[labels == label][:, axis] == value)
    # Points spread by length: the circle is 2 pi 0.25 of a boundary 4 + 2 pi 0.25 long.
    # (Sobol' points: the count is far closer than binomial; the binomial bound still holds.)
    p = 2 * math.pi * 0.25 / (4 + 2 * math.pi * 0.25)
    assert within_binomial(on_circle.sum(), 4000, p, sigmas=1.0)


def test_boundary_counts_follow_length_with_random_points():
    n = 8000
    x, _, labels = L_SHAPE.boundary.sample_labelled(n, "uniform", seed=7)
    # Perimeter 8: the two unit-length edges of the re-entrant corner, the rest length 6.
    reentrant = (np.isclose(x[:, 0], 1.0) & (x[:, 1] > 1.0)) | (np.isclose(x[:, 1], 1.0) & (x[:, 0] > 1.0))
    assert within_binomial(reentrant.sum(), n, 2 / 8)
    assert within_binomial((labels == "y_min").sum(), n, 2 / 8)  # the bottom, length 2, from one operand only
    # No point on the segments inside the union (y = 1, x < 1 and x = 1, y < 1).
    inner = (np.isclose(x[:, 1], 1.0) & (x[:, 0] < 1.0 - 1e-12)) | (np.isclose(x[:, 0], 1.0) & (x[:, 1] < 1.0 - 1e-12))
    assert not inner.any()
    x, n_, labels = LENS.boundary.sample_labelled(n, "uniform", seed=8)
    # Two equal arcs, one from each disk: left disk's arc lies at x > 1/2.
    from_left_disk = np.isclose(np.linalg.norm(x, axis=1), 1.0)
    assert within_binomial(from_left_disk.sum(), n, 0.5)
    assert np.all(x[from_left_disk, 0] >= 0.5 - 1e-12)


def test_touching_operands_share_no_boundary():
    # Two unit squares side by side: the union is the 2 x 1 rectangle, whose boundary
    # (length 6) has no point on the shared edge x = 1.
    pair = pinn.Rectangle((0, 0), (1, 1)) | pinn.Rectangle((1, 0), (2, 1))
    x, n = pair.boundary.sample(3000, "uniform", seed=9)
    assert not np.any(np.isclose(x[:, 0], 1.0) & (x[:, 1] > 0) & (x[:, 1] < 1))
    assert within_binomial(np.isclose(x[:, 1], 0.0).sum(), 3000, 2 / 6)
    # Touching from outside, a difference keeps the shared edge as boundary of a.
    cut = pinn.Rectangle((0, 0), (1, 1)) - pinn.Rectangle((1, 0), (2, 1))
    x, n = cut.boundary.sample(2000, "uniform", seed=10)
    assert within_binomial(np.isclose(x[:, 0], 1.0).sum(), 2000, 1 / 4)
    np.testing.assert_allclose(n[np.isclose(x[:, 0], 1.0)], [[1.0, 0.0]] * int(np.isclose(x[:, 0], 1.0).sum()))


def test_part_of_and_where_select_on_combined_domains():
    hole_edge = PLATE.boundary.of(HOLE)
    assert hole_edge.labels == ("circle",)
    x, _ = hole_edge.sample(200)
    np.testing.assert_allclose(np.linalg.norm(x - 0.5, axis=1), 0.25, atol=1e-12)
    x, n = PLATE.boundary.part("x_min", "y_min").sample(200)
    assert np.all((x[:, 0] == 0.0) | (x[:, 1] == 0.0))
    upper_hole = PLATE.boundary.part("circle").where(lambda x: x[1] > 0.5)
    x, _ = upper_hole.sample(100)
    assert np.all(x[:, 1] > 0.5) and np.allclose(np.linalg.norm(x - 0.5, axis=1), 0.25)
    # Time: lateral boundary of the hole, normals with no time part.
    x, n = PLATE_TIME.boundary.of(HOLE).sample(100)
    np.testing.assert_allclose(np.linalg.norm(x[:, :2] - 0.5, axis=1), 0.25, atol=1e-12)
    assert np.all(n[:, 2] == 0.0)
    # A condition samples it like any boundary set.
    data = pinn.Dirichlet(on=PLATE.boundary.of(HOLE)).sample(PLATE, 32, "sobol", 0)
    assert data["x"].shape == (32, 2)


def test_space_time_domains_combine_over_one_interval():
    t = pinn.TimeInterval(0.0, 1.0)
    combined = (SQUARE * t) - (HOLE * t)
    assert isinstance(combined, pinn.SpaceTime) and combined.space == PLATE
    with pytest.raises(ValueError, match="same time interval"):
        (SQUARE * t) - (HOLE * pinn.TimeInterval(0.0, 2.0))
    with pytest.raises(ValueError, match="cannot combine a space-time domain with a spatial one"):
        (SQUARE * t) | HOLE


def test_signed_distance_in_jax():
    points = np.array([[0.1, 0.2], [0.5, 0.9], [0.5, 0.5], [0.8, 0.1], [1.3, 0.4], [0.5, 0.7]])
    for domain in (SQUARE, HOLE, PLATE, L_SHAPE, LENS, pinn.Polygon([(0, 0), (2, 0), (1, 1.5)])):
        with jax.enable_x64(True):
            sdf_jax = jax.jit(domain.sdf)(jnp.asarray(points))
            np.testing.assert_allclose(np.asarray(sdf_jax), domain.sdf(points), atol=1e-14)
            grads = jax.vmap(jax.grad(domain.sdf))(jnp.asarray(points))
            assert np.all(np.isfinite(np.asarray(grads)))
    # An exact distance has |grad| = 1 away from the medial axis: the disk and the square.
    with jax.enable_x64(True):
        g = jax.grad(HOLE.sdf)(jnp.array([0.9, 0.2]))
        np.testing.assert_allclose(np.asarray(g), np.array([0.4, -0.3]) / 0.5, atol=1e-14)
        g = jax.grad(SQUARE.sdf)(jnp.array([1.5, 2.0]))  # nearest point is the corner (1, 1)
        np.testing.assert_allclose(np.asarray(g), np.array([0.5, 1.0]) / math.sqrt(1.25), atol=1e-14)
        # One point (d,) gives a scalar.
        assert PLATE.sdf(jnp.array([0.5, 0.1])).shape == ()
        np.testing.assert_allclose(float(PLATE.sdf(jnp.array([0.5, 0.1]))), -0.1, atol=1e-14)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: pinn.Disk((0.5, 0.5), 0.2) - SQUARE, r"the difference .* is empty: .*Rectangle.* covers .*Disk"),
        (
            lambda: pinn.Rectangle((0, 0), (1, 1)) & pinn.Rectangle((2, 0), (3, 1)),
            r"the intersection .* is empty: the domains do not overlap",
        ),
        (lambda: SQUARE | pinn.Box3D((0, 0, 0), (1, 1, 1)), "cannot combine a 2-dimensional domain with a 3-dimensional one"),
        (lambda: PLATE.boundary.part("hole"), r"unknown boundary part 'hole' .*; valid parts: x_min, x_max, y_min, y_max, circle"),
        (lambda: PLATE.boundary.of(pinn.Disk()), r"Disk\(center=\(0.0, 0.0\), radius=1.0\) is not an operand of"),
        (lambda: PLATE.boundary.part("circle").part("x_min"), "no boundary part .* is left in this selection"),
    ],
)
def test_bad_geometry(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_primitive_parts_are_labelled():
    assert pinn.Box3D((0, 0, 0), (1, 1, 1)).boundary_labels == ("x_min", "x_max", "y_min", "y_max", "z_min", "z_max")
    assert pinn.Annulus((0, 0), 1, 2, angles=(0, math.pi / 2)).boundary_labels == ("outer", "inner", "start", "end")
    # Edge k joins the given vertices k and k+1, whatever the orientation.
    for vertices in ([(0, 0), (2, 0), (2, 1), (0, 1)], [(0, 0), (0, 1), (2, 1), (2, 0)]):
        poly = pinn.Polygon(vertices)
        x, _ = poly.boundary.part("edge0").sample(50)
        a, b = np.array(vertices[0]), np.array(vertices[1])
        cross = (x[:, 0] - a[0]) * (b[1] - a[1]) - (x[:, 1] - a[1]) * (b[0] - a[0])
        np.testing.assert_allclose(cross, 0.0, atol=1e-12)
