"""Conditions: zero loss for the exact solution, the right loss otherwise."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pinn
from pinn.losses import make_loss_terms, term_weights

X64 = jax.enable_x64(True)


def _term_losses(problem, field, n=128, seed=0):
    """Loss terms of ``problem`` with the network replaced by ``field``."""
    batch = jax.tree.map(jnp.asarray, pinn.sample_batch(problem, n, n, "sobol", seed))
    return {k: float(v) for k, v in make_loss_terms(problem, lambda params, x: field(x))(None, batch).items()}


def heat_problem(a=0.4):
    domain = pinn.Interval(0.0, 1.0) * pinn.TimeInterval(0.0, 1.0)

    def heat(u, x, a):
        return pinn.partial(u, 1)(x) - a * pinn.hessian(u)(x)[0, 0]

    def exact(x):
        return jnp.exp(-a * jnp.pi**2 * x[1]) * jnp.sin(jnp.pi * x[0])

    return pinn.Problem(
        domain,
        heat,
        [pinn.Dirichlet(on=domain.boundary, value=0.0), pinn.Initial(value=lambda x: jnp.sin(jnp.pi * x[0]))],
        params={"a": a},
        exact=exact,
    ), exact


def test_every_term_vanishes_for_exact_heat_solution():
    with X64:
        problem, exact = heat_problem()
        losses = _term_losses(problem, exact)
    assert set(losses) == {"pde", "dirichlet", "initial"}
    assert max(losses.values()) < 1e-24


def test_dirichlet_loss_is_mean_square_of_the_mismatch():
    with X64:
        problem, exact = heat_problem()
        losses = _term_losses(problem, lambda x: exact(x) + 0.1)
    assert losses["dirichlet"] == pytest.approx(0.01, rel=1e-12)
    assert losses["initial"] == pytest.approx(0.01, rel=1e-12)


def test_neumann_and_robin_use_outward_normals():
    # u = x^2 + y on the unit square: du/dn = 2 on x = 1, 0 on x = 0, 1 on y = 1, -1 on y = 0.
    with X64:
        domain = pinn.Rectangle((0, 0), (1, 1))
        u = lambda x: x[0] ** 2 + x[1]  # noqa: E731

        def flux(x):
            return jnp.where(jnp.isclose(x[0], 1.0), 2.0, 0.0) + jnp.where(jnp.isclose(x[1], 1.0), 1.0, 0.0) - jnp.where(
                jnp.isclose(x[1], 0.0), 1.0, 0.0
            )

        problem = pinn.Problem(
            domain,
            lambda u, x: pinn.laplacian(u)(x) - 2.0,
            [
                pinn.Neumann(on=domain.boundary, value=flux),
                pinn.Robin(on=domain.boundary, alpha=2.0, beta=3.0, value=lambda x: 2.0 * u(x) + 3.0 * flux(x)),
                pinn.Neumann(on=domain.boundary, value=0.0, name="wrong_flux"),
            ],
            exact=u,
        )
        losses = _term_losses(problem, u, n=256)
    assert losses["pde"] < 1e-24
    assert losses["neumann"] < 1e-24
    assert losses["robin"] < 1e-24
    assert losses["wrong_flux"] > 0.5


def test_initial_velocity_for_second_order_in_time():
    with X64:
        domain = pinn.Interval(0, 1) * pinn.TimeInterval(0, 1)
        u = lambda x: jnp.sin(jnp.pi * x[0]) * jnp.cos(2 * jnp.pi * x[1]) + 0.3 * x[1] * x[0]  # noqa: E731
        problem = pinn.Problem(
            domain,
            lambda u, x: pinn.partial(u, 1, 1)(x) - 4 * pinn.partial(u, 0, 0)(x),
            [pinn.InitialVelocity(value=lambda x: 0.3 * x[0]), pinn.InitialVelocity(value=0.0, name="at_rest")],
        )
        losses = _term_losses(problem, u)
    assert losses["initial_velocity"] < 1e-24
    assert losses["at_rest"] == pytest.approx(0.09 * np.mean(problem_initial_x(problem) ** 2), rel=1e-10)


def problem_initial_x(problem):
    return pinn.sample_batch(problem, 128, 128, "sobol", 0)["at_rest"]["x"][:, 0]


def test_periodic_condition_value_and_slope():
    with X64:
        domain = pinn.Interval(-1.0, 1.0) * pinn.TimeInterval(0.0, 1.0)
        periodic = lambda x: jnp.sin(jnp.pi * x[0]) * (1 + x[1])  # noqa: E731
        problem = pinn.Problem(
            domain,
            lambda u, x: pinn.partial(u, 1)(x),
            [pinn.Periodic(axis=0, derivative=True)],
        )
        assert _term_losses(problem, periodic)["periodic"] < 1e-24
        assert _term_losses(problem, lambda x: x[0] + periodic(x))["periodic"] == pytest.approx(4.0, rel=1e-12)


def test_data_condition():
    with X64:
        domain = pinn.Rectangle((0, 0), (1, 1))
        pts = np.array([[0.2, 0.3], [0.5, 0.5], [0.9, 0.1]])
        u = lambda x: x[0] * x[1]  # noqa: E731
        problem = pinn.Problem(domain, lambda u, x: pinn.laplacian(u)(x), [pinn.Data(points=pts, values=pts[:, 0] * pts[:, 1])])
        assert _term_losses(problem, u)["data"] < 1e-30
        assert _term_losses(problem, lambda x: u(x) + 0.5)["data"] == pytest.approx(0.25)


def test_boundary_residual_traction_on_vector_field():
    # u = (x, 0): sigma_xx = lam + 2 mu everywhere; traction on x = 1 is (lam + 2 mu, 0).
    with X64:
        lam, mu = 1.0, 0.5
        domain = pinn.Rectangle((0, 0), (1, 1))
        right = domain.boundary.where(lambda x: np.isclose(x[0], 1.0))

        def traction(u, x, n):
            J = pinn.jacobian(u)(x)
            eps = 0.5 * (J + J.T)
            sigma = lam * jnp.trace(eps) * jnp.eye(2) + 2 * mu * eps
            return sigma @ n - jnp.array([lam + 2 * mu, 0.0])

        problem = pinn.Problem(
            domain,
            lambda u, x: jnp.einsum("jji->i", pinn.hessian(u)(x)),
            [pinn.BoundaryResidual(on=right, fn=traction, name="traction")],
            fields=("u_x", "u_y"),
        )
        assert _term_losses(problem, lambda x: jnp.array([x[0], 0.0]))["traction"] < 1e-30
        assert _term_losses(problem, lambda x: jnp.array([2 * x[0], 0.0]))["traction"] == pytest.approx(4.0)


def test_component_selects_one_field():
    with X64:
        domain = pinn.Rectangle((0, 0), (1, 1))
        problem = pinn.Problem(
            domain,
            lambda u, x: pinn.laplacian(u)(x),
            [pinn.Dirichlet(on=domain.boundary, value=1.0, component=1)],
            fields=("a", "b"),
        )
        assert _term_losses(problem, lambda x: jnp.array([5.0, 1.0]))["dirichlet"] == 0.0


def test_term_names_are_unique_and_numbered():
    domain = pinn.Rectangle((0, 0), (1, 1))
    conditions = [pinn.Dirichlet(on=domain.boundary), pinn.Dirichlet(on=domain.boundary), pinn.Neumann(on=domain.boundary, name="flux")]
    problem = pinn.Problem(domain, lambda u, x: pinn.laplacian(u)(x), conditions)
    assert problem.term_names == ("pde", "dirichlet", "dirichlet_2", "flux")
    assert term_weights(problem, {"flux": 3.0}) == {"pde": 1.0, "dirichlet": 1.0, "dirichlet_2": 1.0, "flux": 3.0}
    with pytest.raises(ValueError, match="unknown loss term 'fluxx' in weights; the terms are: pde, dirichlet, dirichlet_2, flux"):
        term_weights(problem, {"fluxx": 1.0})


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: pinn.Dirichlet(on=d, value=0.0), "'on' must be a boundary set"),
        (lambda d: pinn.Dirichlet(on=d.boundary, weight=-1.0), "condition weight must be a finite non-negative number, got -1.0"),
        (lambda d: pinn.Dirichlet(on=d.boundary, n=0), "condition point count n must be a positive integer, got 0"),
        (lambda d: pinn.Data(points=np.zeros((3, 2)), values=np.zeros(2)), r"data points must have shape \(n, d\)"),
        (lambda d: pinn.Data(points=np.full((2, 2), np.nan), values=np.zeros(2)), "data points and values must be finite"),
    ],
)
def test_bad_conditions(make, message):
    with pytest.raises(ValueError, match=message):
        make(pinn.Rectangle((0, 0), (1, 1)))


def test_initial_condition_needs_time():
    domain = pinn.Rectangle((0, 0), (1, 1))
    with pytest.raises(ValueError, match="condition 'initial': an initial condition needs a space-time domain"):
        pinn.Problem(domain, lambda u, x: pinn.laplacian(u)(x), [pinn.Initial(value=0.0)])


def test_reserved_pde_name():
    domain = pinn.Rectangle((0, 0), (1, 1))
    with pytest.raises(ValueError, match="the loss-term name 'pde' is reserved"):
        pinn.Problem(domain, lambda u, x: pinn.laplacian(u)(x), [pinn.Dirichlet(on=domain.boundary, name="pde")])
