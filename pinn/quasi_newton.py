r"""Self-scaled BFGS (SSBFGS): a dense quasi-Newton method with a Wolfe line search.

The method keeps a dense approximation :math:`H_k` of the inverse Hessian of the loss
:math:`f(\theta)` over the flat parameters :math:`\theta \in \mathbb{R}^n` and steps along
:math:`d_k = -H_k g_k` (:math:`g_k = \nabla f(\theta_k)`) with a step length
:math:`\alpha_k` that satisfies the strong Wolfe conditions. With
:math:`s_k = \alpha_k d_k`, :math:`y_k = g_{k+1} - g_k` and

.. math::  b_k = \frac{-\alpha_k\, s_k^\top g_k}{s_k^\top y_k} = \frac{s_k^\top B_k s_k}{s_k^\top y_k}, \qquad
           h_k = \frac{y_k^\top H_k y_k}{s_k^\top y_k}, \qquad
           v_k = \sqrt{y_k^\top H_k y_k}\,\Big(\frac{s_k}{s_k^\top y_k} - \frac{H_k y_k}{y_k^\top H_k y_k}\Big),

the self-scaled BFGS update (Al-Baali 1998, "Numerical experience with a class of
self-scaling quasi-Newton algorithms"; as used for PINNs by Urbán, Stefanou & Pons
2025, "Unveiling the optimization process of physics informed neural networks: how
accurate and competitive can PINNs be?", and Kiyani et al. 2025) is

.. math::  H_{k+1} = \frac{1}{\tau_k}\Big(H_k - \frac{H_k y_k y_k^\top H_k}{y_k^\top H_k y_k}
                     + v_k v_k^\top\Big) + \frac{s_k s_k^\top}{s_k^\top y_k},
           \qquad \tau_k = \begin{cases} h_k & \text{first update (} H_0 = I \text{)} \\
                                          \min(1, 1/b_k) & \text{later updates} \end{cases}

(:math:`\tau_k = 1` is plain BFGS). It satisfies the secant equation
:math:`H_{k+1} y_k = s_k` and stays symmetric positive definite whenever
:math:`s_k^\top y_k > 0` and :math:`\tau_k > 0`; the first update rescales the
identity to the curvature seen along the first step, and later ones shrink the
Hessian approximation :math:`B = H^{-1}` by :math:`\tau_k` when it over-estimates the
curvature along :math:`s_k` (:math:`b_k > 1`).

Safeguards: the update is skipped when the curvature condition :math:`s_k^\top y_k > 0`
fails (or holds only to rounding, :math:`s^\top y \le \varepsilon \lVert s\rVert\lVert y\rVert`)
or its result is not finite. A step is accepted when the line search finds a finite
loss and gradient no larger than the current loss; otherwise the parameters stay
bit-identical and :math:`H` restarts from the identity (the search along
:math:`-H g` found no decrease, so :math:`H` is not trusted).

Cost and size: :math:`H` is a dense :math:`n \times n` matrix and each step costs
:math:`O(n^2)`, fine up to a few thousand parameters (5000 float64 parameters hold
200 MB); :meth:`SelfScaledBFGS.init` raises a ValueError above ``max_params``. Each
step evaluates the loss and gradient at the current parameters once more (so the loss
may change between calls, e.g. resampled points) plus once per line-search trial.

Why hand-written, and why optax's line search. ``optimistix.BFGS`` has ``init``/``step``
but no self-scaling (its update is fixed plain BFGS), a backtracking Armijo search
without the curvature condition, and a lagged ``step`` (each call judges the point the
previous call proposed); it would add equinox, lineax and jaxtyping. optax ships no
dense BFGS, but its zoom line search (:func:`optax.scale_by_zoom_linesearch`, Nocedal &
Wright algorithms 3.5-3.6) enforces the strong Wolfe conditions, and the curvature
condition :math:`|g_{k+1}^\top d_k| \le c_2 |g_k^\top d_k|` is what guarantees
:math:`s_k^\top y_k > 0`, hence a positive definite update: it is used here as is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax.flatten_util import ravel_pytree


class SSBFGSState(NamedTuple):
    """Self-scaled BFGS state (arrays only): the inverse Hessian approximation
    ``inverse_hessian`` (n, n) and the number of updates made since it was last the
    identity, ``updates`` (the first update uses the initial scaling)."""

    inverse_hessian: jax.Array
    updates: jax.Array


def self_scaled_bfgs_update(
    H: jax.Array, s: jax.Array, y: jax.Array, grad: jax.Array, step_size: jax.Array, first: jax.Array,
    self_scaling: bool = True,
) -> tuple[jax.Array, jax.Array]:
    r"""The (self-scaled) BFGS update of the inverse Hessian approximation ``H``.

    ``s`` = step taken, ``y`` = change of gradient, ``grad`` = the gradient :math:`g_k`
    where the step started, ``step_size`` = :math:`\alpha_k`, ``first``: whether this is
    the first update since :math:`H = I`. Returns ``(H_new, updated)``; ``H_new`` is
    ``H`` itself where the curvature condition fails or the result is not finite.
    """
    sy = jnp.vdot(s, y)
    Hy = H @ y
    yHy = jnp.vdot(y, Hy)
    curvature = sy > jnp.finfo(H.dtype).eps * jnp.linalg.norm(s) * jnp.linalg.norm(y)
    if self_scaling:
        b = -step_size * jnp.vdot(s, grad) / sy
        later = jnp.where((b > 0) & jnp.isfinite(b), jnp.minimum(1.0, 1.0 / b), 1.0)
        tau = jnp.where(first, yHy / sy, later)
    else:
        tau = jnp.ones((), H.dtype)
    v = jnp.sqrt(yHy) * (s / sy - Hy / yHy)
    H_new = (H - jnp.outer(Hy, Hy) / yHy + jnp.outer(v, v)) / tau + jnp.outer(s, s) / sy
    # Rounding makes the outer products slightly asymmetric; symmetrise so the drift
    # cannot accumulate over thousands of updates.
    H_new = 0.5 * (H_new + H_new.T)
    updated = curvature & (tau > 0) & jnp.all(jnp.isfinite(H_new))
    return jnp.where(updated, H_new, H), updated


@dataclasses.dataclass(frozen=True)
class SelfScaledBFGS:
    """Self-scaled BFGS with a strong-Wolfe (zoom) line search; see the module docstring.

    ``max_params``: the largest parameter count (H is dense n × n). ``max_linesearch_steps``:
    trial points per line search. ``slope_rtol`` (c1) and ``curvature_rtol`` (c2), with
    0 < c1 < c2 < 1: the sufficient-decrease and curvature constants of the Wolfe
    conditions. ``self_scaling=False`` gives plain BFGS (τ = 1).
    """

    max_params: int = 5000
    max_linesearch_steps: int = 30
    slope_rtol: float = 1e-4
    curvature_rtol: float = 0.9
    self_scaling: bool = True

    def __post_init__(self):
        for name in ("max_params", "max_linesearch_steps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer; got {value!r}")
        if not 0.0 < self.slope_rtol < self.curvature_rtol < 1.0:
            raise ValueError(
                f"Wolfe constants must satisfy 0 < slope_rtol < curvature_rtol < 1; got slope_rtol = "
                f"{self.slope_rtol!r}, curvature_rtol = {self.curvature_rtol!r}"
            )

    def _flat(self, params) -> tuple[jax.Array, Callable]:
        flat, unravel = ravel_pytree(params)
        if flat.size == 0:
            raise ValueError("params has no parameters (an empty pytree); SelfScaledBFGS needs at least one")
        if not jnp.issubdtype(flat.dtype, jnp.floating):
            raise ValueError(f"params must be floating-point arrays; got dtype {flat.dtype}")
        if flat.size > self.max_params:
            raise ValueError(
                f"{flat.size} parameters exceed max_params = {self.max_params}: the dense inverse Hessian "
                f"would hold {flat.size}² entries; raise max_params or use L-BFGS / LevenbergMarquardt"
            )
        return flat, unravel

    def init(self, params) -> SSBFGSState:
        """The state before the first step: H = I in the parameters' dtype."""
        flat, _ = self._flat(params)
        return SSBFGSState(
            inverse_hessian=jnp.eye(flat.size, dtype=flat.dtype),
            updates=jnp.zeros((), dtype=jnp.int32),
        )

    def step(self, loss: Callable, params, state: SSBFGSState) -> tuple[object, SSBFGSState, dict[str, jax.Array]]:
        """One quasi-Newton iteration; traceable under ``jax.jit``.

        Returns the new parameters (bit-identical to ``params`` when the step is
        rejected), the new state and ``info`` = {"loss": the loss before the step,
        "step_size": the line-search step length :math:`\\alpha` (0 when rejected),
        "accepted": 1.0 or 0.0}.
        """
        flat, unravel = self._flat(params)
        dtype = flat.dtype

        def f(x):
            return loss(unravel(x))

        shape = jax.eval_shape(f, flat).shape
        if shape != ():
            raise ValueError(f"loss(params) must return a scalar; got shape {shape}")
        value, grad = jax.value_and_grad(f)(flat)
        identity = jnp.eye(flat.size, dtype=dtype)
        H = state.inverse_hessian
        direction = -H @ grad
        # H is positive definite by construction; this restart only guards against an
        # H spoilt by rounding (a non-descent or non-finite direction).
        usable = (jnp.vdot(direction, grad) < 0) & jnp.all(jnp.isfinite(direction))
        H = jnp.where(usable, H, identity)
        updates = jnp.where(usable, state.updates, 0)
        direction = jnp.where(usable, direction, -grad)

        search = optax.scale_by_zoom_linesearch(
            max_linesearch_steps=self.max_linesearch_steps,
            slope_rtol=self.slope_rtol,
            curv_rtol=self.curvature_rtol,
            # A quasi-Newton direction has the natural step length 1.
            initial_guess_strategy="one",
        )
        step, search_state = search.update(direction, search.init(flat), flat, value=value, grad=grad, value_fn=f)
        step_size = search_state.learning_rate
        new_value, new_grad = search_state.value, search_state.grad
        accepted = (
            (step_size > 0)
            & jnp.isfinite(value)
            & jnp.isfinite(new_value)
            & jnp.all(jnp.isfinite(new_grad))
            & jnp.all(jnp.isfinite(step))
            & (new_value <= value)
        )

        H_new, updated = self_scaled_bfgs_update(
            H, step, new_grad - grad, grad, step_size, updates == 0, self.self_scaling
        )
        new_state = SSBFGSState(
            inverse_hessian=jnp.where(accepted, H_new, identity),
            updates=jnp.where(accepted, updates + updated.astype(jnp.int32), 0).astype(jnp.int32),
        )
        trial = unravel(flat + step)
        new_params = jax.tree.map(lambda new, old: jnp.where(accepted, new, old), trial, params)
        info = {
            "loss": value,
            "step_size": jnp.where(accepted, step_size, 0.0).astype(value.dtype),
            "accepted": accepted.astype(value.dtype),
        }
        return new_params, new_state, info
