"""The device-friendly loop: several steps per dispatch and points drawn on the device.

``steps_per_dispatch=K`` runs up to K gradient steps in one call (a loop on the device)
between check steps; the runs are compared bit for bit (float64 on CPU) with one step
per dispatch, including resampling, gradient-norm weights, an L-BFGS phase after Adam,
and resuming from checkpoints.
"""

import jax
import numpy as np
import pytest
from test_reliability import CONFIG, assert_same_run, build_model, build_problem, copy_checkpoints, stop_at

import pinn
from pinn import checkpoint as ckpt


def solve(config, **kwargs):
    problem = build_problem()
    return pinn.solve(problem, build_model(problem), config, **kwargs)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """One step per dispatch, a checkpoint every 10 steps (all kept)."""
    directory = tmp_path_factory.mktemp("one-step")
    return solve(CONFIG, checkpoint_dir=directory), directory


@pytest.mark.parametrize("k", [2, 8, 1000])
def test_several_steps_per_dispatch_give_the_same_bits(reference, k):
    # CONFIG resamples every 7 steps and checks every 5 or 10: dispatches end at each of them
    run = solve(CONFIG.replace(steps_per_dispatch=k))
    assert_same_run(reference[0], run)
    assert run.metrics["compilations"] == {"0:adam": 1}


def test_same_bits_with_gradnorm_weights_and_an_lbfgs_phase():
    config = CONFIG.replace(weighting="gradnorm", weighting_every=3, lbfgs_steps=6, steps=23)
    one, many = solve(config), solve(config.replace(steps_per_dispatch=16))
    assert_same_run(one, many)
    assert many.metrics["compilations"] == {"0:adam": 1, "1:lbfgs": 1}


def test_resume_with_several_steps_per_dispatch_gives_the_same_bits(reference, tmp_path):
    ref, directory = reference
    # checkpoints written one step per dispatch, resumed K steps per dispatch (and back)
    folder = copy_checkpoints(directory, tmp_path / "a", [10, 20])
    assert_same_run(ref, solve(CONFIG.replace(steps_per_dispatch=6), checkpoint_dir=folder, resume=True))
    many = tmp_path / "b"
    stopped = solve(CONFIG.replace(steps_per_dispatch=6), checkpoint_dir=many, callback=stop_at(25))
    assert stopped.interrupted and [s for s, _ in ckpt.list_checkpoints(many)] == [10, 20, 25]
    assert_same_run(ref, solve(CONFIG.replace(steps_per_dispatch=6), checkpoint_dir=many, resume=True))


def test_steps_per_dispatch_is_validated():
    with pytest.raises(ValueError, match=r"steps_per_dispatch must be a positive integer, got 0"):
        pinn.TrainConfig(steps_per_dispatch=0)
    with pytest.raises(ValueError, match=r"resample_on_device must be True or False, got 'yes'"):
        pinn.TrainConfig(resample_on_device="yes")


# -- points drawn on the device ------------------------------------------------------------------
def test_points_drawn_on_the_device_are_new_each_round_reproducible_and_resumable(reference, tmp_path):
    config = CONFIG.replace(resample_on_device=True, checkpoint_every=10)
    first = solve(config, checkpoint_dir=tmp_path / "run")
    # the first round's points are the host's (the first 7 steps are the reference's), later ones differ
    np.testing.assert_array_equal(first.history["loss"][:1], reference[0].history["loss"][:1])
    assert not np.array_equal(first.history["loss"], reference[0].history["loss"])
    assert np.isfinite(first.history["loss"]).all()
    assert_same_run(first, solve(config.replace(steps_per_dispatch=9)))
    folder = copy_checkpoints(tmp_path / "run", tmp_path / "again", [20])
    assert_same_run(first, solve(config, checkpoint_dir=folder, resume=True))


def test_points_drawn_on_the_device_lie_in_the_domain():
    problem = pinn.Problem(
        pinn.Rectangle((0.0, -1.0), (2.0, 1.0)) * pinn.TimeInterval(0.0, 0.5),
        lambda u, x: pinn.laplacian(u)(x),
        [],
        name="box",
    )
    model = pinn.MLP.for_problem(problem, (4,), "tanh", dtype="float64", key=0)
    from pinn.train import _Run, term_weights

    with jax.enable_x64(True):
        run = _Run(problem, model, pinn.TrainConfig(n_interior=4000, resample_every=5, resample_on_device=True), term_weights(problem, {}), None, None)
        state, _ = run.initial()
        points = np.asarray(run._batch(1, state)["pde"]["x"])
        again = np.asarray(run._batch(1, state)["pde"]["x"])
        other = np.asarray(run._batch(2, state)["pde"]["x"])
    assert points.shape == (4000, 3)
    np.testing.assert_array_equal(points, again)
    assert not np.array_equal(points, other)
    lower, upper = points.min(axis=0), points.max(axis=0)
    assert np.all(lower >= [0.0, -1.0, 0.0]) and np.all(upper <= [2.0, 1.0, 0.5])
    assert np.all(lower < [0.01, -0.99, 0.01]) and np.all(upper > [1.99, 0.99, 0.49])  # spread over the box


def test_points_on_the_device_are_refused_for_a_domain_that_is_not_a_box():
    domain = pinn.Disk((0.0, 0.0), 1.0)
    problem = pinn.Problem(domain, lambda u, x: pinn.laplacian(u)(x), [pinn.Dirichlet(on=domain.boundary)], name="disk")
    model = pinn.MLP.for_problem(problem, (4,), "tanh", key=0)
    with pytest.raises(ValueError, match=r"resample_on_device draws points in boxes; .*Disk.*valid domains: Interval, Rectangle, Box"):
        pinn.solve(problem, model, steps=2, resample_every=1, resample_on_device=True)
