"""Network architectures: shapes, dtypes, keys, exact periodicity, the equations each one
states, smoothness (autodiff Hessians against finite differences), and a small fit.

Most networks here share the layer shapes 2 -> 8 -> 8 -> 2 in float64: initialising a
layer of a new shape or dtype compiles its random initialiser, which dominates the time.
"""

import json

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from flax import nnx

import pinn
from pinn import networks as N

# Tiny versions of every network, one entry per architecture and embedding option.
SMALL = {
    "fourier": (N.FourierFeatureMLP, dict(hidden=(8, 8), fourier_features=4, fourier_scale=1.5)),
    "fourier_trainable": (N.FourierFeatureMLP, dict(hidden=(8, 8), fourier_features=4, trainable_scale=True)),
    "periodic": (N.PeriodicMLP, dict(hidden=(8, 8), periods={0: 2.0}, harmonics=2)),
    "factorized": (N.FactorizedMLP, dict(hidden=(8, 8))),
    "modified": (N.ModifiedMLP, dict(width=8, depth=2)),
    "pirate": (N.PirateNet, dict(width=8, blocks=2, fourier_features=4)),
    "gated": (N.GatedMLP, dict(width=8, depth=2)),
    "modified_periodic_factorized": (N.ModifiedMLP, dict(width=8, depth=2, periods={1: 1.5}, factorized=(0.5, 0.2))),
    "swish_trainable": (N.EmbeddedMLP, dict(hidden=(8, 8), activation="swish_trainable")),
}


# The quick run covers every architecture and option through these five; the other
# variants (each a new set of compiled initialisers and functions) run with the slow tests.
QUICK = ("fourier_trainable", "periodic", "modified_periodic_factorized", "pirate", "gated")
VARIANTS = [pytest.param(name, marks=() if name in QUICK else pytest.mark.slow) for name in SMALL]


def small(name, in_dim=2, out_dim=2, dtype="float64", **kwargs):
    cls, options = SMALL[name]
    return cls(in_dim, out_dim, **{**options, "dtype": dtype, **kwargs})


def point_fn(model):
    """The model as a pure function of one point, through split/merge as a trainer uses it."""
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    return lambda x: nnx.merge(graphdef, params, rest)(x)


X = jnp.array([[0.3, -0.2], [-0.7, 0.55], [0.05, 0.9]])


@pytest.mark.slow  # eager calls compile every operation once: 3 s
def test_float64_network_called_outside_64_bit_mode_computes_in_float64():
    # As pinn.MLP: a direct call on a concrete point is not truncated to float32.
    model = small("gated")
    y = model(np.array([0.1, 0.2]))
    assert np.asarray(y).dtype == np.float64
    with jax.enable_x64(True):
        np.testing.assert_array_equal(y, model(jnp.array([0.1, 0.2], dtype=jnp.float64)))


@pytest.mark.parametrize("name", VARIANTS)
def test_the_key_determines_the_network(name):
    a, b, c = small(name, key=3), small(name, key=3), small(name, key=4)
    d = small(name, key=jax.random.key(3))
    with jax.enable_x64(True):
        x = jnp.asarray(X[1], dtype=jnp.float64)
        np.testing.assert_array_equal(a(x), b(x))
        np.testing.assert_array_equal(a(x), d(x))
        assert np.abs(a(x) - c(x)).max() > 1e-6


@pytest.mark.parametrize("name", VARIANTS)
def test_one_field_is_a_scalar(name):
    model = small(name, out_dim=1)
    with jax.enable_x64(True):
        assert model(jnp.asarray(X[0], dtype=jnp.float64)).shape == ()


def test_float32_is_the_default():
    model = N.FourierFeatureMLP(2, 2, (8, 8), fourier_features=4)
    assert model.dtype == "float32"
    assert {leaf.dtype for leaf in jax.tree.leaves(nnx.state(model))} == {jnp.dtype("float32")}
    assert model(X[0]).dtype == jnp.float32


