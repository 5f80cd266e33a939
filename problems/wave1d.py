r"""One-dimensional wave equation with two standing modes.

.. math::  u_{tt} = c^2 u_{xx}, \qquad x \in [0, 1],\ t \in [0, 1],

with :math:`u(0, t) = u(1, t) = 0`, :math:`u(x, 0) = \sin \pi x + \tfrac12 \sin 4\pi x`
and :math:`u_t(x, 0) = 0`.

Parameters: ``c`` the wave speed (default 2, so :math:`c^2 = 4`).
Exact solution (d'Alembert / separation of variables):
:math:`u = \sin \pi x \cos c\pi t + \tfrac12 \sin 4\pi x \cos 4c\pi t`.
Inputs ``(x, t)``; output field ``u``.
"""

import jax.numpy as jnp

import pinn
from problems.registry import ProblemSpec, register


def build(c: float = 2.0) -> pinn.Problem:
    """The wave problem with speed ``c`` (see the module docstring)."""
    domain = pinn.Interval(0.0, 1.0) * pinn.TimeInterval(0.0, 1.0)

    def initial(x):
        return jnp.sin(jnp.pi * x[0]) + 0.5 * jnp.sin(4 * jnp.pi * x[0])

    def exact(x):
        return jnp.sin(jnp.pi * x[0]) * jnp.cos(c * jnp.pi * x[1]) + 0.5 * jnp.sin(4 * jnp.pi * x[0]) * jnp.cos(
            4 * c * jnp.pi * x[1]
        )

    def residual(u, x, c):
        H = pinn.hessian(u)(x)  # H[0, 0] = u_xx, H[1, 1] = u_tt
        return H[1, 1] - c**2 * H[0, 0]

    return pinn.Problem(
        domain=domain,
        residual=residual,
        conditions=[
            pinn.Dirichlet(on=domain.boundary, value=0.0),
            pinn.Initial(value=initial),
            pinn.InitialVelocity(value=0.0),
        ],
        params={"c": c},
        exact=exact,
        fields=("u",),
        name="wave1d",
        description=f"u_tt = c² u_xx, c = {c:g}, on [0,1] x [0,1]; u = 0 at x = 0, 1; "
        "u(x,0) = sin πx + 0.5 sin 4πx; u_t(x,0) = 0",
    )


SPEC = register(
    ProblemSpec(
        name="wave1d",
        build=build,
        summary="u_tt = 4 u_xx on [0,1] x [0,1], u = 0 at x = 0, 1, u(x,0) = sin πx + 0.5 sin 4πx, u_t(x,0) = 0",
        target=1e-2,
        model={"hidden": (48, 48, 48), "activation": "tanh", "dtype": "float64"},
        # The conditions weigh 100: the solution is carried into the domain by the
        # initial data, which the residual alone (terms of size (8π)²) would drown.
        train={
            "steps": 1000,
            "lbfgs_steps": 3000,
            "lr": 5e-3,
            "n_interior": 2000,
            "n_boundary": 256,
            "weights": {"dirichlet": 100.0, "initial": 100.0, "initial_velocity": 100.0},
            "derivatives": "forward",
        },
    )
)
