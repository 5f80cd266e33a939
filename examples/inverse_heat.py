"""Inverse heat problem: learn the diffusivity κ in u_t = κ u_xx from noisy measurements of u.

Solves the bundled problem ``heat1d_inverse`` (problems/heat1d_inverse.py): κ starts at
1.0 and is learned with the network from 200 measurements of u (synthetic, 1 % noise,
true κ = 0.4), or from a file of your own::

    python examples/inverse_heat.py                         # the synthetic measurements
    python examples/inverse_heat.py --data measured.csv     # yours: a header x,t,u, then rows
    python examples/inverse_heat.py --noise 0.05            # synthetic, 5 % noise
    python examples/inverse_heat.py --tiny                  # seconds: checks that it runs, not accurate

It prints the learned κ against the truth and writes the run with its figures
(``figures/learned.png``: κ against the step).
"""

import argparse

import pinn
import problems
from pinn import plot

NAME = "heat1d_inverse"
# A tiny budget for smoke tests: a small network, a few Adam steps, no L-BFGS.
TINY = {"steps": 20, "lbfgs_steps": 0, "hidden": (8, 8), "n_interior": 64, "n_boundary": 16, "eval_every": 0}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="tiny budget (seconds): a smoke test, not an accurate solve")
    parser.add_argument("--data", metavar="FILE", help="measurements of u: .csv with a header x,t,u (or .npy (n, 3))")
    parser.add_argument("--noise", type=float, default=0.01, help="noise of the synthetic measurements (default 0.01)")
    parser.add_argument("--out", default=f"runs/example-{NAME}", help="results folder (default: %(default)s)")
    args = parser.parse_args(argv)

    spec = problems.get(NAME)
    params = {"noise": args.noise}
    if args.data:
        params["data"] = pinn.Data.from_file(args.data, fields=("u",), coordinates=("x", "t"))
    result = spec.solve(params=params, **(TINY if args.tiny else {}))
    print(f"{NAME}: relative L2 error {result.rel_l2:.2e} (target {spec.target:.0e})")
    kappa = result.learned["kappa"]
    if args.data:  # your measurements: the true value is yours to know
        print(f"  learned kappa {kappa:.6f} from {args.data}")
    else:
        true = result.problem.learned["kappa"].true_value
        error = abs(kappa - true) / true
        print(f"  learned kappa {kappa:.6f}, true {true:g}: relative error {error:.2e} (target {spec.learns['kappa']:.0e})")
    result.save(args.out)
    figures = plot.plot_result(result, f"{args.out}/figures")
    print(f"run saved in {args.out}; figures: {', '.join(p.name for p in figures)}")
    return result


if __name__ == "__main__":
    main()
