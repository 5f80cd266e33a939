r"""Training: Adam with a learning-rate schedule, then L-BFGS, one jitted step each.

:func:`solve` is the single entry point::

    result = pinn.solve(problem, model, steps=5000, lbfgs_steps=1000)
    result.rel_l2, result.history, result.params

Each phase compiles one step function ``(params, opt_state, batch, ...) -> ...``
(loss, gradient and optax update together); the batch keeps its shapes when points
are resampled, so nothing recompiles after the first step. Values come back to the
host only at *check steps*: every ``log_every`` steps (history, progress), every
``checkpoint_every`` steps and at the end of each phase.

Non-finite losses
    A non-finite loss (or non-finite parameters after a step) never overwrites good
    parameters: the run goes back to the state of the last check step; Adam retries
    with half the step size (``lr_scale`` in the history), L-BFGS ends its phase.
    Each event is a line of ``result.events`` naming its step, is counted in the
    history column ``nonfinite``, and is shown as a :class:`NonFiniteLossWarning`.

Checkpoints and resuming
    With ``checkpoint_dir`` the run writes its whole state (parameters, optimizer
    state, phase, step, step-size scale, resampling round, collocation points,
    history and events) atomically every ``checkpoint_every`` steps and at the end,
    keeping the newest ``checkpoint_keep``. ``resume=True`` continues from the newest
    complete checkpoint and ends with the same parameters, bit for bit, as a run that
    was never interrupted: the loop is a pure function of the state it saves.

Ctrl-C
    A ``KeyboardInterrupt`` stops the run at its last check step: a checkpoint is
    written (with ``checkpoint_dir``) and :func:`solve` returns a :class:`Result`
    with ``interrupted=True`` holding the metrics so far.
"""

from __future__ import annotations

import dataclasses
import json
import math
import platform
import time
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from pinn import checkpoint as ckpt
from pinn.batch import sample_batch, to_device
from pinn.curvature import warn_if_curvature_blind
from pinn.evaluate import error_report, relative_l2
from pinn.losses import make_loss_terms, term_weights, weighted_total
from pinn.nn import DTYPES, MLP, pure_apply
from pinn.operators import check_engine
from pinn.problem import Problem
from pinn.sampling import check_sampler

SCHEDULES: tuple[str, ...] = ("constant", "exponential", "cosine")
PRECISIONS: tuple[str, ...] = ("highest", "high", "default")
CHECKPOINT_FORMAT = 1
# Settings that change what is recorded but not the trajectory: a run may be resumed with other values.
RESUMABLE_CHANGES: tuple[str, ...] = ("eval_every", "eval_resolution", "checkpoint_keep")
MIN_LR_SCALE = 1e-6


class NonFiniteLossWarning(RuntimeWarning):
    """The loss became NaN or infinite; the trainer restored the last finite state."""


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        kind = {0: "a non-negative integer", 1: "a positive integer"}.get(minimum, f"an integer >= {minimum}")
        raise ValueError(f"{name} must be {kind}, got {value!r}")


