"""Lamé thick-walled cylinder under internal pressure, plane strain, on a quarter annulus.

Solves the bundled problem ``elasticity_cylinder`` (see problems/elasticity_cylinder.py) with its default
network and budget, prints the error, and writes the run and its figures::

    python examples/elasticity_cylinder.py              # the default budget
    python examples/elasticity_cylinder.py --tiny       # seconds: checks that it runs, not accurate
"""

import argparse

import numpy as np

import problems
from pinn import plot

NAME = "elasticity_cylinder"
# A tiny budget for smoke tests: a small network, a few Adam steps, no L-BFGS.
TINY = {"steps": 20, "lbfgs_steps": 0, "hidden": (8, 8), "n_interior": 64, "n_boundary": 16, "eval_every": 0}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="tiny budget (seconds): a smoke test, not an accurate solve")
    parser.add_argument("--out", default=f"runs/example-{NAME}", help="results folder (default: %(default)s)")
    args = parser.parse_args(argv)

    spec = problems.get(NAME)
    result = spec.solve(**(TINY if args.tiny else {}))
    print(f"{NAME}: relative L2 error {result.rel_l2:.2e} (target {spec.target:.0e})")
    point = np.array([1.0, 0.0])  # the inner wall (r = a)
    predicted = result.predict(point[None])[0]
    exact = np.atleast_1d(np.asarray(result.problem.exact(point)))
    for field, p, e in zip(result.problem.fields, predicted, exact):
        print(f"  {field} at the inner wall (r = a): predicted {p:+.5f}, exact {e:+.5f}")
    result.save(args.out)
    figures = plot.plot_result(result, f"{args.out}/figures", derived=spec.derived)
    print(f"run saved in {args.out}; figures: {', '.join(p.name for p in figures)}")
    return result


if __name__ == "__main__":
    main()
