"""The Laplacian of a problem's default network: pinn's forward engine against folx and jax.hessian.

folx (``folx.forward_laplacian``, the public forward-Laplacian library for JAX) is an
outside engine here, for comparison only: pinn does not depend on it (it comes with the
optional extra ``pip install .[peers]``; run this from the venv that has it, e.g.
``make peers``).

For every bundled problem whose residual has a Laplacian (``poisson2d``, ``heat1d``,
``heat_disk``, ``heat3d``, ``helmholtz2d``) this builds the default network (widths,
activation, float64, key, input scaling and output transform: ``spec.make_model``) at
its initial weights and times, over the default number of interior points (Sobol, the
trainer's seed), the Laplacian the residual takes (in space only for the time-dependent
problems: the field is restricted to each point's time slice, as ``heat1d`` does) by

``pinn``     ``pinn.laplacian`` under ``pinn.derivative_engine("forward")``;
``folx``     ``folx.forward_laplacian(f)(x).laplacian`` (dense, sparsity_threshold 0);
``hessian``  ``jnp.trace(jax.hessian(f)(x))``,

each ``jax.vmap``-ed over the points and jitted. Reported: the median of ``--repeats``
timed calls after a warm-up (compilation excluded), each engine's ratio to folx, and
the largest difference from ``hessian`` relative to the largest Laplacian (the three must
agree to 1e-10 in float64, else the script fails).

Run::

    .venv-peers/bin/python benchmarks/folx_laplacian.py             # all five problems
    .venv-peers/bin/python benchmarks/folx_laplacian.py --problems poisson2d --repeats 50

Writes ``benchmarks/results/folx.json``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PROBLEMS: tuple[str, ...] = ("poisson2d", "heat1d", "heat_disk", "heat3d", "helmholtz2d")
ENGINES: tuple[str, ...] = ("pinn", "folx", "hessian")
TOLERANCE = 1e-10
MISSING = "benchmarks/folx_laplacian.py needs folx, which pinn does not install: pip install .[peers]"


def _folx():
    try:
        import folx
    except ImportError as err:
        raise SystemExit(f"{MISSING} ({err})") from None
    return folx


def laplacian_fns(name: str):
    """``(fns, points, params, space_dim)``: engine -> jitted ``f(params, X) -> (n,)`` or
    ``(n, m)`` Laplacians of problem ``name``'s default network at its default points."""
    import jax
    import jax.numpy as jnp

    import pinn
    import problems
    from pinn.nn import pure_apply

    folx = _folx()
    spec = problems.get(name)
    problem = spec.build()
    config = spec.config()
    model = spec.make_model(problem)
    apply, params = pure_apply(model)
    points = problem.domain.sample_interior(config.n_interior, config.sampler, config.seed)
    d = problem.domain.dim - (1 if problem.time_dependent else 0)  # the Laplacian's coordinates

    def restricted(params, x):
        """The field as a function of the Laplacian's coordinates at x's other coordinates."""
        rest = x[d:]
        return lambda s: apply(params, jnp.concatenate([s, rest]))

    def by_pinn(params, x):
        with pinn.derivative_engine("forward"):
            return pinn.laplacian(restricted(params, x))(x[:d])

    def by_folx(params, x):
        return folx.forward_laplacian(restricted(params, x))(x[:d]).laplacian

    def by_hessian(params, x):
        H = jax.hessian(restricted(params, x))(x[:d])
        return jnp.trace(H, axis1=-2, axis2=-1)

    fns = {}
    for engine, fn in zip(ENGINES, (by_pinn, by_folx, by_hessian)):
        fns[engine] = jax.jit(jax.vmap(fn, in_axes=(None, 0)))
    return fns, jnp.asarray(points), params, d, model


def measure(name: str, repeats: int) -> dict:
    import jax
    import numpy as np

    with jax.enable_x64(True):
        fns, X, params, d, model = laplacian_fns(name)
        values, seconds, compile_seconds = {}, {}, {}
        for engine, f in fns.items():
            t = time.perf_counter()
            values[engine] = np.asarray(jax.block_until_ready(f(params, X)), np.float64)
            compile_seconds[engine] = time.perf_counter() - t
        # interleaved rounds: a change of machine load hits every engine alike
        times = {engine: [] for engine in fns}
        for _ in range(repeats):
            for engine, f in fns.items():
                t = time.perf_counter()
                jax.block_until_ready(f(params, X))
                times[engine].append(time.perf_counter() - t)
        seconds = {engine: statistics.median(ts) for engine, ts in times.items()}
    scale = float(np.max(np.abs(values["hessian"])))
    diff = {engine: float(np.max(np.abs(values[engine] - values["hessian"]))) / scale for engine in ENGINES}
    return {
        "points": int(X.shape[0]),
        "input_dim": int(X.shape[1]),
        "laplacian_dim": int(d),
        "hidden": list(model.hidden),
        "activation": model.activation.name,
        "dtype": model.dtype,
        "output_transform": model.output_transform is not None,
        "ms": {engine: round(1e3 * s, 4) for engine, s in seconds.items()},
        "ms_min": {engine: round(1e3 * min(ts), 4) for engine, ts in times.items()},
        "ratio_to_folx": {engine: round(seconds[engine] / seconds["folx"], 3) for engine in ENGINES},
        "compile_seconds": {engine: round(s, 2) for engine, s in compile_seconds.items()},
        "max_rel_diff_to_hessian": diff,
        "agree": all(v <= TOLERANCE for v in diff.values()),
        "max_abs_laplacian": scale,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", default=",".join(PROBLEMS), help=f"comma-separated, of {', '.join(PROBLEMS)}")
    parser.add_argument("--repeats", type=int, default=30, help="timed calls per engine (median reported)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "folx.json")
    args = parser.parse_args(argv)
    names = [n for n in args.problems.split(",") if n]
    unknown = [n for n in names if n not in PROBLEMS]
    if unknown:
        parser.error(f"unknown problem {unknown[0]!r}; valid: {', '.join(PROBLEMS)}")
    folx = _folx()
    from importlib.metadata import version

    import jax

    report = json.loads(args.out.read_text()) if args.out.is_file() else {"problems": {}}
    report.update(
        date=datetime.date.today().isoformat(),
        machine=f"{platform.machine()} {platform.processor() or ''}".strip(),
        cpus=os.cpu_count(),
        backend=jax.default_backend(),
        versions={"jax": jax.__version__, "folx": version("folx")},
        repeats=args.repeats,
        tolerance=TOLERANCE,
    )
    del folx
    failed = []
    for name in names:
        load = os.getloadavg()[0]
        entry = measure(name, args.repeats)
        entry["load_average_before"] = round(load, 2)
        report["problems"][name] = entry
        print(f"{name}: " + json.dumps({k: entry[k] for k in ("ms", "ratio_to_folx", "max_rel_diff_to_hessian")}), flush=True)
        if not entry["agree"]:
            failed.append(name)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {args.out}")
    if failed:
        print(f"the engines disagree beyond {TOLERANCE:g} on: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
