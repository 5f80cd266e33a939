r"""Levenberg-Marquardt (pinn.gauss_newton) against exact solutions, in float64.

Tolerances: a step on a linear problem against the normal equations solved by numpy,
1e-8 (absolute, solutions of size 1; the damping 1e-12 perturbs them by ~1e-13); the
matrix-free CG path against the dense path, 1e-6; nonlinear problems with a known
minimiser, 1e-10 in every parameter.
"""

import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from pinn.gauss_newton import LevenbergMarquardt, LMState, pointwise_jacobian


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


# -- problems --------------------------------------------------------------------------

RNG = np.random.default_rng(0)
A_TALL = RNG.normal(size=(20, 7))  # m = 20 residuals > n = 7 parameters: jacfwd
B_TALL = RNG.normal(size=20)
A_WIDE = RNG.normal(size=(5, 7))  # m = 5 < n = 7: jacrev
B_WIDE = RNG.normal(size=5)


def zeros7():
    """Seven parameters as a pytree of two arrays."""
    return {"a": jnp.zeros(3), "b": jnp.zeros((2, 2))}


def flat7(p):
    return np.concatenate([np.ravel(p["a"]), np.ravel(p["b"])])


def linear(A, b):
    def residuals(p):
        return A @ jnp.concatenate([p["a"], p["b"].ravel()]) - b

    return residuals


def rosenbrock(p):
    """Rosenbrock's function as residuals: sum r^2 = 100 (y - x^2)^2 + (1 - x)^2, minimum at (1, 1)."""
    return jnp.stack([10.0 * (p[1] - p[0] ** 2), 1.0 - p[0]])


T = np.linspace(0.0, 2.0, 30)  # numpy: float64 whatever the jax default dtype at import


def exponential(p):
    """a e^{b t} fitted to exact data with a = 2, b = -1.5 (zero residual at the minimum)."""
    return p["a"] * jnp.exp(p["b"] * T) - 2.0 * jnp.exp(-1.5 * T)


def run(lm, residuals, params, steps):
    step = jax.jit(lambda p, s: lm.step(residuals, p, s))
    state = lm.init(params)
    history = []
    for _ in range(steps):
        params, state, info = step(params, state)
        history.append({k: float(v) for k, v in info.items()})
    return params, state, history


def first_step(lm, residuals, params):
    """One jitted step from ``lm.init(params)`` (one compiled program is cheaper than
    dispatching every operation of an eager step)."""
    return jax.jit(lambda p: lm.step(residuals, p, lm.init(p)))(params)


# -- linear least squares ---------------------------------------------------------------


def test_one_step_with_tiny_damping_solves_the_normal_equations():
    lm = LevenbergMarquardt(damping=1e-12, min_damping=1e-15)
    params, state, info = first_step(lm, linear(A_TALL, B_TALL), zeros7())
    exact = np.linalg.lstsq(A_TALL, B_TALL, rcond=None)[0]
    np.testing.assert_allclose(flat7(params), exact, rtol=0, atol=1e-8)
    assert float(info["accepted"]) == 1.0
    np.testing.assert_allclose(float(info["loss"]), np.sum(B_TALL**2), rtol=1e-14)
    # A linear residual is its own model: the gain ratio is exactly 1.
    np.testing.assert_allclose(float(info["gain_ratio"]), 1.0, rtol=0, atol=1e-8)


def test_cg_path_equals_dense_path():
    residuals = linear(A_TALL, B_TALL)
    dense = LevenbergMarquardt(damping=1e-12, min_damping=1e-15)
    cg = LevenbergMarquardt(damping=1e-12, min_damping=1e-15, dense_limit=0)
    p_dense, _, _ = first_step(dense, residuals, zeros7())
    p_cg, _, info = first_step(cg, residuals, zeros7())
    np.testing.assert_allclose(flat7(p_cg), flat7(p_dense), rtol=0, atol=1e-6)
    assert float(info["accepted"]) == 1.0


