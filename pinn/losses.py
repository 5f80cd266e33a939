r"""Named loss terms: the mean squared residual of the PDE and of every condition.

For a term with pointwise residual r_i at its n points,

.. math::  L = \frac{1}{n} \sum_i \lVert r_i \rVert_2^2,

and the training loss is :math:`\sum_k w_k L_k` over the terms (``"pde"`` first,
then the conditions by name).

Causal training (Wang, Sankaran & Perdikaris 2022, "Respecting causality is all you
need for training physics-informed neural networks"): with ``causal_chunks = M > 0``
the PDE term of a time-dependent problem splits its points into M equal slices of the
time interval, slice i holding the mean squared residual :math:`L_i`, and becomes

.. math::  L_{pde} = \frac{1}{M} \sum_{i=1}^{M} w_i L_i, \qquad
           w_i = \exp\Big(-\varepsilon \sum_{k<i} L_k\Big)

with the weights held constant under differentiation (``stop_gradient``): a slice
counts fully only once every earlier slice is solved, so the solution is learnt
forwards in time from the initial data, as the equation propagates it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np

from pinn.chunked import chunked_mean_square, squares
from pinn.operators import derivative_engine
from pinn.problem import PDE_TERM, Problem


def _mean_square(r: jax.Array) -> jax.Array:
    return jnp.mean(squares(r))


def time_chunks(t: jax.Array, t0: float, t1: float, chunks: int) -> jax.Array:
    """Index (0 .. chunks - 1) of the equal slice of [t0, t1] holding each time in ``t``."""
    index = jnp.floor((t - t0) / (t1 - t0) * chunks).astype(jnp.int32)
    return jnp.clip(index, 0, chunks - 1)


def chunk_losses(point_losses: jax.Array, index: jax.Array, chunks: int) -> jax.Array:
    """Mean of ``point_losses`` over the points of each chunk, shape (chunks,); 0 for an empty chunk."""
    sums = jax.ops.segment_sum(point_losses, index, num_segments=chunks)
    counts = jax.ops.segment_sum(jnp.ones_like(point_losses), index, num_segments=chunks)
    return sums / jnp.maximum(counts, 1)


def causal_weights(losses: jax.Array, epsilon: float) -> jax.Array:
    """w_i = exp(-epsilon * sum_{k<i} L_k) for chunk losses ``losses`` (in time order), held
    constant under differentiation."""
    before = jnp.cumsum(losses) - losses
    return jax.lax.stop_gradient(jnp.exp(-epsilon * before))


def causal_mean_square(r: jax.Array, t: jax.Array, t0: float, t1: float, chunks: int, epsilon: float) -> jax.Array:
    """The causally weighted residual loss (1/M) sum_i w_i L_i of residuals ``r`` at times ``t``."""
    losses = chunk_losses(squares(r), time_chunks(t, t0, t1, chunks), chunks)
    return jnp.mean(causal_weights(losses, epsilon) * losses)


def _no_learned(params):
    return None


def make_loss_terms(
    problem: Problem,
    apply: Callable,
    derivatives: str = "hessian",
    causal_chunks: int = 0,
    causal_epsilon: float = 1.0,
    chunk_size: int = 0,
    learned: Callable | None = None,
) -> Callable:
    """``terms(params, batch) -> {name: scalar}`` for ``problem`` and network ``apply``.

    ``apply(params, x)`` is the field at one point. ``derivatives`` names the engine
    every operator in the residual uses (:func:`pinn.derivative_engine`).
    ``learned(params) -> {name: value}`` gives the learned problem parameters' current
    values (``None``: the problem's own values). ``causal_chunks > 0`` weights the PDE
    term causally in time (see the module docstring); it needs a time-dependent
    problem. ``chunk_size > 0`` differentiates the PDE term over chunks of that many
    points (:mod:`pinn.chunked`: same numbers, a working set that fits a CPU's
    caches); not with causal weighting.
    """
    learned = learned or _no_learned
    if chunk_size and causal_chunks:
        raise ValueError(
            f"chunk_size = {chunk_size} and causal_chunks = {causal_chunks}: causal weights need every "
            f"point's residual at once; use one of them"
        )
    if causal_chunks:
        if not problem.time_dependent:
            raise ValueError(
                f"causal_chunks = {causal_chunks} needs a time-dependent problem (space * TimeInterval); "
                f"problem {problem.name!r} has coordinates {problem.coordinates}"
            )
        lower, upper = problem.domain.bounds
        t0, t1 = float(np.asarray(lower)[-1]), float(np.asarray(upper)[-1])
    term_residuals = make_term_residuals(problem, apply, derivatives, learned)

    def pde_loss(r, x):
        if not causal_chunks:
            return _mean_square(r)
        return causal_mean_square(r, x[:, -1], t0, t1, causal_chunks, causal_epsilon)

    def pde_residual(params, x):
        with derivative_engine(derivatives):
            return problem.residual_at(lambda y: apply(params, y), x, learned(params))

    def terms(params, batch):
        if chunk_size:
            out = {PDE_TERM: chunked_mean_square(pde_residual, params, batch[PDE_TERM]["x"], chunk_size)}
            residuals = term_residuals(params, batch, include_pde=False)
        else:
            residuals = term_residuals(params, batch)
            out = {PDE_TERM: pde_loss(residuals.pop(PDE_TERM), batch[PDE_TERM]["x"])}
        out.update({name: _mean_square(r) for name, r in residuals.items()})
        return out

    return terms


def make_term_residuals(problem: Problem, apply: Callable, derivatives: str = "hessian", learned: Callable | None = None):
    """``residuals(params, batch) -> {name: (n, ...)}``: every term's pointwise residuals."""
    learned = learned or _no_learned
    conditions = problem.named_conditions

    def residuals(params, batch, include_pde=True):
        def u(x):
            return apply(params, x)

        out = {}
        with derivative_engine(derivatives):
            if include_pde:
                values = learned(params)
                out[PDE_TERM] = jax.vmap(lambda x: problem.residual_at(u, x, values))(batch[PDE_TERM]["x"])
            for name, condition in conditions.items():
                out[name] = jax.vmap(lambda data, c=condition: c.residual(u, data))(batch[name])
        return out

    return residuals


def make_residual_jacobian(problem: Problem, apply: Callable, derivatives: str = "hessian", learned: Callable | None = None):
    """``J(params, batch, weights)``: the Jacobian of :func:`make_residual_vector`'s vector
    with respect to ``ravel_pytree(params)``, one reverse pass per point
    (:func:`pinn.gauss_newton.pointwise_jacobian`): far cheaper than differentiating the
    stacked vector, whose every tangent would travel through the whole batch."""
    from pinn.gauss_newton import pointwise_jacobian

    learned = learned or _no_learned
    conditions = problem.named_conditions

    def pde_at(params, x):
        with derivative_engine(derivatives):
            return problem.residual_at(lambda y: apply(params, y), x, learned(params))

    def condition_at(condition):
        def at(params, data):
            with derivative_engine(derivatives):
                return condition.residual(lambda y: apply(params, y), data)

        return at

    def jacobian(params, batch, weights):
        blocks = [jnp.sqrt(weights[PDE_TERM] / batch[PDE_TERM]["x"].shape[0]) * pointwise_jacobian(pde_at, params, batch[PDE_TERM]["x"])]
        for name, condition in conditions.items():
            n = jax.tree.leaves(batch[name])[0].shape[0]
            blocks.append(jnp.sqrt(weights[name] / n) * pointwise_jacobian(condition_at(condition), params, batch[name]))
        return jnp.concatenate(blocks)

    return jacobian


def make_residual_vector(problem: Problem, apply: Callable, derivatives: str = "hessian", learned: Callable | None = None):
    r"""``r(params, batch, weights)``: all terms' residuals stacked into one vector with

    .. math::  r = \big[\sqrt{w_k / n_k}\; r_{k,i}\big]_{k, i},\qquad \sum r^2 = \sum_k w_k L_k,

    the loss of :func:`make_loss_terms` (without causal weighting or chunks): what a
    Gauss-Newton or Levenberg-Marquardt phase linearises.
    """
    term_residuals = make_term_residuals(problem, apply, derivatives, learned)

    def vector(params, batch, weights):
        parts = []
        for name, r in term_residuals(params, batch).items():
            n = r.shape[0]
            parts.append(jnp.sqrt(weights[name] / n) * r.reshape(-1))
        return jnp.concatenate(parts)

    return vector


def term_weights(problem: Problem, overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """Weight of every term: 1 for the PDE, each condition's own, then ``overrides``."""
    weights = {PDE_TERM: 1.0, **{name: c.weight for name, c in problem.named_conditions.items()}}
    for name, value in (overrides or {}).items():
        if name not in weights:
            raise ValueError(f"unknown loss term {name!r} in weights; the terms are: {', '.join(weights)}")
        value = float(value)
        if not (value >= 0 and jnp.isfinite(value)):
            raise ValueError(f"weight of {name!r} must be finite and non-negative, got {value}")
        weights[name] = value
    return weights


def weighted_total(terms: Mapping[str, jax.Array], weights: Mapping[str, float]) -> jax.Array:
    return sum(weights[name] * value for name, value in terms.items())
