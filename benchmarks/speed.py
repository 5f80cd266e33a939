"""Speed of one training step: framework vs a hand-written pure-JAX step, per derivative engine.

For every bundled problem's default setup (``problems.get(name)``: its problem,
``make_model()`` and ``config()``) and every derivative engine this measures, in the
same run and with alternating repeats (medians, after compilation):

* ``framework``: the trainer's own jitted Adam step and L-BFGS step (``pinn.train``);
* ``plain``: a minimal hand-written step: the same parameter values in a plain dict,
  the MLP written out (input scaling, dense layers, activation), the same points, the
  same residual and conditions evaluated with the same engine, the mean squared
  residuals summed with the same weights, ``optax.adam`` / ``optax.lbfgs``.

Compile time (first call minus one step) is reported separately; so is the memory of
the compiled step (XLA's ``memory_analysis``: arguments + outputs + temporaries), the
process's peak resident memory and, on a GPU, the device's peak bytes in use. A sweep
over collocation points (1e3 to 1e5) and widths (32 to 256) shows how cost grows.

Run::

    .venv/bin/python benchmarks/speed.py                 # everything (tens of minutes on 2 CPU cores)
    .venv/bin/python benchmarks/speed.py --quick         # 3 problems, short sweeps
    .venv/bin/python benchmarks/speed.py --problems poisson2d heat3d --engines hessian forward

It prints a table, then one JSON document on stdout (``--json PATH`` also writes it).
The same command runs unchanged on a GPU.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time

import jax
import jax.numpy as jnp
import optax

import pinn
import problems
from pinn.losses import term_weights

QUICK_PROBLEMS = ("poisson2d", "heat3d", "elasticity_plate")


# -- the two steps under test ------------------------------------------------------------


def framework_steps(problem, model, config):
    """The trainer's compiled Adam and L-BFGS steps, with their initial states and batch.

    Uses the trainer's private ``_Run`` (the exact step functions :func:`pinn.solve` runs:
    ``step(state, batch) -> (state, info)``), built for one Adam and one L-BFGS phase.
    """
    from pinn import train

    config = config.replace(phases=[pinn.Phase("adam", max(config.steps, 1)), pinn.Phase("lbfgs", max(config.lbfgs_steps, 1))])
    weights = term_weights(problem, config.weights)
    run = train._Run(problem, model, config, weights, None, None)
    state0, _ = run.initial()
    batch = run.batch0
    adam_step, lbfgs_step = run.step_fns
    lbfgs0 = state0.replace(opt_state=run.methods[1].init(state0.params))

    def adam(state):
        return adam_step(state, batch)[0]

    def lbfgs(state):
        return lbfgs_step(state, batch)[0]

    def loss_fn(params, batch):
        return run.loss_fn({"net": params, "learned": {}}, batch, state0.weights)

    return {
        "adam": (adam, lambda: state0, (adam_step, (state0, batch))),
        "lbfgs": (lbfgs, lambda: lbfgs0, (lbfgs_step, (lbfgs0, batch))),
    }, batch, loss_fn


def plain_params(model):
    """The model's parameter values as a plain dict {"W0", "b0", ...} (same numbers)."""
    layers = [(layer.kernel[...], layer.bias[...]) for layer in model.layers]
    return {f"{k}{i}": a for i, (W, b) in enumerate(layers) for k, a in (("W", W), ("b", b))}


def plain_apply(model):
    """u(params, x) for one point, written out: scale to [-1, 1]^d, dense, activation,
    then the problem's output transform."""
    n_layers = len(model.layers)
    act = model.activation
    if act.trainable:
        raise ValueError(f"the plain step does not implement trainable activations ({act.name})")
    bounds = model.input_bounds
    transform = model.output_transform  # the problem's hard constraints, if any: same work

    def apply(p, point):
        x = point
        if bounds is not None:
            lo = jnp.asarray(bounds[0], x.dtype)
            hi = jnp.asarray(bounds[1], x.dtype)
            x = 2.0 * (x - lo) / (hi - lo) - 1.0
        h = x
        for i in range(n_layers - 1):
            h = act(h @ p[f"W{i}"] + p[f"b{i}"])
        out = h @ p[f"W{n_layers - 1}"] + p[f"b{n_layers - 1}"]
        out = out[0] if model.out_dim == 1 else out
        return out if transform is None else transform(point, out)

    return apply