@pytest.mark.parametrize("shape", ["tall", "wide"])
@pytest.mark.parametrize("scaling", ["identity", "marquardt"])
def test_damped_step_matches_its_formula(shape, scaling):
    """delta = -(J^T J + mu D)^{-1} J^T r for a large damping, with J from jacfwd (tall)
    or jacrev (wide); then Nielsen's rule shrinks mu by 3 after a gain ratio of 1."""
    A, b = (A_TALL, B_TALL) if shape == "tall" else (A_WIDE, B_WIDE)
    mu = 0.5
    lm = LevenbergMarquardt(damping=mu, scaling=scaling)
    start = {"a": jnp.array([0.3, -0.2, 0.1]), "b": jnp.array([[0.5, 0.0], [-0.4, 0.2]])}
    params, state, info = first_step(lm, linear(A, b), start)
    x0 = flat7(start)
    JtJ = A.T @ A
    D = np.diag(np.diag(JtJ)) if scaling == "marquardt" else np.eye(7)
    delta = -np.linalg.solve(JtJ + mu * D, A.T @ (A @ x0 - b))
    np.testing.assert_allclose(flat7(params), x0 + delta, rtol=0, atol=1e-12)
    assert float(info["damping"]) == mu
    np.testing.assert_allclose(float(state.damping), mu / 3.0, rtol=1e-12)
    assert float(state.nu) == lm.increase
    if scaling == "identity":
        cg = LevenbergMarquardt(damping=mu, dense_limit=0)
        p_cg, _, _ = first_step(cg, linear(A, b), start)
        np.testing.assert_allclose(flat7(p_cg), x0 + delta, rtol=0, atol=1e-6)


@pytest.mark.parametrize("shape", ["tall", "wide"])
def test_chunked_jacobian_gives_the_same_step(shape):
    """J three columns (forward, tall) or three rows (reverse, wide) at a time."""
    A, b = (A_TALL, B_TALL) if shape == "tall" else (A_WIDE, B_WIDE)
    start = {"a": jnp.array([0.3, -0.2, 0.1]), "b": jnp.array([[0.5, 0.0], [-0.4, 0.2]])}
    params, _, _ = first_step(LevenbergMarquardt(damping=0.5, jacobian_chunk=3), linear(A, b), start)
    x0 = flat7(start)
    delta = -np.linalg.solve(A.T @ A + 0.5 * np.eye(7), A.T @ (A @ x0 - b))
    np.testing.assert_allclose(flat7(params), x0 + delta, rtol=0, atol=1e-12)


# -- nonlinear problems ----------------------------------------------------------------


@pytest.mark.parametrize("dense_limit", [3000, 0])
def test_converges_on_rosenbrock(dense_limit):
    lm = LevenbergMarquardt(dense_limit=dense_limit)
    params, _, history = run(lm, rosenbrock, jnp.array([-1.2, 1.0]), 49)
    np.testing.assert_allclose(np.asarray(params), [1.0, 1.0], rtol=0, atol=1e-10)
    losses = [h["loss"] for h in history]
    assert all(b <= a for a, b in zip(losses, losses[1:]))  # never accepts an increase


def test_converges_on_exponential_fit():
    lm = LevenbergMarquardt()
    params, _, _ = run(lm, exponential, {"a": jnp.array(1.0), "b": jnp.array(0.0)}, 49)
    np.testing.assert_allclose([float(params["a"]), float(params["b"])], [2.0, -1.5], rtol=0, atol=1e-10)


def arctan(x):
    return jnp.arctan(x)


def test_rejected_step_keeps_params_and_raises_damping():
    """From x = 2 the Gauss-Newton step of r = atan(x) lands at x = 2 - 5 atan 2 = -3.54,
    where |atan| is larger: the step must be rejected and mu doubled (nu = 2)."""
    lm = LevenbergMarquardt(damping=1e-12, min_damping=1e-15)
    x0 = jnp.array([2.0])
    params, state, info = first_step(lm, arctan, x0)
    assert float(info["accepted"]) == 0.0
    assert float(info["gain_ratio"]) < 0.0
    assert np.array_equal(np.asarray(params), np.asarray(x0))
    np.testing.assert_allclose(float(state.damping), 2e-12, rtol=1e-12)
    assert float(state.nu) == 4.0
    # ... and the raised damping then finds the root x = 0.
    params, _, _ = run(lm, arctan, x0, 49)
    np.testing.assert_allclose(np.asarray(params), [0.0], rtol=0, atol=1e-10)


@pytest.mark.parametrize(
    "options", [{}, {"scaling": "marquardt"}, {"dense_limit": 0}], ids=["identity", "marquardt", "cg"]
)
def test_ignored_parameter_gives_finite_params(options):
    """A parameter the residuals ignore makes J^T J singular; it must stay unchanged and
    the others must still converge."""
    lm = LevenbergMarquardt(damping=1e-12, min_damping=1e-15, **options)

    def residuals(p):
        return linear(A_TALL, B_TALL)(p["w"])

    start = {"w": zeros7(), "ignored": jnp.array(0.7)}
    params, _, history = run(lm, residuals, start, 3)
    assert all(np.all(np.isfinite(leaf)) for leaf in jax.tree.leaves(params))
    assert float(params["ignored"]) == 0.7
    np.testing.assert_allclose(flat7(params["w"]), np.linalg.lstsq(A_TALL, B_TALL, rcond=None)[0], rtol=0, atol=1e-6)
    assert history[0]["accepted"] == 1.0


