r"""heat3d by hand: :math:`u_t = D \Delta u` on [0, 1]^3 x [0, 1], D = 0.05, u = 0 on the faces,
:math:`u(\cdot, 0) = u_0 = \sin \pi x \sin \pi y \sin \pi z`.

Output transform :math:`u = u_0(x) + t\, 64\, x(1-x) y(1-y) z(1-z)\, N(x, t)` (both
conditions exact; their terms read ~0). u_t by one jvp; the spatial Laplacian by
``jax.hessian`` of u(., t) (3 x 3) or three nested-jvp pairs. Network 32-32-32 tanh,
float64; unit weights; Adam 1e-2 over 1000 steps.
"""

import jax.numpy as jnp

from .common import Setup, d1, laplacian

D = 0.05


def initial_data(x):
    return jnp.prod(jnp.sin(jnp.pi * x[:3]))


def transform(x, y):
    space = x[:3]
    return initial_data(x) + x[3] * 64.0 * jnp.prod(space * (1.0 - space)) * y


def residual(u, x, engine):
    return d1(u, x, 3) - D * laplacian(u, x, (0, 1, 2), engine)


def dirichlet(u, data, engine):
    return u(data["x"])


def initial(u, data, engine):
    x = data["x"]
    return u(x) - initial_data(x)


SETUP = Setup(
    name="heat3d",
    lower=(0.0, 0.0, 0.0, 0.0),
    upper=(1.0, 1.0, 1.0, 1.0),
    out_dim=1,
    hidden=(32, 32, 32),
    activation="tanh",
    residual=residual,
    conditions={"dirichlet": dirichlet, "initial": initial},
    weights={"pde": 1.0, "dirichlet": 1.0, "initial": 1.0},
    lr=1e-2,
    adam_steps=1000,
    lbfgs_steps=1500,
    n_interior=2000,
    n_boundary=256,
    transform=transform,
)