@pytest.mark.parametrize("name", ["periodic", "fourier", pytest.param("pirate", marks=pytest.mark.slow)])
def test_periodic_embedding_is_exact_with_its_derivatives(name):
    # Axis 0 has period 2.0 and axis 2 period 0.75: u and grad u repeat to 1e-12 in
    # float64 and the Hessian to 1e-12 of its size (its entries reach 1e3 with Fourier
    # features on top of two harmonics), whatever network sits on top.
    periods = {0: 2.0, 2: 0.75}
    model = small(name, in_dim=3, periods=periods, harmonics=2, key=5)
    with jax.enable_x64(True):
        u = point_fn(model)
        derivatives = jax.jit(jax.vmap(lambda x: (u(x), jax.jacfwd(u)(x), jax.hessian(u)(x))))
        x = jnp.array([0.37, -0.4, 0.21])
        shifts = [x.at[axis].add(n * period) for axis, period in periods.items() for n in (1, -2)]
        value, grad, hess = derivatives(jnp.stack([x, *shifts]))
        np.testing.assert_allclose(value[1:], np.broadcast_to(value[0], value[1:].shape), rtol=0, atol=1e-12)
        np.testing.assert_allclose(grad[1:], np.broadcast_to(grad[0], grad[1:].shape), rtol=0, atol=1e-12 * max(1.0, np.abs(grad).max()))
        np.testing.assert_allclose(hess[1:], np.broadcast_to(hess[0], hess[1:].shape), rtol=0, atol=1e-12 * max(1.0, np.abs(hess).max()))
        # The pass-through axis is not periodic (the check above could not pass by accident).
        assert np.abs(u(x.at[1].add(2.0)) - u(x)).max() > 1e-3


def _fd_hessian(f, x, h=2e-4):
    """Second differences of the values (float64), Richardson-extrapolated to O(h⁴)."""
    d = len(x)

    def second_differences(h):
        e = np.eye(d) * h
        H = np.zeros((*np.shape(f(x)), d, d))
        for i in range(d):
            for j in range(d):
                H[..., i, j] = (f(x + e[i] + e[j]) - f(x + e[i] - e[j]) - f(x - e[i] + e[j]) + f(x - e[i] - e[j])) / (4 * h * h)
        return H

    return (4 * second_differences(h / 2) - second_differences(h)) / 3


# The forward engine is the trainer's default; checking it on every variant would only
# repeat the same primitives, so three architectures carry the check.
FORWARD_CHECKED = ("fourier_trainable", "pirate", "gated")


@pytest.mark.parametrize("name", VARIANTS)
def test_hessian_matches_finite_differences_and_the_forward_engine(name):
    # Every network is smooth: jax.hessian agrees with (extrapolated) second differences
    # of the values (measured worst 3e-9 of the Hessian's size), and the forward engine
    # gives the same Hessian to rounding.
    model = small(name, key=2)
    assert model.n_params == sum(p.size for p in jax.tree.leaves(nnx.state(model, nnx.Param)))
    # dtype="float64": every variable (parameters and fixed Fourier matrix) is float64.
    assert {leaf.dtype for leaf in jax.tree.leaves(nnx.state(model))} == {jnp.dtype("float64")}
    with jax.enable_x64(True):
        u = point_fn(model)
        x = jnp.array([0.31, -0.47])
        H = np.asarray(jax.jit(jax.hessian(u))(x))
        assert H.shape == (2, 2, 2) and H.dtype == np.float64  # two fields: shape (2,)
        values = jax.jit(jax.vmap(u))
        assert values(X).shape == (len(X), 2)
        fd = _fd_hessian(lambda p: np.asarray(values(jnp.asarray(p)[None]))[0], np.asarray(x))
        scale = np.abs(H).max()
        assert scale > 1e-4
        np.testing.assert_allclose(H, fd, rtol=0, atol=1e-7 * scale)
        if name not in FORWARD_CHECKED:
            return
        with pinn.derivative_engine("forward"):
            H_forward = jax.jit(pinn.hessian(u))(x)
        np.testing.assert_allclose(H_forward, H, rtol=0, atol=1e-12 * scale)


