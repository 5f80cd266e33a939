"""Point sets in the unit cube [0, 1)^d: uniform random and quasi-random.

Quasi-random sequences come from ``scipy.stats.qmc`` (scrambled, so every seed gives
a different but equally even set). Domains map these unit points onto themselves.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.stats import qmc

SAMPLERS: tuple[str, ...] = ("uniform", "sobol", "halton", "lhs")


def check_sampler(name: str) -> str:
    if name not in SAMPLERS:
        raise ValueError(f"unknown sampler {name!r}; valid samplers: {', '.join(SAMPLERS)}")
    return name


def unit_points(n: int, dim: int, sampler: str = "sobol", seed: int = 0) -> np.ndarray:
    """``n`` points in [0, 1)^dim drawn by ``sampler`` with ``seed``; float64, shape (n, dim)."""
    check_sampler(sampler)
    if n < 0:
        raise ValueError(f"number of points must be non-negative, got {n}")
    if dim == 0:
        return np.zeros((n, 0))
    rng = np.random.default_rng(seed)
    if sampler == "uniform":
        return rng.random((n, dim))
    if sampler == "sobol":
        engine = qmc.Sobol(dim, scramble=True, seed=rng)
        with warnings.catch_warnings():
            # Sobol' points balance best at powers of two; any n is still well spread.
            warnings.simplefilter("ignore", UserWarning)
            return engine.random(n)
    if sampler == "halton":
        return qmc.Halton(dim, scramble=True, seed=rng).random(n)
    return qmc.LatinHypercube(dim, seed=rng).random(n)
