r"""Poisson equation on the unit square.

.. math::  -\Delta u = 2\pi^2 \sin(\pi x) \sin(\pi y) \quad \text{on } [0, 1]^2,
           \qquad u = 0 \text{ on the boundary}.

Exact solution: :math:`u = \sin(\pi x) \sin(\pi y)` (manufactured).
Inputs ``(x, y)``; output field ``u``.
"""

import jax.numpy as jnp

import pinn
from problems.registry import ProblemSpec, register


def build(amplitude: float = 1.0) -> pinn.Problem:
    domain = pinn.Rectangle((0.0, 0.0), (1.0, 1.0))

    def exact(x):
        return amplitude * jnp.sin(jnp.pi * x[0]) * jnp.sin(jnp.pi * x[1])

    def residual(u, x, amplitude):
        source = 2 * jnp.pi**2 * amplitude * jnp.sin(jnp.pi * x[0]) * jnp.sin(jnp.pi * x[1])
        return -pinn.laplacian(u)(x) - source

    return pinn.Problem(
        domain=domain,
        residual=residual,
        conditions=[pinn.Dirichlet(on=domain.boundary, value=0.0)],
        params={"amplitude": amplitude},
        exact=exact,
        fields=("u",),
        name="poisson2d",
        description="-Δu = 2π² sin πx sin πy on [0,1]², u = 0 on the boundary",
    )


SPEC = register(
    ProblemSpec(
        name="poisson2d",
        build=build,
        summary="-Δu = 2π² sin πx sin πy on [0,1]², u = 0 on ∂Ω",
        target=1e-4,
        model={"hidden": (32, 32, 32), "activation": "tanh", "dtype": "float64"},
        # The boundary term weighs 100: against a source of size 2π² it would otherwise be
        # neglected, and Adam at 1e-2 then gets to ~2e-3 in 2000 steps (1e-1 without it).
        train={
            "steps": 2000,
            "lbfgs_steps": 3000,
            "lr": 1e-2,
            "n_interior": 2000,
            "n_boundary": 256,
            "weights": {"dirichlet": 100.0},
            "derivatives": "forward",
        },
    )
)
