r"""Errors against the exact or reference solution.

The relative L2 error of a prediction u over points x_i is

.. math::  e = \lVert u - u_{ref} \rVert_2 / \lVert u_{ref} \rVert_2,

computed over all fields together and for each field alone.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np


def relative_l2(prediction, reference) -> tuple[jax.Array, jax.Array]:
    """(overall, per field) relative L2 errors of ``prediction`` (n, m) against ``reference`` (n, m)."""
    diff = prediction - reference
    overall = jnp.linalg.norm(diff) / jnp.linalg.norm(reference)
    per_field = jnp.linalg.norm(diff, axis=0) / jnp.linalg.norm(reference, axis=0)
    return overall, per_field


def batched_predict(apply: Callable, params, points, chunk: int = 65536) -> jax.Array:
    """``apply`` at every row of ``points``, shape (n, m), in chunks to bound memory."""
    f = jax.jit(jax.vmap(apply, in_axes=(None, 0)))
    parts = [f(params, points[i : i + chunk]) for i in range(0, len(points), chunk)]
    out = jnp.concatenate(parts) if len(parts) > 1 else parts[0]
    return out.reshape(len(points), -1)


def error_report(prediction, reference, fields) -> dict:
    """Relative L2 errors as plain floats: ``{"rel_l2": e, "rel_l2_per_field": {field: e}}``."""
    overall, per_field = relative_l2(jnp.asarray(prediction), jnp.asarray(reference))
    return {
        "rel_l2": float(overall),
        "rel_l2_per_field": {name: float(v) for name, v in zip(fields, np.asarray(per_field))},
    }
