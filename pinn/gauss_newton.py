r"""Levenberg-Marquardt: damped Gauss-Newton steps on a least-squares loss.

The loss is the sum of squares of one residual vector :math:`r(\theta) \in \mathbb{R}^m`
of the flat parameters :math:`\theta \in \mathbb{R}^n`,

.. math::  L(\theta) = \lVert r(\theta) \rVert_2^2 ,

(every weighted loss term :math:`w_k \frac{1}{n_k}\sum_i r_{k,i}^2` enters as the
residuals :math:`\sqrt{w_k / n_k}\, r_{k,i}`). One :meth:`LevenbergMarquardt.step`
linearises :math:`r(\theta + \delta) \approx r + J\delta` (:math:`J = \partial r / \partial\theta`,
from ``jax.jacfwd`` when :math:`n \le m`, else ``jax.jacrev``, or handed in: for
residuals that are one network evaluation per point, :func:`pointwise_jacobian` is
far cheaper) and minimises the model
:math:`\lVert r + J\delta \rVert^2 + \mu\, \delta^\top D \delta`:

.. math::  (J^\top J + \mu D)\, \delta = -J^\top r ,

with :math:`D = I` or, with ``scaling="marquardt"``, :math:`D = \mathrm{diag}(J^\top J)`.
Up to ``dense_limit`` parameters the system is formed and solved by Cholesky
factorisation (with fewer residuals than parameters, :math:`m < n`, as the equivalent
:math:`m \times m` system :math:`\delta = -D^{-1}J^\top (J D^{-1} J^\top + \mu I)^{-1} r`);
above it :math:`J^\top J v` is applied matrix-free (one ``jvp`` and one ``vjp``)
inside conjugate gradients, so :math:`J` is never stored. The trial point is
judged by the gain ratio of the actual to the predicted reduction,

.. math::  \rho = \frac{L(\theta) - L(\theta + \delta)}{L(\theta) - \lVert r + J\delta \rVert^2}
                = \frac{L(\theta) - L(\theta + \delta)}{-2\delta^\top J^\top r - \lVert J\delta \rVert^2} ,

(the second form has no cancellation of two nearly equal losses and holds for an
inexact CG solution too): the step is taken when :math:`\rho >` ``min_gain_ratio``,
and the damping follows Nielsen's rule (Nielsen 1999; Madsen, Nielsen & Tingleff,
"Methods for non-linear least squares problems", 2004, eq. 3.16):

.. math::  \text{accepted: } \mu \leftarrow \mu \max\big(\beta, 1 - (2\rho - 1)^3\big),\ \nu \leftarrow \gamma;
           \qquad \text{rejected: } \mu \leftarrow \nu\mu,\ \nu \leftarrow \gamma\nu ,

with :math:`\gamma` = ``increase`` (2) and :math:`\beta` = ``decrease`` (1/3), clipped to
[``min_damping``, ``max_damping``]. A Cholesky factor, step or trial loss that is not
finite, or a predicted reduction that is not positive (a singular system, a zero
gradient) counts as a rejected step: the parameters stay exactly as they were and
:math:`\mu` grows, so no NaN reaches the parameters.

Relation to the energy natural gradient. For a linear PDE operator :math:`\mathcal{L}`
and residuals :math:`r_i = \sqrt{w/n}\,(\mathcal{L}u_\theta(x_i) - f(x_i))` (and likewise
for the boundary terms), :math:`\partial_{\theta_j} r_i = \sqrt{w/n}\,\mathcal{L}\,\partial_{\theta_j} u_\theta(x_i)`,
so :math:`J^\top J` *is* the energy Gramian
:math:`G_{jk} = \sum_i \mathcal{L}\partial_j u(x_i)\,\mathcal{L}\partial_k u(x_i)` of
Müller & Zeinhofer ("Achieving high accuracy with PINNs via energy natural gradient
descent", 2023), and as :math:`\mu \to 0` the step :math:`\delta = -(J^\top J)^{-1} J^\top r
= -\tfrac12 G^{-1}\nabla L` is the energy natural gradient (Gauss-Newton) step with
unit step length; the damping replaces their line search by a trust region.

Why hand-written. ``optimistix.LevenbergMarquardt`` has an ``init``/``step`` API, but
its ``step`` is lagged: each call evaluates the point the *previous* call proposed and
only then accepts or rejects it, so the loss, damping and acceptance of one call refer
to different iterations, and the state carries a linearisation of the residual
function. Its damping is a trust-region radius (``ClassicalTrustRegion``), not a carried
:math:`\mu` with Nielsen's rule, and it has no diag(:math:`J^\top J`) scaling or
dense/matrix-free switch by parameter count; it would also add equinox, lineax and
jaxtyping as dependencies. optax has no Gauss-Newton or Levenberg-Marquardt transform.
The numerics here are ``jnp.linalg.cholesky`` and ``jax.scipy.sparse.linalg.cg``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

SCALINGS: tuple[str, ...] = ("identity", "marquardt")


class LMState(NamedTuple):
    """Levenberg-Marquardt state carried between steps (arrays only).

    ``damping`` is the :math:`\\mu` the next step uses; ``nu`` is Nielsen's growth
    factor for the next rejection (``increase`` after an accepted step, multiplied by
    ``increase`` after each rejection).
    """

    damping: jax.Array
    nu: jax.Array


def _flat_params(params) -> tuple[jax.Array, Callable]:
    flat, unravel = ravel_pytree(params)
    if flat.size == 0:
        raise ValueError("params has no parameters (an empty pytree); LevenbergMarquardt needs at least one")
    if not jnp.issubdtype(flat.dtype, jnp.floating):
        raise ValueError(f"params must be floating-point arrays; got dtype {flat.dtype}")
    return flat, unravel


def _with_value(f: Callable) -> Callable:
    """``f`` returning its value twice, so a ``has_aux`` Jacobian also hands back r(θ)."""

    def both(x):
        value = f(x)
        return value, value

    return both


def pointwise_jacobian(residual: Callable, params, points) -> jax.Array:
    r"""The Jacobian of ``vmap(residual, in_axes=(None, 0))(params, points).reshape(-1)``.

    ``residual(params, x)`` is the residual at one point (a scalar or an array of a few
    components); ``points`` is an array or pytree with the points along axis 0. Returns
    J of shape (points × components, n), columns in ``ravel_pytree(params)`` order.

    One reverse pass per point (``vmap`` of ``jax.jacrev``) costs :math:`O(mn)` in all,
    where ``jax.jacfwd`` of the stacked vector costs :math:`O(mn^2)` (every tangent
    travels through the whole batch): measured on a 2-20-20-20-1 tanh network (n = 921)
    at 2000 points, 0.033 s against 2.9 s of CPU time.
    """

    def one(x):
        size = math.prod(jax.eval_shape(residual, params, x).shape)
        rows = jax.tree.leaves(jax.jacrev(residual)(params, x))
        return jnp.concatenate([leaf.reshape(size, -1) for leaf in rows], axis=1)

    J = jax.vmap(one)(points)
    return J.reshape(-1, J.shape[-1])


@dataclasses.dataclass(frozen=True)
class LevenbergMarquardt:
    """Levenberg-Marquardt on ``sum(residuals(params) ** 2)``; see the module docstring.

    ``damping``: the initial :math:`\\mu`. ``increase`` (> 1) / ``decrease`` (in (0, 1)):
    Nielsen's growth factor for rejected steps and the smallest reduction factor for
    very good steps. ``dense_limit``: the largest parameter count solved densely
    (Cholesky); above it, ``cg_iterations`` conjugate-gradient iterations to the
    relative residual ``cg_tolerance``. ``scaling``: ``"identity"`` (D = I) or
    ``"marquardt"`` (D = diag(JᵀJ), dense path only). ``min_gain_ratio``: the
    smallest gain ratio of an accepted step. ``jacobian_chunk``: on the dense path,
    compute that many columns (forward mode) or rows (reverse mode) of J at a time
    (``jax.lax.map`` with ``batch_size``), bounding the tangents held at once; 0
    computes all of them in one ``vmap``. The dense path holds J (m × n) and a
    min(m, n)² system; the matrix-free path holds neither.
    """

    damping: float = 1e-3
    increase: float = 2.0
    decrease: float = 1.0 / 3.0
    min_damping: float = 1e-12
    max_damping: float = 1e10
    dense_limit: int = 3000
    cg_iterations: int = 100
    cg_tolerance: float = 1e-8
    scaling: str = "identity"
    min_gain_ratio: float = 1e-4
    jacobian_chunk: int = 0

    def __post_init__(self):
        if not (0.0 < self.min_damping < self.max_damping):
            raise ValueError(
                f"damping bounds must satisfy 0 < min_damping < max_damping; got min_damping = "
                f"{self.min_damping!r}, max_damping = {self.max_damping!r}"
            )
        if not (self.min_damping <= self.damping <= self.max_damping):
            raise ValueError(
                f"damping = {self.damping!r} is outside [min_damping, max_damping] = "
                f"[{self.min_damping!r}, {self.max_damping!r}]"
            )
        if not self.increase > 1.0:
            raise ValueError(f"increase = {self.increase!r} must be > 1 (the damping factor of a rejected step)")
        if not 0.0 < self.decrease < 1.0:
            raise ValueError(f"decrease = {self.decrease!r} must be in (0, 1) (the damping factor of a very good step)")
        for name in ("dense_limit", "cg_iterations", "jacobian_chunk"):
            value = getattr(self, name)
            lowest = 1 if name == "cg_iterations" else 0
            if isinstance(value, bool) or not isinstance(value, int) or value < lowest:
                raise ValueError(f"{name} must be an integer >= {lowest}; got {value!r}")
        if not self.cg_tolerance > 0.0:
            raise ValueError(f"cg_tolerance = {self.cg_tolerance!r} must be > 0")
        if self.scaling not in SCALINGS:
            raise ValueError(f"unknown scaling {self.scaling!r}; valid scalings: {', '.join(SCALINGS)}")
        if not 0.0 <= self.min_gain_ratio < 1.0:
            raise ValueError(f"min_gain_ratio = {self.min_gain_ratio!r} must be in [0, 1)")

    def _check_path(self, n: int) -> None:
        if self.scaling == "marquardt" and n > self.dense_limit:
            # diag(JᵀJ) needs every column of J, which the matrix-free path never forms.
            raise ValueError(
                f"scaling='marquardt' needs the dense path, but {n} parameters exceed dense_limit = "
                f"{self.dense_limit}; use scaling='identity' or raise dense_limit"
            )

    def _jacobian(self, r_flat: Callable, flat: jax.Array, n: int, m: int) -> tuple[jax.Array, jax.Array]:
        """J (m, n) and r at ``flat``: n jvps (forward) when n <= m, else m vjps (reverse),
        all at once or ``jacobian_chunk`` at a time."""
        forward = n <= m
        if not self.jacobian_chunk:
            jacobian = jax.jacfwd if forward else jax.jacrev
            return jacobian(_with_value(r_flat), has_aux=True)(flat)
        dtype = flat.dtype
        if forward:
            r, jvp = jax.linearize(r_flat, flat)
            columns = jax.lax.map(
                lambda i: jvp(jax.nn.one_hot(i, n, dtype=dtype)), jnp.arange(n), batch_size=self.jacobian_chunk
            )
            return columns.T, r
        r, vjp = jax.vjp(r_flat, flat)
        rows = jax.lax.map(
            lambda i: vjp(jax.nn.one_hot(i, m, dtype=r.dtype))[0], jnp.arange(m), batch_size=self.jacobian_chunk
        )
        return rows, r

    def init(self, params) -> LMState:
        """The state before the first step: the initial damping, in the parameters' dtype."""
        flat, _ = _flat_params(params)
        self._check_path(flat.size)
        return LMState(
            damping=jnp.asarray(self.damping, dtype=flat.dtype),
            nu=jnp.asarray(self.increase, dtype=flat.dtype),
        )

    def step(
        self, residuals: Callable, params, state: LMState, jacobian: Callable | None = None
    ) -> tuple[object, LMState, dict[str, jax.Array]]:
        """One Levenberg-Marquardt iteration; traceable under ``jax.jit``.

        ``jacobian(params) -> J`` (optional, dense path only): the (m, n) Jacobian of
        ``residuals`` with columns in ``ravel_pytree(params)`` order, e.g. stacked from
        :func:`pointwise_jacobian`; without it J comes from ``jax.jacfwd``/``jax.jacrev``
        of the whole residual vector.

        Returns the new parameters (bit-identical to ``params`` when the step is
        rejected), the new state and ``info`` = {"loss": the loss before the step,
        "damping": the :math:`\\mu` used, "accepted": 1.0 or 0.0, "gain_ratio":
        :math:`\\rho` (0 when the trial was not finite or predicted no reduction)}.
        """
        flat, unravel = _flat_params(params)

        def r_flat(x):
            return residuals(unravel(x))

        shape = jax.eval_shape(r_flat, flat).shape
        if len(shape) != 1:
            raise ValueError(f"residuals(params) must return a 1-D array; got shape {shape}")
        n, m = flat.size, shape[0]
        self._check_path(n)
        dtype = flat.dtype
        mu = jnp.clip(state.damping, self.min_damping, self.max_damping).astype(dtype)

        if n <= self.dense_limit:
            if jacobian is None:
                J, r = self._jacobian(r_flat, flat, n, m)
            else:
                J, r = jacobian(params), r_flat(flat)
                if J.shape != (m, n):
                    raise ValueError(
                        f"jacobian(params) must have shape (residuals, parameters) = {(m, n)}; got {J.shape}"
                    )
            g = J.T @ r
            if self.scaling == "marquardt":
                d = jnp.sum(J**2, axis=0)
                # A parameter the residuals ignore has a zero column; the floor keeps D
                # positive so the system stays definite and that parameter's step is 0.
                d = jnp.maximum(d, jnp.finfo(dtype).eps * jnp.max(d))
            else:
                d = jnp.ones_like(flat)
            if n <= m:
                factor = jnp.linalg.cholesky(J.T @ J + mu * jnp.diag(d))
                delta = -jax.scipy.linalg.cho_solve((factor, True), g)
            else:
                # Fewer residuals than parameters: the same step from an m × m system,
                # (JᵀJ + μD)⁻¹Jᵀ = D⁻¹Jᵀ(JD⁻¹Jᵀ + μI)⁻¹ (push-through identity).
                JDinv = J / d
                factor = jnp.linalg.cholesky(JDinv @ J.T + mu * jnp.eye(m, dtype=dtype))
                delta = -JDinv.T @ jax.scipy.linalg.cho_solve((factor, True), r)
            Jdelta = J @ delta
        else:
            r, jvp = jax.linearize(r_flat, flat)
            vjp = jax.linear_transpose(jvp, flat)
            g = vjp(r)[0]
            delta, _ = jax.scipy.sparse.linalg.cg(
                lambda v: vjp(jvp(v))[0] + mu * v,
                -g,
                tol=self.cg_tolerance,
                maxiter=self.cg_iterations,
            )
            Jdelta = jvp(delta)

        loss = jnp.sum(r**2)
        predicted = -2.0 * jnp.vdot(delta, g) - jnp.sum(Jdelta**2)
        finite_step = jnp.all(jnp.isfinite(delta))
        # A non-finite step would make the residual call itself produce NaNs; evaluate
        # at the unchanged point instead and reject below.
        trial = jnp.where(finite_step, flat + delta, flat)
        trial_loss = jnp.sum(r_flat(trial) ** 2)
        ratio = (loss - trial_loss) / predicted
        valid = finite_step & jnp.isfinite(trial_loss) & (predicted > 0) & jnp.isfinite(ratio)
        ratio = jnp.where(valid, ratio, 0.0)
        accepted = valid & (ratio > self.min_gain_ratio)

        shrink = jnp.maximum(self.decrease, 1.0 - (2.0 * ratio - 1.0) ** 3)
        new_mu = jnp.where(accepted, mu * shrink, mu * state.nu)
        new_nu = jnp.where(accepted, self.increase, state.nu * self.increase)
        new_state = LMState(
            damping=jnp.clip(new_mu, self.min_damping, self.max_damping).astype(dtype),
            # Bounded so that a long run of rejections cannot overflow it to inf.
            nu=jnp.minimum(new_nu, self.max_damping / self.min_damping).astype(dtype),
        )
        new_params = jax.tree.map(lambda new, old: jnp.where(accepted, new, old), unravel(trial), params)
        info = {
            "loss": loss,
            "damping": mu,
            "accepted": accepted.astype(loss.dtype),
            "gain_ratio": ratio.astype(loss.dtype),
        }
        return new_params, new_state, info
