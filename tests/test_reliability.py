"""Reliability of training: non-finite losses, checkpoints, resuming, Ctrl-C, SIGKILL, reproducibility.

Resumed runs are compared with uninterrupted ones bit for bit (float64 on CPU): the
trainer's loop is a pure function of the state a checkpoint holds.
"""

import re
import shutil
import signal
import subprocess
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pinn
from pinn import checkpoint as ckpt
from pinn.train import NonFiniteLossWarning

# A tiny 1-D Poisson problem, -u'' = pi^2 sin(pi x), u(0) = u(1) = 0; shared verbatim with
# the subprocess of the SIGKILL test, so that both sides build the very same run.
PROBLEM_SOURCE = '''
import jax.numpy as jnp
import pinn

def build_problem():
    domain = pinn.Interval(0.0, 1.0)

    def residual(u, x):
        return pinn.laplacian(u)(x) + jnp.pi**2 * jnp.sin(jnp.pi * x[0])

    return pinn.Problem(domain, residual, [pinn.Dirichlet(on=domain.boundary, value=0.0)],
                        exact=lambda x: jnp.sin(jnp.pi * x[0]), name="poisson1d")

def build_model(problem, hidden=(6, 6)):
    return pinn.MLP.for_problem(problem, hidden, "tanh", dtype="float64", key=3)

CONFIG = pinn.TrainConfig(
    steps=40, lr=5e-3, n_interior=16, n_boundary=2, log_every=5, eval_every=10,
    resample_every=7, checkpoint_every=10, checkpoint_keep=100, derivatives="forward",
)
'''
_ns: dict = {}
exec(compile(PROBLEM_SOURCE, "<problem>", "exec"), _ns)
build_problem, build_model, CONFIG = _ns["build_problem"], _ns["build_model"], _ns["CONFIG"]


def leaves(result):
    return [np.asarray(a) for a in jax.tree.leaves(result.params)]


def assert_same_run(a, b):
    """Identical parameters (bit for bit) and identical history."""
    la, lb = leaves(a), leaves(b)
    assert len(la) == len(lb)
    for x, y in zip(la, lb):
        assert x.dtype == y.dtype == np.float64
        assert x.tobytes() == y.tobytes()
    assert set(a.history) == set(b.history)
    for key in a.history:
        if key == "seconds":  # wall-clock time: the one column a rerun cannot repeat
            assert np.all(np.diff(b.history[key]) >= 0)
            continue
        np.testing.assert_array_equal(a.history[key], b.history[key], err_msg=key)


def stop_at(step):
    """A callback that presses Ctrl-C when the history reaches ``step``."""

    def callback(row):
        if row["step"] == step:
            raise KeyboardInterrupt

    return callback


def copy_checkpoints(src, dst, steps):
    dst.mkdir()
    for step in steps:
        shutil.copy(ckpt.checkpoint_path(src, step), dst)
    return dst


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    """The uninterrupted reference run, with a checkpoint every 10 steps (all kept)."""
    directory = tmp_path_factory.mktemp("straight")
    problem = build_problem()
    result = pinn.solve(problem, build_model(problem), CONFIG, checkpoint_dir=directory)
    return result, directory


# -- non-finite losses ---------------------------------------------------------------------
def nan_problem():
    """Drives u towards 1; the loss is NaN as soon as u(0.5) exceeds 0.5."""
    domain = pinn.Interval(0.0, 1.0)

    def residual(u, x):
        return u(x) - 1.0 + jnp.where(u(jnp.full((1,), 0.5, x.dtype)) > 0.5, jnp.nan, 0.0)

    return pinn.Problem(domain, residual, [], name="nan_injection")


