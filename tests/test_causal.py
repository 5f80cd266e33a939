"""Causal training (TrainConfig.causal_chunks / causal_epsilon): the weights are those of
Wang, Sankaran & Perdikaris (2022), the loss is their weighted mean, the weights carry
no gradient, the option is validated and recorded, and off (the default) changes nothing."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pinn
from pinn.losses import causal_mean_square, causal_weights, chunk_losses, make_loss_terms, time_chunks
from pinn.config import TrainConfig

SPACE_TIME = pinn.Interval(0.0, 1.0) * pinn.TimeInterval(0.0, 2.0)


def heat_problem():
    """u_t = u_xx on [0, 1] x [0, 2], u = 0 at both ends, u(x, 0) = sin πx."""

    def residual(u, x):
        return pinn.partial(u, 1)(x) - pinn.partial(u, 0, 0)(x)

    return pinn.Problem(
        SPACE_TIME,
        residual,
        [pinn.Dirichlet(on=SPACE_TIME.boundary, value=0.0), pinn.Initial(value=lambda x: jnp.sin(jnp.pi * x[0]))],
        exact=lambda x: jnp.exp(-jnp.pi**2 * x[1]) * jnp.sin(jnp.pi * x[0]),
    )


@pytest.fixture(autouse=True)
def float64():
    with jax.enable_x64(True):
        yield


def test_weights_follow_the_formula():
    losses = jnp.array([1.0, 2.0, 0.5, 3.0])
    w = np.asarray(causal_weights(losses, 0.7))
    # w_i = exp(-eps * sum_{k<i} L_k)
    expected = [1.0, math.exp(-0.7 * 1.0), math.exp(-0.7 * 3.0), math.exp(-0.7 * 3.5)]
    np.testing.assert_allclose(w, expected, rtol=1e-15)


def test_chunks_split_the_time_interval_evenly():
    t = jnp.array([0.0, 0.49, 0.5, 0.99, 1.0, 1.5, 1.99, 2.0])
    np.testing.assert_array_equal(np.asarray(time_chunks(t, 0.0, 2.0, 4)), [0, 0, 1, 1, 2, 3, 3, 3])


def test_loss_on_a_hand_made_batch():
    # times in [0, 1] cut into 4 chunks; the last point (t = 1) belongs to the last chunk
    t = jnp.array([0.1, 0.2, 0.3, 0.6, 0.9, 1.0])
    r = jnp.array([1.0, 3.0, 2.0, 4.0, 1.0, 2.0])
    L = [(1 + 9) / 2, 4.0, 16.0, (1 + 4) / 2]
    np.testing.assert_allclose(np.asarray(chunk_losses(r**2, time_chunks(t, 0.0, 1.0, 4), 4)), L, rtol=1e-15)
    eps = 0.1
    w = [1.0, math.exp(-eps * 5), math.exp(-eps * 9), math.exp(-eps * 25)]
    expected = sum(wi * Li for wi, Li in zip(w, L)) / 4
    assert float(causal_mean_square(r, t, 0.0, 1.0, 4, eps)) == pytest.approx(expected, rel=1e-15)
    # vector residuals: the squared norm of each point's residual
    r2 = jnp.stack([r, jnp.zeros_like(r)], axis=1)
    assert float(causal_mean_square(r2, t, 0.0, 1.0, 4, eps)) == pytest.approx(expected, rel=1e-15)


def test_an_empty_chunk_contributes_nothing_and_does_not_divide_by_zero():
    t = jnp.array([0.1, 0.9])
    r = jnp.array([2.0, 1.0])
    losses = np.asarray(chunk_losses(r**2, time_chunks(t, 0.0, 1.0, 3), 3))
    np.testing.assert_allclose(losses, [4.0, 0.0, 1.0])
    expected = (4.0 + math.exp(-0.5 * 4.0) * 1.0) / 3
    assert float(causal_mean_square(r, t, 0.0, 1.0, 3, 0.5)) == pytest.approx(expected, rel=1e-15)


def test_the_weights_carry_no_gradient():
    t = jnp.array([0.1, 0.2, 0.6, 0.7])
    r = jnp.array([1.0, -2.0, 0.5, 3.0])
    eps, M = 0.3, 2
    g = np.asarray(jax.grad(lambda r: causal_mean_square(r, t, 0.0, 1.0, M, eps))(r))
    # with w held constant: d/dr_j of (1/M) sum_i w_i mean_{chunk i} r^2 = w_i * 2 r_j / (M n_i)
    L0 = (1 + 4) / 2
    w = np.array([1.0, 1.0, math.exp(-eps * L0), math.exp(-eps * L0)])
    np.testing.assert_allclose(g, w * 2 * np.asarray(r) / (M * 2), rtol=1e-14)


def test_loss_terms_weight_the_pde_term_only_and_off_is_the_plain_mean():
    problem = heat_problem()
    model = pinn.MLP.for_problem(problem, (8, 8), "tanh", key=1, dtype="float64")
    apply, params = pinn.pure_apply(model)
    batch = jax.tree.map(jnp.asarray, pinn.sample_batch(problem, 64, 16, "sobol", seed=2))
    plain = make_loss_terms(problem, apply, "forward")(params, batch)
    off = make_loss_terms(problem, apply, "forward", causal_chunks=0, causal_epsilon=5.0)(params, batch)
    causal = make_loss_terms(problem, apply, "forward", causal_chunks=4, causal_epsilon=5.0)(params, batch)
    x = batch["pde"]["x"]
    with pinn.derivative_engine("forward"):
        r = jax.vmap(lambda p: problem.residual_at(lambda y: apply(params, y), p))(x)
    assert float(plain["pde"]) == pytest.approx(float(jnp.mean(r**2)), rel=1e-14)
    assert {k: float(v) for k, v in off.items()} == {k: float(v) for k, v in plain.items()}
    # by hand: chunks of [0, 2] of width 0.5
    index = np.minimum((np.asarray(x[:, 1]) / 0.5).astype(int), 3)
    L = np.array([np.mean(np.asarray(r)[index == i] ** 2) for i in range(4)])
    w = np.exp(-5.0 * (np.cumsum(L) - L))
    assert float(causal["pde"]) == pytest.approx(float(np.mean(w * L)), rel=1e-12)
    assert float(causal["pde"]) < float(plain["pde"])  # later chunks are discounted
    for name in ("dirichlet", "initial"):
        assert float(causal[name]) == float(plain[name])


def test_default_is_off_and_changes_nothing():
    assert TrainConfig().causal_chunks == 0
    problem = heat_problem()
    settings = dict(steps=20, n_interior=32, n_boundary=8, lr=1e-2, eval_every=0, log_every=10)
    runs = []
    for extra in ({}, {"causal_chunks": 0, "causal_epsilon": 7.0}):
        model = pinn.MLP.for_problem(problem, (8,), "tanh", key=0, dtype="float64")
        runs.append(pinn.solve(problem, model, **settings, **extra))
    for a, b in zip(jax.tree.leaves(runs[0].params), jax.tree.leaves(runs[1].params)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_a_causal_run_trains_and_records_its_settings(tmp_path):
    problem = heat_problem()
    model = pinn.MLP.for_problem(problem, (8,), "tanh", key=0, dtype="float64")
    result = pinn.solve(
        problem, model, steps=30, lbfgs_steps=5, n_interior=64, n_boundary=16, lr=1e-2, eval_every=0, log_every=10,
        causal_chunks=8, causal_epsilon=0.5,
    )
    assert np.isfinite(result.history["loss"]).all()
    assert result.history["loss"][-1] < result.history["loss"][0]
    assert result.metrics["config"]["causal_chunks"] == 8
    assert result.metrics["config"]["causal_epsilon"] == 0.5
    assert TrainConfig.from_dict(result.config.to_dict()) == result.config


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"causal_chunks": -1}, "causal_chunks must be a non-negative integer, got -1"),
        ({"causal_chunks": 2.5}, "causal_chunks must be a non-negative integer, got 2.5"),
        ({"causal_chunks": True}, "causal_chunks must be a non-negative integer, got True"),
        ({"causal_chunks": 64, "n_interior": 32}, r"causal_chunks \(64\) must not exceed n_interior \(32\)"),
        ({"causal_epsilon": 0.0}, "causal_epsilon must be positive, got 0.0"),
        ({"causal_epsilon": -1}, "causal_epsilon must be positive, got -1"),
        ({"causal_epsilon": float("nan")}, "causal_epsilon must be a finite number, got nan"),
        ({"causal_epsilon": "1"}, "causal_epsilon must be a finite number, got '1'"),
    ],
)
def test_bad_settings_are_refused_at_construction(settings, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**settings)


def test_a_problem_without_time_is_refused():
    domain = pinn.Interval(0.0, 1.0)
    problem = pinn.Problem(domain, lambda u, x: pinn.laplacian(u)(x) + 1.0, [pinn.Dirichlet(on=domain.boundary)])
    model = pinn.MLP.for_problem(problem, (4,), "tanh", key=0)
    with pytest.raises(ValueError, match=r"causal_chunks = 4 needs a time-dependent problem .*coordinates \('x',\)"):
        pinn.solve(problem, model, steps=1, n_interior=8, n_boundary=2, causal_chunks=4)
