r"""The mean squared residual over many points, differentiated chunk by chunk.

The gradient of

.. math::  L(\theta) = \frac{1}{n} \sum_{i=1}^{n} \lVert r(\theta, x_i) \rVert_2^2

is a sum over points, so it can be accumulated over chunks of points. Reverse mode
over all n points at once keeps every point's intermediate values (for a PINN: the
network and its second derivatives) alive until the backward pass: on a CPU that working
set leaves the caches beyond a few thousand points and the cost per point grows 2-4x
(measured in ``benchmarks/speed.md``). Chunk by chunk, each backward pass reuses a
working set that fits, and the cost stays linear in the number of points.

:func:`chunked_mean_square` returns the same value as the plain mean; under
``jax.grad`` (and so inside Adam and L-BFGS steps) its gradient is accumulated over
chunks with ``lax.scan``. Same numbers to rounding; on a GPU, where one large batch
keeps the device busy, leave chunking off.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import jax
import jax.numpy as jnp


def squares(r: jax.Array) -> jax.Array:
    """Squared norm of each point's residual: (n,) from residuals of shape (n, ...)."""
    return jnp.sum(r.reshape(r.shape[0], -1) ** 2, axis=-1)


def _padded(points: jax.Array, chunk_size: int) -> tuple[jax.Array, jax.Array]:
    """Points padded (with copies of the first) to whole chunks, shape (k, chunk, d), and
    the mask that gives the padding weight 0."""
    n = points.shape[0]
    pad = -n % chunk_size
    mask = jnp.concatenate([jnp.ones(n, points.dtype), jnp.zeros(pad, points.dtype)])
    padded = jnp.concatenate([points, jnp.broadcast_to(points[:1], (pad, *points.shape[1:]))])
    k = (n + pad) // chunk_size
    return padded.reshape(k, chunk_size, *points.shape[1:]), mask.reshape(k, chunk_size)


@functools.partial(jax.custom_vjp, nondiff_argnums=(0, 3))
def chunked_mean_square(residual: Callable, params, points: jax.Array, chunk_size: int) -> jax.Array:
    """Mean over ``points`` of ``|residual(params, x)|^2``; its gradient in ``params`` is
    accumulated over chunks of ``chunk_size`` points (see the module docstring).

    ``residual(params, x)`` acts on one point and returns a scalar or a vector.
    ``points`` gets a zero gradient: collocation points are data, not parameters.
    """
    return jnp.mean(squares(jax.vmap(residual, in_axes=(None, 0))(params, points)))


def _forward(residual, params, points, chunk_size):
    chunks, masks = _padded(points, chunk_size)

    def chunk_sum(p, xs, mask):
        return jnp.sum(mask * squares(jax.vmap(residual, in_axes=(None, 0))(p, xs)))

    def accumulate(carry, chunk):
        total, grads = carry
        value, g = jax.value_and_grad(chunk_sum)(params, *chunk)
        return (total + value, jax.tree.map(jnp.add, grads, g)), None

    zero = jnp.zeros((), points.dtype)
    (total, grads), _ = jax.lax.scan(accumulate, (zero, jax.tree.map(jnp.zeros_like, params)), (chunks, masks))
    n = points.shape[0]
    return total / n, (jax.tree.map(lambda g: g / n, grads), points)


def _backward(residual, chunk_size, saved, cotangent):
    grads, points = saved
    return jax.tree.map(lambda g: cotangent * g, grads), jnp.zeros_like(points)


chunked_mean_square.defvjp(_forward, _backward)