def test_fourier_features_are_fixed_and_their_scale_learnable():
    embedding = N.InputEmbedding(2, fourier_features=200, fourier_scale=3.0, rngs=nnx.Rngs(params=0))
    B = np.asarray(embedding.B[...])
    assert B.shape == (200, 2) and embedding.out_dim == 400
    assert B.std() == pytest.approx(3.0, rel=0.1)  # 400 draws of N(0, 3²)
    z = embedding(X[0])
    np.testing.assert_allclose(z, np.concatenate([np.cos(2 * np.pi * B @ X[0]), np.sin(2 * np.pi * B @ X[0])]), atol=1e-4)

    fixed, learned = small("fourier", fourier_scale=1.0), small("fourier_trainable")
    # B is carried but never trained: it is no nnx.Param; the log-scale is one.
    assert len(jax.tree.leaves(nnx.state(fixed, N.Buffer))) == 1
    assert sum(leaf.size for leaf in jax.tree.leaves(nnx.state(learned, nnx.Param))) == fixed.n_params + 1
    with jax.enable_x64(True):
        x = jnp.asarray(X[0], dtype=jnp.float64)
        np.testing.assert_array_equal(learned(x), fixed(x))  # log-scale 0 at init: the same network
        B = np.asarray(learned.embedding.B[...])
        learned.embedding.log_scale[...] = jnp.log(2.0)
        doubled = np.concatenate([np.cos(4 * np.pi * B @ x), np.sin(4 * np.pi * B @ x)])
        np.testing.assert_allclose(learned.embedding(x), doubled, rtol=0, atol=1e-13)


def test_factorized_dense_starts_as_the_glorot_layer():
    # W = diag(e^s) V with s ~ N(1, 0.1²) and V = W0 / e^s: the kernel is the Glorot draw
    # W0 itself (to rounding), and s has the stated statistics.
    key = jax.random.key(7)
    layer = N.FactorizedDense(256, 256, rngs=nnx.Rngs(params=key))
    w0 = nnx.initializers.glorot_normal()(nnx.Rngs(params=key).params(), (256, 256))
    np.testing.assert_allclose(layer.kernel, w0, rtol=1e-6, atol=1e-7)
    s = np.asarray(layer.s[...])
    assert s.mean() == pytest.approx(1.0, abs=0.03) and s.std() == pytest.approx(0.1, rel=0.15)
    assert np.asarray(layer.kernel).std() == pytest.approx(np.sqrt(2 / 512), rel=0.03)
    x = jnp.linspace(-1, 1, 256)
    np.testing.assert_allclose(layer(x), x @ w0, rtol=1e-5, atol=1e-5)
    # A factorized network trains s and V, not W.
    names = {str(path[-1]) for path, _ in nnx.to_flat_state(nnx.state(small("modified_periodic_factorized"), nnx.Param))}
    assert names == {"s", "v", "bias"}


def test_modified_mlp_follows_its_equations():
    model = small("modified", key=1)
    with jax.enable_x64(True):
        x = jnp.asarray(X[1], dtype=jnp.float64)
        U = jnp.tanh(model.encoder_u(x))
        V = jnp.tanh(model.encoder_v(x))
        h = x
        for layer in model.layers:
            g = jnp.tanh(layer(h))
            h = g * U + (1 - g) * V
        np.testing.assert_allclose(model(x), model.head(h), rtol=1e-13)


def test_gated_mlp_follows_its_equations():
    model = small("gated", key=1)
    with jax.enable_x64(True):
        x = jnp.asarray(X[2], dtype=jnp.float64)
        h = model.lift(x)
        for gate, value, out in model.layers:
            h = h + out(jax.nn.silu(gate(h)) * value(h))
        np.testing.assert_allclose(model(x), model.head(h), rtol=1e-13)


def test_gated_mlp_keeps_its_signal_through_depth_with_the_skip_term():
    # The gate-times-value product shrinks a small signal quadratically: without the skip
    # term the output of a depth-6 network (width 8) is 1.6e-32 in standard deviation over
    # [-1, 1]² at initialisation, with it 0.71 (measured).
    with jax.enable_x64(True):
        xs = jax.random.uniform(jax.random.key(0), (64, 2), jnp.float64, -1.0, 1.0)
        spread = {
            residual: float(jax.jit(jax.vmap(point_fn(small("gated", depth=6, residual=residual))))(xs).std())
            for residual in (True, False)
        }
    assert spread[True] > 0.05
    assert spread[False] < 1e-20


