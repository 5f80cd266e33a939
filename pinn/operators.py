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
taylor          tuple of order + 1 ()       tuple of order + 1 (m,)
==============  ==========================  ===============================

Second derivatives come from ``jax.hessian`` (the reference engine). A field handed to
a residual by the trainer is a :class:`Field` that also names a derivative engine
(``pinn.solve(..., derivatives=...)``); every engine gives the same numbers to rounding:

============  ==========================================================================
engine        how second derivatives are computed
============  ==========================================================================
``hessian``   ``jax.hessian`` (forward over reverse): the default and the reference
``forward``   one forward pass that carries value, gradient and the needed second-order
              channels through every operation (:mod:`pinn.engines`): a "forward
              Laplacian" for :func:`laplacian`, a forward Hessian for :func:`hessian`;
              the fastest training step on a CPU
``jvp``       nested ``jax.jvp`` along the coordinate axes, unrolled
``auto``      per operator and device, from measurements (benchmarks/speed.md):
              ``forward`` everywhere except the Hessian of a vector field on a GPU,
              where ``jax.hessian`` was faster
============  ==========================================================================

:func:`partial` and :func:`taylor` always use nested ``jax.jvp`` (exactly the derivatives they name) and
first derivatives always use forward mode. Plain Python functions use ``jax.hessian``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp

from pinn import engines

DERIVATIVE_ENGINES: tuple[str, ...] = ("hessian", "forward", "jvp", "auto")


def check_engine(derivatives: str) -> str:
    """``derivatives`` itself if it names an engine; a ValueError listing the engines otherwise."""
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


def _axis(k: int, x) -> int:
    """Coordinate index ``k`` of point ``x`` (negative counts from the end), checked."""
    if not -x.shape[0] <= k < x.shape[0]:
        raise ValueError(f"coordinate index {k} out of range for a point with {x.shape[0]} coordinates")
    return k % x.shape[0]


def _directional(u, k):
    """x -> du/dx_k, by one forward-mode product."""
    return lambda y: jax.jvp(u, (y,), (_basis(y, k),))[1]


def grad(u) -> Callable:
    """Gradient of a scalar field (d,); for a vector field, its Jacobian (m, d)."""
    return jacobian(u)


def jacobian(u) -> Callable:
    """J[i, j] = du_i/dx_j, shape (m, d); (d,) for a scalar field. Forward mode."""
    return jax.jacfwd(u)


def _resolve(u, operator: str, vector_field: bool) -> str:
    """The engine ``u`` asks for, with ``auto`` resolved for this operator and device."""
    name = _engine(u)
    if name != "auto":
        return name
    # Measured (benchmarks/speed.md, issue 7): on a GPU jax.hessian wins for the full
    # Hessian of a vector field; the forward engine wins everywhere else.
    if operator == "hessian" and vector_field and jax.default_backend() == "gpu":
        return "hessian"
    return "forward"


def hessian(u) -> Callable:
    """All second derivatives: (d, d) for a scalar field, (m, d, d) for a vector one."""

    def H(x):
        engine = _engine(u)
        if engine == "auto":
            engine = _resolve(u, "hessian", jax.eval_shape(u, x).ndim > 0)
        if engine == "forward":
            d = x.shape[0]
            _, _, S = engines.second_order(u, x, engines.hessian_channels(d))
            return engines.hessian_from_channels(S, d)
        if engine == "jvp":
            return _nested_hessian(u, x)
        return jax.hessian(u)(x)

    return H


def _nested_hessian(u, x):
    d = x.shape[0]
    entries = {}
    for j in range(d):
        du_j = _directional(u, j)
        for k in range(j, d):
            entries[j, k] = entries[k, j] = jax.jvp(du_j, (x,), (_basis(x, k),))[1]
    return jnp.stack([jnp.stack([entries[j, k] for k in range(d)], axis=-1) for j in range(d)], axis=-2)


def laplacian(u) -> Callable:
    """Sum of the pure second derivatives: () for a scalar field, (m,) per component."""

    def lap(x):
        engine = _resolve(u, "laplacian", False)
        if engine == "forward":
            return engines.second_order(u, x, (engines.laplacian_channel(range(x.shape[0])),))[2][0]
        if engine == "jvp":
            return sum(jax.jvp(_directional(u, k), (x,), (_basis(x, k),))[1] for k in range(x.shape[0]))
        return jnp.trace(jax.hessian(u)(x), axis1=-2, axis2=-1)

    return lap


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
            f = _directional(f, _axis(k, x))
        return f(x)

    return derivative


def taylor(u, index: int, order: int = 2) -> Callable:
    """The field and its first ``order`` derivatives along one coordinate, together.

    ``taylor(u, 0)(x)`` returns ``(u, u_x, u_xx)`` at ``x``: one nested forward-mode pass
    along coordinate ``index`` carries the value and every derivative up to ``order``,
    where separate calls ``u(x)``, ``partial(u, 0)(x)``, ``partial(u, 0, 0)(x)`` each run
    the network again (measured on burgers: the training step 1.1-1.2x faster). Negative
    indices count from the end.
    """
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(f"taylor order must be a positive integer, got {order!r}")

    def coefficients(x):
        direction = _basis(x, _axis(index, x))

        def up_to(n, y):
            if n == 0:
                return (u(y),)
            lower, tangents = jax.jvp(lambda z: up_to(n - 1, z), (y,), (direction,))
            return (*lower, tangents[-1])

        return up_to(order, x)

    return coefficients
