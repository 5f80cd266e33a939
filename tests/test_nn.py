"""The MLP: shapes, initialisation, input scaling, dtypes, a pure apply for transforms."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

import pinn


def test_scalar_and_vector_outputs():
    scalar = pinn.MLP(3, 1, (8, 8), "tanh", key=0)
    vector = pinn.MLP(3, 2, (8, 8), "tanh", key=0)
    x = jnp.array([0.1, 0.2, 0.3])
    assert scalar(x).shape == ()
    assert vector(x).shape == (2,)
    assert scalar.n_params == (3 * 8 + 8) + (8 * 8 + 8) + (8 + 1)


def test_glorot_initialisation_and_zero_biases():
    model = pinn.MLP(64, 1, (256, 256), "tanh", key=1)
    w = np.asarray(model.layers[1].kernel[...])
    # Glorot normal: variance 2 / (fan_in + fan_out) = 2 / 512 (truncated normal, stddev matched).
    assert w.std() == pytest.approx(np.sqrt(2 / 512), rel=0.03)
    assert np.all(np.asarray(model.layers[1].bias[...]) == 0.0)


def test_same_key_same_network():
    a, b, c = (pinn.MLP(2, 1, (8,), key=k) for k in (0, 0, 1))
    x = jnp.array([0.3, -0.2])
    assert a(x) == b(x)
    assert a(x) != c(x)


def test_inputs_scaled_to_the_bounding_box():
    bounds = ((0.0, 10.0), (4.0, 20.0))
    scaled = pinn.MLP(2, 1, (8,), key=0, input_bounds=bounds)
    plain = pinn.MLP(2, 1, (8,), key=0)
    # The corner (4, 20) maps to (1, 1) and the centre (2, 15) to the origin.
    assert scaled(jnp.array([4.0, 20.0])) == pytest.approx(float(plain(jnp.array([1.0, 1.0]))), rel=1e-6)
    assert scaled(jnp.array([2.0, 15.0])) == pytest.approx(float(plain(jnp.zeros(2))), rel=1e-6)


def test_for_problem_reads_dimensions_and_bounds():
    domain = pinn.Rectangle((0.0, -1.0), (4.0, 1.0))
    problem = pinn.Problem(domain, lambda u, x: pinn.laplacian(u)(x), fields=("u_x", "u_y"))
    model = pinn.MLP.for_problem(problem, (16,), "swish")
    assert (model.in_dim, model.out_dim) == (2, 2)
    assert model.input_bounds == ((0.0, -1.0), (4.0, 1.0))


def test_pure_apply_under_jit_vmap_and_hessian():
    model = pinn.MLP(2, 1, (16, 16), "tanh", key=0)
    apply, params = pinn.pure_apply(model)
    xs = jnp.array([[0.1, 0.2], [0.3, -0.4]])
    batched = jax.jit(jax.vmap(apply, in_axes=(None, 0)))(params, xs)
    np.testing.assert_allclose(batched, [model(x) for x in xs], rtol=1e-6)
    H = jax.vmap(jax.hessian(apply, argnums=1), in_axes=(None, 0))(params, xs)
    assert H.shape == (2, 2, 2)
    np.testing.assert_allclose(H, jnp.swapaxes(H, 1, 2), rtol=1e-5, atol=1e-7)


def test_one_hidden_layer_hessian_matches_closed_form():
    # u = w2 . tanh(W1 x + b1) + b2  =>  d2u/dx_j dx_k = sum_i w2_i tanh''(z_i) W1_ij W1_ik.
    with jax.enable_x64(True):
        model = pinn.MLP(2, 1, (5,), "tanh", key=3, dtype="float64")
        apply, params = pinn.pure_apply(model)
        W1 = np.asarray(model.layers[0].kernel[...]).T
        b1 = np.asarray(model.layers[0].bias[...])
        w2 = np.asarray(model.layers[1].kernel[...])[:, 0]
        x = np.array([0.3, -0.7])
        z = W1 @ x + b1
        t = np.tanh(z)
        d2 = -2 * t * (1 - t**2)
        expected = np.einsum("i,ij,ik->jk", w2 * d2, W1, W1)
        np.testing.assert_allclose(jax.hessian(apply, argnums=1)(params, jnp.asarray(x)), expected, rtol=1e-12)


def test_float64_parameters():
    model = pinn.MLP(2, 1, (8,), key=0, dtype="float64")
    leaves = jax.tree.leaves(nnx.state(model, nnx.Param))
    assert all(leaf.dtype == jnp.float64 for leaf in leaves)
    with jax.enable_x64(True):
        assert model(jnp.ones(2, dtype=jnp.float64)).dtype == jnp.float64


def test_trainable_beta_swish_has_parameters_with_gradients():
    model = pinn.MLP(2, 1, (8, 8), "swish_trainable", key=0)
    apply, params = pinn.pure_apply(model)
    assert params["betas"][...].shape == (2,)
    g = jax.grad(lambda p: apply(p, jnp.array([0.5, 0.1])))(params)
    assert np.all(np.abs(np.asarray(g["betas"][...])) > 0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(in_dim=0), "in_dim must be a positive integer, got 0"),
        (dict(out_dim=-1), "out_dim must be a positive integer, got -1"),
        (dict(hidden=(32, 0)), "hidden width must be a positive integer, got 0"),
        (dict(hidden=()), r"hidden must name at least one layer width, got \(\)"),
        (dict(hidden=64), r"hidden must be a sequence of widths such as \(64,\) \* 4, got 64"),
        (dict(activation="relu6"), "unknown activation 'relu6'; valid activations: tanh, sin, swish"),
        (dict(dtype="float16"), "unknown dtype 'float16'; valid dtypes: float32, float64"),
        (dict(input_bounds=((0.0, 1.0), (0.0, 2.0))), "input_bounds lower 0.0 must be below upper 0.0"),
        (dict(input_bounds=((0.0,), (1.0,))), "input_bounds must hold 2 lower and 2 upper values"),
    ],
)
def test_bad_networks(kwargs, message):
    args = dict(in_dim=2, out_dim=1, hidden=(8,), activation="tanh")
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        pinn.MLP(**args)


def test_mlp_remembers_its_integer_seed_for_saved_runs():
    from pinn import io

    assert pinn.MLP(2, 1, (4,), key=7).key == 7
    assert io.model_settings(pinn.MLP(2, 1, (4,), key=7))["key"] == 7
    assert pinn.MLP(2, 1, (4,), key=jax.random.key(7)).key is None  # a raw key has no seed to record
