r"""Named loss terms: the mean squared residual of the PDE and of every condition.

For a term with pointwise residual r_i at its n points,

.. math::  L = \frac{1}{n} \sum_i \lVert r_i \rVert_2^2,

and the training loss is :math:`\sum_k w_k L_k` over the terms (``"pde"`` first,
then the conditions by name).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import jax
import jax.numpy as jnp

from pinn.operators import Field
from pinn.problem import PDE_TERM, Problem


def _mean_square(r: jax.Array) -> jax.Array:
    return jnp.mean(jnp.sum(r.reshape(r.shape[0], -1) ** 2, axis=-1))


def make_loss_terms(problem: Problem, apply: Callable, derivatives: str = "hessian") -> Callable:
    """``terms(params, batch) -> {name: scalar}`` for ``problem`` and network ``apply``."""
    conditions = problem.named_conditions

    def terms(params, batch):
        u = Field(lambda x: apply(params, x), derivatives)
        out = {PDE_TERM: _mean_square(jax.vmap(lambda x: problem.residual_at(u, x))(batch[PDE_TERM]["x"]))}
        for name, condition in conditions.items():
            out[name] = _mean_square(jax.vmap(lambda data, c=condition: c.residual(u, data))(batch[name]))
        return out

    return terms


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