def plain_steps(problem, model, config, batch):
    """A minimal hand-written Adam and L-BFGS step on the same network, points and residual."""
    apply = plain_apply(model)
    params0 = plain_params(model)
    weights = {"pde": 1.0, **{name: c.weight for name, c in problem.named_conditions.items()}}
    weights.update(config.weights)
    conditions = problem.named_conditions
    engine = config.derivatives

    # The batch is an argument, as in the trainer: closed over, XLA would fold every
    # point-only quantity (source terms, input scaling) into constants at compile time.
    def loss(p, batch):
        def u(x):
            return apply(p, x)

        with pinn.derivative_engine(engine):
            r = jax.vmap(lambda x: problem.residual(u, x, **problem.params))(batch["pde"]["x"])
            total = weights["pde"] * jnp.mean(jnp.sum(r.reshape(r.shape[0], -1) ** 2, axis=-1))
            for name, c in conditions.items():
                rc = jax.vmap(lambda data, c=c: c.residual(u, data))(batch[name])
                total = total + weights[name] * jnp.mean(jnp.sum(rc.reshape(rc.shape[0], -1) ** 2, axis=-1))
        return total

    adam = optax.adam(config.lr)
    lbfgs = optax.lbfgs(memory_size=config.lbfgs_memory)

    def lbfgs_init(p):
        # optax.lbfgs's initial state holds weak-typed scalars that the first update
        # makes strong; made strong here so the step compiles once.
        return jax.tree.map(lambda a: jax.lax.convert_element_type(a, a.dtype), lbfgs.init(p))

    @jax.jit
    def adam_step(p, s, batch):
        g = jax.grad(loss)(p, batch)
        updates, s = adam.update(g, s, p)
        return optax.apply_updates(p, updates), s

    @jax.jit
    def lbfgs_step(p, s, batch):
        value_fn = lambda q: loss(q, batch)  # noqa: E731
        value, g = optax.value_and_grad_from_state(value_fn)(p, state=s)
        updates, s = lbfgs.update(g, s, p, value=value, grad=g, value_fn=value_fn)
        return optax.apply_updates(p, updates), s

    return {
        "adam": (lambda st: adam_step(*st, batch), lambda: (params0, adam.init(params0)), (adam_step, (params0, adam.init(params0), batch))),
        "lbfgs": (
            lambda st: lbfgs_step(*st, batch),
            lambda: (params0, lbfgs_init(params0)),
            (lbfgs_step, (params0, lbfgs_init(params0), batch)),
        ),
    }, lambda p: loss(p, batch)


# -- timing --------------------------------------------------------------------------------


def _block(state):
    jax.block_until_ready(state)
    return state


def compiled_stats(jitted, args) -> dict:
    """Memory and flops of the compiled step (the compilation is cached: no second compile)."""
    out = {}
    try:
        compiled = jitted.lower(*args).compile()
        m = compiled.memory_analysis()
        if m is not None:
            out["step_memory_mb"] = (m.argument_size_in_bytes + m.output_size_in_bytes + m.temp_size_in_bytes) / 2**20
            out["temp_memory_mb"] = m.temp_size_in_bytes / 2**20
        cost = compiled.cost_analysis()
        cost = cost[0] if isinstance(cost, (list, tuple)) and cost else cost
        if cost and "flops" in cost:
            out["flops"] = float(cost["flops"])
    except Exception as err:  # memory/cost analysis is optional on some backends
        out["stats_error"] = f"{type(err).__name__}: {err}"[:200]
    return out


def time_variants(variants: dict, steps: int, repeats: int) -> dict:
    """Median ms per step of each variant; repeats alternate between variants.

    ``variants``: name -> (step(state) -> state, init() -> state). The first call of
    each (compilation + one step) is timed separately.
    """
    first, second = {}, {}
    for name, (step, init) in variants.items():
        t0 = time.perf_counter()
        state = _block(step(init()))
        first[name] = time.perf_counter() - t0
        # A second step from the first step's state: it must not compile again.
        t0 = time.perf_counter()
        _block(step(state))
        second[name] = time.perf_counter() - t0
    samples = {name: [] for name in variants}
    for _ in range(repeats):
        for name, (step, init) in variants.items():
            state = _block(init())
            t0 = time.perf_counter()
            for _ in range(steps):
                state = step(state)
            _block(state)
            samples[name].append((time.perf_counter() - t0) / steps * 1e3)
    out = {}
    for name in variants:
        ms = statistics.median(samples[name])
        out[name] = {
            "ms": ms,
            "ms_min": min(samples[name]),
            "ms_samples": samples[name],
            "compile_s": max(first[name] - ms / 1e3, 0.0),
            "second_call_s": second[name],
        }
    return out


