r"""Plane linear elasticity by hand, shared by the three elasticity problems.

.. math::  \varepsilon = (\nabla u + \nabla u^T)/2, \quad
           \sigma = \lambda\, \mathrm{tr}(\varepsilon) I + 2\mu\varepsilon, \quad
           \nabla\cdot\sigma = \mu \Delta u + (\lambda + \mu) \nabla(\nabla\cdot u).

Stresses from ``jax.jacfwd`` (2 x 2); div σ from ``jax.hessian`` of the displacement
(2 x 2 x 2) or from three nested-jvp pairs (u_xx, u_xy, u_yy, each a 2-vector).
"""

import jax
import jax.numpy as jnp

from .common import check_engine, d2


def plane_strain_lame(E, nu):
    return E * nu / ((1 + nu) * (1 - 2 * nu)), E / (2 * (1 + nu))


def plane_stress_lame(E, nu):
    return E * nu / (1 - nu**2), E / (2 * (1 + nu))


def stress_tensor(u, x, lam, mu):
    J = jax.jacfwd(u)(x)
    eps = 0.5 * (J + J.T)
    return lam * jnp.trace(eps) * jnp.eye(2, dtype=eps.dtype) + 2 * mu * eps


def div_stress(u, x, lam, mu, engine):
    if check_engine(engine) == "hessian":
        H = jax.hessian(u)(x)  # H[i, j, k] = d2 u_i / dx_j dx_k
        uxx, uxy, uyy = H[:, 0, 0], H[:, 0, 1], H[:, 1, 1]
    else:
        uxx, uxy, uyy = d2(u, x, 0, 0), d2(u, x, 0, 1), d2(u, x, 1, 1)
    lap = uxx + uyy
    grad_div = jnp.stack([uxx[0] + uxy[1], uxy[0] + uyy[1]])
    return mu * lap + (lam + mu) * grad_div