def test_pirate_net_is_linear_in_its_embedding_at_initialisation():
    model = small("pirate", key=3)
    np.testing.assert_array_equal(model.alpha[...], np.zeros(2))
    with jax.enable_x64(True):
        xs = jnp.asarray(X, dtype=jnp.float64)
        graphdef, params, rest = nnx.split(model, nnx.Param, ...)

        @jax.jit
        def outputs(params):
            net = nnx.merge(graphdef, params, rest)
            return jax.vmap(net)(xs), jax.vmap(lambda x: net.head(net.embedding(x)))(xs)

        u, linear = outputs(params)
        np.testing.assert_allclose(u, linear, rtol=0, atol=1e-14)
        # Opening a block changes the function: the blocks are live, only gated off.
        params["alpha"][...] = jnp.array([0.0, 0.5])
        opened, _ = outputs(params)
        assert np.abs(opened - linear).max() > 1e-3
        # Without Fourier features the embedding is x itself: u is affine, its Hessian 0.
        plain = small("pirate", fourier_features=0, key=3)
        np.testing.assert_array_equal(jax.jit(jax.hessian(point_fn(plain)))(xs[0]), np.zeros((2, 2, 2)))


@pytest.mark.parametrize("name", ["fourier_trainable", pytest.param("pirate", marks=pytest.mark.slow)])
def test_adam_fits_a_periodic_function(name):
    # u(x) ≈ sin(2πx) + cos(πx)/2 on 64 points of [-1, 1], 800 Adam steps (lr 1e-2) on
    # the nnx.Param leaves only, float64. Measured final MSE: 1.6e-5 (Fourier features
    # with a learned scale, 4 features, 8×8) and 1.1e-6 (PirateNet, width 8, two
    # blocks), from 0.63 and 0.49 at initialisation.
    model = small(name, in_dim=1, out_dim=1)
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)
    optimizer = optax.adam(1e-2)
    with jax.enable_x64(True):
        xs = jnp.linspace(-1.0, 1.0, 64)[:, None]
        ys = jnp.sin(2 * jnp.pi * xs[:, 0]) + 0.5 * jnp.cos(jnp.pi * xs[:, 0])

        def loss(params):
            return jnp.mean((jax.vmap(nnx.merge(graphdef, params, rest))(xs) - ys) ** 2)

        @jax.jit
        def train(params):
            def step(_, carry):
                params, state = carry
                updates, state = optimizer.update(jax.grad(loss)(params), state, params)
                return optax.apply_updates(params, updates), state

            return jax.lax.fori_loop(0, 800, step, (params, optimizer.init(params)))[0]

        trained = train(params)
        initial, final = float(loss(params)), float(loss(trained))
    assert initial > 0.3
    assert final < 1e-4
    # The fixed Fourier matrix travelled untouched in `rest`; the log-scale was learned.
    if name == "fourier_trainable":
        nnx.update(model, trained)
        np.testing.assert_array_equal(model.embedding.B[...], rest["embedding"]["B"][...])
        assert float(model.embedding.log_scale[...]) != 0.0


@pytest.mark.parametrize("name", VARIANTS)
def test_config_rebuilds_the_same_network(name):
    model = small(name, input_bounds=((0.0, -2.0), (4.0, 2.0)), key=11)
    config = json.loads(json.dumps(model.config()))
    rebuilt = N.network_from_config(config)
    assert type(rebuilt) is type(model)
    with jax.enable_x64(True):
        x = jnp.asarray(X[0], dtype=jnp.float64)
        np.testing.assert_array_equal(rebuilt(x), model(x))


def test_inputs_scaled_to_the_box_but_periods_stay_physical():
    bounds = ((0.0, 10.0), (4.0, 20.0))
    scaled, plain = small("gated", input_bounds=bounds), small("gated")
    periodic = small("periodic", periods={0: 4.0}, input_bounds=bounds)
    with jax.enable_x64(True):
        # The corner (4, 20) maps to (1, 1).
        np.testing.assert_allclose(scaled(jnp.array([4.0, 20.0])), plain(jnp.array([1.0, 1.0])), rtol=1e-14)
        # Axis 0 keeps its physical period 4 (it is embedded before any scaling).
        np.testing.assert_allclose(periodic(jnp.array([1.0, 12.0])), periodic(jnp.array([5.0, 12.0])), atol=1e-14)


