"""Several processes, one run (:mod:`pinn.distributed`).

The launch settings are checked before anything starts (fast tests). The end-to-end
tests start real processes (``python -m pinn.cli solve ... --processes 2``) on this
machine, with the coordinator on 127.0.0.1 at a free port: two processes give the
one-process result, and a ``kill -9`` of one stops the other with a clear message,
leaves complete checkpoints, and ``--resume`` continues the run.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

import pinn
from pinn import checkpoint as ckpt
from pinn import cli
from pinn.batch import sample_batch
from pinn.distributed import Cluster

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


# -- launch settings -------------------------------------------------------------------------
def test_a_process_id_outside_the_processes_is_refused():
    with pytest.raises(ValueError, match=r"process_id 2 is out of range for 2 process\(es\); valid process ids: 0 to 1"):
        Cluster(processes=2, process_id=2, coordinator="127.0.0.1:4321")
    with pytest.raises(ValueError, match=r"coordinator must be HOST:PORT with a port from 1 to 65535 .*got '127.0.0.1'"):
        Cluster(processes=2, process_id=0, coordinator="127.0.0.1")
    with pytest.raises(ValueError, match=r"coordinator must be HOST:PORT .*got 'host:99999'"):
        Cluster(processes=2, process_id=0, coordinator="host:99999")
    with pytest.raises(ValueError, match=r"processes must be a positive integer, got 0"):
        Cluster(processes=0, process_id=0, coordinator="h:1")


def test_the_environment_fills_what_the_arguments_leave_out():
    env = {"JAX_COORDINATOR_ADDRESS": "10.0.0.1:4321", "JAX_NUM_PROCESSES": "4", "JAX_PROCESS_ID": "3"}
    assert Cluster.from_env(environ=env) == Cluster(4, 3, "10.0.0.1:4321")
    assert Cluster.from_env(process_id=1, environ=env) == Cluster(4, 1, "10.0.0.1:4321")  # arguments win
    assert Cluster.from_env(environ={}) is None  # one process: nothing to join
    assert Cluster.from_env(processes=1, environ={}) is None
    with pytest.raises(ValueError, match=r"JAX_PROCESS_ID must be an integer, got 'one'"):
        Cluster.from_env(environ={**env, "JAX_PROCESS_ID": "one"})
    with pytest.raises(ValueError, match=r"2 processes need a process id \(--process-id or JAX_PROCESS_ID\) and a coordinator"):
        Cluster.from_env(processes=2, environ={})
    with pytest.raises(ValueError, match=r"process_id 1 is out of range for 1 process; valid process ids: 0"):
        Cluster.from_env(process_id=1, environ={})


@pytest.mark.parametrize(
    "flags, match",
    [
        (["--processes", "2", "--process-id", "2", "--coordinator", "127.0.0.1:4321"], r"process_id 2 is out of range for 2 process\(es\); valid process ids: 0 to 1"),
        (["--processes", "3", "--process-id", "0", "--coordinator", "localhost"], r"coordinator must be HOST:PORT .*got 'localhost'"),
        (["--processes", "2", "--process-id", "1"], r"2 processes need a coordinator HOST:PORT \(--coordinator or JAX_COORDINATOR_ADDRESS\)"),
        (["--processes", "0"], r"argument --processes: must be a positive integer, got '0'"),
        (["--process-id", "-1"], r"argument --process-id: must be a non-negative integer, got '-1'"),
    ],
)
def test_bad_process_flags_end_in_one_line_naming_the_value(flags, match, capsys, tmp_path, monkeypatch):
    for variable in ("JAX_COORDINATOR_ADDRESS", "JAX_NUM_PROCESSES", "JAX_PROCESS_ID"):
        monkeypatch.delenv(variable, raising=False)
    code = cli.main(["solve", "heat3d", *flags, "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("pinn: error: ")
    import re

    assert re.search(match, err), err
    assert not (tmp_path / "run").exists()


def test_sample_per_process_is_a_flag():
    assert pinn.TrainConfig(sample_per_process=True).sample_per_process
    with pytest.raises(ValueError, match=r"sample_per_process must be True or False, got 1"):
        pinn.TrainConfig(sample_per_process=1)


def test_each_process_draws_its_own_share_of_every_term():
    import problems

    problem = problems.get("heat3d").problem()
    whole = sample_batch(problem, 101, 20, "sobol", seed=0)
    shares = [sample_batch(problem, 101, 20, "sobol", seed=0, shard=(i, 2)) for i in range(2)]
    for term in whole:
        sizes = [len(s[term]["x"]) for s in shares]
        assert sizes == [-(-len(whole[term]["x"]) // 2)] * 2  # half of the term, rounded up
        assert not np.array_equal(shares[0][term]["x"], shares[1][term]["x"])
    again = sample_batch(problem, 101, 20, "sobol", seed=0, shard=(1, 2))
    np.testing.assert_array_equal(again["pde"]["x"], shares[1]["pde"]["x"])
    with pytest.raises(ValueError, match=r"shard index 2 is out of range for 2 shards; valid: 0 to 1"):
        sample_batch(problem, 8, 8, shard=(2, 2))


# -- real processes ------------------------------------------------------------------------------
CONFIG = """
problem = "heat3d"
[model]
hidden = [8, 8]
dtype = "float64"
[train]
steps = {steps}
lbfgs_steps = 0
n_interior = 512
n_boundary = 128
log_every = 20
checkpoint_every = 20
eval_every = 0
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment():
    env = {k: v for k, v in os.environ.items() if not k.startswith("JAX_") or k.startswith("JAX_COMPILATION") or k.startswith("JAX_PERSISTENT")}
    return {**env, "JAX_PLATFORMS": "cpu", "PYTHONUNBUFFERED": "1"}


