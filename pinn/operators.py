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

Second derivatives come from ``jax.hessian`` (the reference engine) unless a
*derivative engine* is chosen for a block of code with :func:`derivative_engine`;
:func:`pinn.solve` chooses one for the whole residual (``derivatives=...``). The
operators read the engine when they are traced, so a residual never names it and
every engine gives the same numbers to rounding:

============  ==========================================================================
``hessian``   ``jax.hessian`` (forward over reverse): the default and the reference
``forward``   one forward pass that carries value, gradient and the needed second-order
              channels through every operation (:mod:`pinn.engines`): a "forward
              Laplacian" for :func:`laplacian`, a forward Hessian for :func:`hessian`;
              the fastest training step on a CPU
``jvp``       nested ``jax.jvp`` along the coordinate axes, unrolled
``auto``      ``forward`` (the engine measured fastest on this CPU for every bundled
              problem; benchmarks/speed.md)
============  ==========================================================================

:func:`partial` and :func:`taylor` always use nested ``jax.jvp`` (exactly the derivatives
they name) and first derivatives always use forward mode.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator

import jax
import jax.numpy as jnp
import numpy as np

from pinn import engines

DERIVATIVE_ENGINES: tuple[str, ...] = ("hessian", "forward", "jvp", "auto")


def check_engine(derivatives: str) -> str:
    """``derivatives`` itself if it names an engine; a ValueError listing the engines otherwise."""
    if derivatives not in DERIVATIVE_ENGINES:
        raise ValueError(
            f"unknown derivatives engine {derivatives!r}; valid engines: {', '.join(DERIVATIVE_ENGINES)}"
        )
    return derivatives


# The engine of the code being traced. A context variable (like JAX's own
# ``default_matmul_precision``), set by ``derivative_engine`` around a residual: the
# operators read it at trace time, so no field object has to carry it.
_ENGINE: contextvars.ContextVar[str] = contextvars.ContextVar("pinn_derivative_engine", default="hessian")


@contextlib.contextmanager
def derivative_engine(name: str) -> Iterator[str]:
    """Use engine ``name`` for every operator traced inside the ``with`` block::

        with pinn.derivative_engine("forward"):
            lap = jax.jit(jax.vmap(pinn.laplacian(u)))(points)

    The engine is read when an operator is *traced*: a function jitted inside the block
    keeps the engine it was traced with.
    """
    token = _ENGINE.set(check_engine(name))
    try:
        yield name
    finally:
        _ENGINE.reset(token)


def current_engine() -> str:
    """The engine operators traced now use (``"hessian"`` outside any :func:`derivative_engine`)."""
    return _ENGINE.get()


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


def _resolved() -> str:
    """The current engine, with ``auto`` resolved to the engine it stands for."""
    # Measured on this CPU (benchmarks/speed.md): forward is never slower than jax.hessian
    # on the bundled problems. No GPU rule until one is measured (issue 17).
    name = current_engine()
    return "forward" if name == "auto" else name


def hessian(u) -> Callable:
    """All second derivatives: (d, d) for a scalar field, (m, d, d) for a vector one."""

    def H(x):
        engine = _resolved()
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
        engine = _resolved()
        if engine == "forward":
            return engines.second_order(u, x, (engines.laplacian_channel(range(x.shape[0])),))[2][0]
        if engine == "jvp":
            return sum(jax.jvp(_directional(u, k), (x,), (_basis(x, k),))[1] for k in range(x.shape[0]))
        return jnp.trace(jax.hessian(u)(x), axis1=-2, axis2=-1)

    return lap


def contract_hessian(u, coefficients) -> Callable:
    r"""The Hessian contracted with a constant symmetric matrix A (d, d):

    .. math::  \sum_{j,k} A_{jk}\, \frac{\partial^2 u}{\partial x_j \partial x_k}
               = \operatorname{tr}(A\, \nabla^2 u),

    () for a scalar field, (m,) per component. The wave operator
    :math:`u_{tt} - c^2 u_{xx}` is ``contract_hessian(u, diag(-c², 1))``; the Laplacian is
    A = I. With the ``forward`` engine the whole sum is ONE second-order channel pushed
    through the network (cheaper than the full Hessian); A must then be a concrete
    (not traced) array, otherwise the Hessian is contracted.
    """
    try:
        A = np.asarray(coefficients, dtype=np.float64)
    except (TypeError, jax.errors.TracerArrayConversionError):
        A = None

    def contracted(x):
        d = x.shape[0]
        if A is not None and A.shape != (d, d):
            raise ValueError(f"contract_hessian needs a ({d}, {d}) coefficient matrix for {d} coordinates, got shape {A.shape}")
        engine = _resolved()
        if A is not None and engine == "forward":
            sym = (A + A.T) / 2
            channel = tuple((j, k, float(sym[j, k] * (1 if j == k else 2))) for j in range(d) for k in range(j, d) if sym[j, k])
            if not channel:
                return jnp.zeros(jax.eval_shape(u, x).shape, x.dtype)
            return engines.second_order(u, x, (channel,))[2][0]
        matrix = jnp.asarray(coefficients, dtype=x.dtype)
        return jnp.tensordot(hessian(u)(x), matrix, axes=([-2, -1], [0, 1]))

    return contracted


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
