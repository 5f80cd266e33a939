"""Geometry problems against finite elements: an L-shaped domain, a plate with a hole, a gmsh bracket.

Solves one of three bundled problems at its defaults (or a tiny budget) and prints its
error against the exact or reference solution:

* ``poisson_lshape`` (problems/poisson_lshape.py): -Δu = 1 on the L-shaped domain built
  by constructive solid geometry (square minus quadrant), against a refined scikit-fem
  solution; the re-entrant corner is singular.
* ``elasticity_hole`` (problems/elasticity_hole.py): a plate with a circular hole under
  uniaxial tension, against Kirsch's solution; prints the stress concentration factor
  (σ_xx at the top of the hole over the remote stress: 3).
* ``heat_bracket`` (problems/heat_bracket.py): steady heat in a bracket read from the gmsh
  file problems/data/bracket.msh, against scikit-fem on the same mesh.

::

    python examples/geometry.py                                # poisson_lshape
    python examples/geometry.py --problem elasticity_hole
    python examples/geometry.py --problem heat_bracket --tiny  # seconds: checks that it runs, not accurate

It writes the run with its figures (``figures/solution.png``: the field on the domain's
shape, the reference and the error; ``figures/stress.png`` for the plate).
"""

import argparse
import importlib

import problems
from pinn import plot

PROBLEMS = ("poisson_lshape", "elasticity_hole", "heat_bracket")
NAME = PROBLEMS[0]  # the default problem
# A tiny budget for smoke tests: a small network, a few Adam steps, nothing after.
TINY = {"steps": 20, "lbfgs_steps": 0, "phases": None, "hidden": (8, 8), "n_interior": 64, "n_boundary": 32, "eval_every": 0}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", choices=PROBLEMS, default=NAME, help="which problem (default: %(default)s)")
    parser.add_argument("--tiny", action="store_true", help="tiny budget (seconds): a smoke test, not an accurate solve")
    parser.add_argument("--out", help="results folder (default: runs/example-PROBLEM)")
    args = parser.parse_args(argv)
    out = args.out or f"runs/example-{args.problem}"

    importlib.import_module(f"problems.{args.problem}")  # registers it
    spec = problems.get(args.problem)
    result = spec.solve(**(TINY if args.tiny else {}))
    print(f"{args.problem}: relative L2 error {result.rel_l2:.2e} (target {spec.target:.0e})")
    for name, q in result.metrics.get("quantities", {}).items():
        against = f", exact {q['exact']:g}: relative error {q['rel_error']:.2e} (target {q['target']:g})" if q["exact"] else ""
        print(f"  {name} {q['value']:.4f}{against}")
    result.save(out)
    figures = plot.plot_result(result, f"{out}/figures", derived=spec.derived)
    print(f"run saved in {out}; figures: {', '.join(p.name for p in figures)}")
    return result


if __name__ == "__main__":
    main()
