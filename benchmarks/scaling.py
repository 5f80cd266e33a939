"""Point-steps per second of heat3d's Adam step on 1 and 2 local processes (issue 16).

Every case is a real ``pinn.solve`` of ``heat3d`` (its default network, float64 as
bundled, ``steps_per_dispatch`` = ``log_every`` so one dispatch runs the steps between
two log rows), on one process, or on two processes joined by ``jax.distributed`` (the
coordinator on 127.0.0.1) that share the points: the trainer's mesh spans both, the
points are sharded, the parameters replicated, one gradient all-reduce per step.

* strong scaling: the same total points (2e4, 2e5) on 1 and on 2 processes;
* weak scaling: the same points per process (2e4, 2e5 each; 2 processes hold twice as many).

Throughput is ``total points * steps / seconds``, the seconds of the steps between the
first and the last log row (compilation left out), median over the rows.

Threads: each process of a 2-process case is pinned to its own core (``taskset -c I``
where available) and runs XLA on one thread (``--xla_cpu_multi_thread_eigen=false
intra_op_parallelism_threads=1``), so the two do not fight over the cores. The
1-process case is measured twice: as it comes (XLA's own threads on every core: the
number to beat) and pinned to one core (the parallel efficiency).

Run (on a quiet machine; it prints one JSON row per case)::

    .venv/bin/python benchmarks/scaling.py                               # writes benchmarks/results/scaling.json
    .venv/bin/python benchmarks/scaling.py --points 2000 --steps 6 --out /tmp/scaling   # a smoke run

``benchmarks/tables.py`` turns the JSON into the BENCHMARKS.md table ``scaling``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ONE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- one process of one case ---------------------------------------------------------------------
def worker(args) -> None:
    """Train heat3d and write this process's timing row (process 0 only) to ``args.row``."""
    import pinn
    from pinn import distributed

    if args.processes > 1:
        distributed.initialize(distributed.Cluster(args.processes, args.process_id, args.coordinator))
    import problems

    spec = problems.get("heat3d")
    problem = spec.problem()
    model = spec.make_model(problem)
    result = pinn.solve(
        problem, model, steps=args.steps, lbfgs_steps=0, phases=None, n_interior=args.total_points,
        log_every=args.log_every, steps_per_dispatch=args.log_every, eval_every=0, chunk_size=args.chunk_size,
        resample_every=0,
    )
    steps = list(result.history["step"])
    seconds = list(result.history["seconds"])
    per_step = [(seconds[i + 1] - seconds[i]) / (steps[i + 1] - steps[i]) for i in range(len(steps) - 1)]
    if distributed.is_main():
        ms = 1e3 * statistics.median(per_step)
        row = {
            "ms_per_step": ms,
            "point_steps_per_s": args.total_points / (ms / 1e3),
            "devices": result.metrics["devices"],
            "n_params": result.metrics["n_params"],
            "dtype": result.metrics["dtype"],
            "final_loss": result.metrics["final_total_loss"],
        }
        Path(args.row).write_text(json.dumps(row))


# -- one case ----------------------------------------------------------------------------------------
def run_case(processes: int, total_points: int, steps: int, log_every: int, chunk_size: int, pinned: bool) -> dict:
    """Start the processes of one case, wait for them, return process 0's row."""
    port = free_port()
    pin = pinned and shutil.which("taskset") is not None
    with tempfile.TemporaryDirectory() as tmp:
        row_file = Path(tmp) / "row.json"
        procs = []
        for i in range(processes):
            command = [
                sys.executable, __file__, "--worker", "--processes", str(processes), "--process-id", str(i),
                "--coordinator", f"127.0.0.1:{port}", "--total-points", str(total_points), "--steps", str(steps),
                "--log-every", str(log_every), "--chunk-size", str(chunk_size), "--row", str(row_file),
            ]
            if pin:
                command = ["taskset", "-c", str(i % (os.cpu_count() or 1)), *command]
            env = {**os.environ, "JAX_PLATFORMS": "cpu"}
            if pinned:
                env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " " + ONE_THREAD).strip()
            procs.append(subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        outputs = [p.communicate() for p in procs]
        for p, (_, err) in zip(procs, outputs):
            if p.returncode != 0:
                raise RuntimeError(f"a worker failed (exit {p.returncode}): {err[-2000:]}")
        row = json.loads(row_file.read_text())
    return {
        "processes": processes, "points": total_points, "points_per_process": total_points // processes,
        "pinned": pinned, "taskset": pin, **row,
    }


def cases(points: list[int]) -> list[tuple[str, int, int, bool]]:
    """(kind, processes, total points, pinned) of every case."""
    out = []
    for n in points:
        out += [("base", 1, n, False), ("base", 1, n, True), ("strong", 2, n, True), ("weak", 2, 2 * n, True)]
    return out


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", default="20000,200000", help="points per case, comma-separated (default 20000,200000)")
    parser.add_argument("--steps", type=int, default=40, help="Adam steps per case (default 40)")
    parser.add_argument("--log-every", type=int, default=10, help="steps between timed log rows (default 10)")
    parser.add_argument("--chunk-size", type=int, default=1000, help="chunk_size of the PDE term (default 1000; 0: off)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"), help="folder of scaling.json")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--processes", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--process-id", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--coordinator", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--total-points", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--row", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args)
        return {}
    points = [int(float(p)) for p in args.points.split(",")]
    load_before = os.getloadavg()
    rows = []
    for kind, processes, total, pinned in cases(points):
        started = time.time()
        row = {"kind": kind, **run_case(processes, total, args.steps, args.log_every, args.chunk_size, pinned)}
        row["wall_seconds"] = time.time() - started
        row["load"] = os.getloadavg()[0]
        print(json.dumps(row), flush=True)
        rows.append(row)
    import jax

    report = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": "python benchmarks/scaling.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "cpu_count": os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
        "versions": {"jax": jax.__version__, "python": platform.python_version()},
        "problem": "heat3d",
        "steps": args.steps,
        "chunk_size": args.chunk_size,
        "rows": rows,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "scaling.json").write_text(json.dumps(report, indent=1) + "\n")
    return report


if __name__ == "__main__":
    main()
