r"""A new PDE from scratch: steady nonlinear reaction-diffusion on an L-shaped domain.

.. math::  -\Delta u + k\, u^3 = f \quad \text{in } \Omega, \qquad u = g \text{ on } \partial\Omega,

on the L-shaped polygon Ω = [0, 1]² minus the square (1/2, 1]², with k = 1. The source
f and the boundary values g are manufactured from the exact solution

.. math::  u^*(x, y) = \sin(\pi x) \sin(\pi y) + x y / 2,

so the error of the trained network can be measured. Nothing here comes from the
bundled problems: the equation is a residual at ONE point written with the operators,
the domain a :class:`pinn.Polygon`, and :func:`pinn.solve` does the rest::

    python examples/custom_pde.py            # about a minute or two on a laptop CPU
    python examples/custom_pde.py --tiny     # seconds: checks that it runs, not accurate
"""

import argparse

import jax.numpy as jnp

import pinn
from pinn import plot


def exact(x):
    """u*(x, y) = sin(πx) sin(πy) + xy/2 at one point x = (x, y)."""
    return jnp.sin(jnp.pi * x[0]) * jnp.sin(jnp.pi * x[1]) + 0.5 * x[0] * x[1]


def reaction_diffusion(u, x, k):
    """Residual of -Δu + k u³ - f at one point; f = -Δu* + k u*³ by automatic differentiation."""
    source = -pinn.laplacian(exact)(x) + k * exact(x) ** 3
    return -pinn.laplacian(u)(x) + k * u(x) ** 3 - source


def build(k: float = 1.0) -> pinn.Problem:
    """The problem: an L-shaped polygon, the residual, u = u* on the whole boundary."""
    domain = pinn.Polygon([(0.0, 0.0), (1.0, 0.0), (1.0, 0.5), (0.5, 0.5), (0.5, 1.0), (0.0, 1.0)])
    return pinn.Problem(
        domain=domain,
        residual=reaction_diffusion,
        conditions=[pinn.Dirichlet(on=domain.boundary, value=exact)],
        params={"k": k},
        exact=exact,
        fields=("u",),
        name="reaction_diffusion_L",
        description="-Δu + k u³ = f on an L-shaped polygon, u = u* on the boundary",
    )


# Settings of pinn.solve (see pinn.TrainConfig); the tiny budget only checks that it runs.
FULL = {"steps": 2000, "lbfgs_steps": 1000, "n_interior": 1000, "n_boundary": 256, "derivatives": "forward"}
TINY = {"steps": 20, "lbfgs_steps": 0, "n_interior": 64, "n_boundary": 32, "eval_every": 0}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="tiny budget (seconds): a smoke test, not an accurate solve")
    parser.add_argument("--out", default="runs/example-custom_pde", help="results folder (default: %(default)s)")
    args = parser.parse_args(argv)

    problem = build(k=1.0)
    print(f"second-order residual: order {problem.residual_order()}; coordinates {problem.coordinates}")
    hidden = (8, 8) if args.tiny else (32, 32, 32)
    model = pinn.MLP.for_problem(problem, hidden=hidden, activation="tanh", key=0, dtype="float64")
    result = pinn.solve(problem, model, **(TINY if args.tiny else FULL))
    print(f"{problem.name}: relative L2 error {result.rel_l2:.2e}")
    print(f"  final loss terms: {', '.join(f'{k} {v:.2e}' for k, v in result.metrics['final_loss'].items())}")
    print(f"  u at the re-entrant corner (0.5, 0.5): predicted {result.predict([[0.5, 0.5]])[0, 0]:+.5f}, "
          f"exact {float(exact(jnp.array([0.5, 0.5]))):+.5f}")

    # A custom problem is not in the registry: reload it with pinn.load_run(out, problem=build()).
    result.save(args.out)
    figures = plot.plot_result(result, f"{args.out}/figures")
    print(f"run saved in {args.out}; figures: {', '.join(p.name for p in figures)}")
    return result


if __name__ == "__main__":
    main()
