r"""heat1d by hand: :math:`u_t = a u_{xx}` on [0, 1] x [0, 1], a = 0.4, u = 0 at x = 0, 1,
:math:`u(x, 0) = \sin \pi x`.

u_t by one jvp along t (both engines); u_xx by ``jax.hessian`` of u(., t) (``hessian``)
or one nested-jvp pair (``jvp``). Network 32-32-32 tanh, float64; unit weights; Adam
3e-3 over 2000 steps.
"""

import jax.numpy as jnp

from .common import Setup, d1, laplacian

A = 0.4


def residual(u, x, engine):
    return d1(u, x, 1) - A * laplacian(u, x, (0,), engine)


def dirichlet(u, data, engine):
    return u(data["x"])


def initial(u, data, engine):
    x = data["x"]
    return u(x) - jnp.sin(jnp.pi * x[0])


SETUP = Setup(
    name="heat1d",
    lower=(0.0, 0.0),
    upper=(1.0, 1.0),
    out_dim=1,
    hidden=(32, 32, 32),
    activation="tanh",
    residual=residual,
    conditions={"dirichlet": dirichlet, "initial": initial},
    weights={"pde": 1.0, "dirichlet": 1.0, "initial": 1.0},
    lr=3e-3,
    adam_steps=2000,
    lbfgs_steps=4000,
    n_interior=2000,
    n_boundary=256,
)
