r"""heat_disk by hand: :math:`u_t = D \Delta u` on the unit disk x [0, 1], D = 0.1, u = 0 on
r = 1, :math:`u(x, y, 0) = J_0(k r)` with k the first zero of J_0.

J_0(k r) is the power series :math:`\sum_m (-q)^m / (m!)^2` in :math:`q = k^2 r^2 / 4`
(24 terms, Horner), smooth at the centre. u_t by one jvp; the spatial Laplacian by
``jax.hessian`` of u(., ., t) or two nested-jvp pairs. Network 32-32-32 tanh, float64;
unit weights; Adam 3e-3 over 2000 steps.
"""

from .common import Setup, d1, laplacian

D = 0.1
K = 2.404825557695773  # first zero of J0


def j0_series(q):
    total = 1.0
    for m in range(24, 0, -1):
        total = 1.0 - q / (m * m) * total
    return total


def residual(u, x, engine):
    return d1(u, x, 2) - D * laplacian(u, x, (0, 1), engine)


def dirichlet(u, data, engine):
    return u(data["x"])


def initial(u, data, engine):
    x = data["x"]
    return u(x) - j0_series(K**2 * (x[0] ** 2 + x[1] ** 2) / 4.0)


SETUP = Setup(
    name="heat_disk",
    lower=(-1.0, -1.0, 0.0),
    upper=(1.0, 1.0, 1.0),
    out_dim=1,
    hidden=(32, 32, 32),
    activation="tanh",
    residual=residual,
    conditions={"dirichlet": dirichlet, "initial": initial},
    weights={"pde": 1.0, "dirichlet": 1.0, "initial": 1.0},
    lr=3e-3,
    adam_steps=2000,
    lbfgs_steps=2000,
    n_interior=2000,
    n_boundary=256,
)
