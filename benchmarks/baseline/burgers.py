r"""burgers by hand: :math:`u_t + u u_x = \nu u_{xx}` on [−1, 1] x [0, 1], ν = 0.01/π,
u(x, 0) = −sin πx, u(±1, t) = 0.

Output transform :math:`u = -\sin \pi x + t (1 - x^2) N(x, t)` (both conditions exact;
their terms read ~0). ``hessian``: u_x, u_t from ``jax.jacfwd``, u_xx from
``jax.hessian`` of u(., t); ``jvp``: (u, u_x, u_xx) from one nested jvp pair along x and
u_t from one jvp along t. Network 8 x 20 tanh, float64; unit weights; Adam 2e-3 over
1000 steps.
"""

import jax
import jax.numpy as jnp

from .common import Setup, check_engine, d1, hessian_on, unit

NU = 0.01 / jnp.pi


def transform(x, y):
    return -jnp.sin(jnp.pi * x[0]) + x[1] * (1.0 - x[0] ** 2) * y


def residual(u, x, engine):
    if check_engine(engine) == "hessian":
        value = u(x)
        u_x, u_t = jax.jacfwd(u)(x)
        u_xx = hessian_on(u, x, (0,))[0, 0]
    else:
        e = unit(x, 0)
        (value, u_x), (_, u_xx) = jax.jvp(lambda y: jax.jvp(u, (y,), (e,)), (x,), (e,))
        u_t = d1(u, x, 1)
    return u_t + value * u_x - NU * u_xx


def initial(u, data, engine):
    x = data["x"]
    return u(x) + jnp.sin(jnp.pi * x[0])


def walls(u, data, engine):
    return u(data["x"])


SETUP = Setup(
    name="burgers",
    lower=(-1.0, 0.0),
    upper=(1.0, 1.0),
    out_dim=1,
    hidden=(20,) * 8,
    activation="tanh",
    residual=residual,
    conditions={"initial": initial, "walls": walls},
    weights={"pde": 1.0, "initial": 1.0, "walls": 1.0},
    lr=2e-3,
    adam_steps=1000,
    lbfgs_steps=6000,
    n_interior=6500,
    n_boundary=200,
    transform=transform,
)
