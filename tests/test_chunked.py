"""Chunked differentiation of the mean squared residual: the same value and gradient."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import pinn
from pinn.chunked import chunked_mean_square


@pytest.fixture(scope="module")
def setup():
    domain = pinn.Rectangle((0.0, 0.0), (1.0, 2.0))

    def residual(u, x):  # a system of two equations, second order, of a two-field u
        return jnp.stack([pinn.laplacian(u)(x)[0] - x[0], pinn.partial(u, 0, 1)(x)[1] * x[1]])

    problem = pinn.Problem(domain, residual, fields=("a", "b"))
    with jax.enable_x64(True):
        apply, params = pinn.pure_apply(pinn.MLP.for_problem(problem, (12, 12), key=4, dtype="float64"))
        points = jnp.asarray(domain.sample_interior(257, "halton", 0))  # not a multiple of any chunk below

    def res(p, x):
        with pinn.derivative_engine("forward"):
            return problem.residual_at(lambda y: apply(p, y), x)

    return res, params, points


@pytest.mark.parametrize("chunk_size", [16, 100, 257, 1000])
def test_value_and_gradient_equal_the_plain_mean(setup, chunk_size):
    res, params, points = setup
    with jax.enable_x64(True):
        def plain(p):
            return jnp.mean(jnp.sum(jax.vmap(res, (None, 0))(p, points) ** 2, axis=-1))

        value, grads = jax.jit(jax.value_and_grad(plain))(params)
        c_value, c_grads = jax.jit(jax.value_and_grad(lambda p: chunked_mean_square(res, p, points, chunk_size)))(params)
        np.testing.assert_allclose(c_value, value, rtol=1e-13)
        np.testing.assert_allclose(chunked_mean_square(res, params, points, chunk_size), value, rtol=1e-13)
        for a, b in zip(jax.tree.leaves(c_grads), jax.tree.leaves(grads)):
            np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-14 * float(jnp.max(jnp.abs(b))))


def test_a_scaled_loss_scales_its_gradient_and_points_get_none(setup):
    res, params, points = setup
    with jax.enable_x64(True):
        g = jax.grad(lambda p: chunked_mean_square(res, p, points, 50))(params)
        g3, gx = jax.grad(lambda p, x: 3.0 * chunked_mean_square(res, p, x, 50), argnums=(0, 1))(params, points)
        for a, b in zip(jax.tree.leaves(g3), jax.tree.leaves(g)):
            np.testing.assert_allclose(a, 3.0 * b, rtol=1e-14)
        assert not np.any(np.asarray(gx))


def test_lbfgs_step_through_the_chunked_loss_equals_the_plain_one(setup):
    res, params, points = setup
    with jax.enable_x64(True):
        solver = optax.lbfgs()

        def run(loss):
            value_and_grad = optax.value_and_grad_from_state(loss)

            @jax.jit
            def step(p, state):
                value, grad = value_and_grad(p, state=state)
                updates, state = solver.update(grad, state, p, value=value, grad=grad, value_fn=loss)
                return optax.apply_updates(p, updates), state

            # strongly typed initial state: the step compiles once
            state = jax.tree.map(lambda a: jax.lax.convert_element_type(a, a.dtype), solver.init(params))
            p = params
            for _ in range(3):
                p, state = step(p, state)
            return p

        plain = run(lambda p: jnp.mean(jnp.sum(jax.vmap(res, (None, 0))(p, points) ** 2, axis=-1)))
        chunked = run(lambda p: chunked_mean_square(res, p, points, 64))
        for a, b in zip(jax.tree.leaves(chunked), jax.tree.leaves(plain)):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_training_with_chunks_follows_the_same_trajectory():
    import problems

    spec = problems.get("poisson2d")
    settings = dict(steps=20, lbfgs_steps=5, hidden=(8, 8), n_interior=300, n_boundary=32, eval_every=0)
    plain = spec.solve(**settings)
    chunked = spec.solve(chunk_size=128, **settings)
    assert chunked.config.chunk_size == 128
    for a, b in zip(jax.tree.leaves(chunked.params), jax.tree.leaves(plain.params)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(chunked.metrics["rel_l2"], plain.metrics["rel_l2"], rtol=1e-6)


def test_bad_chunk_settings_are_refused():
    from pinn.config import TrainConfig

    with pytest.raises(ValueError, match=r"chunk_size must be a non-negative integer, got -1"):
        TrainConfig(chunk_size=-1)
    with pytest.raises(ValueError, match=r"chunk_size \(100\) and causal_chunks \(4\) cannot be combined"):
        TrainConfig(chunk_size=100, causal_chunks=4)
