r"""Pointwise differential operators.

Each operator takes a function ``u`` of ONE point ``x`` in R^d (a scalar field, or a
vector field with values in R^m) and returns a new function of ``x``, so operators
compose and a residual reads like its equation::

    def heat(u, x, a):                      # u_t - a u_xx
        du = pinn.grad(u)(x)
        H = pinn.hessian(u)(x)
        return du[1] - a * H[0, 0]

Shapes (``m`` fields, ``d`` coordinates; a scalar field has no field axis):

==============  ==========================  ===============================
operator        scalar u                    vector u
==============  ==========================  ===============================
grad            (d,)                        (m, d)  (same as jacobian)
jacobian        (d,)                        (m, d)
hessian         (d, d)                      (m, d, d): H[i, j, k] = d2 u_i / dx_j dx_k
laplacian       ()                          (m,)
divergence      --                          ()      (needs m = d)
partial         ()                          (m,)
==============  ==========================  ===============================

Second derivatives come from ``jax.hessian`` (the reference engine). A field handed to
a residual by the trainer is a :class:`Field` that also names a derivative engine;
with ``derivatives="forward"`` the same operators use nested forward-mode products
(``jax.jvp`` of ``jax.jvp`` along coordinate directions, unrolled), which give the same
numbers and train several times faster on a CPU. Plain Python functions always use
``jax.hessian``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp

DERIVATIVE_ENGINES: tuple[str, ...] = ("hessian", "forward")


def check_engine(derivatives: str) -> str:
    if derivatives not in DERIVATIVE_ENGINES:
        raise ValueError(
            f"unknown derivatives engine {derivatives!r}; valid engines: {', '.join(DERIVATIVE_ENGINES)}"
        )
    return derivatives


@dataclasses.dataclass(frozen=True)
class Field:
    """A pointwise function together with the engine its second derivatives use."""

    fn: Callable[[jax.Array], jax.Array]
    derivatives: str = "hessian"

    def __post_init__(self):
        check_engine(self.derivatives)

    def __call__(self, x):
        return self.fn(x)


def _engine(u) -> str:
    return getattr(u, "derivatives", "hessian")


def _basis(x, k):
    return jnp.zeros_like(x).at[k].set(1.0)


def _directional(u, k):
    """x -> du/dx_k, by one forward-mode product."""
    return lambda y: jax.jvp(u, (y,), (_basis(y, k),))[1]


def grad(u) -> Callable:
    """Gradient of a scalar field (d,); for a vector field, its Jacobian (m, d)."""
    return jacobian(u)


def jacobian(u) -> Callable:
    """J[i, j] = du_i/dx_j, shape (m, d); (d,) for a scalar field. Forward mode."""
    return jax.jacfwd(u)


def hessian(u) -> Callable:
    """All second derivatives: (d, d) for a scalar field, (m, d, d) for a vector one."""
    if _engine(u) == "forward":
        return lambda x: _forward_hessian(u, x)
    return jax.hessian(u)


def _forward_hessian(u, x):
    d = x.shape[0]
    entries = {}
    for j in range(d):
        du_j = _directional(u, j)
        for k in range(j, d):
            entries[j, k] = entries[k, j] = jax.jvp(du_j, (x,), (_basis(x, k),))[1]
    H = jnp.stack([jnp.stack([entries[j, k] for k in range(d)], axis=-1) for j in range(d)], axis=-2)
    return H


def laplacian(u) -> Callable:
    """Sum of the pure second derivatives: () for a scalar field, (m,) per component."""
    if _engine(u) == "forward":

        def lap(x):
            return sum(jax.jvp(_directional(u, k), (x,), (_basis(x, k),))[1] for k in range(x.shape[0]))

        return lap
    return lambda x: jnp.trace(jax.hessian(u)(x), axis1=-2, axis2=-1)


def divergence(v) -> Callable:
    """div v = sum_i dv_i/dx_i for a vector field v: R^d -> R^d."""

    def div(x):
        J = jacobian(v)(x)
        if J.shape != (x.shape[0], x.shape[0]):
            raise ValueError(
                f"divergence needs a vector field with as many components as coordinates "
                f"({x.shape[0]}); its Jacobian has shape {J.shape}"
            )
        return jnp.trace(J)

    return div


def partial(u, *indices: int) -> Callable:
    """A single partial derivative by coordinate index: ``partial(u, 0, 0)`` is u_xx.

    Computed by nested forward-mode products, one per index, so it is exact and as
    cheap as the derivative it names. Negative indices count from the end
    (``partial(u, -1)`` is the time derivative of a space-time field).
    """
    if not indices:
        raise ValueError("partial needs at least one coordinate index, e.g. partial(u, 0)")

    def derivative(x):
        f = u
        for k in indices:
            if not -x.shape[0] <= k < x.shape[0]:
                raise ValueError(f"coordinate index {k} out of range for a point with {x.shape[0]} coordinates")
            f = _directional(f, k % x.shape[0])
        return f(x)

    return derivative
