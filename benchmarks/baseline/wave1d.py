r"""wave1d by hand: :math:`u_{tt} = c^2 u_{xx}` on [0, 1] x [0, 1], c = 2, u = 0 at x = 0, 1,
:math:`u(x, 0) = g(x) = \sin \pi x + \tfrac12 \sin 4\pi x`, u_t(x, 0) = 0.

Output transform :math:`u = g(x) + (1 - e^{-(t/\tau)^2})\, x (1 - x)\, N(x, t)`, τ = 0.1
(every condition exact; the terms read ~0). ``hessian``: the 2 x 2 ``jax.hessian``;
``jvp``: u_tt and u_xx by two nested-jvp pairs. Network 48-48-48 tanh, float64; unit
weights; Adam 1e-3 over 1000 steps. (The framework's spec starts the first layer six
times larger; the loss is compared at copied parameters, so that does not enter here.)
"""

import jax
import jax.numpy as jnp

from .common import Setup, check_engine, d1, d2

C = 2.0
RAMP_TIME = 0.1


def initial_shape(x):
    return jnp.sin(jnp.pi * x[0]) + 0.5 * jnp.sin(4 * jnp.pi * x[0])


def transform(x, y):
    ramp = 1.0 - jnp.exp(-((x[1] / RAMP_TIME) ** 2))
    return initial_shape(x) + ramp * x[0] * (1.0 - x[0]) * y


def residual(u, x, engine):
    if check_engine(engine) == "hessian":
        H = jax.hessian(u)(x)
        return H[1, 1] - C**2 * H[0, 0]
    return d2(u, x, 1, 1) - C**2 * d2(u, x, 0, 0)


def dirichlet(u, data, engine):
    return u(data["x"])


def initial(u, data, engine):
    x = data["x"]
    return u(x) - initial_shape(x)


def initial_velocity(u, data, engine):
    return d1(u, data["x"], 1)


SETUP = Setup(
    name="wave1d",
    lower=(0.0, 0.0),
    upper=(1.0, 1.0),
    out_dim=1,
    hidden=(48, 48, 48),
    activation="tanh",
    residual=residual,
    conditions={"dirichlet": dirichlet, "initial": initial, "initial_velocity": initial_velocity},
    weights={"pde": 1.0, "dirichlet": 1.0, "initial": 1.0, "initial_velocity": 1.0},
    lr=1e-3,
    adam_steps=1000,
    lbfgs_steps=3000,
    n_interior=2000,
    n_boundary=256,
    transform=transform,
)
