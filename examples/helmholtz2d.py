"""Helmholtz equation on [-1, 1]²: Δu + k²u = q (manufactured solution sin πx sin 4πy).

Solves the bundled problem ``helmholtz2d`` (see problems/helmholtz2d.py) with its default
network and budget, prints the error, and writes the run and its figures::

    python examples/helmholtz2d.py              # the default budget
    python examples/helmholtz2d.py --tiny       # seconds: checks that it runs, not accurate
"""

import argparse

import numpy as np

import problems
from pinn import plot

NAME = "helmholtz2d"
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
    point = np.array([0.5, 0.125])  # (0.5, 0.125)
    predicted = result.predict(point[None])[0]
    exact = np.atleast_1d(np.asarray(result.problem.exact(point)))
    for field, p, e in zip(result.problem.fields, predicted, exact):
        print(f"  {field} at (0.5, 0.125): predicted {p:+.5f}, exact {e:+.5f}")
    result.save(args.out)
    figures = plot.plot_result(result, f"{args.out}/figures", derived=spec.derived)
    print(f"run saved in {args.out}; figures: {', '.join(p.name for p in figures)}")
    return result


if __name__ == "__main__":
    main()
