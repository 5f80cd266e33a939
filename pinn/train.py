r"""Training: Adam with a learning-rate schedule, then L-BFGS, one jitted step each.

:func:`solve` is the single entry point::

    result = pinn.solve(problem, model, steps=5000, lbfgs_steps=1000)
    result.rel_l2, result.history, result.params

Each phase compiles one step function ``(params, opt_state, batch, ...) -> ...``
(loss, gradient and optax update together); the batch keeps its shapes when points
are resampled, so nothing recompiles after the first step. Values come back to the
host only every ``log_every`` steps (history, progress, the non-finite check) and
every ``eval_every`` steps (the error against the exact solution).

A non-finite loss never overwrites good parameters: the step is undone back to the
last finite state seen at a log step; Adam retries with half the step size, L-BFGS
ends its phase. Both are recorded in ``result.events``.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from pinn.batch import sample_batch, to_device
from pinn.evaluate import error_report, relative_l2
from pinn.losses import make_loss_terms, term_weights, weighted_total
from pinn.nn import DTYPES, MLP, pure_apply
from pinn.operators import check_engine
from pinn.problem import Problem
from pinn.sampling import check_sampler

SCHEDULES: tuple[str, ...] = ("constant", "exponential", "cosine")
PRECISIONS: tuple[str, ...] = ("highest", "high", "default")


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        kind = "a positive" if minimum == 1 else "a non-negative"
        raise ValueError(f"{name} must be {kind} integer, got {value!r}")


def _check_choice(name, value, valid):
    if value not in valid:
        raise ValueError(f"unknown {name} {value!r}; valid {name}s: {', '.join(valid)}")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Every setting of a run; validated at construction.

    Attributes:
        steps: Adam steps.
        lbfgs_steps: L-BFGS iterations after Adam (each with a zoom line search).
        lr: initial Adam learning rate.
        schedule: ``"constant"``, ``"exponential"`` (decays to ``lr * final_lr_ratio``)
            or ``"cosine"`` (same end point).
        final_lr_ratio: learning rate at the last Adam step over ``lr``.
        n_interior: collocation points for the PDE residual.
        n_boundary: points per condition (a condition's own ``n`` wins).
        sampler: ``"sobol"``, ``"halton"``, ``"lhs"`` or ``"uniform"``.
        resample_every: draw fresh points every this many Adam steps (0: fixed points).
        eval_every: measure the error every this many steps (0: only at the end).
        eval_resolution: evaluation grid points per axis (``None``: about 20,000 points).
        log_every: record the loss terms every this many steps.
        seed: seed of the collocation points (the network has its own key).
        weights: per-term weight overrides, e.g. ``{"initial": 10.0}``.
        derivatives: ``"hessian"`` (``jax.hessian``, the reference) or ``"forward"``.
        lbfgs_memory: L-BFGS history size.
        precision: ``jax_default_matmul_precision`` during training.
    """

    steps: int = 2000
    lbfgs_steps: int = 0
    lr: float = 1e-3
    schedule: str = "exponential"
    final_lr_ratio: float = 0.1
    n_interior: int = 2000
    n_boundary: int = 256
    sampler: str = "sobol"
    resample_every: int = 0
    eval_every: int = 500
    eval_resolution: int | None = None
    log_every: int = 100
    seed: int = 0
    weights: Mapping[str, float] = dataclasses.field(default_factory=dict)
    derivatives: str = "hessian"
    lbfgs_memory: int = 50
    precision: str = "highest"

    def __post_init__(self):
        _check_int("steps", self.steps, 0)
        _check_int("lbfgs_steps", self.lbfgs_steps, 0)
        if self.steps + self.lbfgs_steps == 0:
            raise ValueError("steps and lbfgs_steps are both 0: nothing to train")
        if isinstance(self.lr, bool) or not isinstance(self.lr, (int, float)) or not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a positive finite number, got {self.lr!r}")
        _check_choice("schedule", self.schedule, SCHEDULES)
        if not 0 < self.final_lr_ratio <= 1:
            raise ValueError(f"final_lr_ratio must be in (0, 1], got {self.final_lr_ratio!r}")
        _check_int("n_interior", self.n_interior, 1)
        _check_int("n_boundary", self.n_boundary, 1)
        check_sampler(self.sampler)
        _check_int("resample_every", self.resample_every, 0)
        _check_int("eval_every", self.eval_every, 0)
        if self.eval_resolution is not None:
            _check_int("eval_resolution", self.eval_resolution, 2)
        _check_int("log_every", self.log_every, 1)
        _check_int("seed", self.seed, 0)
        check_engine(self.derivatives)
        _check_int("lbfgs_memory", self.lbfgs_memory, 1)
        _check_choice("precision", self.precision, PRECISIONS)
        object.__setattr__(self, "weights", dict(self.weights))

    def replace(self, **changes) -> "TrainConfig":
        valid = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - valid)
        if unknown:
            raise ValueError(f"unknown training setting {unknown[0]!r}; valid settings: {', '.join(sorted(valid))}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def learning_rate_schedule(config: TrainConfig) -> optax.Schedule:
    end = config.lr * config.final_lr_ratio
    steps = max(config.steps, 1)
    if config.schedule == "constant":
        return optax.constant_schedule(config.lr)
    if config.schedule == "cosine":
        return optax.cosine_decay_schedule(config.lr, steps, alpha=config.final_lr_ratio)
    return optax.exponential_decay(config.lr, steps, config.final_lr_ratio, end_value=end)


@dataclasses.dataclass(frozen=True)
class Result:
    """What :func:`solve` returns: trained parameters, history and metrics."""

    problem: Problem
    model: MLP
    params: Any
    history: dict[str, np.ndarray]
    metrics: dict
    config: TrainConfig
    events: tuple[str, ...] = ()

    @property
    def rel_l2(self) -> float:
        return self.metrics.get("rel_l2", float("nan"))

    @property
    def rel_l2_per_field(self) -> dict[str, float]:
        return self.metrics.get("rel_l2_per_field", {})

    def predict(self, points) -> np.ndarray:
        """The trained fields at ``points`` (n, d): an array (n, number of fields)."""
        from pinn.evaluate import batched_predict

        points = np.atleast_2d(np.asarray(points, dtype=np.float64))
        if points.shape[1] != self.problem.domain.dim:
            raise ValueError(
                f"points must have {self.problem.domain.dim} columns {self.problem.coordinates}, got shape {points.shape}"
            )
        with jax.enable_x64(self.model.dtype == "float64"):
            apply, params = pure_apply(self.model)
            return np.asarray(batched_predict(apply, params, jnp.asarray(points, dtype=DTYPES[self.model.dtype])))

    def save(self, directory) -> "Any":
        """Write metrics, config, history and parameters to ``directory`` (see :mod:`pinn.io`)."""
        from pinn import io

        return io.save_result(self, directory)


def _history_row(step, phase, terms, loss, lr_scale):
    row = {"step": step, "phase": phase, "loss": float(loss), "lr_scale": float(lr_scale)}
    row.update({f"loss_{k}": float(v) for k, v in terms.items()})
    return row


def solve(
    problem: Problem,
    model: MLP,
    config: TrainConfig | None = None,
    *,
    callback: Callable[[dict], None] | None = None,
    **settings,
) -> Result:
    """Train ``model`` on ``problem``: Adam (``steps``), then L-BFGS (``lbfgs_steps``).

    Settings are those of :class:`TrainConfig`, given as a config, as keywords, or
    both (keywords win). ``callback(row)`` is called at every log step with the
    history row (step, phase, loss terms, and ``rel_l2`` at evaluation steps).
    """
    config = (config or TrainConfig()).replace(**settings) if settings else (config or TrainConfig())
    if not isinstance(problem, Problem):
        raise ValueError(f"problem must be a pinn.Problem, got {problem!r}")
    if not isinstance(model, MLP):
        raise ValueError(f"model must be a pinn.MLP, got {model!r}")
    if model.in_dim != problem.domain.dim or model.out_dim != problem.n_fields:
        raise ValueError(
            f"model maps {model.in_dim} -> {model.out_dim} but problem {problem.name!r} has "
            f"{problem.domain.dim} coordinates {problem.coordinates} and {problem.n_fields} fields {problem.fields}"
        )
    weights = term_weights(problem, config.weights)
    _warn_if_cannot_represent(problem, model)
    with jax.enable_x64(model.dtype == "float64"), jax.default_matmul_precision(config.precision):
        return _Trainer(problem, model, config, weights, callback).run()


def _warn_if_cannot_represent(problem: Problem, model: MLP) -> None:
    from pinn.curvature import warn_if_curvature_blind

    warn_if_curvature_blind(problem, model.activation)


class _Trainer:
    """One run's compiled steps and loop; not part of the public API."""

    def __init__(self, problem, model, config, weights, callback):
        self.problem, self.model, self.config, self.weights = problem, model, config, weights
        self.callback = callback
        self.dtype = DTYPES[model.dtype]
        self.apply, self.params0 = pure_apply(model)
        terms_fn = make_loss_terms(problem, self.apply, config.derivatives)
        self.terms_fn = jax.jit(terms_fn)

        def loss_fn(params, batch):
            terms = terms_fn(params, batch)
            return weighted_total(terms, weights), terms

        self.loss_fn = loss_fn
        self.adam = optax.adam(learning_rate_schedule(config))
        self.lbfgs = optax.lbfgs(memory_size=config.lbfgs_memory)
        self.adam_step = jax.jit(self._adam_step)
        self.lbfgs_step = jax.jit(self._lbfgs_step)
        self.events: list[str] = []
        self.rows: list[dict] = []
        self.eval = None
        if problem.has_solution:
            points, values = problem.evaluation_data(config.eval_resolution)
            self.eval_points = jnp.asarray(points, dtype=self.dtype)
            self.eval_values = jnp.asarray(values, dtype=self.dtype)
            predict = jax.vmap(self.apply, in_axes=(None, 0))
            self.eval = jax.jit(
                lambda params: relative_l2(predict(params, self.eval_points).reshape(self.eval_values.shape), self.eval_values)
            )

    # -- the compiled steps ----------------------------------------------------------
    def _adam_step(self, params, opt_state, batch, lr_scale):
        (loss, terms), grads = jax.value_and_grad(self.loss_fn, has_aux=True)(params, batch)
        updates, opt_state = self.adam.update(grads, opt_state, params)
        updates = jax.tree.map(lambda g: lr_scale * g, updates)
        return optax.apply_updates(params, updates), opt_state, loss, terms

    def _lbfgs_step(self, params, opt_state, batch):
        value_fn = lambda p: self.loss_fn(p, batch)[0]  # noqa: E731
        value, grads = optax.value_and_grad_from_state(value_fn)(params, state=opt_state)
        updates, opt_state = self.lbfgs.update(grads, opt_state, params, value=value, grad=grads, value_fn=value_fn)
        return optax.apply_updates(params, updates), opt_state, value

    # -- the loop ------------------------------------------------------------------
    def _batch(self, round_):
        c = self.config
        host = sample_batch(self.problem, c.n_interior, c.n_boundary, c.sampler, c.seed, round_)
        return to_device(host, self.dtype)

    def _record(self, step, phase, params, batch, terms, loss, lr_scale, final=False):
        c = self.config
        row = _history_row(step, phase, terms, loss, lr_scale)
        evaluate = self.eval is not None and (final or (c.eval_every and step % c.eval_every == 0))
        row["rel_l2"] = float(self.eval(params)[0]) if evaluate else float("nan")
        self.rows.append(row)
        if self.callback is not None:
            self.callback(row)
        return row

    def run(self) -> Result:
        c = self.config
        params = self.params0
        batch = self._batch(0)
        start = time.perf_counter()
        step = 0
        lr_scale = 1.0
        opt_state = self.adam.init(params)
        good = (params, opt_state, step)
        # Adam ------------------------------------------------------------------
        while step < c.steps:
            if c.resample_every and step and step % c.resample_every == 0:
                batch = self._batch(step // c.resample_every)
            params, opt_state, loss, terms = self.adam_step(params, opt_state, batch, jnp.asarray(lr_scale, self.dtype))
            step += 1
            if step % c.log_every == 0 or step == c.steps:
                if not math.isfinite(float(loss)):
                    lr_scale *= 0.5
                    self.events.append(
                        f"adam step {step}: non-finite loss; restored the last finite state and halved the step size "
                        f"(scale {lr_scale:g})"
                    )
                    params, opt_state, step = good
                    if lr_scale < 1e-6:
                        self.events.append(f"adam step {step}: step size scale below 1e-6; ending the Adam phase")
                        break
                    continue
                good = (params, opt_state, step)
                self._record(step, "adam", params, batch, terms, loss, lr_scale)
        adam_steps = step
        # L-BFGS ----------------------------------------------------------------
        lbfgs_done = 0
        if c.lbfgs_steps:
            opt_state = self.lbfgs.init(params)
            good = params
            for i in range(1, c.lbfgs_steps + 1):
                params, opt_state, loss = self.lbfgs_step(params, opt_state, batch)
                lbfgs_done = i
                if i % c.log_every == 0 or i == c.lbfgs_steps:
                    if not math.isfinite(float(loss)):
                        self.events.append(f"lbfgs step {i}: non-finite loss; restored the last finite state and ended L-BFGS")
                        params = good
                        break
                    good = params
                    self._record(adam_steps + i, "lbfgs", params, batch, self.terms_fn(params, batch), loss, 1.0)
        train_seconds = time.perf_counter() - start
        return self._result(params, batch, adam_steps, lbfgs_done, train_seconds)

    def _result(self, params, batch, adam_steps, lbfgs_steps, train_seconds) -> Result:
        terms = self.terms_fn(params, batch)
        metrics = {
            "problem": self.problem.name,
            "activation": self.model.activation.name,
            "derivatives": self.config.derivatives,
            "dtype": self.model.dtype,
            "seed": self.config.seed,
            "n_params": self.model.n_params,
            "steps": {"adam": adam_steps, "lbfgs": lbfgs_steps},
            "train_seconds": train_seconds,
            "final_loss": {k: float(v) for k, v in terms.items()},
            "final_total_loss": float(weighted_total(terms, self.weights)),
        }
        if self.eval is not None:
            predict = jax.vmap(self.apply, in_axes=(None, 0))(params, self.eval_points).reshape(self.eval_values.shape)
            metrics.update(error_report(predict, self.eval_values, self.problem.fields))
        keys = sorted({k for row in self.rows for k in row} - {"phase"})
        history = {k: np.array([row.get(k, np.nan) for row in self.rows], dtype=float) for k in keys}
        history["phase"] = np.array([row["phase"] for row in self.rows])
        model = nnx.merge(nnx.split(self.model, nnx.Param)[0], params)
        return Result(self.problem, model, params, history, metrics, self.config, tuple(self.events))
