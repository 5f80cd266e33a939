r"""Errors against the exact or reference solution.

The relative L2 error of a prediction u over points x_i is

.. math::  e = \lVert u - u_{ref} \rVert_2 / \lVert u_{ref} \rVert_2,

computed over all fields together and for each field alone.

A field defined only up to an additive constant (the pressure of incompressible flow
with no pinned value) is compared with the means removed from both,

.. math::  e = \lVert (u - \bar u) - (u_{ref} - \bar u_{ref}) \rVert_2
               / \lVert u_{ref} - \bar u_{ref} \rVert_2,

so a solution right but for a constant scores 0, whatever constant the reference
itself carries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np


def relative_l2(prediction, reference) -> tuple[jax.Array, jax.Array]:
    """(overall, per field) relative L2 errors of ``prediction`` (n, m) against ``reference`` (n, m)."""
    diff = prediction - reference
    overall = jnp.linalg.norm(diff) / jnp.linalg.norm(reference)
    per_field = jnp.linalg.norm(diff, axis=0) / jnp.linalg.norm(reference, axis=0)
    return overall, per_field


def predictor(apply: Callable) -> Callable:
    """``apply`` over rows of points, jitted: ``f(params, points) -> values``; keep it to
    predict again without compiling again."""
    return jax.jit(jax.vmap(apply, in_axes=(None, 0)))


def batched_predict(apply: Callable, params, points, chunk: int = 65536, predict: Callable | None = None) -> jax.Array:
    """``apply`` at every row of ``points``, shape (n, m), in chunks to bound memory;
    ``predict`` (from :func:`predictor`) reuses a compiled prediction."""
    f = predictor(apply) if predict is None else predict
    parts = [f(params, points[i : i + chunk]) for i in range(0, len(points), chunk)]
    out = jnp.concatenate(parts) if len(parts) > 1 else parts[0]
    return out.reshape(len(points), -1)


def remove_constants(prediction, reference, fields: Sequence[str], up_to_constant: Sequence[str] = ()):
    """``(prediction, reference)`` as float64 arrays (n, m), with the columns of the fields
    named in ``up_to_constant`` centred (their means removed); the others as they are."""
    fields = tuple(fields)
    names = (up_to_constant,) if isinstance(up_to_constant, str) else tuple(up_to_constant)
    unknown = [name for name in names if name not in fields]
    if unknown:
        raise ValueError(f"up_to_constant names {unknown[0]!r}, which is not a field; fields: {', '.join(fields)}")
    prediction = np.array(prediction, dtype=np.float64).reshape(len(prediction), -1)
    reference = np.array(reference, dtype=np.float64).reshape(len(reference), -1)
    for j, name in enumerate(fields):
        if name in names:
            prediction[:, j] -= prediction[:, j].mean()
            reference[:, j] -= reference[:, j].mean()
    return prediction, reference


def error_report(prediction, reference, fields, up_to_constant: Sequence[str] = ()) -> dict:
    """Relative L2 errors as plain floats (computed in float64):
    ``{"rel_l2": e, "rel_l2_per_field": {field: e}}``.

    Fields named in ``up_to_constant`` (e.g. ``problem.up_to_constant``) are compared
    with their means removed from prediction and reference (:func:`remove_constants`),
    in the per-field and the overall error alike.
    """
    prediction, reference = remove_constants(prediction, reference, fields, up_to_constant)
    diff = prediction - reference
    overall = np.linalg.norm(diff) / np.linalg.norm(reference)
    per_field = np.linalg.norm(diff, axis=0) / np.linalg.norm(reference, axis=0)
    return {
        "rel_l2": float(overall),
        "rel_l2_per_field": {name: float(v) for name, v in zip(fields, np.asarray(per_field))},
    }
