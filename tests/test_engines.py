"""Every derivative engine equals ``jax.hessian`` (the reference) to 1e-12 relative in float64.

On every bundled problem's residual (and its conditions) at sampled points, for a
random MLP field, and on the gradient with respect to the parameters that a training
step takes; then :func:`pinn.engines.second_order` on its own: every activation,
arbitrary directions, the primitives that need the general rule, bad input.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pinn
import problems
from pinn import engines, operators
from pinn.losses import make_loss_terms

RTOL = 1e-12
# "auto" is "forward" except for a vector field's Hessian on a GPU: tested separately
# on a CPU (test_auto_engine_per_operator_and_device), compared in full on a GPU.
FAST = [e for e in pinn.DERIVATIVE_ENGINES if e != "hessian" and (e != "auto" or jax.default_backend() == "gpu")]


@functools.lru_cache(maxsize=None)
def bundled(name):
    """Each bundled problem built once per test session (building validates it: seconds)."""
    with jax.enable_x64(True):
        return problems.get(name).problem()


def rel_err(actual, expected):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    return np.max(np.abs(actual - expected)) / max(np.max(np.abs(expected)), 1e-300)


def random_field(problem, key=3):
    model = pinn.MLP.for_problem(problem, hidden=(8, 8), activation="tanh", key=key, dtype="float64")
    apply, params = pinn.pure_apply(model)
    return apply, params


@pytest.mark.parametrize("name", problems.names())
def test_every_engine_matches_jax_hessian_on_bundled_residuals(name):
    with jax.enable_x64(True):
        problem = bundled(name)
        apply, params = random_field(problem)
        batch = pinn.sample_batch(problem, 16, 8, "halton", seed=5)
        batch = jax.tree.map(lambda a: jnp.asarray(a, jnp.float64), batch)

        def residuals(engine):
            def u(x):
                return apply(params, x)

            with pinn.derivative_engine(engine):
                out = {"pde": jax.vmap(lambda x: problem.residual_at(u, x))(batch["pde"]["x"])}
                for cname, c in problem.named_conditions.items():
                    out[cname] = jax.vmap(lambda data, c=c: c.residual(u, data))(batch[cname])
            return out

        reference = jax.jit(lambda: residuals("hessian"))()
        assert np.max(np.abs(reference["pde"])) > 0
        for engine in FAST:
            got = jax.jit(lambda e=engine: residuals(e))()
            for term in reference:
                err = rel_err(got[term], reference[term])
                assert err <= RTOL, f"{name} {engine} {term}: relative error {err:.2e}"


@pytest.mark.parametrize("name", ["poisson2d", "heat3d", "elasticity_plate"])
def test_training_gradient_matches(name):
    """d(loss)/d(params), what an Adam step uses, agrees between engines."""
    with jax.enable_x64(True):
        problem = bundled(name)
        apply, params = random_field(problem, key=4)
        batch = pinn.sample_batch(problem, 16, 8, "sobol", seed=2)
        batch = jax.tree.map(lambda a: jnp.asarray(a, jnp.float64), batch)

        def grads(engine):
            terms = make_loss_terms(problem, apply, engine)
            return jax.jit(jax.grad(lambda p: sum(terms(p, batch).values())))(params)

        ref = jax.tree.leaves(grads("hessian"))
        for g, r in zip(jax.tree.leaves(grads("forward")), ref):
            assert rel_err(g, r) <= 1e-11


@pytest.mark.parametrize("activation", [a for a in pinn.activation_names() if a != "relu"])
def test_forward_engine_every_activation(activation):
    with jax.enable_x64(True):
        model = pinn.MLP(3, 2, (10, 10), activation, key=1, dtype="float64", input_bounds=((0, 0, 0), (1, 2, 3)))
        apply, params = pinn.pure_apply(model)
        u = lambda x: apply(params, x)  # noqa: E731
        x = jnp.array([0.3, 0.7, 1.9])
        H = jax.hessian(u)(x)
        channels = (engines.laplacian_channel(range(3)), *engines.hessian_channels(3))
        value, G, S = jax.jit(lambda y: engines.second_order(u, y, channels))(x)
        assert rel_err(value, u(x)) <= RTOL
        assert rel_err(G, jax.jacfwd(u)(x).T) <= RTOL
        assert rel_err(S[0], jnp.trace(H, axis1=-2, axis2=-1)) <= RTOL
        assert rel_err(engines.hessian_from_channels(S[1:], 3), H) <= RTOL


def test_arbitrary_directions_and_weighted_channels():
    with jax.enable_x64(True):
        u = lambda x: jnp.tanh(x[0] * x[1] - x[2]) + jnp.sin(x).prod()  # noqa: E731
        x = jnp.array([0.2, -0.5, 0.8])
        V = jnp.array([[1.0, 2.0, 0.0], [0.5, -1.0, 3.0]])
        _, G, S = engines.second_order(u, x, (((0, 0, 2.0), (0, 1, -1.5)), ((1, 1, 1.0),)), V)
        H = jax.hessian(u)(x)
        g = jax.grad(u)(x)
        assert rel_err(G, V @ g) <= RTOL
        expected = jnp.stack([2.0 * V[0] @ H @ V[0] - 1.5 * V[0] @ H @ V[1], V[1] @ H @ V[1]])
        assert rel_err(S, expected) <= RTOL


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x[0] * x[1] / (1.0 + x[2] ** 2),  # mul and div of varying values
        lambda x: x[0] ** x[1] + jnp.linalg.norm(x),  # pow of two varying values, sqrt
        lambda x: jnp.prod(jnp.cos(x)) + jnp.max(x * jnp.array([1.0, 2.0, 3.0])),  # reduce_prod, reduce_max
        lambda x: jnp.where(x[0] > 0, jnp.exp(x[1]), x[2] ** 3) + jnp.dot(x, x) * x[0],  # select, dot of varying
        lambda x: jnp.concatenate([x, x**2])[1:4] @ jnp.arange(3.0) + jax.nn.softplus(x).sum(),
        lambda x: jnp.stack([jnp.arctan(x[0] * x[2]), jax.nn.gelu(x[1]), jnp.log1p(x[0] ** 2)]),
        lambda x: jax.lax.cond(x[0] > 0, lambda y: jnp.sinh(y).sum(), lambda y: jnp.cosh(y).sum(), x),
    ],
)
def test_general_rule_matches_jax_hessian(fn):
    with jax.enable_x64(True):
        x = jnp.array([0.7, 1.3, -0.4])
        H = jax.hessian(fn)(x)
        _, _, S = engines.second_order(fn, x, engines.hessian_channels(3))
        assert rel_err(engines.hessian_from_channels(S, 3), H) <= RTOL


def test_constant_output_has_zero_derivatives():
    value, G, S = engines.second_order(lambda x: jnp.float32(2.0), jnp.ones(2), (engines.laplacian_channel([0, 1]),))
    assert float(value) == 2.0 and G.shape == (2,) and S.shape == (1,)
    assert not np.any(np.asarray(G)) and not np.any(np.asarray(S))


def test_float32_forward_engine():
    model = pinn.MLP(2, 1, (16, 16), "tanh", key=0)
    apply, params = pinn.pure_apply(model)
    x = jnp.array([0.3, -0.2], jnp.float32)
    with pinn.derivative_engine("forward"):
        lap = pinn.laplacian(lambda x: apply(params, x))(x)
    assert lap.dtype == jnp.float32
    with jax.enable_x64(True):
        apply64 = lambda y: apply(jax.tree.map(lambda a: a.astype(jnp.float64), params), y)  # noqa: E731
        ref = jnp.trace(jax.hessian(apply64)(x.astype(jnp.float64)))
    assert abs(float(lap) - float(ref)) <= 1e-5 * max(abs(float(ref)), 1.0)


def test_auto_engine_is_forward_and_the_block_ends():
    """``auto`` stands for ``forward`` (no GPU rule until one is measured); the engine of a
    block is restored when the block ends, also after an error inside it."""
    assert pinn.current_engine() == "hessian"
    with pinn.derivative_engine("auto"):
        assert operators._resolved() == "forward"
        with pinn.derivative_engine("jvp"):
            assert operators._resolved() == "jvp"
        assert pinn.current_engine() == "auto"
    with pytest.raises(RuntimeError):
        with pinn.derivative_engine("forward"):
            raise RuntimeError("inside")
    assert pinn.current_engine() == "hessian"


def test_second_order_bad_input():
    u = lambda x: jnp.sum(x**2)  # noqa: E731
    with pytest.raises(ValueError, match=r"second_order needs one point of shape \(d,\), got shape \(2, 2\)"):
        engines.second_order(u, jnp.ones((2, 2)), ())
    with pytest.raises(ValueError, match=r"directions must have shape \(r, 2\), got \(2, 3\)"):
        engines.second_order(u, jnp.ones(2), (), jnp.ones((2, 3)))
    with pytest.raises(ValueError, match=r"channel term \(0, 2\) refers to a direction outside 0\.\.1"):
        engines.second_order(u, jnp.ones(2), (((0, 2, 1.0),),))


@pytest.mark.parametrize("activation", ["softplus", "mish"])
def test_forward_engine_is_exact_where_a_pre_activation_is_exactly_zero(activation):
    """softplus (and mish) are jnp.logaddexp(z, 0) behind a custom_jvp rule; their body
    takes max and abs of z and is not twice differentiable at z = 0 as written. At x = 0
    an untrained network (zero biases) has every pre-activation exactly 0: the forward
    engine must follow the rule there (it read softplus'' = 0.18 instead of 1/4 when it
    differentiated the body: a Laplacian of 0.080 instead of 0.063)."""
    with jax.enable_x64(True):
        model = pinn.MLP(1, 1, (4, 4), activation, key=0, dtype="float64")
        apply, params = pinn.pure_apply(model)
        u = lambda x: apply(params, x)  # noqa: E731
        for x in (jnp.zeros(1), jnp.array([0.37])):
            H = jax.hessian(u)(x)
            assert abs(float(H[0, 0])) > 1e-3  # a real curvature, so a wrong engine shows
            with pinn.derivative_engine("forward"):
                lap = pinn.laplacian(u)(x)
                hess = pinn.hessian(u)(x)
            np.testing.assert_allclose(lap, H[0, 0], rtol=1e-12, atol=0)
            np.testing.assert_allclose(hess, H, rtol=1e-12, atol=0)