def test_for_problem_reads_dimensions_bounds_and_transform():
    domain = pinn.Rectangle((0.0, -1.0), (4.0, 1.0))

    def transform(x, y):
        return x[0] * y

    problem = pinn.Problem(domain, lambda u, x: pinn.laplacian(u)(x), fields=("u_x", "u_y"), output_transform=transform)
    model = N.PirateNet.for_problem(problem, width=8, blocks=1, fourier_features=4, dtype="float64")
    assert (model.in_dim, model.out_dim) == (2, 2)
    assert model.input_bounds == ((0.0, -1.0), (4.0, 1.0))
    assert model.output_transform is transform
    with jax.enable_x64(True):
        np.testing.assert_array_equal(model(jnp.array([0.0, 0.5])), np.zeros(2))


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: N.EmbeddedMLP(0, 1), "in_dim must be a positive integer, got 0"),
        (lambda: N.EmbeddedMLP(2, 1, 16), "hidden must be a sequence of widths such as .*got 16"),
        (lambda: N.EmbeddedMLP(2, 1, ()), r"hidden must name at least one layer width, got \(\)"),
        (lambda: N.ModifiedMLP(2, 1, width=0), "width must be a positive integer, got 0"),
        (lambda: N.GatedMLP(2, 1, depth=2.5), "depth must be a positive integer, got 2.5"),
        (lambda: N.PirateNet(2, 1, blocks=-1), "blocks must be a positive integer, got -1"),
        (lambda: N.EmbeddedMLP(2, 1, (4,), activation="relu6"), "unknown activation 'relu6'; valid activations: tanh"),
        (lambda: N.EmbeddedMLP(2, 1, (4,), dtype="float16"), "unknown dtype 'float16'; valid dtypes: float32, float64"),
        (lambda: N.EmbeddedMLP(2, 1, (4,), key="seed"), "key must be an integer seed or a single jax.random key, got 'seed'"),
        (lambda: N.PeriodicMLP(2, 1, periods={2: 1.0}), r"periodic axis 2 is not an input axis; valid axes: 0..1"),
        (lambda: N.PeriodicMLP(2, 1, periods={0: -1.0}), "period of axis 0 must be a positive finite number, got -1.0"),
        (lambda: N.PeriodicMLP(2, 1, periods=[0]), r"periods must be a mapping \{axis: period\}"),
        (lambda: N.PeriodicMLP(2, 1, periods={}), "a PeriodicMLP needs at least one periodic axis"),
        (lambda: N.PeriodicMLP(2, 1, periods={0: 1.0}, harmonics=0), "harmonics must be a positive integer, got 0"),
        (lambda: N.FourierFeatureMLP(2, 1, fourier_features=0), "a FourierFeatureMLP needs fourier_features >= 1, got 0"),
        (lambda: N.ModifiedMLP(2, 1, fourier_features=-3), "fourier_features must be a non-negative integer, got -3"),
        (lambda: N.FourierFeatureMLP(2, 1, fourier_scale=0.0), "fourier_scale must be a positive finite number, got 0.0"),
        (lambda: N.FourierFeatureMLP(2, 1, trainable_scale="yes"), "trainable_scale must be True or False, got 'yes'"),
        (lambda: N.GatedMLP(2, 1, factorized=(1.0, -0.1)), "factorization std must be a positive finite number, got -0.1"),
        (lambda: N.GatedMLP(2, 1, factorized="rwf"), r"factorized must be True, False or \(mean, std\).*got 'rwf'"),
        (lambda: N.FactorizedMLP(2, 1, factorized=False), "a FactorizedMLP needs factorized=True or"),
        (lambda: N.GatedMLP(2, 1, input_bounds=((0.0,), (1.0,))), "input_bounds must hold 2 lower and 2 upper values"),
        (lambda: N.GatedMLP(2, 1, output_transform=3), "output_transform must be a function fn"),
        (lambda: N.GatedMLP(2, 1, residual=1), "residual must be True or False, got 1"),
        (lambda: small("gated")(jnp.zeros(3)), r"a network acts on one point of shape \(2,\), got shape \(3,\)"),
        (lambda: N.network_from_config({"network": "ResNet"}), "unknown network 'ResNet'; valid networks: EmbeddedMLP"),
    ],
)
def test_bad_arguments_are_named(build, match):
    with pytest.raises(ValueError, match=match):
        build()
