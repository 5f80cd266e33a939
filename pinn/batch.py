"""Collocation batches: the points every loss term is evaluated at.

A batch is a plain dict (a pytree) ``{term name: {"x": (n, d), ...}}`` built on the
host from quasi-random points and moved to the device once per (re)sampling; its
shapes never change during a run, so the train step compiles once.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from pinn.problem import PDE_TERM, Problem
from pinn.sampling import check_sampler


def term_seed(seed: int, *path: int) -> int:
    """An independent 32-bit seed for one term at one resampling, derived from ``seed``."""
    return int(np.random.SeedSequence([seed, *path]).generate_state(1)[0])


def sample_batch(
    problem: Problem,
    n_interior: int,
    n_boundary: int,
    sampler: str = "sobol",
    seed: int = 0,
    round_: int = 0,
) -> dict[str, dict[str, np.ndarray]]:
    """Points for the residual (``n_interior``) and for each condition (``n_boundary``
    each, unless the condition sets its own ``n``); ``round_`` numbers resamplings.

    The problem's ``extra_points`` (if any) follow the ``n_interior`` sampled points of
    the residual in every batch, so its shape is the same at every resampling."""
    check_sampler(sampler)
    interior = problem.domain.sample_interior(n_interior, sampler, term_seed(seed, round_, 0))
    if problem.extra_points is not None:
        interior = np.concatenate([interior, problem.extra_points])
    batch = {PDE_TERM: {"x": interior}}
    for i, (name, condition) in enumerate(problem.named_conditions.items(), start=1):
        n = condition.n or n_boundary
        batch[name] = condition.sample(problem.domain, n, sampler, term_seed(seed, round_, i))
    return batch


def to_device(batch, dtype) -> dict:
    return {term: {k: jnp.asarray(v, dtype=dtype) for k, v in data.items()} for term, data in batch.items()}
