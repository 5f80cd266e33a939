r"""Inverse conductivity: an unknown field k(x, y) from measurements of u.

.. math::  -\nabla \cdot \big(k(x, y)\, \nabla u\big) = f \quad \text{on } [0, 1]^2,
           \qquad u = 0 \text{ on the boundary},

with the source f known and the conductivity k unknown everywhere inside. k is not a
number but a field: the network has two outputs, ``u`` and ``k``, and the residual
couples them. What is measured: u at 1000 points inside the square, and k on its
boundary (200 points), where a conductivity can be probed directly.

Exact solution (manufactured; f = −∇·(k∇u) by automatic differentiation):

.. math::  u = \sin \pi x \, \sin \pi y, \qquad k = 2 + \sin \pi x \, \cos \pi y

(k ranges over [1, 3]: three times from its smallest to its largest value).

Why k is determined: written out, the equation is
:math:`\nabla k \cdot \nabla u + k\, \Delta u = -f`, a first-order equation for k whose
characteristics are the gradient lines of u. They run from the centre (the maximum
of u, where ∇u = 0 and k = −f/Δu) to the boundary, where k is measured. u itself
comes from the data; its boundary condition holds exactly
(:math:`u = 16\, x(1-x)\, y(1-y)\, N_u`).

The measurements are synthetic (:meth:`pinn.Data.synthetic`): uniform random points
(seed 0) and Sobol boundary points, with Gaussian noise of standard deviation
``noise`` times the standard deviation of the values (1 % by default, on u and on k).
``data=`` replaces the measurements of u. Measured (500 Adam + 2000 L-BFGS steps):
u 5.8e-4 and k 2.0e-3 with 1 % noise, 7.3e-4 and 2.1e-3 without; with noise the
data term ends at the noise floor ((0.01 std u)² = 8.6e-6): the smooth network does
not follow the noise, so it barely reaches Δu, and k.

Errors are measured per field: u (target 1e-3) and k (2e-2).
Parameter: ``noise`` the noise level (0.01). Inputs ``(x, y)``; output fields ``(u, k)``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

import pinn
from problems.registry import ProblemSpec, register

N_DATA = 1000
N_BOUNDARY_DATA = 200
DATA_SEED = 0


def exact_u(x):
    return jnp.sin(jnp.pi * x[0]) * jnp.sin(jnp.pi * x[1])


def exact_k(x):
    return 2.0 + jnp.sin(jnp.pi * x[0]) * jnp.cos(jnp.pi * x[1])


def exact(x):
    """(u, k) at one point."""
    return jnp.stack([exact_u(x), exact_k(x)])


def source(x):
    r"""f = −∇·(k ∇u) of the exact pair at one point."""
    return -jnp.trace(jax.jacfwd(lambda y: exact_k(y) * jax.grad(exact_u)(y))(x))


def measurements(noise: float = 0.01, n: int = N_DATA, seed: int = DATA_SEED) -> pinn.Data:
    """``n`` synthetic measurements of u at uniform random points inside the square."""
    points = np.random.default_rng(seed).uniform([0.0, 0.0], [1.0, 1.0], size=(n, 2))
    return pinn.Data.synthetic(points, exact_u, noise=noise, seed=seed + 1, fields=("u",), name="u_data", weight=100.0)


def boundary_measurements(domain, noise: float = 0.01, n: int = N_BOUNDARY_DATA, seed: int = DATA_SEED) -> pinn.Data:
    """``n`` synthetic measurements of k on the boundary (Sobol points)."""
    points, _ = domain.boundary.sample(n, "sobol", seed)
    return pinn.Data.synthetic(points, exact_k, noise=noise, seed=seed + 2, fields=("k",), name="k_boundary", weight=10.0)


def hard_boundary(x, y):
    # u = 0 on the boundary whatever the weights; 16 x(1-x) y(1-y) is 1 at the centre.
    return y.at[0].multiply(16.0 * x[0] * (1.0 - x[0]) * x[1] * (1.0 - x[1]))


def build(noise: float = 0.01, data: pinn.Data | None = None) -> pinn.Problem:
    """The inverse conductivity problem (module docstring); ``data`` replaces the
    measurements of u."""
    domain = pinn.Rectangle((0.0, 0.0), (1.0, 1.0))
    if data is None:
        data = measurements(noise)
    elif not isinstance(data, pinn.Data):
        raise ValueError(f"data must be measurements, a pinn.Data (e.g. pinn.Data.from_file(path)), got {data!r}")

    # ``noise`` is a constant parameter so that a saved run records it (config.json).
    def residual(w, x, noise):
        J = pinn.jacobian(w)(x)  # rows: grad u, grad k
        lap_u = pinn.laplacian(lambda y: w(y)[0])(x)
        k = w(x)[1]
        return -(J[1] @ J[0] + k * lap_u) - source(x)

    return pinn.Problem(
        domain=domain,
        residual=residual,
        conditions=[
            pinn.Dirichlet(on=domain.boundary, value=0.0, component=0, name="u_boundary"),
            data,
            boundary_measurements(domain, noise),
        ],
        params={"noise": noise},
        exact=exact,
        fields=("u", "k"),
        name="poisson_inverse_field",
        description=(
            "-div(k grad u) = f on [0,1]², u = 0 on the boundary; the field k unknown inside, "
            f"learned from {len(data.points)} measurements of u and k on the boundary"
            + ("" if data.noise is None else f" ({100 * data.noise:g}% noise)")
        ),
        output_transform=hard_boundary,
    )


SPEC = register(
    ProblemSpec(
        name="poisson_inverse_field",
        build=build,
        summary="-∇·(k∇u) = f on [0,1]², u = sin πx sin πy; the conductivity k = 2 + sin πx cos πy unknown inside",
        target=1e-3,
        learns={"k": 2e-2},
        model={"hidden": (32, 32, 32), "activation": "tanh", "dtype": "float64"},
        train={"steps": 500, "lbfgs_steps": 2000, "lr": 3e-3, "n_interior": 1500, "n_boundary": 200, "derivatives": "forward"},
    )
)
