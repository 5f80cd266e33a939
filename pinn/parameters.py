r"""Learned problem parameters: a coefficient of the PDE trained with the network.

A physical parameter given as a number is a constant of the problem; given as a
:class:`Parameter` it becomes trainable (an inverse problem)::

    problem = pinn.Problem(domain, heat, conditions, params={"kappa": pinn.Parameter(1.0, positive=True)})
    result = pinn.solve(problem, model, ...)
    result.learned["kappa"]

The optimizer works on an unconstrained raw value :math:`\rho`; the residual sees

==============================  =========================================================
``Parameter(v)``                 :math:`\theta = \rho`
``Parameter(v, positive=True)``  :math:`\theta = e^{\rho}` (always positive; steps are relative)
``Parameter(v, bounds=(a, b))``  :math:`\theta = a + (b - a)\,\sigma(\rho)` (always inside (a, b))
==============================  =========================================================

so a constraint never needs a projection step and every optimizer (Adam, L-BFGS,
Gauss-Newton) can be used unchanged.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import jax
import jax.numpy as jnp
import numpy as np


def _finite_number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


@dataclasses.dataclass(frozen=True)
class Parameter:
    """A problem parameter learned with the network, starting at ``value``.

    Args:
        value: the starting value.
        positive: keep the value positive (trained as its logarithm).
        bounds: ``(lower, upper)``: keep the value strictly between them.
        true_value: the value it should reach, when known (synthetic data): the run
            then reports its relative error.
    """

    value: float
    positive: bool = False
    bounds: tuple[float, float] | None = None
    true_value: float | None = None

    def __post_init__(self):
        value = _finite_number("Parameter value", self.value)
        if not isinstance(self.positive, bool):
            raise ValueError(f"Parameter positive must be True or False, got {self.positive!r}")
        if self.positive and self.bounds is not None:
            raise ValueError("a Parameter takes positive=True or bounds=(lower, upper), not both")
        if self.positive and not value > 0:
            raise ValueError(f"a positive Parameter must start above 0, got {value!r}")
        if self.bounds is not None:
            try:
                lower, upper = self.bounds
            except (TypeError, ValueError):
                raise ValueError(f"Parameter bounds must be a pair (lower, upper), got {self.bounds!r}") from None
            lower, upper = _finite_number("Parameter lower bound", lower), _finite_number("Parameter upper bound", upper)
            if not lower < value < upper:
                raise ValueError(f"Parameter value {value!r} must lie strictly inside its bounds ({lower!r}, {upper!r})")
            object.__setattr__(self, "bounds", (lower, upper))
        if self.true_value is not None:
            object.__setattr__(self, "true_value", _finite_number("Parameter true_value", self.true_value))
        object.__setattr__(self, "value", value)

    def raw(self, value: float | None = None) -> float:
        """The unconstrained value the optimizer sees for ``value`` (default: the start)."""
        value = self.value if value is None else value
        if self.positive:
            return math.log(value)
        if self.bounds is not None:
            lower, upper = self.bounds
            p = (value - lower) / (upper - lower)
            return math.log(p / (1.0 - p))
        return value

    def constrained(self, raw: jax.Array) -> jax.Array:
        """The parameter's value for the raw (optimised) value ``raw``."""
        if self.positive:
            return jnp.exp(raw)
        if self.bounds is not None:
            lower, upper = self.bounds
            return lower + (upper - lower) * jax.nn.sigmoid(raw)
        return raw

    def describe(self) -> str:
        if self.positive:
            return "positive"
        if self.bounds is not None:
            return f"in ({self.bounds[0]:g}, {self.bounds[1]:g})"
        return "free"


def initial_raw(learned: Mapping[str, Parameter], dtype) -> dict[str, jax.Array]:
    """The raw starting values of the learned parameters, as arrays of ``dtype``."""
    return {name: jnp.asarray(p.raw(), dtype=dtype) for name, p in learned.items()}


def constrained_values(learned: Mapping[str, Parameter], raw: Mapping[str, jax.Array]) -> dict[str, jax.Array]:
    """Name -> value of every learned parameter from the raw values ``raw``."""
    return {name: p.constrained(raw[name]) for name, p in learned.items()}
