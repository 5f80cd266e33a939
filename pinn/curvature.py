"""Curvature fidelity: can this network represent the second derivatives the PDE needs?

A ReLU network is piecewise linear, so its Hessian is exactly zero almost everywhere:
every u_xx, Laplacian or div sigma(u) in a residual evaluates to zero whatever the
weights. Training such a network on a second-order PDE fails for a structural
reason, which :func:`warn_if_curvature_blind` says before training starts.
"""

from __future__ import annotations

import warnings

from pinn.activations import Activation, get_activation


class CurvatureWarning(UserWarning):
    """A C0 (piecewise linear) network is asked to satisfy a second-order PDE."""


def warn_if_curvature_blind(problem, activation: str | Activation) -> bool:
    """Warn (once per call) when ``activation`` is C0 and the residual has second derivatives.

    The order comes from probing the residual (:meth:`pinn.Problem.residual_order`),
    never from the problem's name. Returns True when it warned.
    """
    act = get_activation(activation)
    if act.smoothness != "C0":
        return False
    order = problem.residual_order()
    if order < 2:
        return False
    warnings.warn(
        f"activation {act.name!r} is piecewise linear (C0): the network's second derivatives are zero "
        f"almost everywhere, so the second-order terms of problem {problem.name!r}'s residual vanish whatever "
        f"the weights and the PINN cannot fit the PDE. Training goes on as a baseline; use a smooth "
        f"activation (tanh, swish, gelu, sin, softplus, mish) to solve it.",
        CurvatureWarning,
        stacklevel=3,
    )
    return True
