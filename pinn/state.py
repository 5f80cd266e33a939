"""The training state: ONE pytree that holds everything a step changes.

::

    TrainState(params={"net": network parameters, "learned": raw learned problem parameters},
               opt_state=..., weights={term: weight}, step=..., key=..., scale=...)

A phase's step is a pure function ``step(state, batch) -> (state, info)`` jitted once
(:mod:`pinn.train`); everything in the state is an array, so a change of loss weights,
of the step-size scale or of the key never recompiles it, and a checkpoint is this
pytree written to disk (:mod:`pinn.checkpoint`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class TrainState:
    """Parameters, optimizer state, loss weights, step, PRNG key and step-size scale.

    Attributes:
        params: the trainable pytree ``{"net": ..., "learned": {name: raw value}}``.
        opt_state: the current phase's optimizer state.
        weights: loss-term weights ``{term: scalar}`` (adaptive weighting updates them).
        step: steps done in the current phase (int32 scalar).
        key: raw PRNG key data (uint32; ``jax.random.wrap_key_data`` gives the key).
        scale: multiplies gradient-method updates; halved after a non-finite step.
    """

    params: Any
    opt_state: Any
    weights: dict
    step: jax.Array
    key: jax.Array
    scale: jax.Array

    def replace(self, **changes) -> "TrainState":
        return dataclasses.replace(self, **changes)

    @classmethod
    def create(cls, params, opt_state, weights, seed: int, dtype) -> "TrainState":
        return cls(
            params=params,
            opt_state=opt_state,
            weights={name: jnp.asarray(w, dtype=dtype) for name, w in weights.items()},
            step=jnp.asarray(0, dtype=jnp.int32),
            key=jax.random.key_data(jax.random.key(seed)),
            scale=jnp.asarray(1.0, dtype=dtype),
        )
