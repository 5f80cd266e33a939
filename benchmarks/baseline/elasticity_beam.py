r"""elasticity_beam by hand: Timoshenko's plane-stress cantilever, x in [0, L], |y| <= D/2,
:math:`\nabla\cdot\sigma(u) = 0`, L = 4, D = 1, E = 1000, ν = 0.3, end load P = 1.

Output transform :math:`u = u_{exact}(0, y) + (x/L)\, U N` with U = P L^3 / (3 E I),
I = D^3/12 (the clamp exact; its term reads 0). Residuals in units of the shear stress
τ = P / D: equilibrium times D^2 / P (weight 10), ``end_sxx`` σ_xx/τ and ``end_shear``
(σ_xy − P/(2I)(D²/4 − y²))/τ at x = L, ``faces_free`` σn/τ at y = ±D/2, ``clamp``
u − u_exact at x = 0. Network 32-32-32 tanh, float64; Adam 1e-3 over 500 steps.
"""

import jax.numpy as jnp

from .common import Setup
from .elastic import div_stress, plane_stress_lame, stress_tensor

L, D, E, NU, P = 4.0, 1.0, 1000.0, 0.3, 1.0
I = D**3 / 12  # noqa: E741  (second moment of area)
TAU = P / D
U = P * L**3 / (3 * E * I)
LAM, MU = plane_stress_lame(E, NU)


def exact(x):
    X, Y = x[0], x[1]
    ux = -P * Y / (6 * E * I) * ((6 * L - 3 * X) * X + (2 + NU) * (Y**2 - D**2 / 4))
    uy = P / (6 * E * I) * (3 * NU * Y**2 * (L - X) + (4 + 5 * NU) * D**2 * X / 4 + (3 * L - X) * X**2)
    return jnp.stack([ux, uy])


def transform(x, y):
    return exact(x.at[0].set(0.0)) + (x[0] / L) * U * y


def residual(u, x, engine):
    return div_stress(u, x, LAM, MU, engine) * (D * D / P)


def clamp(u, data, engine):
    x = data["x"]
    return u(x) - exact(x)


def end_sxx(u, data, engine):
    return stress_tensor(u, data["x"], LAM, MU)[0, 0] / TAU


def end_shear(u, data, engine):
    x = data["x"]
    return (stress_tensor(u, x, LAM, MU)[0, 1] - P / (2 * I) * (D**2 / 4 - x[1] ** 2)) / TAU


def faces_free(u, data, engine):
    return stress_tensor(u, data["x"], LAM, MU) @ data["normal"] / TAU


SETUP = Setup(
    name="elasticity_beam",
    lower=(0.0, -D / 2),
    upper=(L, D / 2),
    out_dim=2,
    hidden=(32, 32, 32),
    activation="tanh",
    residual=residual,
    conditions={"clamp": clamp, "end_sxx": end_sxx, "end_shear": end_shear, "faces_free": faces_free},
    weights={"pde": 10.0, "clamp": 1.0, "end_sxx": 1.0, "end_shear": 1.0, "faces_free": 1.0},
    lr=1e-3,
    adam_steps=500,
    lbfgs_steps=12000,
    n_interior=1500,
    n_boundary=200,
    transform=transform,
)
