r"""Heat equation on the unit disk with the first radial Bessel mode.

.. math::  u_t = D\, \Delta u, \qquad |x| \le 1,\ t \in [0, 1],

with :math:`u = 0` on :math:`r = 1` and :math:`u(x, y, 0) = J_0(k r)`, where
:math:`r = \sqrt{x^2 + y^2}` and :math:`k \approx 2.404825557695773` is the first zero of
:math:`J_0` (so the initial state vanishes on the rim).

Parameters: ``D`` the diffusivity (default 0.1).
Exact solution (separation of variables, :math:`\Delta J_0(kr) = -k^2 J_0(kr)`):
:math:`u = e^{-D k^2 t} J_0(k r)`. :math:`J_0` is the power series below, accurate to
about 1e-16 for :math:`0 \le z \le 3` (tested against ``scipy.special.j0``).
Inputs ``(x, y, t)``; output field ``u``.
"""

import jax.numpy as jnp

import pinn
from problems.heat1d import laplacian_in_space
from problems.registry import ProblemSpec, register

#: First positive zero of the Bessel function J0 (``scipy.special.jn_zeros(0, 1)``).
J0_FIRST_ZERO = 2.404825557695773

_SERIES_TERMS = 24


def j0_of_quarter_square(q):
    r"""J0 as a function of :math:`q = z^2/4`: :math:`\sum_m (-q)^m / (m!)^2`.

    Written in :math:`q` so that :math:`J_0(k r)` is a polynomial in :math:`x^2 + y^2`:
    smooth at the centre of the disk, where :math:`r` itself is not differentiable.
    Horner's scheme; 24 terms leave a truncation error below 1e-30 for :math:`q \le 2.25`
    (:math:`z \le 3`); the alternating sum loses accuracy beyond a few units of :math:`z`.
    """
    total = jnp.ones_like(q)
    for m in range(_SERIES_TERMS, 0, -1):
        total = 1.0 - q / (m * m) * total
    return total


def bessel_j0(z):
    """The Bessel function J0(z) for |z| up to about 3 (see :func:`j0_of_quarter_square`)."""
    return j0_of_quarter_square(jnp.square(z) / 4.0)


def build(D: float = 0.1) -> pinn.Problem:
    """The disk heat problem with diffusivity ``D`` (see the module docstring)."""
    k = J0_FIRST_ZERO
    domain = pinn.Disk() * pinn.TimeInterval(0.0, 1.0)

    def initial(x):
        return j0_of_quarter_square(k**2 * (x[0] ** 2 + x[1] ** 2) / 4.0)

    def exact(x):
        return jnp.exp(-D * k**2 * x[2]) * initial(x)

    def residual(u, x, D):
        return pinn.partial(u, -1)(x) - D * laplacian_in_space(u, x)

    return pinn.Problem(
        domain=domain,
        residual=residual,
        conditions=[pinn.Dirichlet(on=domain.boundary, value=0.0), pinn.Initial(value=initial)],
        params={"D": D},
        exact=exact,
        fields=("u",),
        name="heat_disk",
        description=f"u_t = D Δu, D = {D:g}, unit disk x [0,1]; u = 0 on r = 1; u(·,0) = J0(k r), J0(k) = 0",
    )


SPEC = register(
    ProblemSpec(
        name="heat_disk",
        build=build,
        summary="u_t = 0.1 Δu on the unit disk x [0,1], u = 0 on r = 1, u(·,0) = J0(k r)",
        target=1e-3,
        model={"hidden": (32, 32, 32), "activation": "tanh", "dtype": "float64"},
        train={"steps": 2000, "lbfgs_steps": 2000, "lr": 3e-3, "n_interior": 2000, "n_boundary": 256, "derivatives": "forward"},
    )
)
