"""Speed of one training step: the framework against an independent hand-written baseline.

For every bundled problem at its defaults (network, points, weights, Adam schedule) this
times, in the same run with interleaved repeats, the median milliseconds per step of

* ``framework``: the step built from the public API, as the trainer builds it: the loss
  of ``pinn.make_loss_terms(problem, apply, engine)`` (``apply, params =
  pinn.pure_apply(model)``) summed with the default weights, ``jax.value_and_grad``,
  then ``optax.adam`` (the spec's schedule) or ``optax.lbfgs`` with
  ``value_and_grad_from_state``; jitted;
* ``baseline``: the same problem written out in plain JAX + optax (benchmarks/baseline/,
  which imports nothing from ``pinn`` or ``problems``), at the same parameter values and
  the same points.

Before timing, both losses are evaluated at the same parameters and must agree to
1e-8 relative (else the run stops: a ratio of times means something only then).

Engines compared (framework engine -> baseline engine): ``hessian -> hessian``
(``jax.hessian`` on both sides), ``jvp -> jvp`` (nested ``jax.jvp`` on both sides) and
``forward -> jvp`` (the framework's forward-Laplacian engine, its default, against the
hand-written nested-jvp step: the framework's own engine against what one would write).

Run::

    .venv/bin/python benchmarks/baseline_speed.py                        # all ten problems
    .venv/bin/python benchmarks/baseline_speed.py --problems poisson2d heat3d --steps 5 --repeats 3

It prints a table and the JSON, and writes the JSON to
``benchmarks/results/baseline_speed.json`` (``--out``); ``benchmarks/tables.py``
turns it into the table in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import optax
from flax import nnx

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))  # the baseline package lives beside this script

import baseline  # noqa: E402
from baseline import common  # noqa: E402

import pinn  # noqa: E402
import problems  # noqa: E402

#: framework engine -> the baseline engine it is timed against
PAIRS = {"hessian": "hessian", "jvp": "jvp", "forward": "jvp"}
DEFAULT_OUT = HERE / "results" / "baseline_speed.json"
LOSS_RTOL = 1e-8


# -- the framework side, from the public API ------------------------------------------------


def baseline_params(params) -> dict:
    """Framework parameters (the ``nnx.State`` of :func:`pinn.pure_apply`, or the model
    itself) in the baseline's layout {"W0", "b0", ...}: the same values."""
    if isinstance(params, nnx.Module):
        params = nnx.split(params, nnx.Param)[1]
    state = nnx.to_pure_dict(params)
    if set(state) != {"layers"}:
        raise ValueError(f"the baseline implements plain MLPs only; this model also has {sorted(set(state) - {'layers'})}")
    params = {}
    for i, layer in state["layers"].items():
        params[f"W{i}"] = jnp.asarray(layer["kernel"])
        params[f"b{i}"] = jnp.asarray(layer["bias"])
    return params


def default_weights(problem, config) -> dict[str, float]:
    """1 for the PDE, each condition's own weight, then the spec's overrides."""
    weights = {"pde": 1.0, **{name: float(c.weight) for name, c in problem.named_conditions.items()}}
    weights.update(config.weights)
    return weights


def framework_loss(problem, apply, engine: str, weights) -> callable:
    terms = pinn.make_loss_terms(problem, apply, engine)

    def loss(params, batch):
        return sum(weights[name] * value for name, value in terms(params, batch).items())

    return loss


def schedule(config) -> optax.Schedule:
    """The Adam learning rate the trainer uses for ``config``."""
    steps = max(config.steps, 1)
    end = config.lr * config.final_lr_ratio
    if config.schedule == "constant":
        return optax.constant_schedule(config.lr)
    if config.schedule == "cosine":
        return optax.cosine_decay_schedule(config.lr, steps, alpha=config.final_lr_ratio)
    return optax.exponential_decay(config.lr, steps, config.final_lr_ratio, end_value=end)


def adam_step(loss, learning_rate):
    opt = optax.adam(learning_rate)

    @jax.jit
    def step(params, state, batch):
        f, g = jax.value_and_grad(loss)(params, batch)
        updates, state = opt.update(g, state, params)
        return optax.apply_updates(params, updates), state, f

    return opt.init, step


def lbfgs_step(loss, memory: int):
    opt = optax.lbfgs(memory_size=memory)

    def init(params):
        # strong types from the start, so the step compiles once (as the trainer does)
        return jax.tree.map(lambda a: jax.lax.convert_element_type(a, a.dtype), opt.init(params))

    @jax.jit
    def step(params, state, batch):
        fn = lambda p: loss(p, batch)  # noqa: E731
        f, g = optax.value_and_grad_from_state(fn)(params, state=state)
        updates, state = opt.update(g, state, params, value=f, grad=g, value_fn=fn)
        return optax.apply_updates(params, updates), state, f

    return init, step


