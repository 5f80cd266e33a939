"""The trainer: one compile per run, error decreases, L-BFGS helps, weights, resampling, evaluation, dtypes."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pinn
from pinn.config import TrainConfig
from pinn.phases import learning_rate_schedule

DOMAIN = pinn.Interval(0.0, 1.0)


def make_problem(counter=None):
    """-u'' = pi^2 sin(pi x) on [0, 1], u(0) = u(1) = 0; exact u = sin(pi x).

    ``counter["traces"]`` counts how often the residual is traced (a Python side effect
    runs only while JAX traces, never when a compiled step runs).
    """

    def residual(u, x):
        if counter is not None:
            counter["traces"] += 1
        return pinn.laplacian(u)(x) + jnp.pi**2 * jnp.sin(jnp.pi * x[0])

    return pinn.Problem(
        DOMAIN, residual, [pinn.Dirichlet(on=DOMAIN.boundary, value=0.0)], exact=lambda x: jnp.sin(jnp.pi * x[0])
    )


FAST = TrainConfig(
    steps=150, lr=1e-2, n_interior=32, n_boundary=2, log_every=10, eval_every=50,
    resample_every=25, weights={"dirichlet": 10.0}, derivatives="forward",
)


@pytest.fixture(scope="module")
def run():
    """A short float32 Adam run with resampling, counting traces at every log row."""
    counter = {"traces": 0}
    problem = make_problem(counter)
    counter["traces"] = 0  # the problem's own checks at construction traced it too
    model = pinn.MLP.for_problem(problem, (16, 16), "tanh", key=0)
    initial_model = pinn.MLP.for_problem(problem, (16, 16), "tanh", key=0)
    seen = []
    result = pinn.solve(problem, model, FAST, callback=lambda row: seen.append((row["step"], counter["traces"])))
    return result, seen, initial_model


def test_the_train_step_does_not_recompile(run):
    _, seen, _ = run
    steps = [s for s, _ in seen]
    assert steps == list(range(10, 151, 10))  # 15 log rows, 5 resamplings in between
    traces = [t for _, t in seen]
    assert traces[0] >= 1
    assert traces == [traces[0]] * len(traces), f"retraced after the first step: {seen}"


def test_a_short_solve_lowers_the_error(run):
    result, _, initial_model = run
    points, values = result.problem.evaluation_data()
    before = np.linalg.norm(
        np.asarray(jax.vmap(initial_model)(jnp.asarray(points, jnp.float32))).reshape(values.shape) - values
    ) / np.linalg.norm(values)
    assert before > 0.5
    assert result.rel_l2 < 0.2 * before
    errors = result.history["rel_l2"][np.isfinite(result.history["rel_l2"])]
    assert errors[-1] < errors[0]


def test_evaluation_every_k_steps_fills_rel_l2(run):
    result, _, _ = run
    h = result.history
    evaluated = h["step"][np.isfinite(h["rel_l2"])]
    np.testing.assert_array_equal(evaluated, [50, 100, 150])
    assert h["rel_l2"][-1] == pytest.approx(result.rel_l2, rel=1e-5)


def test_per_term_weights_apply_to_the_total(run):
    result, _, _ = run
    h = result.history
    np.testing.assert_allclose(h["loss"], h["loss_pde"] + 10.0 * h["loss_dirichlet"], rtol=1e-5)
    final = result.metrics["final_loss"]
    assert result.metrics["final_total_loss"] == pytest.approx(final["pde"] + 10.0 * final["dirichlet"], rel=1e-5)


def test_weights_change_the_training(tmp_path):
    problem = make_problem()
    config = FAST.replace(steps=20, eval_every=0, log_every=20)
    # (with checkpoint_every=0 a checkpoint is written only at the end)
    a = pinn.solve(
        problem, pinn.MLP.for_problem(problem, (8,), "tanh", key=0), config.replace(checkpoint_every=0),
        checkpoint_dir=tmp_path,
    )
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt-000000020.npz"]
    b = pinn.solve(problem, pinn.MLP.for_problem(problem, (8,), "tanh", key=0), config.replace(weights={}))
    assert a.history["loss"][-1] != b.history["loss"][-1]
    np.testing.assert_allclose(b.history["loss"], b.history["loss_pde"] + b.history["loss_dirichlet"], rtol=1e-6)


def test_resampling_keeps_shapes_and_draws_new_points():
    problem = make_problem()
    first = pinn.sample_batch(problem, 32, 4, "sobol", seed=0, round_=0)
    second = pinn.sample_batch(problem, 32, 4, "sobol", seed=0, round_=1)
    again = pinn.sample_batch(problem, 32, 4, "sobol", seed=0, round_=1)
    assert jax.tree.map(np.shape, first) == jax.tree.map(np.shape, second)
    assert first["pde"]["x"].shape == (32, 1)
    assert not np.array_equal(first["pde"]["x"], second["pde"]["x"])
    np.testing.assert_array_equal(second["pde"]["x"], again["pde"]["x"])


def test_float32_by_default(run):
    result, _, _ = run
    assert all(leaf.dtype == jnp.float32 for leaf in jax.tree.leaves(result.params))
    assert result.metrics["dtype"] == "float32"


def test_lbfgs_lowers_the_loss_further_in_float64():
    problem = make_problem()
    model = pinn.MLP.for_problem(problem, (8, 8), "tanh", key=1, dtype="float64")
    result = pinn.solve(problem, model, FAST.replace(steps=60, lbfgs_steps=30, log_every=30, eval_every=0))
    h = result.history
    assert list(h["phase"]) == ["adam", "adam", "lbfgs"]
    after_adam, after_lbfgs = h["loss"][1], h["loss"][2]
    assert after_lbfgs < 0.1 * after_adam
    assert result.metrics["steps"] == {"adam": 60, "lbfgs": 30}
    assert all(leaf.dtype == jnp.float64 for leaf in jax.tree.leaves(result.params))
    assert result.metrics["dtype"] == "float64"
    assert result.predict([[0.25]]).dtype == np.float64


@pytest.mark.parametrize("schedule", ["constant", "exponential", "cosine"])
def test_learning_rate_schedules_start_at_lr_and_end_at_the_ratio(schedule):
    config = TrainConfig(steps=100, lr=1e-2, final_lr_ratio=0.1, schedule=schedule)
    lr = learning_rate_schedule(config.lr, config.steps, config.schedule, config.final_lr_ratio)
    assert float(lr(0)) == pytest.approx(1e-2)
    assert float(lr(100)) == pytest.approx(1e-2 if schedule == "constant" else 1e-3, rel=1e-6)


def test_config_round_trips_through_plain_data():
    config = FAST.replace(eval_resolution=11)
    assert TrainConfig.from_dict(config.to_dict()) == config