def _scope(model, config):
    """The precision/x64 context pinn.solve trains in."""
    import contextlib

    stack = contextlib.ExitStack()
    stack.enter_context(jax.enable_x64(model.dtype == "float64"))
    stack.enter_context(jax.default_matmul_precision(config.precision))
    return stack


def bench_problem(name: str, engines, steps: int, lbfgs_steps: int, repeats: int) -> dict:
    spec = problems.get(name)
    problem = spec.problem()
    model = spec.make_model(problem)
    base = spec.config()
    row = {
        "problem": name,
        "hidden": list(model.hidden),
        "activation": model.activation.name,
        "dtype": model.dtype,
        "n_interior": base.n_interior,
        "n_boundary": base.n_boundary,
        "n_params": model.n_params,
        "default_engine": base.derivatives,
        "engines": {},
    }
    with _scope(model, base):
        built = {}
        for engine in engines:
            config = base.replace(derivatives=engine)
            fw, batch, fw_loss = framework_steps(problem, model, config)
            pl, pl_loss = plain_steps(problem, model, config, batch)
            # Same loss at the same parameters: the two steps compute the same thing.
            row["engines"][engine] = {
                "loss_framework": float(jax.jit(fw_loss)(pinn.pure_apply(model)[1], batch)[0]),
                "loss_plain": float(jax.jit(pl_loss)(plain_params(model))),
            }
            built[engine] = (fw, pl)
        for phase, n in (("adam", steps), ("lbfgs", lbfgs_steps)):
            if n == 0:
                continue
            # Every engine and both steps alternate within each repeat: all ratios come
            # from the same repeats, under the same load.
            variants = {}
            for engine, (fw, pl) in built.items():
                variants[f"{engine}/framework"] = fw[phase][:2]
                variants[f"{engine}/plain"] = pl[phase][:2]
            timed = time_variants(variants, steps=n, repeats=repeats)
            for engine, (fw, pl) in built.items():
                result = {"framework": timed[f"{engine}/framework"], "plain": timed[f"{engine}/plain"]}
                result["framework"].update(compiled_stats(*fw[phase][2]))
                result["plain"].update(compiled_stats(*pl[phase][2]))
                result["ratio"] = result["framework"]["ms"] / result["plain"]["ms"]
                # Per repeat (timed back to back, under the same load), then the median:
                # robust to the machine's load changing between repeats.
                result["ratio_paired"] = _paired(result["framework"], result["plain"])
                if "hessian" in built:
                    result["speedup_vs_hessian"] = timed["hessian/framework"]["ms"] / result["framework"]["ms"]
                    result["speedup_vs_hessian_paired"] = _paired(timed["hessian/framework"], result["framework"])
                row["engines"][engine][phase] = result
    for engine, result in row["engines"].items():
        _progress(f"{name:18s} {engine:8s} " + "  ".join(
            f"{ph} fw {result[ph]['framework']['ms']:.2f} ms plain {result[ph]['plain']['ms']:.2f} ms"
            for ph in ("adam", "lbfgs") if ph in result
        ))
    return row


def _paired(a: dict, b: dict) -> float:
    """Median over repeats of a's time over b's time in the same repeat."""
    return statistics.median(x / y for x, y in zip(a["ms_samples"], b["ms_samples"]))


