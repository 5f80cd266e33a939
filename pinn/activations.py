"""Activation functions, each with the smoothness a PINN needs to know about.

A PINN differentiates its network as often as the PDE does. A second-order PDE
(heat, Poisson, elasticity, waves) needs a network whose second derivative exists
and is informative, so every activation here carries its smoothness class:

* ``C0``  -- continuous only. ReLU: the network is piecewise linear and its Hessian
  is zero almost everywhere; kept as the *baseline* that shows the failure.
  Hard-swish is C0 too (its slope jumps at x = +-3), though curved in between.
* ``C1``  -- first derivative continuous, second derivative jumps (ELU with
  alpha = 1).
* ``Cinf`` -- infinitely differentiable (tanh, sin, swish/SiLU, GELU, softplus, mish).

The numbers a user compares (phi(0), phi'(0), max |phi'|) are computed from the
functions themselves by :func:`pinn.curvature.activation_properties`, never typed in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Literal

import jax
import jax.numpy as jnp

Smoothness = Literal["C0", "C1", "Cinf"]
SMOOTHNESS_CLASSES: tuple[str, ...] = ("C0", "C1", "Cinf")


@dataclasses.dataclass(frozen=True)
class Activation:
    """A scalar activation phi and what a PINN needs to know about it.

    Attributes:
        name: registry name.
        fn: ``fn(x)`` or, when ``trainable``, ``fn(x, beta)``; elementwise.
        smoothness: ``"C0"``, ``"C1"`` or ``"Cinf"``.
        description: one line for tables.
        baseline: True only for ReLU, the curvature-failure baseline.
        trainable: True when the network learns a shape parameter beta per layer.
    """

    name: str
    fn: Callable
    smoothness: Smoothness
    description: str
    baseline: bool = False
    trainable: bool = False

    def __post_init__(self):
        if self.smoothness not in SMOOTHNESS_CLASSES:
            raise ValueError(
                f"smoothness {self.smoothness!r} is not one of {SMOOTHNESS_CLASSES}"
            )

    def __call__(self, x, beta=None):
        if self.trainable:
            return self.fn(x, 1.0 if beta is None else beta)
        return self.fn(x)

    @property
    def second_derivative_continuous(self) -> bool:
        return self.smoothness == "Cinf"

    @property
    def phi_prime_zero(self) -> float:
        """phi'(0) computed by autodiff (for ReLU, JAX's convention: 0)."""
        return float(jax.grad(lambda x: self(x))(0.0))


def _hard_swish(x):
    return x * jnp.clip(x + 3.0, 0.0, 6.0) / 6.0


def _mish(x):
    return x * jnp.tanh(jax.nn.softplus(x))


_REGISTRY: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("tanh", jnp.tanh, "Cinf", "hyperbolic tangent, odd, bounded"),
        Activation("sin", jnp.sin, "Cinf", "sine (SIREN-style), periodic"),
        Activation("swish", jax.nn.silu, "Cinf", "swish / SiLU x*sigmoid(x), beta = 1"),
        Activation(
            "swish_trainable",
            lambda x, beta: x * jax.nn.sigmoid(beta * x),
            "Cinf",
            "swish x*sigmoid(beta x) with a learned beta per layer",
            trainable=True,
        ),
        Activation(
            "gelu",
            lambda x: jax.nn.gelu(x, approximate=False),
            "Cinf",
            "Gaussian error linear unit x*Phi(x) (exact erf form)",
        ),
        Activation("softplus", jax.nn.softplus, "Cinf", "log(1 + e^x), a smooth ReLU"),
        Activation("mish", _mish, "Cinf", "x*tanh(softplus(x))"),
        Activation("elu", jax.nn.elu, "C1", "exponential linear unit (alpha = 1): phi'' jumps at 0"),
        Activation(
            "hard_swish",
            _hard_swish,
            "C0",
            "x*relu6(x+3)/6: phi' jumps at 3 (3/2 -> 1) and -3; phi'' = 1/3 between, 0 outside",
        ),
        Activation(
            "relu",
            jax.nn.relu,
            "C0",
            "max(0, x): piecewise linear, zero Hessian -- the failure baseline",
            baseline=True,
        ),
    )
}
_ALIASES = {"silu": "swish"}


def activation_names() -> tuple[str, ...]:
    """Names accepted by :func:`get_activation`, in registry order."""
    return tuple(_REGISTRY)


def get_activation(name: str | Activation) -> Activation:
    """Look an activation up by name (``"silu"`` is an alias of ``"swish"``).

    >>> get_activation("swish").smoothness
    'Cinf'
    """
    if isinstance(name, Activation):
        return name
    key = _ALIASES.get(name, name)
    if key not in _REGISTRY:
        raise ValueError(
            f"unknown activation {name!r}; valid activations: {', '.join(_REGISTRY)}"
        )
    return _REGISTRY[key]
