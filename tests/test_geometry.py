"""Domains: points inside, boundary points on the boundary, unit outward normals."""

import math

import numpy as np
import pytest

import pinn

DOMAINS = {
    "interval": pinn.Interval(-1.0, 2.0),
    "rectangle": pinn.Rectangle((0.0, -1.0), (2.0, 1.0)),
    "box3d": pinn.Box3D((0, 0, 0), (1, 2, 3)),
    "disk": pinn.Disk((0.5, -0.5), 2.0),
    "annulus": pinn.Annulus((0.0, 0.0), 1.0, 2.0),
    "quarter_annulus": pinn.Annulus((0.0, 0.0), 1.0, 2.0, angles=(0.0, math.pi / 2)),
    "polygon": pinn.Polygon([(0, 0), (2, 0), (2, 1), (1, 2), (0, 1)]),
    "l_shape_clockwise": pinn.Polygon([(0, 0), (0, 2), (1, 2), (1, 1), (2, 1), (2, 0)]),
    "heat_line": pinn.Interval(0.0, 1.0) * pinn.TimeInterval(0.0, 1.0),
    "disk_time": pinn.Disk() * pinn.TimeInterval(0.5, 2.0),
    "polygon_time": pinn.Polygon([(0, 0), (1, 0), (0, 1)]) * pinn.TimeInterval(0.0, 1.0),
}


@pytest.mark.parametrize("name", DOMAINS)
@pytest.mark.parametrize("sampler", pinn.SAMPLERS)
def test_interior_points_inside(name, sampler):
    domain = DOMAINS[name]
    x = domain.sample_interior(500, sampler, seed=3)
    assert x.shape == (500, domain.dim)
    assert np.all(domain.sdf(x) <= 1e-12)
    lower, upper = domain.bounds
    assert np.all(x >= lower - 1e-12) and np.all(x <= upper + 1e-12)


@pytest.mark.parametrize("name", DOMAINS)
def test_boundary_points_on_boundary_with_unit_outward_normals(name):
    domain = DOMAINS[name]
    x, n = domain.sample_boundary(400, "sobol", seed=1)
    assert x.shape == n.shape == (400, domain.dim)
    np.testing.assert_allclose(np.abs(domain.sdf(x)), 0.0, atol=1e-9)
    np.testing.assert_allclose(np.linalg.norm(n, axis=1), 1.0, rtol=1e-12)
    eps = 1e-4
    assert np.all(domain.sdf(x + eps * n) > 0), "x + eps n must leave the domain"
    if not domain.time_dependent:
        # Corners excepted, stepping inward along the normal enters the domain.
        inside = domain.sdf(x - eps * n) < 0
        assert inside.mean() > 0.97


def test_boundary_is_spread_by_measure():
    # Rectangle 2 x 1: the two long edges hold 2/3 of the perimeter.
    domain = pinn.Rectangle((0.0, 0.0), (2.0, 1.0))
    x, n = domain.sample_boundary(3000, "sobol", seed=0)
    on_long = np.abs(n[:, 1]) == 1.0
    assert abs(on_long.mean() - 2 / 3) < 0.01


def test_space_time_boundary_normals_have_no_time_part():
    domain = pinn.Disk() * pinn.TimeInterval(0.0, 3.0)
    x, n = domain.sample_boundary(200)
    assert np.all(n[:, -1] == 0.0)
    np.testing.assert_allclose(np.linalg.norm(x[:, :2], axis=1), 1.0, atol=1e-12)
    assert x[:, -1].min() >= 0.0 and x[:, -1].max() <= 3.0


def test_initial_points_lie_on_initial_slice():
    domain = pinn.Rectangle((0, 0), (1, 1)) * pinn.TimeInterval(0.25, 1.0)
    x = domain.sample_initial(100)
    assert np.all(x[:, -1] == 0.25)
    assert np.all(domain.space.contains(x[:, :2]))


def test_disk_interior_is_uniform_in_area():
    x = pinn.Disk(radius=1.0).sample_interior(20000, "uniform", seed=0)
    inner = np.linalg.norm(x, axis=1) < 0.5
    assert abs(inner.mean() - 0.25) < 0.01  # area ratio (0.5 / 1)^2


def test_polygon_normals_point_out_for_both_orientations():
    ccw = pinn.Polygon([(0, 0), (1, 0), (1, 1), (0, 1)])
    cw = pinn.Polygon([(0, 0), (0, 1), (1, 1), (1, 0)])
    for poly in (ccw, cw):
        x, n = poly.sample_boundary(100)
        on_bottom = np.isclose(x[:, 1], 0.0) & (x[:, 0] > 0.01) & (x[:, 0] < 0.99)
        assert on_bottom.any()
        np.testing.assert_allclose(n[on_bottom], np.tile([0.0, -1.0], (on_bottom.sum(), 1)), atol=1e-12)


