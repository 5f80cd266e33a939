"""wave1d and burgers: their cheaper derivative forms equal the reference ones, their output
transforms impose the initial and boundary conditions exactly, and wave1d's network starts
with its first layer scaled. (Exact solutions against equations and conditions:
tests/test_problems_scalar.py and tests/test_problems_vector.py; accuracy at the defaults:
benchmarks/accuracy.py.)"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pinn
import problems
from pinn.losses import make_loss_terms
from problems import burgers, wave1d


@pytest.fixture(autouse=True)
def float64():
    with jax.enable_x64(True):
        yield


def random_field(problem, key=3):
    """A float64 network of the problem (its output transform built in) with random weights."""
    model = pinn.MLP.for_problem(problem, (12, 12), "tanh", key=key, dtype="float64")
    apply, params = pinn.pure_apply(model)
    return lambda x: apply(params, x)


def points(problem, n=64):
    return jnp.asarray(problem.domain.sample_interior(n, "halton", seed=11))


@pytest.mark.parametrize("engine, c", [("forward", 2.0), ("auto", 0.7), ("hessian", 2.0), ("jvp", 0.7)])
def test_wave_operator_equals_the_hessian_form(engine, c):
    problem = wave1d.build(c=c)
    u = random_field(problem)
    x = points(problem)
    expected = jax.vmap(lambda p: jax.hessian(u)(p)[1, 1] - c**2 * jax.hessian(u)(p)[0, 0])(x)
    with pinn.derivative_engine(engine):
        got = jax.jit(jax.vmap(lambda p: wave1d.wave_operator(u, p, c)))(x)
    scale = float(jnp.abs(expected).max())
    assert scale > 1.0  # a field with real curvature, not a near-zero comparison
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=0, atol=1e-12 * scale)


@pytest.mark.parametrize("engine", ["forward", "hessian"])  # pinn.partial whatever the engine
def test_burgers_residual_equals_the_gradient_and_hessian_form(engine):
    problem = problems.get("burgers").problem()
    u = random_field(problem)
    x = points(problem)
    nu = problem.params["nu"]

    def reference(p):
        du = jax.grad(u)(p)
        return du[1] + u(p) * du[0] - nu * jax.hessian(u)(p)[0, 0]

    expected = jax.vmap(reference)(x)
    with pinn.derivative_engine(engine):
        got = jax.jit(jax.vmap(lambda p: burgers.burgers_residual(u, p, nu)))(x)
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), rtol=0, atol=1e-12 * float(jnp.abs(expected).max()))


@pytest.mark.parametrize("name", ["wave1d", "burgers"])
def test_output_transform_imposes_every_condition_exactly(name):
    """Any network built for the problem satisfies its conditions: their loss terms are ~0
    while the PDE term (not imposed) is not."""
    spec = problems.get(name)
    problem = spec.problem()
    assert problem.output_transform is not None
    model = spec.make_model(problem, hidden=(12, 12), dtype="float64", key=5)
    apply, params = pinn.pure_apply(model)
    batch = jax.tree.map(jnp.asarray, pinn.sample_batch(problem, 128, 128, "sobol", seed=4))
    terms = jax.jit(make_loss_terms(problem, apply, "forward"))(params, batch)
    for term in problem.named_conditions:
        assert float(terms[term]) < 1e-28, (term, float(terms[term]))
    assert float(terms["pde"]) > 1e-3


def test_wave_transform_starts_from_the_initial_value_with_zero_velocity():
    problem = problems.get("wave1d").problem()
    u = random_field(problem)
    x = jnp.stack([jnp.linspace(0, 1, 17), jnp.zeros(17)], axis=1)
    g = jnp.sin(jnp.pi * x[:, 0]) + 0.5 * jnp.sin(4 * jnp.pi * x[:, 0])
    np.testing.assert_allclose(np.asarray(jax.vmap(u)(x)), np.asarray(g), rtol=0, atol=1e-15)
    u_t = jax.vmap(lambda p: jax.grad(u)(p)[1])(x)
    np.testing.assert_allclose(np.asarray(u_t), 0.0, atol=1e-15)
    # away from t = 0 the network is free: the transform does not pin the whole field
    later = x.at[:, 1].set(0.5)
    assert float(jnp.abs(jax.vmap(u)(later) - g).max()) > 1e-3


def test_burgers_transform_holds_the_initial_value_and_the_walls():
    problem = problems.get("burgers").problem()
    u = random_field(problem)
    x0 = jnp.stack([jnp.linspace(-1, 1, 17), jnp.zeros(17)], axis=1)
    np.testing.assert_allclose(np.asarray(jax.vmap(u)(x0)), -np.sin(np.pi * np.asarray(x0[:, 0])), rtol=0, atol=1e-15)
    t = jnp.linspace(0, 1, 9)
    for wall in (-1.0, 1.0):
        xw = jnp.stack([jnp.full(9, wall), t], axis=1)
        np.testing.assert_allclose(np.asarray(jax.vmap(u)(xw)), 0.0, atol=1e-15)


def test_wave_network_starts_with_the_first_layer_scaled():
    spec = problems.get("wave1d")
    assert isinstance(spec, wave1d.InputScaledSpec) and spec.input_init_scale == 6.0
    problem = spec.problem()
    scaled = spec.make_model(problem, hidden=(8, 8), key=2, dtype="float64")
    plain = pinn.MLP.for_problem(problem, (8, 8), "tanh", key=2, dtype="float64")
    np.testing.assert_allclose(scaled.layers[0].kernel[...], 6.0 * plain.layers[0].kernel[...], rtol=1e-15)
    np.testing.assert_array_equal(scaled.layers[1].kernel[...], plain.layers[1].kernel[...])
    np.testing.assert_array_equal(scaled.layers[0].bias[...], plain.layers[0].bias[...])


@pytest.mark.parametrize("scale", [0.0, -2.0, "6"])
def test_input_init_scale_must_be_positive(scale):
    with pytest.raises(ValueError, match=f"input_init_scale must be a positive number, got {scale!r}"):
        wave1d.InputScaledSpec(name="w", build=wave1d.build, summary="", target=1.0, input_init_scale=scale)


def test_targets_are_those_of_the_issue():
    assert problems.get("wave1d").target == 1e-2
    assert problems.get("burgers").target == 6.7e-4
