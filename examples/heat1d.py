"""Heat equation on the unit interval: u_t = 0.4 u_xx, u(x, 0) = sin πx, u = 0 at both ends.

Solves the bundled problem ``heat1d`` (see problems/heat1d.py) with its default
network and budget, prints the error, and writes the run and its figures::

    python examples/heat1d.py              # the default budget
    python examples/heat1d.py --tiny       # seconds: checks that it runs, not accurate
"""

import argparse

import numpy as np

import problems
from pinn import plot

NAME = "heat1d"
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
    point = np.array([0.5, 1.0])  # x = 0.5 at t = 1
    predicted = result.predict(point[None])[0]
    exact = np.atleast_1d(np.asarray(result.problem.exact(point)))
    for field, p, e in zip(result.problem.fields, predicted, exact):
        print(f"  {field} at x = 0.5 at t = 1: predicted {p:+.5f}, exact {e:+.5f}")
    result.save(args.out)
    figures = plot.plot_result(result, f"{args.out}/figures", derived=spec.derived)
    print(f"run saved in {args.out}; figures: {', '.join(p.name for p in figures)}")
    return result


if __name__ == "__main__":
    main()