@pytest.mark.parametrize("dense_limit", [3000, 0])
def test_zero_jacobian_is_rejected(dense_limit):
    """Residuals independent of every parameter: J = 0, no step can predict a decrease."""
    lm = LevenbergMarquardt(dense_limit=dense_limit)
    x0 = jnp.array([1.0, 2.0])
    params, state, info = first_step(lm, lambda x: jnp.ones(3) + 0.0 * x[0], x0)
    assert float(info["accepted"]) == 0.0
    assert np.array_equal(np.asarray(params), np.asarray(x0))
    assert float(state.damping) > lm.damping


@pytest.mark.parametrize("dense_limit", [3000, 0])
def test_nan_at_trial_point_is_rejected(dense_limit):
    """r = x - 3 at the start but NaN everywhere else: the trial point x = 3 is NaN."""
    x0 = jnp.array([1.0])
    lm = LevenbergMarquardt(dense_limit=dense_limit)

    def residuals(x):
        return jnp.where(x == x0, x - 3.0, jnp.nan)

    params, state, info = first_step(lm, residuals, x0)
    assert float(info["accepted"]) == 0.0
    assert np.array_equal(np.asarray(params), np.asarray(x0))
    assert float(state.damping) == 2 * lm.damping
    assert float(info["loss"]) == 4.0
    assert all(np.isfinite(float(v)) for v in info.values())


def test_infinite_jacobian_is_rejected():
    """r = sqrt(x) + 1 at x = 0 has an infinite derivative: the Cholesky factor is not
    finite, so the step is rejected without evaluating the residuals at a NaN point."""
    lm = LevenbergMarquardt()
    x0 = jnp.array([0.0])
    params, state, info = first_step(lm, lambda x: jnp.sqrt(x) + 1.0, x0)
    assert float(info["accepted"]) == 0.0
    assert np.array_equal(np.asarray(params), np.asarray(x0))
    assert float(state.damping) > lm.damping


# -- jit -------------------------------------------------------------------------------


@pytest.mark.parametrize("double", [True, False], ids=["float64", "float32"])
@pytest.mark.parametrize("dense_limit", [3000, 0])
def test_step_compiles_once(dense_limit, double):
    traces = []

    def residuals(p):
        traces.append(1)  # runs only while jax traces the function
        return exponential(p)

    with jax.enable_x64(double):
        lm = LevenbergMarquardt(dense_limit=dense_limit)
        step = jax.jit(lambda p, s: lm.step(residuals, p, s))
        # Strongly typed, as a network's parameters are: a weakly typed input array
        # would come back strongly typed and retrace once.
        dtype = jnp.float64 if double else jnp.float32
        params = {"a": jnp.ones((), dtype), "b": jnp.zeros((), dtype)}
        state = lm.init(params)
        assert isinstance(state, LMState)
        params, state, _ = step(params, state)
        after_first = len(traces)
        for _ in range(4):
            params, state, info = step(params, state)
        assert after_first > 0 and len(traces) == after_first
        assert state.damping.dtype == (jnp.float64 if double else jnp.float32)
        assert np.isfinite(float(info["loss"]))


# -- a tiny network --------------------------------------------------------------------

X_SIN = np.linspace(-np.pi, np.pi, 64)


def mlp_params(seed):
    """A 1-16-16-1 tanh network (321 parameters) as a dict of arrays, LeCun-normal weights."""
    rng = np.random.default_rng(seed)
    params = {}
    for i, (fan_in, fan_out) in enumerate([(1, 16), (16, 16), (16, 1)]):
        params[f"w{i}"] = jnp.asarray(rng.normal(size=(fan_in, fan_out)) / np.sqrt(fan_in))
        params[f"b{i}"] = jnp.zeros(fan_out)
    return params


def mlp(p, x):
    h = jnp.tanh(x[:, None] @ p["w0"] + p["b0"])
    h = jnp.tanh(h @ p["w1"] + p["b1"])
    return (h @ p["w2"] + p["b2"])[:, 0]


def sin_residuals(p):
    return (mlp(p, X_SIN) - jnp.sin(X_SIN)) / jnp.sqrt(X_SIN.size)