def sweep(name: str, engines, points, widths, steps: int, repeats: int, width_points: int, chunks=()) -> dict:
    """Framework Adam step cost against collocation points and against width.

    Over points, each engine is also timed with the PDE term differentiated in chunks
    (``TrainConfig.chunk_size``) of each size in ``chunks`` (labelled ``ENGINE+chunkN``).
    """
    spec = problems.get(name)
    problem = spec.problem()
    out = {"problem": name, "points": [], "widths": []}
    base_model = spec.make_model(problem)
    labels = {engine: (engine, 0) for engine in engines}
    labels.update({f"{engine}+chunk{c}": (engine, int(c)) for engine in engines for c in chunks})
    for n in points:
        config = spec.config(n_interior=int(n))
        variants, flops = {}, {}
        with _scope(base_model, config):
            for label, (engine, chunk) in labels.items():
                if chunk >= n:
                    continue  # one chunk: the plain step
                fw, _, _ = framework_steps(problem, base_model, config.replace(derivatives=engine, chunk_size=chunk))
                variants[label] = fw["adam"][:2]
                flops[label] = compiled_stats(*fw["adam"][2])
                if chunk:  # XLA counts a loop body's flops once, not once per chunk
                    flops[label].pop("flops", None)
            timed = time_variants(variants, steps=steps, repeats=repeats)
        for engine in variants:
            entry = {"n_interior": int(n), "engine": engine, **timed[engine], **flops[engine]}
            entry["us_per_point"] = entry["ms"] * 1e3 / n
            entry["points_steps_per_s"] = n / (entry["ms"] * 1e-3)
            out["points"].append(entry)
            _progress(f"sweep {name} n={n:>7d} {engine:8s} {entry['ms']:9.2f} ms  {entry['us_per_point']:.3f} us/point")
    for width in widths:
        model = spec.make_model(problem, hidden=(int(width),) * len(base_model.hidden))
        config = spec.config(n_interior=int(width_points))
        variants, flops = {}, {}
        with _scope(model, config):
            for engine in engines:
                fw, _, _ = framework_steps(problem, model, config.replace(derivatives=engine))
                variants[engine] = fw["adam"][:2]
                flops[engine] = compiled_stats(*fw["adam"][2])
            timed = time_variants(variants, steps=steps, repeats=repeats)
        for engine in engines:
            entry = {"width": int(width), "n_interior": int(width_points), "engine": engine, **timed[engine], **flops[engine]}
            out["widths"].append(entry)
            _progress(f"sweep {name} width={width:>4d} {engine:8s} {entry['ms']:9.2f} ms")
    return out


# -- reporting -------------------------------------------------------------------------------


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def machine() -> dict:
    dev = jax.devices()[0]
    info = {
        "backend": jax.default_backend(),
        "device": getattr(dev, "device_kind", str(dev)),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "jax": jax.__version__,
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }
    return info


def memory() -> dict:
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    scale = 1 if sys.platform == "darwin" else 1024
    out = {"process_peak_rss_mb": rss * scale / 2**20}
    try:
        stats = jax.devices()[0].memory_stats() or {}
        if "peak_bytes_in_use" in stats:
            out["device_peak_mb"] = stats["peak_bytes_in_use"] / 2**20
    except Exception:  # not every backend reports memory
        pass
    return out


