r"""Self-scaled BFGS (pinn.quasi_newton) against known minimisers, in float64.

Tolerances: the minimiser to 1e-8 in every parameter; the update's algebra (secant
equation, symmetry, the plain BFGS formula) to 1e-12 relative; positive definiteness as
a positive smallest eigenvalue.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from pinn.quasi_newton import SelfScaledBFGS, SSBFGSState, self_scaled_bfgs_update


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


def rosenbrock(p):
    return 100.0 * (p[1] - p[0] ** 2) ** 2 + (1.0 - p[0]) ** 2


RNG = np.random.default_rng(1)
_Q = np.linalg.qr(RNG.normal(size=(10, 10)))[0]
A_QUAD = _Q @ np.diag(np.logspace(0, 2, 10)) @ _Q.T  # eigenvalues 1 .. 100
X_QUAD = RNG.normal(size=10)


def quadratic(p):
    """(x - x*)^T A (x - x*) / 2 over a pytree of two arrays (4 + 6 parameters)."""
    e = jnp.concatenate([p["u"], p["v"]]) - X_QUAD
    return 0.5 * e @ A_QUAD @ e


def minimise(opt, loss, params, steps, check=None):
    """Up to ``steps`` jitted steps; stops once the loss before a step is below 1e-30."""
    step = jax.jit(lambda p, s: opt.step(loss, p, s))
    state = opt.init(params)
    history = []
    for _ in range(steps):
        params, state, info = step(params, state)
        history.append({k: float(v) for k, v in info.items()})
        if check is not None:
            check(state)
    return params, state, history


def check_spd(state):
    H = np.asarray(state.inverse_hessian)
    np.testing.assert_allclose(H, H.T, rtol=0, atol=1e-12 * np.abs(H).max())
    assert np.linalg.eigvalsh(H).min() > 0


def test_rosenbrock_converges_with_spd_inverse_hessian():
    """Measured: 36 steps to reach (1, 1) within 1e-8 (plain BFGS: 35)."""
    params, _, history = minimise(SelfScaledBFGS(), rosenbrock, jnp.array([-1.2, 1.0]), 60, check_spd)
    np.testing.assert_allclose(np.asarray(params), [1.0, 1.0], rtol=0, atol=1e-8)
    losses = [h["loss"] for h in history]
    assert all(b <= a for a, b in zip(losses, losses[1:]))
    assert history[0]["accepted"] == 1.0 and history[0]["step_size"] > 0


def test_quadratic_converges_to_known_minimiser():
    """Measured: 30 steps to reach x* within 1e-8 (plain BFGS: 11)."""
    start = {"u": jnp.zeros(4), "v": jnp.zeros(6)}
    params, _, _ = minimise(SelfScaledBFGS(), quadratic, start, 50, check_spd)
    x = np.concatenate([params["u"], params["v"]])
    np.testing.assert_allclose(x, X_QUAD, rtol=0, atol=1e-8)


def test_step_compiles_once():
    traces = []

    def loss(p):
        traces.append(1)  # runs only while jax traces the function
        return rosenbrock(p)

    opt = SelfScaledBFGS()
    step = jax.jit(lambda p, s: opt.step(loss, p, s))
    params = jnp.array([-1.2, 1.0])
    state = opt.init(params)
    assert isinstance(state, SSBFGSState)
    params, state, _ = step(params, state)
    after_first = len(traces)
    for _ in range(4):
        params, state, info = step(params, state)
    assert after_first > 0 and len(traces) == after_first
    assert float(info["accepted"]) == 1.0


def test_nan_trial_is_rejected_and_restarts():
    """A loss that is finite only at the starting point: every trial is NaN."""
    x0 = jnp.array([1.0, 2.0])

    def loss(x):
        return jnp.where(jnp.all(x == x0), jnp.sum((x - 3.0) ** 2), jnp.nan)

    opt = SelfScaledBFGS(max_linesearch_steps=5)
    state = opt.init(x0)._replace(inverse_hessian=2.0 * jnp.eye(2), updates=jnp.array(3, jnp.int32))
    params, state, info = jax.jit(lambda p, s: opt.step(loss, p, s))(x0, state)
    assert np.array_equal(np.asarray(params), np.asarray(x0))
    assert float(info["accepted"]) == 0.0 and float(info["step_size"]) == 0.0
    assert float(info["loss"]) == 5.0
    np.testing.assert_array_equal(np.asarray(state.inverse_hessian), np.eye(2))
    assert int(state.updates) == 0


def test_zero_gradient_stays_put():
    opt = SelfScaledBFGS()
    x = jnp.array([1.0, 1.0])
    params, state, info = jax.jit(lambda p, s: opt.step(rosenbrock, p, s))(x, opt.init(x))
    assert np.array_equal(np.asarray(params), np.asarray(x))
    assert np.all(np.isfinite(np.asarray(state.inverse_hessian)))
    assert float(info["loss"]) == 0.0


# -- the update formula ----------------------------------------------------------------


def update_problem():
    rng = np.random.default_rng(2)
    M = rng.normal(size=(5, 5))
    H = M @ M.T + 5 * np.eye(5)
    g = rng.normal(size=5)
    s = -0.7 * H @ g  # a step of length 0.7 along -H g
    y = rng.normal(size=5)
    y = y if y @ s > 0 else -y
    return H, s, y, g


@pytest.mark.parametrize("first", [True, False])
def test_update_satisfies_secant_equation_and_stays_spd(first):
    H, s, y, g = update_problem()
    H_new, updated = self_scaled_bfgs_update(jnp.asarray(H), s, y, g, 0.7, jnp.asarray(first))
    H_new = np.asarray(H_new)
    assert bool(updated)
    np.testing.assert_allclose(H_new @ y, s, rtol=1e-12, atol=0)
    np.testing.assert_allclose(H_new, H_new.T, rtol=0, atol=1e-12 * np.abs(H_new).max())
    assert np.linalg.eigvalsh(H_new).min() > 0
    # The scaling: H_new = (1/tau)(H - H y y^T H / y^T H y + v v^T) + s s^T / s^T y.
    sy, Hy = s @ y, H @ y
    yHy = y @ Hy
    b = -0.7 * (s @ g) / sy
    tau = yHy / sy if first else min(1.0, 1.0 / b)
    v = np.sqrt(yHy) * (s / sy - Hy / yHy)
    expected = (H - np.outer(Hy, Hy) / yHy + np.outer(v, v)) / tau + np.outer(s, s) / sy
    np.testing.assert_allclose(H_new, expected, rtol=1e-12, atol=1e-12 * np.abs(expected).max())


def test_without_scaling_it_is_plain_bfgs():
    H, s, y, g = update_problem()
    H_new, _ = self_scaled_bfgs_update(jnp.asarray(H), s, y, g, 0.7, jnp.asarray(False), self_scaling=False)
    rho = 1.0 / (s @ y)
    V = np.eye(5) - rho * np.outer(s, y)
    np.testing.assert_allclose(np.asarray(H_new), V @ H @ V.T + rho * np.outer(s, s), rtol=1e-12, atol=1e-12)


def test_update_skipped_without_curvature():
    H, s, y, g = update_problem()
    H_new, updated = self_scaled_bfgs_update(jnp.asarray(H), s, -y, g, 0.7, jnp.asarray(False))
    assert not bool(updated)
    assert np.array_equal(np.asarray(H_new), H)


# -- bad input -------------------------------------------------------------------------


def test_too_many_params_raise():
    with pytest.raises(ValueError, match=r"12 parameters exceed max_params = 10"):
        SelfScaledBFGS(max_params=10).init({"a": jnp.zeros(4), "b": jnp.zeros((2, 4))})


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_params": 0}, r"max_params must be a positive integer; got 0"),
        ({"max_linesearch_steps": 2.5}, r"max_linesearch_steps must be a positive integer; got 2.5"),
        ({"slope_rtol": 0.95}, r"0 < slope_rtol < curvature_rtol < 1; got slope_rtol = 0.95, curvature_rtol = 0.9"),
        ({"curvature_rtol": 1.0}, r"curvature_rtol = 1.0"),
    ],
)
def test_bad_options_raise(options, message):
    with pytest.raises(ValueError, match=message):
        SelfScaledBFGS(**options)


def test_loss_must_be_scalar():
    opt = SelfScaledBFGS()
    x = jnp.zeros(3)
    with pytest.raises(ValueError, match=r"loss\(params\) must return a scalar; got shape \(3,\)"):
        opt.step(lambda p: p**2, x, opt.init(x))
