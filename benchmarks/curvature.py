"""Curvature-fidelity benchmark: ReLU against smooth activations at equal budget.

For each problem (default: heat1d, poisson2d, elasticity_plate) it trains the
registry's default network once per activation with the registry's default budget
(same architecture, same points, same seed) via :func:`pinn.compare.compare_activations`
and checks the claims of issue 4:

* ``relu_ratio``: ReLU's relative L2 error is at least 100x the best smooth activation's;
* ``relu_hessian_zero``: a trained ReLU network's Hessian is exactly zero at >= 99%
  of random interior points;
* ``smooth_second_derivatives``: the best smooth network's second derivatives
  (all entries of the Hessian, every field) are within 1e-2 relative L2 of the
  exact solution's (every smooth activation's value is printed as well).

Prints one JSON document; writes each problem's compare.json / compare.png under
``--out``. Usage::

    .venv/bin/python benchmarks/curvature.py [--problems heat1d,poisson2d] [--activations relu,tanh,swish,gelu]
                                             [--steps N] [--lbfgs-steps N] [--seeds K] [--out runs/curvature]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time

import jax

from pinn.compare import compare_activations

RATIO_MIN = 100.0
ZERO_FRACTION_MIN = 0.99
HESSIAN_REL_MAX = 1e-2


def check_problem(report: dict) -> dict:
    runs = report["runs"]
    smooth = {n: r for n, r in runs.items() if r["smoothness"] == "Cinf"}
    best = report["summary"]["best_smooth"]
    out = {"best_smooth": best, "rel_l2": {n: r["rel_l2"]["mean"] for n, r in runs.items()}}
    out["rel_hessian_error"] = {n: r["curvature_summary"].get("rel_hessian_error") for n, r in runs.items()}
    out["hessian_zero_fraction"] = {n: r["curvature_summary"]["hessian_zero_fraction"] for n, r in runs.items()}
    out["train_seconds"] = {n: r["train_seconds"]["mean"] for n, r in runs.items()}
    checks = {}
    if "relu" in runs and best is not None:
        ratio = report["summary"]["ratio_to_best_smooth"]["relu"]
        checks["relu_ratio"] = {"value": ratio, "threshold": RATIO_MIN, "pass": bool(ratio >= RATIO_MIN)}
        zero = runs["relu"]["curvature_summary"]["hessian_zero_fraction"]
        checks["relu_hessian_zero"] = {"value": zero, "threshold": ZERO_FRACTION_MIN, "pass": bool(zero >= ZERO_FRACTION_MIN)}
    if best is not None:
        err = smooth[best]["curvature_summary"].get("rel_hessian_error")
        checks["smooth_second_derivatives"] = {
            "activation": best,
            "value": err,
            "threshold": HESSIAN_REL_MAX,
            "pass": bool(err is not None and err <= HESSIAN_REL_MAX),
            "all_smooth": {n: r["curvature_summary"].get("rel_hessian_error") for n, r in smooth.items()},
        }
    out["checks"] = checks
    out["pass"] = all(c["pass"] for c in checks.values())
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", default="heat1d,poisson2d,elasticity_plate")
    parser.add_argument("--activations", default="relu,tanh,swish,gelu")
    parser.add_argument("--steps", type=int, default=None, help="Adam steps (default: the problem's)")
    parser.add_argument("--lbfgs-steps", type=int, default=None, help="L-BFGS steps (default: the problem's)")
    parser.add_argument("--seeds", type=int, default=1, help="number of seeds (0..K-1)")
    parser.add_argument("--out", default="runs/curvature")
    args = parser.parse_args(argv)

    started = time.time()
    results = {}
    for name in [p for p in args.problems.split(",") if p]:
        report = compare_activations(
            name,
            args.activations,
            steps=args.steps,
            lbfgs_steps=args.lbfgs_steps,
            seeds=args.seeds,
            out=f"{args.out}/{name}",
            progress=True,
        )
        results[name] = {"budget": {"steps": report["config"]["steps"], "lbfgs_steps": report["config"]["lbfgs_steps"],
                                    "hidden": report["model"]["hidden"], "dtype": report["model"]["dtype"]},
                         **check_problem(report)}
        print(json.dumps({name: results[name]}), file=sys.stderr, flush=True)
    doc = {
        "benchmark": "curvature",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()} {jax.devices()[0].platform}",
        "activations": args.activations.split(","),
        "seeds": args.seeds,
        "wall_seconds": time.time() - started,
        "problems": results,
        "pass": all(r["pass"] for r in results.values()),
    }
    print(json.dumps(doc, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
