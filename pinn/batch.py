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


def _share(n: int, shard) -> int:
    """Points one process draws of a term of ``n`` (``shard = (index, count)``): n / count, rounded up."""
    return n if shard is None else -(-n // shard[1])


def _seed(seed: int, round_: int, term: int, shard) -> int:
    return term_seed(seed, round_, term) if shard is None else term_seed(seed, round_, term, shard[0])


def sample_conditions(
    problem: Problem, n_boundary: int, sampler: str = "sobol", seed: int = 0, round_: int = 0, shard=None
) -> dict[str, dict[str, np.ndarray]]:
    """The condition terms of :func:`sample_batch` alone."""
    batch = {}
    for i, (name, condition) in enumerate(problem.named_conditions.items(), start=1):
        n = condition.n or n_boundary
        batch[name] = condition.sample(problem.domain, _share(n, shard), sampler, _seed(seed, round_, i, shard))
    return batch


def sample_batch(
    problem: Problem,
    n_interior: int,
    n_boundary: int,
    sampler: str = "sobol",
    seed: int = 0,
    round_: int = 0,
    shard: tuple[int, int] | None = None,
) -> dict[str, dict[str, np.ndarray]]:
    """Points for the residual (``n_interior``) and for each condition (``n_boundary``
    each, unless the condition sets its own ``n``); ``round_`` numbers resamplings.

    The problem's ``extra_points`` (if any) follow the ``n_interior`` sampled points of
    the residual in every batch, so its shape is the same at every resampling.

    ``shard = (index, count)``: the share of process ``index`` of ``count`` that each
    draws on its own (``TrainConfig.sample_per_process``): every term's count divided by
    ``count`` (rounded up), seeds that also depend on ``index``; fixed points (measured
    data, ``extra_points``) are every process's, so their weight in the mean is unchanged."""
    check_sampler(sampler)
    if shard is not None and not (0 <= shard[0] < shard[1]):
        raise ValueError(f"shard index {shard[0]} is out of range for {shard[1]} shards; valid: 0 to {shard[1] - 1}")
    interior = problem.domain.sample_interior(_share(n_interior, shard), sampler, _seed(seed, round_, 0, shard))
    if problem.extra_points is not None:
        interior = np.concatenate([interior, problem.extra_points])
    return {PDE_TERM: {"x": interior}, **sample_conditions(problem, n_boundary, sampler, seed, round_, shard)}


def to_host(batch, dtype) -> dict:
    """The batch as host arrays of ``dtype`` (the values :func:`to_device` puts on the device)."""
    return {term: {k: np.asarray(v, dtype=dtype) for k, v in data.items()} for term, data in batch.items()}


def to_device(batch, dtype) -> dict:
    return {term: {k: jnp.asarray(v, dtype=dtype) for k, v in data.items()} for term, data in batch.items()}
