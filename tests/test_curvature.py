"""Curvature diagnostics and the ReLU warning, on tiny networks with closed-form checks."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pinn
import problems
from pinn.curvature import (
    CurvatureWarning,
    as_field,
    curvature_diagnostics,
    jets,
    residual_parts,
    sample_points,
    spatial_laplacian,
)


@pytest.fixture(scope="module")
def poisson():
    return problems.get("poisson2d").problem()


def _advection_diffusion(a=0.3, c=1.5, k=0.7):
    """u_t + c u_x - a u_xx + k u - f = 0 on [0,1] x [0,1]: every derivative order present."""
    domain = pinn.Interval(0.0, 1.0) * pinn.TimeInterval(0.0, 1.0)

    def f(x):
        return jnp.cos(3.0 * x[0]) + x[1]

    def residual(u, x, a, c, k):
        du = pinn.grad(u)(x)
        H = pinn.hessian(u)(x)
        return du[1] + c * du[0] - a * H[0, 0] + k * u(x) - f(x)

    problem = pinn.Problem(domain, residual, [pinn.Dirichlet(on=domain.boundary, value=0.0)], {"a": a, "c": c, "k": k})
    return problem, f


def _advection():
    """u_t + u_x = 0: a first-order problem."""
    domain = pinn.Interval(0.0, 1.0) * pinn.TimeInterval(0.0, 1.0)
    return pinn.Problem(
        domain,
        lambda u, x: pinn.grad(u)(x)[1] + pinn.grad(u)(x)[0],
        [pinn.Initial(value=lambda x: jnp.sin(jnp.pi * x[0]))],
        exact=lambda x: jnp.sin(jnp.pi * (x[0] - x[1])),
        name="advection",
    )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relu_network_hessian_is_exactly_zero_everywhere(poisson, dtype):
    model = pinn.MLP.for_problem(poisson, (16, 16), "relu", key=1, dtype=dtype)
    points = sample_points(poisson, 300, seed=5)
    u, dt = as_field(model)
    with jax.enable_x64(dt == "float64"):
        _, _, H = jets(u, jnp.asarray(points, dtype=pinn.nn.DTYPES[dt]))
    assert H.shape == (300, 1, 2, 2)
    assert np.all(H == 0.0)  # at all N points, not just 99%
    report = curvature_diagnostics(poisson, model, points=points)
    assert report["hessian_zero_fraction"] == 1.0 >= 0.99
    assert report["second_order_zero_fraction"] == 1.0
    assert report["hessian_norm"]["q100"] == 0.0
    # -Δu is zero, so the residual is exactly minus the source: the network cannot fit the PDE.
    assert report["rel_hessian_error"] == 1.0
    assert report["rel_second_order_error"] == 1.0
    rms = report["residual_rms"]
    assert rms["network"]["second"] == 0.0
    assert rms["network"]["total"] == pytest.approx(rms["exact"]["zeroth"], rel=1e-6)


def test_one_layer_tanh_hessian_matches_closed_form():
    # u(x) = sum_k a_k tanh(w_k . x + b_k) + c  =>  H = sum_k a_k tanh''(z_k) w_k w_k^T,
    # with tanh'' = -2 tanh sech^2.
    model = pinn.MLP(2, 1, (6,), "tanh", key=4, dtype="float64")
    with jax.enable_x64(True):
        W = np.asarray(model.layers[0].kernel[...])  # (2, 6)
        b = np.asarray(model.layers[0].bias[...]) + np.array([0.1, -0.2, 0.3, 0.0, 0.5, -0.4])
        model.layers[0].bias[...] = jnp.asarray(b)
        a = np.asarray(model.layers[1].kernel[...])[:, 0]
        points = np.random.default_rng(0).uniform(-1.5, 1.5, (50, 2))
        u, _ = as_field(model)
        _, _, H = jets(u, jnp.asarray(points))
    z = points @ W + b
    t = np.tanh(z)
    d2 = -2 * t * (1 - t**2)
    expected = np.einsum("nk,k,ik,jk->nij", d2, a, W, W)
    np.testing.assert_allclose(H[:, 0], expected, rtol=1e-12, atol=1e-14)


def test_deep_tanh_hessian_matches_finite_differences():
    model = pinn.MLP(3, 2, (10, 10), "tanh", key=2, dtype="float64")
    u, _ = as_field(model)
    x0 = np.array([0.2, -0.4, 0.7])
    with jax.enable_x64(True):
        _, J, H = jets(u, jnp.asarray(x0[None]))
        grad = jax.jacfwd(u)
        h = 1e-5
        fd = np.stack(
            [(np.asarray(grad(jnp.asarray(x0 + h * e))) - np.asarray(grad(jnp.asarray(x0 - h * e)))) / (2 * h) for e in np.eye(3)],
            axis=-1,
        )
    assert J.shape == (1, 2, 3) and H.shape == (1, 2, 3, 3)
    np.testing.assert_allclose(H[0], fd, rtol=1e-6, atol=1e-8)


def test_exact_solution_against_itself_has_zero_error(poisson):
    report = curvature_diagnostics(poisson, poisson.exact, n_points=200, seed=3)
    assert report["n_points"] == 200 and report["residual_order"] == 2
    assert report["rel_hessian_error"] == 0.0
    assert report["rel_hessian_error_per_field"] == {"u": 0.0}
    assert report["rel_second_order_error"] == 0.0
    assert report["hessian_zero_fraction"] == 0.0
    # The exact solution satisfies the PDE: the residual vanishes and its parts cancel.
    assert report["residual_rms"]["network"]["total"] < 1e-12
    assert report["residual_rms"]["network"]["second"] == pytest.approx(report["residual_rms"]["network"]["zeroth"], rel=1e-12)
    # ||H||_F of u = sin(pi x) sin(pi y) is pi^2 sqrt(2 sx^2 sy^2 + 2 cx^2 cy^2).
    p = sample_points(poisson, 200, seed=3)
    sx, sy, cx, cy = np.sin(np.pi * p[:, 0]), np.sin(np.pi * p[:, 1]), np.cos(np.pi * p[:, 0]), np.cos(np.pi * p[:, 1])
    norms = np.pi**2 * np.sqrt(2 * sx**2 * sy**2 + 2 * cx**2 * cy**2)
    q = report["hessian_norm"]
    assert q["q50"] == pytest.approx(np.median(norms), rel=1e-12)
    assert q["q0"] == pytest.approx(norms.min(), rel=1e-12) and q["q100"] == pytest.approx(norms.max(), rel=1e-12)
    assert q["mean"] == pytest.approx(norms.mean(), rel=1e-12)
    assert q["q0"] <= q["q10"] <= q["q50"] <= q["q90"] <= q["q100"]
    assert report["exact_hessian_norm"] == q


def test_residual_split_by_derivative_order_matches_the_terms():
    a, c, k = 0.3, 1.5, 0.7
    problem, f = _advection_diffusion(a, c, k)
    assert problem.residual_order() == 2

    def u(x):
        return jnp.sin(2.0 * x[0]) * jnp.exp(-x[1]) + x[0] ** 3

    points = sample_points(problem, 40, seed=1)
    parts = residual_parts(problem, u, points)
    x, t = points[:, 0], points[:, 1]
    value = np.sin(2 * x) * np.exp(-t) + x**3
    u_t = -np.sin(2 * x) * np.exp(-t)
    u_x = 2 * np.cos(2 * x) * np.exp(-t) + 3 * x**2
    u_xx = -4 * np.sin(2 * x) * np.exp(-t) + 6 * x
    source = np.cos(3 * x) + t
    np.testing.assert_allclose(parts["zeroth"][:, 0], k * value - source, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(parts["first"][:, 0], u_t + c * u_x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(parts["second"][:, 0], -a * u_xx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(parts["total"][:, 0], u_t + c * u_x - a * u_xx + k * value - source, rtol=1e-12, atol=1e-12)
    assert np.max(np.abs(parts["higher"])) < 1e-12


def test_vector_residual_split_for_elasticity_style_operator():
    # div of a vector field's Hessian: residual_i = sum_j d2 u_i / dx_j^2 + u_i (m = 2 fields, k = 2 equations).
    domain = pinn.Rectangle((0.0, 0.0), (1.0, 1.0))
    problem = pinn.Problem(domain, lambda u, x: pinn.laplacian(u)(x) + u(x), fields=("a", "b"))

    def u(x):
        return jnp.stack([x[0] ** 2 * x[1], jnp.sin(x[0] + x[1])])

    points = sample_points(problem, 30, seed=2)
    parts = residual_parts(problem, u, points)
    x, y = points[:, 0], points[:, 1]
    np.testing.assert_allclose(parts["second"], np.stack([2 * y, -2 * np.sin(x + y)], axis=1), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(parts["zeroth"], np.stack([x**2 * y, np.sin(x + y)], axis=1), rtol=1e-12)
    assert np.all(parts["first"] == 0.0)


def test_first_order_problem_reports_no_second_order_part():
    problem = _advection()
    model = pinn.MLP.for_problem(problem, (8,), "relu", key=0)
    report = curvature_diagnostics(problem, model, n_points=64)
    assert report["residual_order"] == 1
    assert "second_order_zero_fraction" not in report
    assert report["hessian_zero_fraction"] == 1.0


def test_spatial_laplacian_leaves_time_out():
    heat = problems.get("heat1d").problem()
    lap = spatial_laplacian(heat.exact, heat)
    with jax.enable_x64(True):
        x = jnp.array([0.3, 0.5])
        # u = exp(-0.4 pi^2 t) sin(pi x): u_xx = -pi^2 u, u_tt would be (0.4 pi^2)^2 u.
        assert float(lap(x)) == pytest.approx(-np.pi**2 * float(heat.exact(x)), rel=1e-12)


def test_diagnostics_reject_bad_input(poisson):
    with pytest.raises(ValueError, match=r"points must have 2 columns \('x', 'y'\), got shape \(4, 3\)"):
        curvature_diagnostics(poisson, poisson.exact, points=np.zeros((4, 3)))
    with pytest.raises(ValueError, match="model must be a pinn.MLP, a trained result or a function of one point, got 3"):
        curvature_diagnostics(poisson, 3)


# -- the warning ---------------------------------------------------------------------
TINY = dict(steps=1, n_interior=16, n_boundary=8, eval_resolution=5, log_every=1, eval_every=0)


def _solve_and_collect(problem, activation):
    model = pinn.MLP.for_problem(problem, (4,), activation, key=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = pinn.solve(problem, model, **TINY)
    return result, [w for w in caught if issubclass(w.category, CurvatureWarning)]


def test_relu_on_second_order_problem_warns_once_and_says_why(poisson):
    result, caught = _solve_and_collect(poisson, "relu")
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "'relu' is piecewise linear (C0)" in message
    assert "second derivatives are zero almost everywhere" in message
    assert "poisson2d" in message and "cannot fit the PDE" in message
    assert caught[0].filename.endswith("test_curvature.py")  # points at the caller's solve(...)
    assert result.metrics["steps"]["adam"] == 1  # the run still goes on as a baseline


def test_relu_on_first_order_problem_does_not_warn():
    _, caught = _solve_and_collect(_advection(), "relu")
    assert caught == []


@pytest.mark.parametrize("activation", ["tanh", "elu", "hard_swish"])
def test_activations_with_curvature_do_not_warn(poisson, activation):
    # hard_swish is C0 but not piecewise linear (phi'' = 1/3 on (-3, 3)): it has a Hessian.
    _, caught = _solve_and_collect(poisson, activation)
    assert caught == []
