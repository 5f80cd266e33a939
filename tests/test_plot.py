"""Figures (pinn.plot): which planes are drawn for each kind of domain, what each panel holds.

Results are built by hand from untrained networks: the figures must show the network
and the exact solution as they are, whatever their quality, so the panels' data are
compared with predictions and exact values computed here.
"""

import jax.numpy as jnp
import numpy as np
import pytest
from matplotlib.image import imread

import pinn
from pinn import plot
from pinn.config import TrainConfig
from pinn.result import Result


def fake_result(problem, hidden=(8,)):
    model = pinn.MLP.for_problem(problem, hidden, "tanh", key=1, dtype="float64")
    _, params = pinn.pure_apply(model)
    history = {
        "step": np.array([10.0, 20.0, 30.0]),
        "phase": np.array(["adam", "adam", "lbfgs"]),
        "loss": np.array([3.0, 0.25, 0.125]),
        "loss_pde": np.array([2.5, 0.2, 0.1]),
        "loss_dirichlet": np.array([0.5, 0.05, 0.025]),
        "rel_l2": np.array([np.nan, 0.5, 0.375]),
    }
    metrics = {"rel_l2": 0.375, "rel_l2_per_field": {f: 0.375 for f in problem.fields}}
    return Result(problem, model, params, history, metrics, TrainConfig())


def zero_residual(u, x):
    return pinn.laplacian(u)(x)


def make_problem(domain, exact, fields=("u",), residual=zero_residual, params=None, name="p"):
    return pinn.Problem(domain, residual, [pinn.Dirichlet(on=domain.boundary, value=0.0)], params=params or {},
                        exact=exact, fields=fields, name=name)


@pytest.fixture(scope="module")
def sector():
    """A vector (displacement-like) problem on a quarter annulus, with a derived quantity."""
    domain = pinn.Annulus(center=(0.0, 0.0), inner=1.0, outer=2.0, angles=(0.0, np.pi / 2))

    def exact(x):
        return jnp.stack([0.01 * x[0] * x[1], -0.02 * x[1] ** 2])

    def residual(u, x, mu):
        return mu * pinn.laplacian(u)(x)

    return make_problem(domain, exact, fields=("u_x", "u_y"), residual=residual, params={"mu": 2.0}, name="sector")


DERIVED = {"strain_xx": lambda u, x, mu: pinn.jacobian(u)(x)[0, 0] * mu}


def panel(fig, title_start):
    axes = [ax for ax in fig.axes if ax.get_title().startswith(title_start)]
    assert len(axes) == 1, [ax.get_title() for ax in fig.axes]
    return np.ma.filled(np.ma.masked_invalid(axes[0].collections[0].get_array()), np.nan)


def test_planes_follow_the_domain():
    disk_time = make_problem(pinn.Disk((0.0, 0.0), 1.0) * pinn.TimeInterval(0.0, 2.0), lambda x: 1.0 - x[0] ** 2 - x[1] ** 2)
    planes = plot.slices(disk_time, n=21)
    assert [p.label for p in planes] == ["t = 0", "t = 1", "t = 2"]
    for p, t in zip(planes, (0.0, 1.0, 2.0)):
        np.testing.assert_array_equal(p.points[:, 2], t)
        np.testing.assert_array_equal(p.inside, p.points[:, 0] ** 2 + p.points[:, 1] ** 2 <= 1.0 + 1e-9)
        assert p.spatial and p.names == ("x", "y")
    cube_time = make_problem(pinn.Box3D((0, 0, 0), (1, 2, 4)) * pinn.TimeInterval(0.0, 1.0), lambda x: x[0] * x[3])
    planes = plot.slices(cube_time, n=11)
    assert [p.label for p in planes] == ["z = 2, t = 0", "z = 2, t = 0.5", "z = 2, t = 1"]
    assert np.all(planes[1].points[:, 2] == 2.0) and np.all(planes[1].points[:, 3] == 0.5) and planes[1].inside.all()
    bar_time = make_problem(pinn.Interval(0.0, 1.0) * pinn.TimeInterval(0.0, 1.0), lambda x: x[0] * x[1])
    (plane,) = plot.slices(bar_time, n=11)
    assert plane.names == ("x", "t") and not plane.spatial and plane.label == ""
    assert plot.slices(make_problem(pinn.Interval(0.0, 1.0), lambda x: x[0])) == []


def test_solution_panels_hold_prediction_exact_and_error_masked_outside(sector):
    result = fake_result(sector)
    fig = plot.solution_figure(result, resolution=31)
    (plane,) = plot.slices(sector, 31)
    inside = plane.points[plane.inside]
    predicted = result.predict(inside)
    exact = np.stack([0.01 * inside[:, 0] * inside[:, 1], -0.02 * inside[:, 1] ** 2], 1)
    for k, field in enumerate(("u_x", "u_y")):
        for title, want in (
            (f"{field} predicted", predicted[:, k]),
            (f"{field} exact", exact[:, k]),
            (f"|error| of {field}", np.abs(predicted[:, k] - exact[:, k])),
        ):
            values = panel(fig, title).ravel()
            np.testing.assert_allclose(values[plane.inside], want, rtol=1e-6, atol=1e-12)
            assert np.isnan(values[~plane.inside]).all()  # outside the quarter annulus: blank
    assert "relative L2 error 3.75e-01" in fig._suptitle.get_text()
    assert panel(fig, "u_x predicted").shape == (31, 31)


