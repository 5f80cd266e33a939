"""Viscous Burgers equation with a shock: u_t + u u_x = (0.01/π) u_xx (Raissi et al. reference data).

Solves the bundled problem ``burgers`` (see problems/burgers.py) with its default
network and budget, prints the error, and writes the run and its figures::

    python examples/burgers.py              # the default budget
    python examples/burgers.py --tiny       # seconds: checks that it runs, not accurate
"""

import argparse

import numpy as np

import problems
from pinn import plot

NAME = "burgers"
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
    # Burgers has no closed form: the error is measured against the tabulated reference.
    for t in (0.25, 0.5, 0.75):
        x = np.linspace(-1.0, 1.0, 5)
        u = result.predict(np.column_stack([x, np.full_like(x, t)]))[:, 0]
        print(f"  u(x, t = {t}) at x = {x.tolist()}: {np.round(u, 4).tolist()}")
    result.save(args.out)
    figures = plot.plot_result(result, f"{args.out}/figures", derived=spec.derived)
    print(f"run saved in {args.out}; figures: {', '.join(p.name for p in figures)}")
    return result


if __name__ == "__main__":
    main()