def launch(out, config, *flags):
    return subprocess.Popen(
        [sys.executable, "-m", "pinn.cli", "solve", "--config", str(config), "--out", str(out), *flags],
        env=environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def launch_two(out, config, *flags):
    port = free_port()
    return [launch(out, config, "--processes", "2", "--process-id", str(i), "--coordinator", f"127.0.0.1:{port}", *flags) for i in range(2)]


def finish(process, timeout=900):
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def write_config(tmp_path, steps):
    path = tmp_path / "run.toml"
    path.write_text(CONFIG.format(steps=steps))
    return path


@pytest.mark.slow
def test_two_processes_give_the_one_process_result(tmp_path):
    config = write_config(tmp_path, 40)
    two = launch_two(tmp_path / "two", config)
    done = [finish(p) for p in two]
    assert done[0][0] == 0, done[0][2][-3000:]
    assert done[1][0] == 0, done[1][2][-3000:]
    assert "process 1 of 2 done" in done[1][2]
    code, _, err = finish(launch(tmp_path / "one", config))
    assert code == 0, err[-3000:]
    one = json.loads((tmp_path / "one" / "metrics.json").read_text())
    both = json.loads((tmp_path / "two" / "metrics.json").read_text())
    assert (both["processes"], both["devices"], one["processes"], one["devices"]) == (2, 2, 1, 1)
    # the same 512 points, half on each process: sums in another order, rounding only
    assert both["final_total_loss"] == pytest.approx(one["final_total_loss"], rel=1e-10)
    assert both["rel_l2"] == pytest.approx(one["rel_l2"], rel=1e-10)
    h1 = np.genfromtxt(tmp_path / "one" / "history.csv", delimiter=",", names=True)
    h2 = np.genfromtxt(tmp_path / "two" / "history.csv", delimiter=",", names=True)
    np.testing.assert_allclose(h2["loss"], h1["loss"], rtol=1e-10)
    assert len(h1["loss"]) == 2


@pytest.mark.slow
def test_kill_9_of_one_process_stops_the_other_cleanly_and_resume_continues(tmp_path):
    config = write_config(tmp_path, 300)
    out = tmp_path / "run"
    first, second = launch_two(out, config)
    folder = out / "checkpoints"
    deadline = time.time() + 600
    while not (folder.is_dir() and ckpt.list_checkpoints(folder)) and time.time() < deadline:
        assert first.poll() is None and second.poll() is None, "a process ended before its first checkpoint"
        time.sleep(0.5)
    assert ckpt.list_checkpoints(folder), "no checkpoint within 10 minutes"
    second.send_signal(signal.SIGKILL)
    killed = time.time()
    code, _, err = finish(first, timeout=120)
    waited = time.time() - killed
    second.communicate()
    assert waited < 60, f"process 0 took {waited:.0f} s to stop"
    assert code == cli.EXIT_PEER_LOST, err[-3000:]
    lines = [line for line in err.splitlines() if line.startswith("pinn: error:")]
    assert len(lines) == 1, err[-3000:]
    assert "another process of the run stopped" in lines[0] and "--resume" in lines[0], lines[0]
    stopped_at = [step for step, _ in ckpt.list_checkpoints(folder)]
    assert stopped_at and max(stopped_at) < 300
    assert all(ckpt.readable(path) for _, path in ckpt.list_checkpoints(folder))
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]

    resumed = launch_two(out, config, "--resume")
    done = [finish(p) for p in resumed]
    assert done[0][0] == 0, done[0][2][-3000:]
    assert done[1][0] == 0, done[1][2][-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["steps"] == {"adam": 300}
    assert f"resumed at step {max(stopped_at)}" in done[0][1]
    # the run it continued is the run one process makes alone, to rounding
    code, _, err = finish(launch(tmp_path / "one", config))
    assert code == 0, err[-3000:]
    one = json.loads((tmp_path / "one" / "metrics.json").read_text())
    assert metrics["final_total_loss"] == pytest.approx(one["final_total_loss"], rel=1e-9)