def test_quarter_annulus_edges_have_symmetry_normals():
    domain = pinn.Annulus((0, 0), 1.0, 2.0, angles=(0.0, math.pi / 2))
    x, n = domain.sample_boundary(2000)
    bottom = np.isclose(x[:, 1], 0.0)
    left = np.isclose(x[:, 0], 0.0, atol=1e-12)
    assert bottom.any() and left.any()
    np.testing.assert_allclose(n[bottom], np.tile([0.0, -1.0], (bottom.sum(), 1)), atol=1e-12)
    np.testing.assert_allclose(n[left], np.tile([-1.0, 0.0], (left.sum(), 1)), atol=1e-12)
    inner = np.isclose(np.linalg.norm(x, axis=1), 1.0) & ~bottom & ~left
    np.testing.assert_allclose(n[inner], -x[inner], atol=1e-12)  # points to the centre


def test_boundary_predicate_selects_edge():
    domain = pinn.Rectangle((0.0, 0.0), (1.0, 2.0))
    left = domain.boundary.where(lambda x: np.isclose(x[0], 0.0))
    x, n = left.sample(64)
    assert x.shape == (64, 2)
    assert np.all(x[:, 0] == 0.0)
    assert np.all(n == np.array([-1.0, 0.0]))
    top_left = left.where(lambda x: x[1] > 1.0)
    x, _ = top_left.sample(16)
    assert np.all((x[:, 0] == 0.0) & (x[:, 1] > 1.0))


def test_boundary_predicate_selecting_nothing_is_an_error():
    domain = pinn.Rectangle((0.0, 0.0), (1.0, 1.0))
    nowhere = domain.boundary.where(lambda x: np.isclose(x[0], 5.0))
    with pytest.raises(ValueError, match="selects none of .* sampled boundary points"):
        nowhere.sample(10)


def test_grids():
    g = pinn.Rectangle((0, 0), (1, 2)).grid(11)
    assert g.shape == (121, 2)
    assert g[:, 1].max() == 2.0
    disk = pinn.Disk().grid(51)
    assert np.all(np.linalg.norm(disk, axis=1) <= 1 + 1e-12)
    st = (pinn.Interval(0, 1) * pinn.TimeInterval(0, 2)).grid(11, n_time=5)
    assert st.shape == (55, 2)
    assert sorted(set(st[:, 1])) == [0.0, 0.5, 1.0, 1.5, 2.0]


def test_coordinate_names():
    assert pinn.Rectangle((0, 0), (1, 1)).coordinate_names == ("x", "y")
    assert (pinn.Box3D((0, 0, 0), (1, 1, 1)) * pinn.TimeInterval(0, 1)).coordinate_names == ("x", "y", "z", "t")


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: pinn.Interval(1.0, 0.0), "lower bound 1.0 must be below upper bound 0.0 on axis 0"),
        (lambda: pinn.Rectangle((0, 0), (1, 0)), "lower bound 0.0 must be below upper bound 0.0 on axis 1"),
        (lambda: pinn.Rectangle((0, 0, 0), (1, 1, 1)), "lower must have 2 values, got 3"),
        (lambda: pinn.Box3D((0, 0, 0), (1, 1, np.nan)), "upper must be finite"),
        (lambda: pinn.Disk(radius=-1.0), "radius must be positive, got -1.0"),
        (lambda: pinn.Annulus(inner=2.0, outer=1.0), "need 0 <= inner < outer"),
        (lambda: pinn.Annulus(angles=(0.0, 4.0)), r"angles must span \(0, pi\] or the full circle"),
        (lambda: pinn.Polygon([(0, 0), (1, 1)]), "at least 3 vertices"),
        (lambda: pinn.Polygon([(0, 0), (1, 1), (2, 2)]), "zero area"),
        (lambda: pinn.TimeInterval(1.0, 1.0), "time interval start 1.0 must be below its end 1.0"),
    ],
)
def test_bad_domains(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_unknown_sampler():
    with pytest.raises(ValueError, match="unknown sampler 'sobel'; valid samplers: uniform, sobol, halton, lhs"):
        pinn.Disk().sample_interior(10, "sobel")


@pytest.mark.parametrize("sampler", pinn.SAMPLERS)
def test_unit_points_are_seeded(sampler):
    a = pinn.unit_points(64, 3, sampler, seed=5)
    b = pinn.unit_points(64, 3, sampler, seed=5)
    c = pinn.unit_points(64, 3, sampler, seed=6)
    assert a.shape == (64, 3) and np.all((a >= 0) & (a < 1))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_quasi_random_points_are_more_even_than_random():
    from scipy.stats import qmc

    d_random = qmc.discrepancy(pinn.unit_points(256, 2, "uniform", 0))
    for sampler in ("sobol", "halton", "lhs"):
        assert qmc.discrepancy(pinn.unit_points(256, 2, sampler, 0)) < d_random