def table(report: dict) -> str:
    lines = [
        f"{'problem':18s} {'engine':8s} {'adam fw ms':>10s} {'plain ms':>9s} {'fw/plain':>8s} "
        f"{'x hessian':>9s} {'lbfgs fw ms':>11s} {'plain ms':>9s} {'fw/plain':>8s} {'compile s':>9s} {'step MB':>8s}"
    ]
    for row in report["problems"]:
        for engine, r in row["engines"].items():
            a, lb = r.get("adam"), r.get("lbfgs")
            cells = [f"{row['problem']:18s} {engine:8s}"]
            if a:
                cells.append(
                    f"{a['framework']['ms']:10.2f} {a['plain']['ms']:9.2f} {a['ratio_paired']:8.3f} "
                    f"{a.get('speedup_vs_hessian_paired', float('nan')):9.2f}"
                )
            if lb:
                cells.append(f"{lb['framework']['ms']:11.2f} {lb['plain']['ms']:9.2f} {lb['ratio_paired']:8.3f}")
            if a:
                cells.append(f"{a['framework']['compile_s']:9.2f} {a['framework'].get('step_memory_mb', float('nan')):8.1f}")
            lines.append(" ".join(cells))
    for s in report.get("sweeps", []):
        lines.append("")
        lines.append(f"sweep over collocation points ({s['problem']}, framework Adam step)")
        lines.append(f"{'n_interior':>10s} {'engine':14s} {'ms':>9s} {'us/point':>9s} {'GFLOP/s':>8s}")
        for e in s["points"]:
            gf = e.get("flops", float("nan")) / (e["ms"] * 1e-3) / 1e9
            lines.append(f"{e['n_interior']:10d} {e['engine']:14s} {e['ms']:9.2f} {e['us_per_point']:9.3f} {gf:8.2f}")
        lines.append(f"sweep over width ({s['problem']}, framework Adam step)")
        lines.append(f"{'width':>10s} {'engine':8s} {'ms':>9s} {'GFLOP/s':>8s}")
        for e in s["widths"]:
            gf = e.get("flops", float("nan")) / (e["ms"] * 1e-3) / 1e9
            lines.append(f"{e['width']:10d} {e['engine']:8s} {e['ms']:9.2f} {gf:8.2f}")
    return "\n".join(lines)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 problems, fewer repeats, short sweeps")
    parser.add_argument("--problems", nargs="+", default=None, help="subset of problems (default: all)")
    parser.add_argument("--engines", nargs="+", default=None, help=f"engines (default: {' '.join(pinn.DERIVATIVE_ENGINES)})")
    parser.add_argument("--steps", type=int, default=None, help="Adam steps per timed repeat")
    parser.add_argument("--lbfgs-steps", type=int, default=None, help="L-BFGS steps per timed repeat (0: skip)")
    parser.add_argument("--repeats", type=int, default=None, help="alternating repeats (median reported)")
    parser.add_argument("--sweep-problems", nargs="+", default=("poisson2d",), help="problems of the sweeps")
    parser.add_argument("--sweep-engines", nargs="+", default=("hessian", "forward"))
    parser.add_argument("--sweep-points", nargs="+", type=int, default=None)
    parser.add_argument("--sweep-widths", nargs="+", type=int, default=None)
    parser.add_argument(
        "--sweep-chunks", nargs="*", type=int, default=[1000], help="chunk sizes also timed in the points sweep (none: off)"
    )
    parser.add_argument("--width-points", type=int, default=2000, help="collocation points of the width sweep")
    parser.add_argument("--no-sweep", action="store_true")
    parser.add_argument("--peak-tflops", type=float, default=None, help="the device's float32 peak, for the fraction reached")
    parser.add_argument("--json", default=None, help="also write the JSON report to this path")
    args = parser.parse_args(argv)

    names = args.problems or (QUICK_PROBLEMS if args.quick else problems.names())
    for name in names:
        problems.get(name)  # unknown names fail here, listing the valid ones
    engines = args.engines or pinn.DERIVATIVE_ENGINES
    for engine in (*engines, *args.sweep_engines):
        pinn.operators.check_engine(engine)
    steps = args.steps or (3 if args.quick else 10)
    lbfgs_steps = args.lbfgs_steps if args.lbfgs_steps is not None else (2 if args.quick else 5)
    repeats = args.repeats or (3 if args.quick else 5)
    points = args.sweep_points or ((1000, 10000) if args.quick else (1000, 3000, 10000, 30000, 100000))
    widths = args.sweep_widths or ((32, 128) if args.quick else (32, 64, 128, 256))

    report = {
        "command": " ".join([os.path.basename(sys.executable), *sys.argv]),
        "machine": machine(),
        "settings": {"steps": steps, "lbfgs_steps": lbfgs_steps, "repeats": repeats, "engines": list(engines)},
        "problems": [],
        "sweeps": [],
    }
    for name in names:
        report["problems"].append(bench_problem(name, engines, steps, lbfgs_steps, repeats))
        _save(report, args.json)  # what is measured so far survives an interrupted run
    if not args.no_sweep:
        for name in args.sweep_problems:
            report["sweeps"].append(
                sweep(name, args.sweep_engines, points, widths, max(steps // 2, 2), repeats, args.width_points, args.sweep_chunks)
            )
    if args.peak_tflops:
        for s in report["sweeps"]:
            for e in s["points"] + s["widths"]:
                if "flops" in e:
                    e["fraction_of_peak"] = e["flops"] / (e["ms"] * 1e-3) / (args.peak_tflops * 1e12)
    report["memory"] = memory()
    report["machine"]["load_average_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
    print(table(report))
    print(json.dumps(report, indent=1, default=float))
    _save(report, args.json)
    return report


def _save(report: dict, path) -> None:
    if path:
        with open(path, "w") as f:
            f.write(json.dumps(report, indent=1, default=float))


if __name__ == "__main__":
    main()