def test_nonfinite_loss_in_adam_restores_the_last_finite_state_and_halves_the_step(tmp_path):
    problem = nan_problem()
    model = pinn.MLP.for_problem(problem, (4,), "tanh", dtype="float64", key=0)
    with jax.enable_x64(True):
        apply, params = pinn.pure_apply(model)
        assert float(apply(params, jnp.array([0.5]))) < 0.5
    with pytest.warns(NonFiniteLossWarning, match=r"adam step \d+: non-finite loss"):
        result = pinn.solve(
            problem, model, steps=80, lr=0.05, schedule="constant", n_interior=16, log_every=5,
            checkpoint_every=5, checkpoint_dir=tmp_path, checkpoint_keep=100,
        )
    events = [e for e in result.events if "non-finite" in e]
    assert len(events) == result.metrics["nonfinite_events"] >= 2
    # each event names its step (a check step) and the step it went back to
    for event in events:
        step, back = map(int, re.match(r"adam step (\d+): .* restored step (\d+)", event).groups())
        assert step % 5 == 0 and back < step
    h = result.history
    assert np.all(np.isfinite(h["loss"]))
    # every event before a row halved the step size of that row
    assert np.all(np.diff(h["nonfinite"]) >= 0) and h["nonfinite"][-1] >= len(events) - 1 > 0
    np.testing.assert_array_equal(h["lr_scale"], 0.5 ** h["nonfinite"])
    assert all(np.isfinite(leaf).all() for leaf in leaves(result))
    assert result.predict([[0.5]])[0, 0] <= 0.5  # the saved state never crossed into NaN
    # no checkpoint ever holds the NaN parameters
    for _, path in ckpt.list_checkpoints(tmp_path):
        with np.load(path) as data:
            keys = [k for k in data.files if k.startswith("['state'].params")]
            assert keys and all(np.isfinite(data[k]).all() for k in keys)


@jax.custom_jvp
def _poison_gradient(v, on):
    """Identity in value; the derivative is NaN where ``on`` > 0 (finite loss, NaN step)."""
    return v


@_poison_gradient.defjvp
def _poison_gradient_jvp(primals, tangents):
    v, on = primals
    return v, jnp.where(on > 0, jnp.nan, 1.0) * tangents[0]


def test_nonfinite_step_in_lbfgs_restores_and_ends_the_phase():
    domain = pinn.Interval(0.0, 1.0)

    def residual(u, x):
        # finite loss, NaN gradient while u(0.5) < 0.3 (true for the initial network)
        on = (u(jnp.full((1,), 0.5, x.dtype)) < 0.3).astype(x.dtype)
        return _poison_gradient(u(x), on) - 1.0

    problem = pinn.Problem(domain, residual, [], name="nan_gradient")
    model = pinn.MLP.for_problem(problem, (4,), "tanh", dtype="float64", key=0)
    initial = [np.asarray(a) for a in jax.tree.leaves(pinn.pure_apply(model)[1])]
    with pytest.warns(NonFiniteLossWarning, match=r"lbfgs step 1: non-finite .* restored step 0 and ended the phase"):
        result = pinn.solve(problem, model, steps=0, lbfgs_steps=30, n_interior=16, log_every=1)
    assert result.metrics["steps"] == {"lbfgs": 0}
    assert result.metrics["nonfinite_events"] == 1
    # the good (initial) parameters are back, untouched
    for a, b in zip(initial, leaves(result)):
        assert a.tobytes() == b.tobytes()
    assert np.isfinite(result.metrics["final_total_loss"])


# -- reproducibility -----------------------------------------------------------------------
def test_same_seed_and_settings_give_identical_runs(straight):
    first, _ = straight
    problem = build_problem()
    again = pinn.solve(problem, build_model(problem), CONFIG)  # and without checkpoints: same trajectory
    assert_same_run(first, again)
    drop = {"train_seconds"}
    assert {k: v for k, v in first.metrics.items() if k not in drop} == {
        k: v for k, v in again.metrics.items() if k not in drop
    }
    assert first.metrics["versions"]["jax"] == jax.__version__
    assert first.metrics["config"] == CONFIG.to_dict()


# -- checkpoints and resuming -----------------------------------------------------------------
def test_checkpoints_are_written_every_k_steps_and_at_the_end(straight):
    _, directory = straight
    assert [s for s, _ in ckpt.list_checkpoints(directory)] == [10, 20, 30, 40]
    book = ckpt.read_meta(ckpt.checkpoint_path(directory, 40))["book"]
    assert book["phase"] == 1 and book["phase_steps"] == [40]  # past the only phase: done
    book = ckpt.read_meta(ckpt.checkpoint_path(directory, 20))["book"]
    assert (book["phase"], book["done"], book["round"]) == (0, 20, 2)
    assert [row["step"] for row in book["rows"]] == [5, 10, 15, 20]


