r"""Heat equation in the unit cube.

.. math::  u_t = D\, \Delta u, \qquad (x, y, z) \in [0, 1]^3,\ t \in [0, 1],

with :math:`u = 0` on the faces of the cube and
:math:`u(x, y, z, 0) = \sin \pi x \sin \pi y \sin \pi z`.

Parameters: ``D`` the diffusivity (default 0.05).
Exact solution (separation of variables):
:math:`u = e^{-3 D \pi^2 t} \sin \pi x \sin \pi y \sin \pi z`.
Inputs ``(x, y, z, t)``; output field ``u``.
"""

import jax.numpy as jnp

import pinn
from problems.heat1d import laplacian_in_space
from problems.registry import ProblemSpec, register


def build(D: float = 0.05) -> pinn.Problem:
    """The cube heat problem with diffusivity ``D`` (see the module docstring)."""
    domain = pinn.Box3D((0.0, 0.0, 0.0), (1.0, 1.0, 1.0)) * pinn.TimeInterval(0.0, 1.0)

    def initial(x):
        return jnp.prod(jnp.sin(jnp.pi * x[:3]))

    def exact(x):
        return jnp.exp(-3 * D * jnp.pi**2 * x[3]) * initial(x)

    def residual(u, x, D):
        return pinn.partial(u, -1)(x) - D * laplacian_in_space(u, x)

    return pinn.Problem(
        domain=domain,
        residual=residual,
        conditions=[pinn.Dirichlet(on=domain.boundary, value=0.0), pinn.Initial(value=initial)],
        params={"D": D},
        exact=exact,
        fields=("u",),
        name="heat3d",
        description=f"u_t = D Δu, D = {D:g}, on [0,1]³ x [0,1]; u = 0 on the faces; u(·,0) = sin πx sin πy sin πz",
    )


SPEC = register(
    ProblemSpec(
        name="heat3d",
        build=build,
        summary="u_t = 0.05 Δu on [0,1]³ x [0,1], u = 0 on the faces, u(·,0) = sin πx sin πy sin πz",
        target=1e-3,
        model={"hidden": (32, 32, 32), "activation": "tanh", "dtype": "float64"},
        # Weighted conditions: the solution is small (RMS ~0.2), so a loss that looks small
        # still leaves percent errors unless the boundary and initial data weigh more.
        train={
            "steps": 1000,
            "lbfgs_steps": 5000,
            "lr": 1e-2,
            "n_interior": 2000,
            "n_boundary": 512,
            "weights": {"dirichlet": 100.0, "initial": 100.0},
            "derivatives": "forward",
        },
    )
)
