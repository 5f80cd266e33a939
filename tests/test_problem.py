"""Problem: validation at construction, residual order probing, evaluation data."""

import jax.numpy as jnp
import numpy as np
import pytest

import pinn

SQUARE = pinn.Rectangle((0.0, 0.0), (1.0, 1.0))


def poisson(u, x):
    return -pinn.laplacian(u)(x) - 2 * jnp.pi**2 * jnp.sin(jnp.pi * x[0]) * jnp.sin(jnp.pi * x[1])


def exact(x):
    return jnp.sin(jnp.pi * x[0]) * jnp.sin(jnp.pi * x[1])


def test_problem_facts():
    p = pinn.Problem(SQUARE, poisson, [pinn.Dirichlet(on=SQUARE.boundary)], exact=exact, name="p")
    assert p.n_fields == 1 and p.field_shape == ()
    assert p.coordinates == ("x", "y")
    assert p.term_names == ("pde", "dirichlet")
    assert not p.time_dependent
    points, values = p.evaluation_data(11)
    assert points.shape == (121, 2) and values.shape == (121, 1)
    np.testing.assert_allclose(values[:, 0], np.sin(np.pi * points[:, 0]) * np.sin(np.pi * points[:, 1]), atol=1e-15)


def test_residual_order_is_probed_from_the_residual():
    domain = pinn.Interval(0, 1) * pinn.TimeInterval(0, 1)
    second = pinn.Problem(domain, lambda u, x, a: pinn.partial(u, 1)(x) - a * pinn.hessian(u)(x)[0, 0], params={"a": 0.4})
    first = pinn.Problem(domain, lambda u, x: pinn.partial(u, 1)(x) + u(x) * pinn.partial(u, 0)(x))
    zeroth = pinn.Problem(domain, lambda u, x: u(x) ** 2 - x[0])
    assert second.residual_order() == 2
    assert first.residual_order() == 1
    assert zeroth.residual_order() == 0


def test_residual_order_of_vector_system():
    def navier(u, x, lam, mu):
        H = pinn.hessian(u)(x)
        return mu * jnp.trace(H, axis1=1, axis2=2) + (lam + mu) * jnp.einsum("jji->i", H)

    p = pinn.Problem(SQUARE, navier, params={"lam": 1.0, "mu": 0.5}, fields=("u_x", "u_y"))
    assert p.residual_order() == 2
    assert p.params == {"lam": 1.0, "mu": 0.5}


def test_reference_data():
    pts = SQUARE.grid(5)
    ref = pinn.Reference(pts, np.sin(pts[:, 0]))
    p = pinn.Problem(SQUARE, poisson, reference=ref)
    points, values = p.evaluation_data()
    assert values.shape == (25, 1) and np.array_equal(points, pts)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(domain="square"), "domain must be a pinn domain"),
        (dict(residual=None), r"residual must be a function residual\(u, x, \*\*params\)"),
        (dict(params={"k": float("nan")}), "parameter 'k' must be finite, got nan"),
        (dict(params={"k": float("inf")}), "parameter 'k' must be finite, got inf"),
        (dict(params={"k": "big"}), "parameter 'k' must be a number or a pinn.Parameter, got 'big'"),
        (dict(fields=("u", "u")), "fields must be distinct non-empty names"),
        (dict(exact=lambda x: jnp.stack([x[0], x[1]])), r"exact solution must return shape \(\) for fields \('u',\), got \(2,\)"),
        (dict(exact=lambda x: jnp.log(x[0] - 2.0)), "exact solution returned non-finite values inside the domain"),
        (dict(residual=lambda u, x: jnp.ones((2, 2))), r"residual must return a scalar or a vector \(shape \(\) or \(k,\)\), got shape \(2, 2\)"),
        (dict(residual=lambda u, x: pinn.laplacian(u)(x) / 0.0), "residual is not finite for the exact solution"),
        (dict(residual=lambda u, x, k: pinn.laplacian(u)(x)), r"residual\(u, x, \*\*params\) failed"),
        (dict(conditions=[pinn.Dirichlet(on=SQUARE.boundary, name="pde")]), "the loss-term name 'pde' is reserved"),
        (dict(conditions=["u=0"]), r"conditions must be pinn conditions \(Dirichlet, Neumann, ...\), got 'u=0'"),
        (dict(reference=pinn.Reference(np.zeros((3, 3)), np.zeros(3))), "reference must have 2 coordinates and 1 fields"),
    ],
)
def test_bad_problems(kwargs, message):
    base = dict(domain=SQUARE, residual=poisson, exact=exact)
    base.update(kwargs)
    with pytest.raises(ValueError, match=message):
        pinn.Problem(**base)


def test_problem_without_solution_cannot_be_measured():
    p = pinn.Problem(SQUARE, poisson)
    with pytest.raises(ValueError, match="has no exact or reference solution"):
        p.evaluation_data()
