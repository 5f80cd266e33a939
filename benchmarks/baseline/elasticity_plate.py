r"""elasticity_plate by hand: :math:`\nabla\cdot\sigma(u) + f = 0` on [0, 1]^2 (plane strain,
λ = 1, μ = 0.5, Q = 4), manufactured solution
:math:`u = (\cos 2\pi x \sin \pi y,\ \sin \pi x\, Q y^4 / 4)`, f = −div σ(u_exact).

f is differentiated from the exact solution at each point with the same engine as u
(the work the framework's residual does too). Terms: ``ux_fixed`` (u_x = 0 at y = 0, 1,
weight 100), ``uy_fixed`` (u_y = 0 at x = 0, 1 and y = 0, weight 100), ``sxx_free``
(σ_xx = 0 at x = 0, 1), ``syy_load`` (σ_yy = (λ + 2μ) Q sin πx at y = 1). Network
32-32-32 tanh, float64; Adam 3e-3 over 2000 steps.
"""

import jax.numpy as jnp

from .common import Setup
from .elastic import div_stress, stress_tensor

LAM, MU, Q = 1.0, 0.5, 4.0


def exact(x):
    ux = jnp.cos(2 * jnp.pi * x[0]) * jnp.sin(jnp.pi * x[1])
    uy = jnp.sin(jnp.pi * x[0]) * Q * x[1] ** 4 / 4
    return jnp.stack([ux, uy])


def residual(u, x, engine):
    f = -div_stress(exact, x, LAM, MU, engine)
    return div_stress(u, x, LAM, MU, engine) + f


def ux_fixed(u, data, engine):
    return u(data["x"])[0]


def uy_fixed(u, data, engine):
    return u(data["x"])[1]


def sxx_free(u, data, engine):
    return stress_tensor(u, data["x"], LAM, MU)[0, 0]


def syy_load(u, data, engine):
    x = data["x"]
    return stress_tensor(u, x, LAM, MU)[1, 1] - (LAM + 2 * MU) * Q * jnp.sin(jnp.pi * x[0])


SETUP = Setup(
    name="elasticity_plate",
    lower=(0.0, 0.0),
    upper=(1.0, 1.0),
    out_dim=2,
    hidden=(32, 32, 32),
    activation="tanh",
    residual=residual,
    conditions={"ux_fixed": ux_fixed, "uy_fixed": uy_fixed, "sxx_free": sxx_free, "syy_load": syy_load},
    weights={"pde": 1.0, "ux_fixed": 100.0, "uy_fixed": 100.0, "sxx_free": 1.0, "syy_load": 1.0},
    lr=3e-3,
    adam_steps=2000,
    lbfgs_steps=5000,
    n_interior=1500,
    n_boundary=200,
)
