r"""Loss-term weights that balance the terms by the size of their gradients.

The PDE residual and a boundary condition often differ by orders of magnitude in
scale (a source term of size 2π² against boundary values of size 1), and plain
gradient descent then satisfies the larger term and neglects the other: the PINN
converges to a wrong solution. Gradient-norm weighting (Wang, Wang & Perdikaris,
"An expert's guide to training PINNs", 2023, as in jaxpi) rescales every term so
that all pull with the same strength:

.. math::  \hat w_k = \frac{\sum_j \lVert \nabla_\theta L_j \rVert}{\lVert \nabla_\theta L_k \rVert},
           \qquad w_k \leftarrow \alpha w_k + (1 - \alpha) \hat w_k,

recomputed every ``every`` steps (the norms need one extra backward pass per term).
The state is an explicit dict of arrays in the manner of optax (:func:`init`,
:func:`update`); the weights enter the jitted train step as an argument, so a
change of weights never recompiles it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

import jax
import jax.numpy as jnp
import optax

WEIGHTINGS: tuple[str, ...] = ("fixed", "gradnorm")


@dataclasses.dataclass(frozen=True)
class GradNormWeighting:
    """Gradient-norm balancing: refresh every ``every`` steps with moving average ``momentum``."""

    every: int = 100
    momentum: float = 0.9

    def __post_init__(self):
        if isinstance(self.every, bool) or not isinstance(self.every, int) or self.every <= 0:
            raise ValueError(f"weighting interval must be a positive integer, got {self.every!r}")
        if not 0.0 <= self.momentum < 1.0:
            raise ValueError(f"weighting momentum must be in [0, 1), got {self.momentum!r}")


def init(names) -> dict[str, jax.Array]:
    """Adaptive weights start at 1 for every term."""
    return {name: jnp.asarray(1.0) for name in names}


def term_gradient_norms(terms_fn: Callable, params, batch) -> dict[str, jax.Array]:
    """The norm of the gradient of each loss term with respect to the parameters."""
    grads = jax.jacrev(terms_fn)(params, batch)
    return {name: optax.tree.norm(g) for name, g in grads.items()}


def update(weights: Mapping[str, jax.Array], norms: Mapping[str, jax.Array], momentum: float) -> dict[str, jax.Array]:
    """One refresh of the balancing weights from the current gradient norms."""
    total = sum(norms.values())
    tiny = jnp.finfo(total.dtype).tiny
    return {
        name: momentum * weights[name] + (1.0 - momentum) * total / jnp.maximum(norms[name], tiny)
        for name in weights
    }