def test_ctrl_c_returns_the_metrics_so_far_and_resumes_to_the_same_bits(straight, tmp_path):
    reference, _ = straight
    problem = build_problem()
    stopped = pinn.solve(problem, build_model(problem), CONFIG, checkpoint_dir=tmp_path, callback=stop_at(25))
    assert stopped.interrupted and stopped.metrics["interrupted"]
    assert stopped.metrics["steps"] == {"adam": 25}
    assert stopped.history["step"][-1] == 25
    assert np.isfinite(stopped.rel_l2)
    assert any("interrupted at step 25" in e and "resume" in e for e in stopped.events)
    assert [s for s, _ in ckpt.list_checkpoints(tmp_path)] == [10, 20, 25]
    resumed = pinn.solve(problem, build_model(problem), CONFIG, checkpoint_dir=tmp_path, resume=True)
    assert not resumed.interrupted
    assert_same_run(reference, resumed)
    assert any("resumed at step 25" in e for e in resumed.events)


def test_resume_from_a_periodic_checkpoint_with_resampling(straight, tmp_path):
    reference, directory = straight
    # step 20 lies inside the third resampling round (7 steps each): points come from the checkpoint
    folder = copy_checkpoints(directory, tmp_path / "run", [10, 20])
    problem = build_problem()
    resumed = pinn.solve(problem, build_model(problem), CONFIG, checkpoint_dir=folder, resume=True)
    assert_same_run(reference, resumed)


def test_resume_skips_an_unreadable_checkpoint_and_a_partial_write(straight, tmp_path):
    reference, directory = straight
    folder = copy_checkpoints(directory, tmp_path / "run", [10, 20])
    newest = ckpt.checkpoint_path(folder, 20)
    newest.write_bytes(newest.read_bytes()[:1000])  # a damaged file (e.g. a full disk)
    partial = folder / ".ckpt-000000030.npz.x1y2.tmp"  # what a kill during a write leaves
    partial.write_bytes(b"half a file")
    problem = build_problem()
    resumed = pinn.solve(problem, build_model(problem), CONFIG, checkpoint_dir=folder, resume=True)
    assert_same_run(reference, resumed)
    assert any("resumed at step 10" in e and "ckpt-000000020.npz" in e for e in resumed.events)
    assert not partial.exists()


def test_resume_of_a_finished_run_returns_it(straight, tmp_path):
    reference, directory = straight
    folder = copy_checkpoints(directory, tmp_path / "run", [40])
    problem = build_problem()
    again = pinn.solve(problem, build_model(problem), CONFIG, checkpoint_dir=folder, resume=True)
    assert_same_run(reference, again)
    assert again.rel_l2 == reference.rel_l2


@pytest.mark.parametrize(
    "change, match",
    [
        (dict(hidden=(6, 7)), r"different run.*model\.hidden is \[6, 6\] in the checkpoint but \[6, 7\] now"),
        (dict(config=dict(lr=1e-2)), r"config\.lr is 0\.005 in the checkpoint but 0\.01 now"),
        (dict(config=dict(seed=1, steps=50)), r"config\.seed is 0 .* but 1 now; config\.steps is 40 .* but 50 now"),
        (dict(problem="heat"), r"problem\.name is 'poisson1d' in the checkpoint but 'heat' now"),
    ],
)
def test_resume_refuses_a_checkpoint_of_another_run(straight, tmp_path, change, match):
    _, directory = straight
    folder = copy_checkpoints(directory, tmp_path / "run", [20])
    problem = build_problem()
    if "problem" in change:
        import dataclasses

        problem = dataclasses.replace(problem, name=change["problem"])
    model = build_model(problem, change.get("hidden", (6, 6)))
    config = CONFIG.replace(**change.get("config", {}))
    with pytest.raises(ValueError, match=match):
        pinn.solve(problem, model, config, checkpoint_dir=folder, resume=True)
    assert [s for s, _ in ckpt.list_checkpoints(folder)] == [20]  # nothing written


def test_resume_may_change_what_is_only_recorded(straight, tmp_path):
    reference, directory = straight
    folder = copy_checkpoints(directory, tmp_path / "run", [20])
    problem = build_problem()
    resumed = pinn.solve(
        problem, build_model(problem), CONFIG.replace(eval_every=5, checkpoint_keep=1), checkpoint_dir=folder, resume=True
    )
    for a, b in zip(leaves(reference), leaves(resumed)):
        assert a.tobytes() == b.tobytes()
    assert np.isfinite(resumed.history["rel_l2"][-4:]).all()  # steps 25..40 now all evaluated
    assert [s for s, _ in ckpt.list_checkpoints(folder)] == [40]