def framework_problem(name: str):
    """(problem, model, config) of a bundled problem at its Adam + L-BFGS recipe: its
    defaults, or its ``"adam-lbfgs"`` recipe where the defaults moved on."""
    spec = problems.get(name)
    problem = spec.problem()
    recipe = spec.adam_lbfgs_recipe()  # the steps this benchmark times
    return problem, spec.make_model(problem, recipe), spec.config(recipe)


# -- timing ------------------------------------------------------------------------------------


def time_variants(variants: dict, steps: int, repeats: int) -> dict:
    """Milliseconds per step of each variant, the variants interleaved within every repeat.

    ``variants``: label -> (init() -> state, step(state) -> (state, loss)). The first call
    of each (compilation + one step) is timed apart and its loss (at the initial
    parameters) kept; every repeat starts from ``init()``.
    """
    first, first_loss = {}, {}
    for label, (init, step) in variants.items():
        t0 = time.perf_counter()
        first_loss[label] = float(jax.block_until_ready(step(init())[1]))
        first[label] = time.perf_counter() - t0
    samples = {label: [] for label in variants}
    labels = list(variants)
    for r in range(repeats):
        # The order rotates so that no variant always runs first (or right after another).
        for label in labels[r % len(labels) :] + labels[: r % len(labels)]:
            init, step = variants[label]
            state = jax.block_until_ready(init())
            t0 = time.perf_counter()
            for _ in range(steps):
                state = step(state)[0]
            jax.block_until_ready(state)
            samples[label].append((time.perf_counter() - t0) / steps * 1e3)
    return {
        label: {
            "ms": statistics.median(s),
            "ms_min": min(s),
            "ms_samples": s,
            "compile_s": max(first[label] - statistics.median(s) / 1e3, 0.0),
            "loss0": first_loss[label],
        }
        for label, s in samples.items()
    }


def _variant(init, step, params, batch):
    """(start() -> state, advance(state) -> (state, loss)) for :func:`time_variants`."""

    def start():
        return params, init(params)

    def advance(state):
        p, opt_state, loss = step(state[0], state[1], batch)
        return (p, opt_state), loss

    return start, advance


def _paired(a: list, b: list) -> float:
    """Median over repeats of a's time over b's time in the same repeat."""
    return statistics.median(x / y for x, y in zip(a, b))


def bench_problem(name: str, engines, steps: int, lbfgs_steps: int, repeats: int) -> dict:
    problem, model, config = framework_problem(name)
    setup = baseline.get(name)
    weights = default_weights(problem, config)
    if weights != dict(setup.weights):
        raise ValueError(f"{name}: framework weights {weights} differ from the baseline's {dict(setup.weights)}")
    row = {
        "hidden": list(model.hidden),
        "activation": model.activation.name,
        "dtype": model.dtype,
        "n_params": int(model.n_params),
        "n_interior": config.n_interior,
        "n_boundary": config.n_boundary,
        "loss": {},
        "adam": {},
        "lbfgs": {},
    }
    scope = contextlib.ExitStack()
    scope.enter_context(jax.enable_x64(model.dtype == "float64"))
    scope.enter_context(jax.default_matmul_precision(config.precision))
    with scope:
        dtype = jnp.float64 if model.dtype == "float64" else jnp.float32
        host = pinn.sample_batch(problem, config.n_interior, config.n_boundary, config.sampler, config.seed)
        batch = {term: {k: jnp.asarray(v, dtype) for k, v in data.items()} for term, data in host.items()}
        apply, fw_params = pinn.pure_apply(model)
        bl_params = baseline_params(fw_params)
        fw_loss = {e: framework_loss(problem, apply, e, weights) for e in engines}
        bl_loss = {e: common.loss(setup, e) for e in sorted({PAIRS[e] for e in engines})}
        for phase, n in (("adam", steps), ("lbfgs", lbfgs_steps)):
            if n == 0:
                continue
            variants = {}
            for side, losses, params in (("framework", fw_loss, fw_params), ("baseline", bl_loss, bl_params)):
                for engine, loss in losses.items():
                    if phase == "adam":
                        init, step = adam_step(loss, schedule(config))
                    else:
                        init, step = lbfgs_step(loss, config.lbfgs_memory)
                    variants[f"{side}/{engine}"] = _variant(init, step, params, batch)
            timed = time_variants(variants, n, repeats)
            for engine in engines:
                fw, bl = timed[f"framework/{engine}"], timed[f"baseline/{PAIRS[engine]}"]
                # The first step's loss is the loss at the shared initial parameters: both
                # sides must compute the same function, or the ratio compares nothing.
                a, b = fw["loss0"], bl["loss0"]
                rel = abs(a - b) / abs(b)
                if not rel <= LOSS_RTOL:
                    raise RuntimeError(f"{name} ({phase}, {engine}): framework loss {a!r} != baseline loss {b!r} (rel {rel:.2e})")
                row["loss"].setdefault(engine, {"framework": a, "baseline": b, "rel_diff": rel})
                row[phase][engine] = {
                    "baseline_engine": PAIRS[engine],
                    "framework_ms": fw["ms"],
                    "baseline_ms": bl["ms"],
                    "ratio": fw["ms"] / bl["ms"],
                    "ratio_paired": _paired(fw["ms_samples"], bl["ms_samples"]),
                    "framework_samples": fw["ms_samples"],
                    "baseline_samples": bl["ms_samples"],
                    "framework_compile_s": fw["compile_s"],
                    "baseline_compile_s": bl["compile_s"],
                }
    return row