def _check_number(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")


def _check_choice(name, value, valid):
    if not isinstance(value, str) or value not in valid:
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
        checkpoint_every: with a ``checkpoint_dir``, write a checkpoint every this many
            steps (Adam and L-BFGS steps counted together); 0: only at the end.
        checkpoint_keep: how many of the newest checkpoints to keep.
        causal_chunks: causal training (time-dependent problems): the PDE term weights
            ``causal_chunks`` equal time slices by how well every earlier slice is
            solved (:mod:`pinn.losses`); 0 (default) is the plain mean.
        causal_epsilon: the causality parameter epsilon of those weights
            ``exp(-epsilon * sum of the earlier slices' losses)``; larger is stricter.
        chunk_size: differentiate the PDE term over chunks of this many points
            (:mod:`pinn.chunked`; same numbers): on a CPU, beyond a few thousand points,
            a chunk of ~1000 keeps the cost per point flat. 0 (default): all at once.
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
    checkpoint_every: int = 500
    checkpoint_keep: int = 3
    causal_chunks: int = 0
    causal_epsilon: float = 1.0
    chunk_size: int = 0

    def __post_init__(self):
        _check_int("steps", self.steps, 0)
        _check_int("lbfgs_steps", self.lbfgs_steps, 0)
        if self.steps + self.lbfgs_steps == 0:
            raise ValueError("steps and lbfgs_steps are both 0: nothing to train")
        if isinstance(self.lr, bool) or not isinstance(self.lr, (int, float, np.integer, np.floating)) or not (
            math.isfinite(self.lr) and self.lr > 0
        ):
            raise ValueError(f"lr must be a positive finite number, got {self.lr!r}")
        _check_choice("schedule", self.schedule, SCHEDULES)
        _check_number("final_lr_ratio", self.final_lr_ratio)
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
        _check_int("checkpoint_every", self.checkpoint_every, 0)
        _check_int("checkpoint_keep", self.checkpoint_keep, 1)
        _check_int("chunk_size", self.chunk_size, 0)
        if self.chunk_size and self.causal_chunks:
            raise ValueError(
                f"chunk_size ({self.chunk_size}) and causal_chunks ({self.causal_chunks}) cannot be combined: "
                "causal weights need every point's residual at once; set one of them to 0"
            )
        _check_int("causal_chunks", self.causal_chunks, 0)
        if self.causal_chunks > self.n_interior:
            raise ValueError(
                f"causal_chunks ({self.causal_chunks}) must not exceed n_interior ({self.n_interior}): "
                "every time slice needs collocation points"
            )
        _check_number("causal_epsilon", self.causal_epsilon)
        if not self.causal_epsilon > 0:
            raise ValueError(f"causal_epsilon must be positive, got {self.causal_epsilon!r}")
        if not isinstance(self.weights, Mapping):
            raise ValueError(f"weights must be a mapping of loss-term names to numbers, got {self.weights!r}")
        for name, value in self.weights.items():
            if not isinstance(name, str):
                raise ValueError(f"weights keys must be loss-term names (strings), got {name!r}")
            _check_number(f"weight of {name!r}", value)
            if value < 0:
                raise ValueError(f"weight of {name!r} must be non-negative, got {value!r}")
        object.__setattr__(self, "weights", {k: float(v) for k, v in self.weights.items()})
        for name in ("lr", "final_lr_ratio", "causal_epsilon"):
            object.__setattr__(self, name, float(getattr(self, name)))

    def replace(self, **changes) -> "TrainConfig":
        valid = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - valid)
        if unknown:
            raise ValueError(f"unknown training setting {unknown[0]!r}; valid settings: {', '.join(sorted(valid))}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, settings: Mapping) -> "TrainConfig":
        """A config from plain data (a parsed JSON or TOML table); every key is checked."""
        if not isinstance(settings, Mapping):
            raise ValueError(f"training settings must be a table of key = value pairs, got {settings!r}")
        return cls().replace(**dict(settings))


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
    """What :func:`solve` returns: trained parameters, history and metrics.

    ``interrupted`` is True when the run was stopped by Ctrl-C (KeyboardInterrupt);
    it then holds the state of its last check step.
    """

    problem: Problem
    model: MLP
    params: Any
    history: dict[str, np.ndarray]
    metrics: dict
    config: TrainConfig
    events: tuple[str, ...] = ()
    interrupted: bool = False

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


def solve(
    problem: Problem,
    model: MLP,
    config: TrainConfig | None = None,
    *,
    callback: Callable[[dict], None] | None = None,
    checkpoint_dir=None,
    resume: bool = False,
    **settings,
) -> Result:
    """Train ``model`` on ``problem``: Adam (``steps``), then L-BFGS (``lbfgs_steps``).

    Settings are those of :class:`TrainConfig`, given as a config, as keywords, or
    both (keywords win). ``callback(row)`` is called at every log step with the
    history row (step, phase, loss terms, ``lr_scale``, ``nonfinite`` and ``rel_l2``
    at evaluation steps).

    ``checkpoint_dir`` (a folder that is empty, missing, or holds this run's
    checkpoints) receives checkpoints every ``checkpoint_every`` steps and at the
    end; ``resume=True`` continues from the newest one. Every input is checked, and
    a checkpoint of another problem, network or configuration refused, before any
    training step runs.
    """
    if config is None:
        config = TrainConfig()
    if not isinstance(config, TrainConfig):
        raise ValueError(f"config must be a pinn.TrainConfig, got {config!r}")
    if settings:
        config = config.replace(**settings)
    if not isinstance(problem, Problem):
        raise ValueError(f"problem must be a pinn.Problem, got {problem!r}")
    if not isinstance(model, MLP):
        raise ValueError(f"model must be a pinn.MLP, got {model!r}")
    if model.in_dim != problem.domain.dim or model.out_dim != problem.n_fields:
        raise ValueError(
            f"model maps {model.in_dim} -> {model.out_dim} but problem {problem.name!r} has "
            f"{problem.domain.dim} coordinates {problem.coordinates} and {problem.n_fields} fields {problem.fields}"
        )
    if callback is not None and not callable(callback):
        raise ValueError(f"callback must be a function of one history row, got {callback!r}")
    if not isinstance(resume, bool):
        raise ValueError(f"resume must be True or False, got {resume!r}")
    if resume and checkpoint_dir is None:
        raise ValueError("resume=True needs the checkpoint_dir of the run to continue")
    _check_finite_params(model)
    weights = term_weights(problem, config.weights)
    if checkpoint_dir is not None:
        checkpoint_dir = ckpt.check_checkpoint_dir(checkpoint_dir, resume)
    warn_if_curvature_blind(problem, model.activation)
    with jax.enable_x64(model.dtype == "float64"), jax.default_matmul_precision(config.precision):
        trainer = _Trainer(problem, model, config, weights, callback, checkpoint_dir)
        state = trainer.restore() if resume else trainer.initial_state()
        return trainer.run(state)


def _check_finite_params(model: MLP) -> None:
    _, params = nnx.split(model, nnx.Param)
    for path, leaf in jax.tree_util.tree_flatten_with_path(params)[0]:
        if not np.isfinite(np.asarray(leaf)).all():
            raise ValueError(f"model parameter {jax.tree_util.keystr(path)} holds NaN or infinite values")


def fingerprint(problem: Problem, model: MLP, config: TrainConfig) -> dict:
    """What a checkpoint must agree on to be resumed: problem, network and settings.

    Plain JSON data; settings in :data:`RESUMABLE_CHANGES` are left out because they
    do not change the trajectory.
    """
    conditions = {
        name: {"kind": c.kind, "weight": c.weight, "n": c.n} for name, c in problem.named_conditions.items()
    }
    data = {
        "problem": {
            "name": problem.name,
            "domain": repr(problem.domain),
            "fields": list(problem.fields),
            "params": dict(problem.params),
            "conditions": conditions,
            "residual": getattr(problem.residual, "__qualname__", type(problem.residual).__name__),
        },
        "model": {
            "in_dim": model.in_dim,
            "out_dim": model.out_dim,
            "hidden": list(model.hidden),
            "activation": model.activation.name,
            "dtype": model.dtype,
            "input_bounds": None if model.input_bounds is None else [list(b) for b in model.input_bounds],
        },
        "config": {k: v for k, v in config.to_dict().items() if k not in RESUMABLE_CHANGES},
    }
    return json.loads(json.dumps(data))


def _newest_compatible(directory, current: dict):
    """``(step, path, meta, skipped)`` of the newest readable checkpoint in ``directory``.

    Unreadable files (a write cut short) are skipped for older ones; a readable
    checkpoint written for another problem, network or configuration is refused with a
    ValueError naming every difference.
    """
    skipped = []
    for step, path in reversed(ckpt.list_checkpoints(directory)):
        if not ckpt.readable(path):
            skipped.append(path.name)
            continue
        meta = ckpt.read_meta(path)
        if meta.get("format") != CHECKPOINT_FORMAT or "fingerprint" not in meta:
            raise ValueError(f"{path} is not a pinn training checkpoint (format {meta.get('format')!r})")
        differences = ckpt.fingerprint_differences(meta["fingerprint"], current)
        if differences:
            raise ValueError(
                f"checkpoint {path} was written for a different run and cannot be resumed: " + "; ".join(differences)
            )
        return step, path, meta, skipped
    raise ValueError(f"no complete checkpoint to resume from in {str(directory)!r} (unreadable: {', '.join(skipped)})")


def check_resumable(problem: Problem, model: MLP, config: TrainConfig, checkpoint_dir) -> int:
    """Check, without training or writing anything, that ``solve(..., checkpoint_dir=..., resume=True)``
    would accept ``checkpoint_dir``; returns the step it would resume from.

    Raises the ValueError :func:`solve` would raise (no checkpoint, unreadable files
    only, a checkpoint of another problem, network or configuration). A command line
    calls it before it writes anything of its own into the run folder.
    """
    directory = ckpt.check_checkpoint_dir(checkpoint_dir, resume=True)
    return _newest_compatible(directory, fingerprint(problem, model, config))[0]


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages a run's numbers depend on."""
    from importlib import metadata

    out = {"python": platform.python_version()}
    for name in ("pinn", "jax", "jaxlib", "flax", "optax", "numpy", "scipy"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "unknown"
    return out


@dataclasses.dataclass(frozen=True)
class _State:
    """Everything the loop needs to go on from a check step; replaced, never mutated.

    ``step`` counts the steps done in ``phase`` ("adam", "lbfgs" or "done");
    ``adam_steps`` is the number of Adam steps done so far (final once Adam ended).
    """

    phase: str
    step: int
    params: Any
    opt_state: Any
    batch: Any
    round: int
    lr_scale: float
    adam_steps: int
    nonfinite: int = 0
    rows: tuple = ()
    events: tuple = ()
    train_seconds: float = 0.0

    @property
    def global_step(self) -> int:
        return self.step if self.phase == "adam" else self.adam_steps + self.step


def _all_finite(loss, tree) -> jax.Array:
    leaves = [jnp.all(jnp.isfinite(leaf)) for leaf in jax.tree.leaves(tree)]
    return jnp.logical_and(jnp.isfinite(loss), jnp.all(jnp.stack(leaves)))


class _Trainer:
    """One run's compiled steps and loop; not part of the public API."""

    def __init__(self, problem, model, config, weights, callback, checkpoint_dir):
        self.problem, self.model, self.config, self.weights = problem, model, config, weights
        self.callback = callback
        self.checkpoint_dir = checkpoint_dir
        self.fingerprint = fingerprint(problem, model, config)
        self.dtype = DTYPES[model.dtype]
        self.apply, self.params0 = pure_apply(model)
        terms_fn = make_loss_terms(
            problem, self.apply, config.derivatives, config.causal_chunks, config.causal_epsilon, config.chunk_size
        )

        def loss_fn(params, batch):
            terms = terms_fn(params, batch)
            return weighted_total(terms, weights), terms

        def measure(params, batch):
            # At check steps: the loss of the parameters themselves (not of the step before),
            # so a state that passes the check is one whose own loss is finite.
            loss, terms = loss_fn(params, batch)
            return loss, terms, _all_finite(loss, params)

        self.loss_fn = loss_fn
        self.measure = jax.jit(measure)
        self.adam = optax.adam(learning_rate_schedule(config))
        self.lbfgs = optax.lbfgs(memory_size=config.lbfgs_memory)
        self.adam_step = jax.jit(self._adam_step)
        self.lbfgs_step = jax.jit(self._lbfgs_step)
        # Sampling checks the conditions (e.g. a predicate selecting no boundary point)
        # before anything is compiled.
        self.batch0 = self._batch(0)
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
        return optax.apply_updates(params, updates), opt_state

    def _lbfgs_init(self, params):
        # optax.lbfgs starts with weak-typed scalars that its first update makes strong;
        # fixing their types now keeps the L-BFGS step from compiling a second time.
        return jax.tree.map(lambda a: jax.lax.convert_element_type(a, a.dtype), self.lbfgs.init(params))

    def _lbfgs_step(self, params, opt_state, batch):
        value_fn = lambda p: self.loss_fn(p, batch)[0]  # noqa: E731
        value, grads = optax.value_and_grad_from_state(value_fn)(params, state=opt_state)
        updates, opt_state = self.lbfgs.update(grads, opt_state, params, value=value, grad=grads, value_fn=value_fn)
        return optax.apply_updates(params, updates), opt_state

    # -- states ----------------------------------------------------------------------
    def _batch(self, round_):
        c = self.config
        host = sample_batch(self.problem, c.n_interior, c.n_boundary, c.sampler, c.seed, round_)
        return to_device(host, self.dtype)

    def initial_state(self) -> _State:
        c = self.config
        if c.steps:
            return _State("adam", 0, self.params0, self.adam.init(self.params0), self.batch0, 0, 1.0, 0)
        return _State("lbfgs", 0, self.params0, self._lbfgs_init(self.params0), self.batch0, 0, 1.0, 0)

    def _template(self, phase):
        opt = self.adam if phase == "adam" else self.lbfgs
        opt_state = opt.init(self.params0) if phase != "done" else None
        return {"params": self.params0, "opt_state": opt_state, "batch": self.batch0}

    def restore(self) -> _State:
        """The state of the newest complete checkpoint in ``checkpoint_dir``.

        Checks the problem, network and settings it was written for before reading any
        array; a file that cannot be read (a write cut short) is skipped for the one
        before it.
        """
        ckpt.remove_partial_writes(self.checkpoint_dir)
        step, path, meta, skipped = _newest_compatible(self.checkpoint_dir, self.fingerprint)
        template = self._template(meta["phase"])
        tree, meta = ckpt.load_pytree(path, template)
        tree = jax.tree.map(_like, template, tree)
        note = f"resumed at step {step} from {path.name}"
        if skipped:
            note += f" (skipped unreadable {', '.join(skipped)})"
        return _State(
            phase=meta["phase"],
            step=meta["step"],
            params=tree["params"],
            opt_state=tree["opt_state"],
            batch=tree["batch"],
            round=meta["round"],
            lr_scale=meta["lr_scale"],
            adam_steps=meta["adam_steps"],
            nonfinite=meta["nonfinite"],
            rows=tuple(meta["rows"]),
            events=tuple(meta["events"]) + (note,),
            train_seconds=meta["train_seconds"],
        )

    def _write_checkpoint(self, state: _State) -> None:
        opt_state = None if state.phase == "done" else state.opt_state
        tree = {"params": state.params, "opt_state": opt_state, "batch": state.batch}
        meta = {
            "format": CHECKPOINT_FORMAT,
            "fingerprint": self.fingerprint,
            "phase": state.phase,
            "step": state.step,
            "adam_steps": state.adam_steps,
            "round": state.round,
            "lr_scale": state.lr_scale,
            "nonfinite": state.nonfinite,
            "rows": list(state.rows),
            "events": list(state.events),
            "train_seconds": state.train_seconds,
        }
        ckpt.save_pytree(ckpt.checkpoint_path(self.checkpoint_dir, state.global_step), jax.device_get(tree), meta)
        ckpt.prune_checkpoints(self.checkpoint_dir, self.config.checkpoint_keep)

    # -- the loop ----------------------------------------------------------------------
    def _is_check(self, global_step, phase_end):
        c = self.config
        return phase_end or global_step % c.log_every == 0 or (c.checkpoint_every and global_step % c.checkpoint_every == 0)

    def _row(self, state: _State, loss, terms, final) -> dict:
        c = self.config
        step = state.global_step
        row = {"step": step, "phase": state.phase, "loss": float(loss), "lr_scale": float(state.lr_scale)}
        row.update({f"loss_{k}": float(v) for k, v in terms.items()})
        row["nonfinite"] = state.nonfinite
        evaluate = self.eval is not None and (final or (c.eval_every and step % c.eval_every == 0))
        row["rel_l2"] = float(self.eval(state.params)[0]) if evaluate else float("nan")
        return row

    def _elapsed(self, state: _State) -> _State:
        """``state`` with the time since the last check step added to its training time."""
        now = time.perf_counter()
        seconds, self.clock = state.train_seconds + (now - self.clock), now
        return dataclasses.replace(state, train_seconds=seconds)

    def _checked(self, state: _State, loss, terms, phase_end, final) -> tuple[_State, dict | None]:
        """Bookkeeping at a check step whose state is finite: history row and checkpoint."""
        c = self.config
        step = state.global_step
        row = None
        if phase_end or step % c.log_every == 0:
            row = self._row(state, loss, terms, final)
            state = dataclasses.replace(state, rows=state.rows + (row,))
        state = self._elapsed(state)
        if self.checkpoint_dir is not None and c.checkpoint_every and step % c.checkpoint_every == 0:
            self._write_checkpoint(state)
        return state, row

    def _nonfinite(self, good: _State, phase: str, step: int) -> _State:
        if phase == "adam":
            scale = good.lr_scale * 0.5
            message = (
                f"adam step {step}: non-finite loss or parameters; restored step {good.global_step} "
                f"and halved the step size (scale {scale:g})"
            )
            state = dataclasses.replace(good, lr_scale=scale, nonfinite=good.nonfinite + 1)
            if scale < MIN_LR_SCALE:
                message += f"; the scale is below {MIN_LR_SCALE:g}, so the Adam phase ends"
                state = self._end_adam(state)
        else:
            message = f"lbfgs step {step}: non-finite loss or parameters; restored step {good.global_step} and ended L-BFGS"
            state = dataclasses.replace(good, phase="done", nonfinite=good.nonfinite + 1)
        warnings.warn(message, NonFiniteLossWarning, stacklevel=5)
        return dataclasses.replace(state, events=state.events + (message,))

    def _end_adam(self, state: _State) -> _State:
        if self.config.lbfgs_steps:
            return dataclasses.replace(
                state, phase="lbfgs", step=0, opt_state=self._lbfgs_init(state.params), adam_steps=state.step
            )
        return dataclasses.replace(state, phase="done", step=0, adam_steps=state.step)

    def run(self, state: _State) -> Result:
        """Train from ``state`` to the end (or to a KeyboardInterrupt) and build the Result."""
        self.good = state  # the last finite, fully recorded state: where a failure goes back to
        self.clock = time.perf_counter()
        try:
            state = self._run_adam(state)
            state = self._run_lbfgs(state)
        except KeyboardInterrupt:
            good = self.good
            message = f"interrupted at step {good.global_step} (Ctrl-C); the state of that step is kept"
            if self.checkpoint_dir is not None:
                message += f" and saved in {self.checkpoint_dir}; resume with resume=True"
            good = self._elapsed(dataclasses.replace(good, events=good.events + (message,)))
            if self.checkpoint_dir is not None:
                self._write_checkpoint(good)
            return self._result(good, interrupted=True)
        state = self._elapsed(state)
        if self.checkpoint_dir is not None:
            self._write_checkpoint(state)
        return self._result(state)

    def _run_adam(self, state: _State) -> _State:
        c = self.config
        scale_value, scale = None, None
        while state.phase == "adam":
            if state.step >= c.steps:
                state = self._end_adam(state)
                self.good = state
                break
            step, batch, round_ = state.step, state.batch, state.round
            if c.resample_every and step and step % c.resample_every == 0 and step // c.resample_every != round_:
                round_ = step // c.resample_every
                batch = self._batch(round_)
            if state.lr_scale != scale_value:  # a device scalar only when the scale changes
                scale_value, scale = state.lr_scale, jnp.asarray(state.lr_scale, self.dtype)
            params, opt_state = self.adam_step(state.params, state.opt_state, batch, scale)
            state = dataclasses.replace(state, step=step + 1, params=params, opt_state=opt_state, batch=batch, round=round_)
            phase_end = state.step == c.steps
            if not self._is_check(state.global_step, phase_end):
                continue
            loss, terms, ok = self.measure(state.params, state.batch)
            if not bool(ok):
                state = self._nonfinite(self.good, "adam", state.step)
                self.good = state
                continue
            final = phase_end and not c.lbfgs_steps
            state, row = self._checked(state, loss, terms, phase_end, final)
            self.good = state
            if row is not None and self.callback is not None:
                self.callback(row)
        return state

    def _run_lbfgs(self, state: _State) -> _State:
        c = self.config
        while state.phase == "lbfgs":
            if state.step >= c.lbfgs_steps:
                state = dataclasses.replace(state, phase="done")
                self.good = state
                break
            params, opt_state = self.lbfgs_step(state.params, state.opt_state, state.batch)
            state = dataclasses.replace(state, step=state.step + 1, params=params, opt_state=opt_state)
            phase_end = state.step == c.lbfgs_steps
            if not self._is_check(state.global_step, phase_end):
                continue
            loss, terms, ok = self.measure(state.params, state.batch)
            if not bool(ok):
                state = self._nonfinite(self.good, "lbfgs", state.global_step)
                self.good = state
                continue
            state, row = self._checked(state, loss, terms, phase_end, phase_end)
            self.good = state
            if row is not None and self.callback is not None:
                self.callback(row)
        return state

    def _result(self, state: _State, interrupted: bool = False) -> Result:
        params = state.params
        loss, terms, _ = self.measure(params, state.batch)
        lbfgs_steps = 0 if state.phase == "adam" else state.step
        metrics = {
            "problem": self.problem.name,
            "activation": self.model.activation.name,
            "derivatives": self.config.derivatives,
            "dtype": self.model.dtype,
            "seed": self.config.seed,
            "n_params": self.model.n_params,
            "hidden": list(self.model.hidden),
            "steps": {"adam": state.adam_steps if state.phase != "adam" else state.step, "lbfgs": lbfgs_steps},
            "train_seconds": state.train_seconds,
            "final_loss": {k: float(v) for k, v in terms.items()},
            "final_total_loss": float(loss),
            "nonfinite_events": state.nonfinite,
            "interrupted": interrupted,
            "config": self.config.to_dict(),
            "versions": package_versions(),
            "backend": jax.default_backend(),
        }
        if self.eval is not None:
            predict = jax.vmap(self.apply, in_axes=(None, 0))(params, self.eval_points).reshape(self.eval_values.shape)
            metrics.update(error_report(predict, self.eval_values, self.problem.fields))
        rows = state.rows
        keys = sorted({k for row in rows for k in row} - {"phase"})
        history = {k: np.array([row.get(k, np.nan) for row in rows], dtype=float) for k in keys}
        history["phase"] = np.array([row["phase"] for row in rows])
        model = nnx.merge(nnx.split(self.model, nnx.Param)[0], params)
        return Result(self.problem, model, params, history, metrics, self.config, tuple(state.events), interrupted)


def _like(template, value):
    """``value`` (read from disk) as a JAX array of the template leaf's dtype and weak type."""
    if getattr(template, "weak_type", False) and np.ndim(value) == 0:
        # a Python scalar becomes a weakly typed array, as the optimizer created it
        return jnp.asarray(np.asarray(value).item())
    return jnp.asarray(value, dtype=template.dtype)