BOUNDARY = CONFIG.replace(steps=20, lbfgs_steps=10, checkpoint_every=5, checkpoint_keep=3)


def test_resume_across_the_adam_to_lbfgs_boundary(tmp_path):
    problem = build_problem()
    reference = pinn.solve(problem, build_model(problem), BOUNDARY, checkpoint_dir=tmp_path / "straight")
    assert reference.metrics["steps"] == {"adam": 20, "lbfgs": 10}
    assert list(reference.history["phase"][-3:]) == ["adam", "lbfgs", "lbfgs"]
    # only the newest three are kept
    assert [s for s, _ in ckpt.list_checkpoints(tmp_path / "straight")] == [20, 25, 30]
    assert ckpt.read_meta(ckpt.checkpoint_path(tmp_path / "straight", 25))["book"]["phase"] == 1  # the L-BFGS phase
    for step in (20, 25):  # the last Adam step (L-BFGS starts after the resume) and inside L-BFGS
        folder = copy_checkpoints(tmp_path / "straight", tmp_path / f"from{step}", [step])
        resumed = pinn.solve(problem, build_model(problem), BOUNDARY, checkpoint_dir=folder, resume=True)
        assert_same_run(reference, resumed)


KILL_SCRIPT = PROBLEM_SOURCE + '''
import sys, time

def slow(row):
    time.sleep(0.02)  # gives the parent time to kill the run in the middle

problem = build_problem()
pinn.solve(problem, build_model(problem), CONFIG.replace(steps=200, checkpoint_keep=3),
           checkpoint_dir=sys.argv[1], callback=slow)
'''


def test_a_run_killed_with_sigkill_resumes_to_the_same_bits(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(KILL_SCRIPT)
    folder = tmp_path / "checkpoints"
    config = CONFIG.replace(steps=200, checkpoint_keep=3)
    rng = np.random.default_rng()
    proc = subprocess.Popen([sys.executable, str(script), str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not ckpt.list_checkpoints(folder):
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "no checkpoint appeared"
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.2))  # a random moment after the first checkpoint
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    steps = [s for s, _ in ckpt.list_checkpoints(folder)]
    assert steps and steps[-1] < 200, f"the run was not killed mid-way: {steps}"
    problem = build_problem()
    resumed = pinn.solve(problem, build_model(problem), config, checkpoint_dir=folder, resume=True)
    reference = pinn.solve(problem, build_model(problem), config)
    assert_same_run(reference, resumed)


def test_check_resumable_answers_without_writing(straight, tmp_path):
    _, directory = straight
    folder = copy_checkpoints(directory, tmp_path / "run", [10, 20])
    problem = build_problem()
    before = sorted((p.name, p.stat().st_mtime_ns) for p in folder.iterdir())
    assert pinn.train.check_resumable(problem, build_model(problem), CONFIG, folder) == 20
    with pytest.raises(ValueError, match=r"config\.lr is 0\.005 in the checkpoint but 0\.01 now"):
        pinn.train.check_resumable(problem, build_model(problem), CONFIG.replace(lr=1e-2), folder)
    with pytest.raises(ValueError, match=r"holds no checkpoint to resume from"):
        pinn.train.check_resumable(problem, build_model(problem), CONFIG, tmp_path / "nothing")
    assert sorted((p.name, p.stat().st_mtime_ns) for p in folder.iterdir()) == before


def test_bundled_problem_resumes_through_the_registry(tmp_path):
    """problems.get(NAME).solve(checkpoint_dir=..., resume=True) continues a cut-short run
    to the same bits as a run never interrupted (float64 on CPU)."""
    import problems

    spec = problems.get("poisson2d")
    settings = dict(steps=20, lbfgs_steps=0, hidden=(8,), n_interior=32, n_boundary=16, checkpoint_every=10, eval_every=0)
    uninterrupted = spec.solve(**settings)
    spec.solve(checkpoint_dir=tmp_path, **settings)
    steps = [step for step, _ in ckpt.list_checkpoints(tmp_path)]
    assert steps[-2:] == [10, 20]
    for step, path in ckpt.list_checkpoints(tmp_path):
        if step > 10:
            path.unlink()  # as if killed between step 10 and step 20
    resumed = spec.solve(checkpoint_dir=tmp_path, resume=True, **settings)
    for a, b in zip(jax.tree.leaves(uninterrupted.params), jax.tree.leaves(resumed.params)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
