r"""poisson2d by hand: :math:`-\Delta u = 2\pi^2 A \sin \pi x \sin \pi y` on [0, 1]^2, u = 0 on the boundary.

Engines: ``hessian``: the trace of ``jax.hessian``; ``jvp``: u_xx + u_yy by two
nested-jvp pairs. Network 32-32-32 tanh, float64; the boundary term weighs 100;
Adam 1e-2 over 2000 steps (exponential decay to 1e-3), then L-BFGS.
"""

import jax.numpy as jnp

from .common import Setup, laplacian

AMPLITUDE = 1.0


def residual(u, x, engine):
    source = 2 * jnp.pi**2 * AMPLITUDE * jnp.sin(jnp.pi * x[0]) * jnp.sin(jnp.pi * x[1])
    return -laplacian(u, x, (0, 1), engine) - source


def dirichlet(u, data, engine):
    return u(data["x"])


SETUP = Setup(
    name="poisson2d",
    lower=(0.0, 0.0),
    upper=(1.0, 1.0),
    out_dim=1,
    hidden=(32, 32, 32),
    activation="tanh",
    residual=residual,
    conditions={"dirichlet": dirichlet},
    weights={"pde": 1.0, "dirichlet": 100.0},
    lr=1e-2,
    adam_steps=2000,
    lbfgs_steps=3000,
    n_interior=2000,
    n_boundary=256,
)