# -- reporting -----------------------------------------------------------------------------------


def source_version() -> dict:
    """The commit measured, and whether the framework's files differed from it."""
    import subprocess

    def git(*args):
        try:
            return subprocess.run(["git", *args], cwd=HERE.parent, capture_output=True, text=True, timeout=30).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {"commit": git("rev-parse", "HEAD"), "framework_changed": bool(git("status", "--porcelain", "--", "pinn", "problems"))}


def machine() -> dict:
    dev = jax.devices()[0]
    return {
        "backend": jax.default_backend(),
        "device": getattr(dev, "device_kind", str(dev)),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "jax": jax.__version__,
        "optax": optax.__version__,
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def table(report: dict) -> str:
    lines = [f"{'problem':20s} {'engine':16s} {'adam fw':>9s} {'baseline':>9s} {'ratio':>6s} {'lbfgs fw':>9s} {'baseline':>9s} {'ratio':>6s}"]
    for name, row in report["problems"].items():
        for engine in row["adam"] or row["lbfgs"]:
            label = f"{engine}/{PAIRS[engine]}"
            cells = [f"{name:20s} {label:16s}"]
            for phase in ("adam", "lbfgs"):
                r = row[phase].get(engine)
                cells.append(f"{r['framework_ms']:9.2f} {r['baseline_ms']:9.2f} {r['ratio_paired']:6.3f}" if r else " " * 26)
            lines.append(" ".join(cells))
    return "\n".join(lines)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", nargs="+", default=None, help="subset of problems (default: all ten)")
    parser.add_argument("--engines", nargs="+", default=list(PAIRS), help=f"framework engines among {', '.join(PAIRS)}")
    parser.add_argument("--steps", type=int, default=5, help="Adam steps per timed repeat")
    parser.add_argument("--lbfgs-steps", type=int, default=2, help="L-BFGS steps per timed repeat (0: skip)")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved repeats (median reported)")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="JSON output path ('-': none)")
    args = parser.parse_args(argv)

    names = args.problems or list(baseline.names())
    for name in names:
        problems.get(name)  # an unknown name fails here, listing the valid ones
        baseline.get(name)
    for engine in args.engines:
        if engine not in PAIRS:
            raise ValueError(f"unknown engine {engine!r}; valid engines: {', '.join(PAIRS)}")
    for flag, value, low in (("--steps", args.steps, 1), ("--lbfgs-steps", args.lbfgs_steps, 0), ("--repeats", args.repeats, 1)):
        if value < low:
            raise ValueError(f"{flag} must be at least {low}, got {value}")

    report = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(["python", "benchmarks/baseline_speed.py", *(sys.argv[1:] if argv is None else argv)]),
        "machine": machine(),
        "source": source_version(),
        "settings": {"steps": args.steps, "lbfgs_steps": args.lbfgs_steps, "repeats": args.repeats, "engines": list(args.engines)},
        "pairs": {e: PAIRS[e] for e in args.engines},
        "problems": {},
    }
    for name in names:
        t0 = time.perf_counter()
        report["problems"][name] = bench_problem(name, args.engines, args.steps, args.lbfgs_steps, args.repeats)
        print(f"{name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
        report["machine"]["load_average_end"] = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
        _save(report, args.out)  # what is measured so far survives an interrupted run
    print(table(report))
    print(json.dumps(report, indent=1))
    return report


def _save(report: dict, path: str) -> None:
    if path == "-":
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