def test_plot_result_writes_the_figures_that_apply(tmp_path, sector):
    cases = {
        "square": (make_problem(pinn.Rectangle((0, 0), (1, 1)), lambda x: x[0] * x[1]), None, {"solution", "loss"}),
        "bar_time": (
            make_problem(pinn.Interval(-1.0, 1.0) * pinn.TimeInterval(0.0, 1.0), lambda x: x[0] * x[1]),
            None,
            {"solution", "slices", "loss"},
        ),
        "bar": (make_problem(pinn.Interval(0.0, 1.0), lambda x: x[0] ** 2), None, {"solution", "loss"}),
        "sector": (sector, DERIVED, {"solution", "loss", "stress", "deformed"}),
        "sector_plain": (sector, None, {"solution", "loss", "deformed"}),
    }
    for name, (problem, derived, expected) in cases.items():
        paths = plot.plot_result(fake_result(problem), tmp_path / name, derived=derived, resolution=41)
        assert {p.stem for p in paths} == expected, name
        for path in paths:
            image = imread(path)
            assert image.ndim == 3 and image.shape[0] > 300 and image.shape[1] > 500, (path, image.shape)
            assert image[..., :3].std() > 0.05  # not a blank canvas


def test_loss_figure_draws_every_term_and_the_error():
    problem = make_problem(pinn.Rectangle((0, 0), (1, 1)), lambda x: x[0] * x[1])
    fig = plot.loss_figure(fake_result(problem))
    loss_ax = [ax for ax in fig.axes if ax.get_title() == "loss terms"][0]
    labels = {line.get_label(): line for line in loss_ax.lines if not line.get_label().startswith("_")}
    assert set(labels) == {"total (weighted)", "pde", "dirichlet"}
    np.testing.assert_array_equal(labels["pde"].get_ydata(), [2.5, 0.2, 0.1])
    assert loss_ax.get_yscale() == "log"
    error_ax = [ax for ax in fig.axes if ax.get_title().startswith("error")][0]
    line = [line for line in error_ax.lines if len(line.get_xdata()) > 0 and line.get_linestyle() != ":"][0]
    np.testing.assert_array_equal(line.get_xdata(), [20.0, 30.0])  # the steps where the error was measured
    assert [t.get_text().strip() for t in loss_ax.texts] == ["L-BFGS"]


def test_derived_quantity_and_deformed_shape(sector):
    result = fake_result(sector)
    fig = plot.stress_figure(result, DERIVED, resolution=41)
    plane = plot.slices(sector, 41)[0]
    inside = plane.points[plane.inside]
    exact_strain = 2.0 * 0.01 * inside[:, 1]  # mu * d/dx (0.01 x y)
    np.testing.assert_allclose(panel(fig, "strain_xx exact").ravel()[plane.inside], exact_strain, rtol=1e-12)
    assert plot.stress_figure(result, {}) is None

    fig = plot.deformed_figure(result, n_lines=5, n_along=50)
    ax = fig.axes[0]
    base = ax.lines[0].get_xydata()
    moved = ax.lines[2].get_xydata()  # order per grid line: undeformed, exact, predicted
    ok = np.isfinite(base).all(1)
    u = result.predict(base[ok])
    scale = float(ax.get_title().split("x ")[-1])
    np.testing.assert_allclose(moved[ok] - base[ok], scale * u, rtol=1e-3, atol=1e-9)
    assert {"undeformed", "exact", "predicted"} <= {t.get_text() for t in ax.get_legend().get_texts()}


def test_reference_tables_are_interpolated_without_triangulation():
    x, t = np.linspace(-1, 1, 9), np.linspace(0, 0.5, 4)
    grid = np.stack(np.meshgrid(x, t, indexing="ij"), -1).reshape(-1, 2)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(grid))  # the table's row order does not matter
    bilinear = lambda p: 1.0 + 2.0 * p[:, 0] - 3.0 * p[:, 1] + 0.5 * p[:, 0] * p[:, 1]  # noqa: E731
    reference = pinn.Reference(grid[order], bilinear(grid[order]))
    query = np.column_stack([rng.uniform(-1, 1, 50), rng.uniform(0, 0.5, 50)])
    np.testing.assert_allclose(plot._interpolate_reference(reference, query)[:, 0], bilinear(query), rtol=1e-12)
    assert np.isnan(plot._interpolate_reference(reference, np.array([[0.0, 0.9]]))).all()  # beyond the table
    scattered = pinn.Reference(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]), np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(plot._interpolate_reference(scattered, np.array([[0.9, 0.1], [0.1, 0.8]]))[:, 0], [2.0, 3.0])
