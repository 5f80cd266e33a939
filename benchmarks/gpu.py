"""Throughput of the training step on an accelerator: point-steps per second.

For ``heat3d`` and ``elasticity_plate`` at 1e5 and 1e6 collocation points, per
derivative engine and dtype, it times the framework's own jitted Adam step (the
function :func:`pinn.solve` runs) and reports

* ``point_steps_per_s``: collocation points x steps per second,
* ``tflops``: the step's FLOPs (XLA's cost analysis of the compiled step) per second,
* ``fraction_of_peak``: that over the card's float32 peak (``--peak-tflops``; 67 for an
  H100/H200 SXM by the vendor's datasheet),

and, per problem, size and dtype, which engine was fastest (what the ``auto`` engine
should pick there). It runs unchanged on any machine; on a CPU use small ``--points``.

    python benchmarks/gpu.py --out benchmarks/results/gpu.json
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time

import jax
import jax.numpy as jnp

import pinn
import problems
from pinn import train
from pinn.losses import term_weights


def step_and_state(name: str, engine: str, dtype: str, n_points: int, chunk_size: int):
    spec = problems.get(name)
    problem = spec.problem()
    model = spec.make_model(problem, dtype=dtype)
    config = spec.config(
        derivatives=engine, n_interior=n_points, n_boundary=max(256, n_points // 50), chunk_size=chunk_size,
        phases=[pinn.Phase("adam", 10)], eval_every=0,
    )
    run = train._Run(problem, model, config, term_weights(problem, config.weights), None, None)
    state, _ = run.initial()
    return run.step_fns[0], state, run.batch0, model


def measure(name, engine, dtype, n_points, steps, repeats, chunk_size, peak_tflops):
    with jax.enable_x64(dtype == "float64"), jax.default_matmul_precision("highest"):
        step, state, batch, model = step_and_state(name, engine, dtype, n_points, chunk_size)
        t0 = time.perf_counter()
        compiled = jax.jit(step).lower(state, batch).compile()
        compile_s = time.perf_counter() - t0
        cost = compiled.cost_analysis()
        cost = cost[0] if isinstance(cost, (list, tuple)) else cost
        flops = float((cost or {}).get("flops", float("nan")))
        state, _ = compiled(state, batch)  # warm-up
        jax.block_until_ready(state)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _ in range(steps):
                state, _ = compiled(state, batch)
            jax.block_until_ready(state)
            times.append((time.perf_counter() - t0) / steps)
        ms = statistics.median(times) * 1e3
        tflops = flops / (ms / 1e3) / 1e12
        return {
            "problem": name, "engine": engine, "dtype": dtype, "points": n_points, "chunk_size": chunk_size,
            "ms_per_step": ms, "point_steps_per_s": n_points / (ms / 1e3), "flops_per_step": flops,
            "tflops": tflops, "fraction_of_peak": tflops / peak_tflops if peak_tflops else None,
            "compile_s": compile_s, "n_params": model.n_params,
        }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="+", default=["heat3d", "elasticity_plate"])
    parser.add_argument("--engines", nargs="+", default=["hessian", "forward", "jvp"])
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"])
    parser.add_argument("--points", nargs="+", type=int, default=[100_000, 1_000_000])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--chunk-size", type=int, default=0)
    parser.add_argument("--peak-tflops", type=float, default=67.0, help="the card's float32 peak (TFLOP/s)")
    parser.add_argument("--out", default=None)
    parser.add_argument("--jsonl", default=None, help="also append each row to this file as it is measured")
    args = parser.parse_args(argv)
    rows = []
    # Smallest first, so a run cut short still holds the most complete comparison.
    for n in args.points:
        for dtype in args.dtypes:
            for name in args.problems:
                for engine in args.engines:
                    try:
                        row = measure(name, engine, dtype, n, args.steps, args.repeats, args.chunk_size, args.peak_tflops)
                    except Exception as err:  # e.g. out of memory at 1e6 points: record it, go on
                        row = {"problem": name, "engine": engine, "dtype": dtype, "points": n, "error": f"{type(err).__name__}: {err}"[:300]}
                    rows.append(row)
                    print(json.dumps(row), flush=True)
                    if args.jsonl:
                        with open(args.jsonl, "a") as f:
                            f.write(json.dumps(row) + "\n")
    fastest = {}
    for row in rows:
        if "ms_per_step" in row:
            key = f"{row['problem']}/{row['points']}/{row['dtype']}"
            if key not in fastest or row["ms_per_step"] < fastest[key]["ms_per_step"]:
                fastest[key] = {"engine": row["engine"], "ms_per_step": row["ms_per_step"]}
    report = {
        "benchmark": "gpu",
        "command": "python benchmarks/gpu.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "backend": jax.default_backend(),
        "devices": [d.device_kind for d in jax.devices()],
        "versions": {"jax": jax.__version__, "python": platform.python_version()},
        "peak_tflops_float32": args.peak_tflops,
        "rows": rows,
        "fastest_engine": fastest,
    }
    if args.out:
        with open(args.out, "w") as f:
            json.dump(report, f, indent=1)
    return report


if __name__ == "__main__":
    main()