def test_fits_sine_far_better_than_adam():
    """30 steps on sin(x) at 64 points from loss 0.17: measured LM 6.0e-9, Adam (lr 1e-2)
    4.2e-2 (the best of lr 1e-3, 1e-2, 3e-2, 1e-1; seed 0, float64, CPU); asserted
    LM < 1e-6 and Adam > 1e-2."""
    start = mlp_params(0)
    params, _, history = run(LevenbergMarquardt(), sin_residuals, start, 30)

    @jax.jit
    def loss(p):
        return jnp.sum(sin_residuals(p) ** 2)

    lm_loss = float(loss(params))
    adam = optax.adam(1e-2)

    @jax.jit
    def adam_step(p, s):
        updates, s = adam.update(jax.grad(loss)(p), s, p)
        return optax.apply_updates(p, updates), s

    p, s = start, adam.init(start)
    for _ in range(30):
        p, s = adam_step(p, s)
    adam_loss = float(loss(p))
    assert lm_loss < 1e-6
    assert adam_loss > 1e-2
    assert history[0]["loss"] > 0.1  # the fit starts far from the target


def two_component_residual(p, x):
    """Per-point residual with two components, as a vector PDE has."""
    u = mlp(p, x[None])[0]
    return jnp.stack([u - jnp.sin(x), x * u]) / jnp.sqrt(X_SIN.size)


def stacked_residuals(p):
    return jax.vmap(two_component_residual, in_axes=(None, 0))(p, X_SIN).reshape(-1)


def test_pointwise_jacobian_equals_jacfwd_and_gives_the_same_step():
    params = mlp_params(0)
    flat, unravel = jax.flatten_util.ravel_pytree(params)
    J = jax.jit(lambda p: pointwise_jacobian(two_component_residual, p, X_SIN))(params)
    assert J.shape == (2 * X_SIN.size, 321)
    expected = jax.jacfwd(lambda x: stacked_residuals(unravel(x)))(flat)
    np.testing.assert_allclose(np.asarray(J), np.asarray(expected), rtol=0, atol=1e-14)

    lm = LevenbergMarquardt()

    def given(p):
        return lm.step(stacked_residuals, p, lm.init(p), lambda q: pointwise_jacobian(two_component_residual, q, X_SIN))

    generic, _, info = first_step(lm, stacked_residuals, params)
    assert float(info["accepted"]) == 1.0
    for a, b in zip(jax.tree.leaves(generic), jax.tree.leaves(jax.jit(given)(params)[0])):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=0, atol=1e-10)


def test_jacobian_of_wrong_shape_raises():
    lm = LevenbergMarquardt()
    with pytest.raises(ValueError, match=r"jacobian\(params\) must have shape \(residuals, parameters\) = \(20, 7\)"):
        lm.step(linear(A_TALL, B_TALL), zeros7(), lm.init(zeros7()), jacobian=lambda p: jnp.zeros((7, 20)))


# -- bad input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"increase": 1.0}, r"increase = 1.0 must be > 1"),
        ({"decrease": 1.5}, r"decrease = 1.5 must be in \(0, 1\)"),
        ({"damping": 1e-20}, r"damping = 1e-20 is outside \[min_damping, max_damping\]"),
        ({"min_damping": 0.0}, r"0 < min_damping < max_damping"),
        ({"dense_limit": -1}, r"dense_limit must be an integer >= 0; got -1"),
        ({"cg_iterations": 0}, r"cg_iterations must be an integer >= 1; got 0"),
        ({"jacobian_chunk": -2}, r"jacobian_chunk must be an integer >= 0; got -2"),
        ({"cg_tolerance": 0.0}, r"cg_tolerance = 0.0 must be > 0"),
        ({"scaling": "jacobi"}, r"unknown scaling 'jacobi'; valid scalings: identity, marquardt"),
        ({"min_gain_ratio": 1.0}, r"min_gain_ratio = 1.0 must be in \[0, 1\)"),
    ],
)
def test_bad_options_raise(options, message):
    with pytest.raises(ValueError, match=message):
        LevenbergMarquardt(**options)


def test_marquardt_scaling_needs_the_dense_path():
    with pytest.raises(ValueError, match=r"scaling='marquardt' needs the dense path, but 7 parameters exceed"):
        LevenbergMarquardt(scaling="marquardt", dense_limit=5).init(zeros7())


def test_residuals_must_be_a_vector():
    lm = LevenbergMarquardt()
    with pytest.raises(ValueError, match=r"must return a 1-D array; got shape \(2, 2\)"):
        first_step(lm, lambda p: p["b"], zeros7())


def test_integer_params_raise():
    with pytest.raises(ValueError, match=r"params must be floating-point arrays; got dtype int"):
        LevenbergMarquardt().init({"n": jnp.arange(3)})
