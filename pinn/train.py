r"""Training: :func:`solve` runs a problem through a sequence of phases.

::

    result = pinn.solve(problem, model, steps=5000, lbfgs_steps=1000)       # Adam, then L-BFGS
    result = pinn.solve(problem, model, phases=[pinn.Phase(optax.adam(1e-3), 2000),
                                                pinn.Phase("lbfgs", 3000)])
    result.rel_l2, result.history, result.learned

The model is any ``flax.nnx.Module`` mapping one point (d,) to the fields; the
trainer applies the problem's ``output_transform`` on top (unless the network already
does: :meth:`pinn.MLP.for_problem` builds it in), so exact conditions are never lost.

Everything a step changes is one pytree, :class:`pinn.state.TrainState`; each phase
compiles one pure ``step(state, batch) -> (state, info)`` (loss, derivatives and
update together; :mod:`pinn.phases`), jitted once. The loop around it is a thin
driver: values come back to the host only at *check steps* (every ``log_every``
steps, every ``checkpoint_every`` steps and at the end of each phase), where it
records the history, writes checkpoints and checks for non-finite values.

Non-finite losses
    A non-finite loss (or non-finite parameters) never overwrites good parameters: the
    run goes back to the state of the last check step; a gradient phase (Adam, any
    optax transformation) retries with half the step size (``lr_scale`` in the
    history), any other phase ends. Each event is a line of ``result.events``, counted
    in the history column ``nonfinite``, and shown as a :class:`NonFiniteLossWarning`.

Checkpoints and resuming
    With ``checkpoint_dir`` the run writes its state (the TrainState, the batch and
    the driver's bookkeeping) atomically every ``checkpoint_every`` steps and at the
    end, keeping the newest ``checkpoint_keep``. ``resume=True`` continues from the
    newest complete checkpoint and ends with the same parameters, bit for bit, as a run
    that was never interrupted: the loop is a pure function of the state it saves.

Ctrl-C
    A ``KeyboardInterrupt`` stops the run at its last check step: a checkpoint is
    written (with ``checkpoint_dir``) and :func:`solve` returns a :class:`Result`
    with ``interrupted=True`` holding the metrics so far.
"""

from __future__ import annotations

import dataclasses
import json
import platform
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from pinn import checkpoint as ckpt
from pinn import distributed, weighting
from pinn.batch import sample_batch, sample_conditions, to_host
from pinn.config import RESUMABLE_CHANGES, TrainConfig
from pinn.curvature import warn_if_curvature_blind
from pinn.evaluate import error_report, relative_l2
from pinn.losses import make_loss_terms, make_residual_jacobian, make_residual_vector, term_weights, weighted_total
from pinn.nn import DTYPES, describe, field_apply, with_params
from pinn.parameters import constrained_values, initial_raw
from pinn.phases import Objective, Phase
from pinn.geometry import Box
from pinn.problem import PDE_TERM, Problem
from pinn.progress import TrainingProgress
from pinn.result import Result
from pinn.state import TrainState

CHECKPOINT_FORMAT = 2
MIN_LR_SCALE = 1e-6
# Settings added after checkpoints were first written: left out of the fingerprint while
# off, so a checkpoint written before them still resumes.
_OFF_BY_DEFAULT = ("sample_per_process", "resample_on_device")


class NonFiniteLossWarning(RuntimeWarning):
    """The loss became NaN or infinite; the trainer restored the last finite state."""


def _check_model(problem: Problem, model) -> None:
    if not isinstance(model, nnx.Module):
        raise ValueError(f"model must be a flax.nnx.Module mapping one point ({problem.domain.dim},) to the fields, got {model!r}")
    for path, leaf in jax.tree_util.tree_flatten_with_path(nnx.state(model, nnx.Param))[0]:
        if not np.isfinite(np.asarray(leaf)).all():
            raise ValueError(f"model parameter {jax.tree_util.keystr(path)} holds NaN or infinite values")
    d = problem.domain.dim
    dtype = describe(model)["dtype"]
    try:
        with jax.enable_x64(dtype == "float64"):
            shape = jax.eval_shape(model, jax.ShapeDtypeStruct((d,), DTYPES[dtype])).shape
    except Exception as err:  # report the contract, not the trace
        raise ValueError(
            f"model {type(model).__name__} failed on one point of shape ({d},) (problem {problem.name!r} has "
            f"coordinates {problem.coordinates}): {err}"
        ) from None
    if shape != problem.field_shape:
        raise ValueError(
            f"model {type(model).__name__} maps a point ({d},) to shape {shape} but problem {problem.name!r} has "
            f"{problem.n_fields} field(s) {problem.fields}: it must return shape {problem.field_shape}"
        )


def trainer_transform(problem: Problem, model):
    """The output transform the trainer applies on top of ``model`` (None if it has its own)."""
    if problem.output_transform is None or getattr(model, "output_transform", None) is problem.output_transform:
        return None
    return problem.output_transform


def fingerprint(problem: Problem, model, config: TrainConfig) -> dict:
    """What a checkpoint must agree on to be resumed: problem, network and settings.

    Plain JSON data; settings in :data:`pinn.config.RESUMABLE_CHANGES` are left out
    because they do not change the trajectory.
    """
    conditions = {
        name: {"kind": c.kind, "weight": c.weight, "n": c.n} for name, c in problem.named_conditions.items()
    }
    facts = describe(model)
    bounds = getattr(model, "input_bounds", None)
    shapes = {jax.tree_util.keystr(p): list(leaf.shape) for p, leaf in jax.tree_util.tree_flatten_with_path(nnx.state(model, nnx.Param))[0]}
    data = {
        "problem": {
            "name": problem.name,
            "domain": repr(problem.domain),
            "fields": list(problem.fields),
            "params": dict(problem.params),
            "learned": {name: {"start": p.value, "constraint": p.describe()} for name, p in problem.learned.items()},
            "conditions": conditions,
            "residual": getattr(problem.residual, "__qualname__", type(problem.residual).__name__),
        },
        "model": {
            "network": facts["network"],
            "hidden": facts["hidden"],
            "activation": facts["activation"],
            "dtype": facts["dtype"],
            "input_bounds": None if bounds is None else [list(b) for b in bounds],
            "parameter_shapes": shapes,
        },
        "config": {
            k: v for k, v in config.to_dict().items()
            if k not in RESUMABLE_CHANGES and not (k in _OFF_BY_DEFAULT and v is False)
        },
    }
    if config.sample_per_process:
        # each process draws its own points: the trajectory depends on how many there are
        data["processes"] = jax.process_count()
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


def check_resumable(problem: Problem, model, config: TrainConfig, checkpoint_dir) -> int:
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


def solve(
    problem: Problem,
    model: nnx.Module,
    config: TrainConfig | None = None,
    *,
    callback: Callable[[dict], None] | None = None,
    checkpoint_dir=None,
    resume: bool = False,
    progress: bool = False,
    **settings,
) -> Result:
    """Train ``model`` on ``problem`` through the run's phases; returns a :class:`Result`.

    Settings are those of :class:`TrainConfig`, given as a config, as keywords, or
    both (keywords win): ``phases=[pinn.Phase(...), ...]`` sets the optimizers;
    without it, ``steps`` Adam steps then ``lbfgs_steps`` L-BFGS steps.
    ``callback(row)`` is called at every log step with the history row (step, phase,
    seconds, loss terms, ``lr_scale``, ``nonfinite``, learned values, the phase's
    own numbers such as ``damping``, and ``rel_l2`` at evaluation steps).
    ``progress=True`` shows a progress bar (step, phase, loss, error, rate).

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
    _check_model(problem, model)
    if callback is not None and not callable(callback):
        raise ValueError(f"callback must be a function of one history row, got {callback!r}")
    for name, flag in (("resume", resume), ("progress", progress)):
        if not isinstance(flag, bool):
            raise ValueError(f"{name} must be True or False, got {flag!r}")
    if resume and checkpoint_dir is None:
        raise ValueError("resume=True needs the checkpoint_dir of the run to continue")
    for phase in config.phase_list():
        if phase.needs == "residuals" and (config.chunk_size or config.causal_chunks):
            raise ValueError(
                f"phase {phase.name!r} needs every residual at once: it cannot run with chunk_size "
                f"({config.chunk_size}) or causal_chunks ({config.causal_chunks}); set them to 0"
            )
    weights = term_weights(problem, config.weights)
    if checkpoint_dir is not None:
        # Process 0 owns the folder; its verdict is every process's (pinn.distributed).
        path = checkpoint_dir
        checkpoint_dir = distributed.on_main(lambda: ckpt.check_checkpoint_dir(path, resume), fallback=Path(path))
    activation = getattr(model, "activation", None)
    if activation is not None and hasattr(activation, "smoothness"):
        warn_if_curvature_blind(problem, activation)
    if progress:
        total = sum(p.steps for p in config.phase_list())
        with TrainingProgress(total, enabled=distributed.is_main(), desc=problem.name) as bar:
            chained = bar if callback is None else (lambda row: (bar(row), callback(row)))
            return solve(problem, model, config, callback=chained, checkpoint_dir=checkpoint_dir, resume=resume)
    dtype = describe(model)["dtype"]
    with jax.enable_x64(dtype == "float64"), jax.default_matmul_precision(config.precision):
        run = _Run(problem, model, config, weights, callback, checkpoint_dir)
        try:
            state, book = run.restore() if resume else run.initial()
            return run.run(state, book)
        except Exception as err:
            if distributed.is_peer_failure(err):
                raise distributed.lost_peer(err) from None
            raise


@dataclasses.dataclass(frozen=True)
class _Book:
    """The driver's host-side bookkeeping at a check step; replaced, never mutated.

    ``phase`` indexes the run's phases (their count once done); ``done`` counts the
    steps done in it, ``offset`` the steps of the phases before it.
    """

    phase: int = 0
    done: int = 0
    offset: int = 0
    round: int = 0
    scale: float = 1.0
    nonfinite: int = 0
    phase_steps: tuple = ()
    rows: tuple = ()
    events: tuple = ()
    train_seconds: float = 0.0

    @property
    def global_step(self) -> int:
        return self.offset + self.done

    def replace(self, **changes) -> "_Book":
        return dataclasses.replace(self, **changes)


def _device_mesh(devices: int | None) -> Mesh | None:
    """A one-axis mesh ("points") over ``devices`` local devices (None: all) of every
    process, process by process; None for one device in all."""
    available = jax.local_devices()
    n = len(available) if devices is None else devices
    if n > len(available):
        raise ValueError(
            f"devices={n} but only {len(available)} local device(s) are visible ({available[0].platform}); "
            f"valid: 1 to {len(available)} (on a CPU, XLA_FLAGS=--xla_force_host_platform_device_count=N makes N)"
        )
    if jax.process_count() == 1:
        return None if n == 1 else Mesh(np.array(available[:n]), ("points",))
    by_process: dict[int, list] = {}
    for device in jax.devices():
        by_process.setdefault(device.process_index, []).append(device)
    chosen = [d for p in sorted(by_process) for d in sorted(by_process[p], key=lambda d: d.id)[:n]]
    return Mesh(np.array(chosen), ("points",))


def _all_finite(loss, tree) -> jax.Array:
    leaves = [jnp.all(jnp.isfinite(leaf)) for leaf in jax.tree.leaves(tree)]
    return jnp.logical_and(jnp.isfinite(loss), jnp.all(jnp.stack(leaves)))


class _Run:
    """One run's compiled functions and its driver loop; not part of the public API."""

    def __init__(self, problem: Problem, model, config: TrainConfig, weights, callback, checkpoint_dir):
        self.problem, self.model, self.config, self.weights0 = problem, model, config, weights
        self.callback, self.checkpoint_dir = callback, checkpoint_dir
        self.fingerprint = fingerprint(problem, model, config)
        self.dtype = DTYPES[describe(model)["dtype"]]
        self.phases: tuple[Phase, ...] = config.phase_list()
        self.methods = [phase.build(config) for phase in self.phases]
        self.transform = trainer_transform(problem, model)
        lower, upper = problem.domain.bounds
        self.input_bounds = (tuple(map(float, lower)), tuple(map(float, upper))) if config.scale_inputs else None
        net_apply, net_params = field_apply(model, self.transform, self.input_bounds)
        learned = problem.learned

        def apply(params, x):
            return net_apply(params["net"], x)

        def learned_values(params):
            return constrained_values(learned, params["learned"]) if learned else None

        self.learned_values, self.net_apply = learned_values, net_apply
        self.params0 = {"net": net_params, "learned": initial_raw(learned, self.dtype)}
        c = config
        terms_fn = make_loss_terms(problem, apply, c.derivatives, c.causal_chunks, c.causal_epsilon, c.chunk_size, learned_values)
        vector_fn = make_residual_vector(problem, apply, c.derivatives, learned_values)
        jacobian_fn = make_residual_jacobian(problem, apply, c.derivatives, learned_values)

        def loss_fn(params, batch, weights):
            terms = terms_fn(params, batch)
            return weighted_total(terms, weights), terms

        def measure(params, batch, weights):
            # At check steps: the loss of the parameters themselves (not of the step before),
            # so a state that passes the check is one whose own loss is finite.
            loss, terms = loss_fn(params, batch, weights)
            return loss, terms, _all_finite(loss, params), learned_values(params)

        def refresh_weights(state, batch):
            norms = weighting.term_gradient_norms(terms_fn, state.params, batch)
            return state.replace(weights=weighting.update(state.weights, norms, c.weighting_momentum))

        self.loss_fn, self.vector_fn, self.jacobian_fn = loss_fn, vector_fn, jacobian_fn
        self.measure = jax.jit(measure)
        self.refresh_weights = refresh_weights  # jitted below, once the device mesh is known
        self.traces = [0] * len(self.phases)  # times each phase's step was traced (compiled)
        self.mesh = _device_mesh(config.devices)
        self.replicated = None if self.mesh is None else NamedSharding(self.mesh, PartitionSpec())
        self.sharded = None if self.mesh is None else NamedSharding(self.mesh, PartitionSpec("points"))
        out = {} if self.mesh is None else {"out_shardings": (self.replicated, self.replicated)}
        self.step_fns = [jax.jit(self._make_step(i, m), **out) for i, m in enumerate(self.methods)]
        # Several steps per dispatch: a loop on the device with a traced trip count, so
        # one program serves every count (and, used for every dispatch of the phase,
        # one compilation).
        self.multi_fns = [
            jax.jit(self._make_multi_step(i, m), **out) if self._dispatches_many(i) else None
            for i, m in enumerate(self.methods)
        ]
        self.refresh_weights = jax.jit(refresh_weights, **({} if self.mesh is None else {"out_shardings": self.replicated}))
        self.device_points = self._device_sampler() if c.resample_on_device and c.resample_every else None
        # Sampling checks the conditions (e.g. a predicate selecting no boundary point)
        # before anything is compiled.
        self.batch0 = self._batch(0)
        self.batch0_host = self.batch_host
        self.eval = None
        # One jitted prediction for the run: the check steps' errors and the final report.
        self.predict = jax.jit(jax.vmap(net_apply, in_axes=(None, 0)))
        if problem.has_solution:
            points, values = problem.evaluation_data(config.eval_resolution)
            self.eval_points = jnp.asarray(points, dtype=self.dtype)
            self.eval_values = jnp.asarray(values, dtype=self.dtype)
            # Points and values are arguments, not constants baked into the program.
            self.eval = jax.jit(lambda params, x, y: relative_l2(self.predict(params, x).reshape(y.shape), y)[0])

    # -- compiled steps --------------------------------------------------------------------
    def _make_step(self, index: int, method):
        def step(state: TrainState, batch):
            self.traces[index] += 1
            objective = Objective(
                loss=lambda p: self.loss_fn(p, batch, state.weights),
                residuals=lambda p: self.vector_fn(p, batch, state.weights),
                jacobian=lambda p: self.jacobian_fn(p, batch, state.weights),
            )
            params, opt_state, info = method.update(objective, state.params, state.opt_state, state.scale)
            return state.replace(params=params, opt_state=opt_state, step=state.step + 1), info

        return step

    def _make_multi_step(self, index: int, method):
        step = self._make_step(index, method)

        def body(i, carry):
            # The barrier makes the batch look new at every step: XLA then compiles the
            # body as it compiles one step alone (nothing hoisted out of the loop, the
            # same fusions), so the trajectory is that of one step per dispatch, bit for bit.
            state, batch = jax.lax.optimization_barrier((carry[0], carry[2]))
            return (*step(state, batch), batch)

        def steps(state: TrainState, batch, n):
            traces = self.traces[index]
            info = jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), jax.eval_shape(step, state, batch)[1])
            self.traces[index] = traces  # eval_shape traced it only for the shapes
            return jax.lax.fori_loop(0, n, body, (state, info, batch))[:2]

        return steps

    def _dispatches_many(self, index: int) -> bool:
        return self.config.steps_per_dispatch > 1 and self._gradient_phase(index)

    def _device_sampler(self):
        """A jitted ``(key data, round) -> PDE points`` drawn uniformly in the domain on the
        device (sharded along the point axis with several devices)."""
        domain = self.problem.domain
        space = domain.space if hasattr(domain, "space") else domain
        if not isinstance(space, Box):
            raise ValueError(
                f"resample_on_device draws points in boxes; the domain of problem {self.problem.name!r} is {domain!r}; "
                "valid domains: Interval, Rectangle, Box, Box3D (times a TimeInterval); set resample_on_device=False"
            )
        lower, upper = (np.asarray(b, dtype=np.float64) for b in domain.bounds)
        n, dtype = self.config.n_interior, self.dtype
        extra = self.problem.extra_points

        def draw(key_data, round_):
            key = jax.random.fold_in(jax.random.wrap_key_data(key_data), round_)
            u = jax.random.uniform(key, (n, len(lower)), dtype=dtype)
            x = jnp.asarray(lower, dtype) + u * jnp.asarray(upper - lower, dtype)
            return x if extra is None else jnp.concatenate([x, jnp.asarray(extra, dtype)])

        total = n + (0 if extra is None else len(extra))
        sharded = self.mesh is not None and total % self.mesh.size == 0
        return jax.jit(draw, **({"out_shardings": self.sharded if sharded else self.replicated} if self.mesh is not None else {}))

    def _batch(self, round_, state: TrainState | None = None):
        """The points of resampling ``round_`` (0: the first), placed on the devices.

        Sets ``self.batch_host``: the global batch as host arrays, or None when it lives
        only on the devices (points drawn on the device or by each process alone)."""
        c = self.config
        if round_ and self.device_points is not None:
            shard = self._shard()
            conditions = sample_conditions(self.problem, c.n_boundary, c.sampler, c.seed, round_, shard)
            conditions = self._place_points(to_host(conditions, self.dtype), shard)
            self.batch_host = None
            return {PDE_TERM: {"x": self.device_points(state.key, round_)}, **conditions}
        shard = self._shard()
        host = to_host(sample_batch(self.problem, c.n_interior, c.n_boundary, c.sampler, c.seed, round_, shard), self.dtype)
        batch = self._place_points(host, shard)
        self.batch_host = host if shard is None else None
        return batch

    def _shard(self):
        """This process's (index, count) when each process samples its own points, else None."""
        count = jax.process_count()
        return (jax.process_index(), count) if self.config.sample_per_process and count > 1 else None

    def _place_points(self, batch, shard=None):
        """Host points on the devices. With several devices each term's points are sharded
        along the point axis (a term whose count does not divide evenly is replicated:
        same numbers, less parallel); ``batch`` holds the global points, or with ``shard``
        this process's own (:meth:`_shard`)."""
        if self.mesh is None:
            return {term: {k: jnp.asarray(v) for k, v in data.items()} for term, data in batch.items()}
        local = len(self.mesh.local_devices)

        def place(a):
            if shard is not None:
                if a.shape[0] % local:
                    raise ValueError(
                        f"sample_per_process: a term of {a.shape[0]} points per process does not divide over "
                        f"{local} local devices; choose point counts that are multiples of {shard[1] * local}"
                    )
                return jax.make_array_from_process_local_data(self.sharded, a)
            sharding = self.sharded if a.shape[0] % self.mesh.size == 0 else self.replicated
            return jax.make_array_from_callback(a.shape, sharding, lambda index: a[index])

        return jax.tree.map(place, batch)

    def _place_state(self, state):
        # With several processes every one holds the same values and puts its own copy.
        return state if self.mesh is None else jax.device_put(state, self.replicated)

    def _gradient_phase(self, index: int) -> bool:
        return not self.methods[index].resets_on_failure

    # -- states ----------------------------------------------------------------------------
    def initial(self) -> tuple[TrainState, _Book]:
        state = TrainState.create(self.params0, self.methods[0].init(self.params0), self.weights0, self.config.seed, self.dtype)
        self.batch, self.batch_host = self.batch0, self.batch0_host
        return self._place_state(state), _Book()

    def _template(self, phase: int) -> dict:
        state = TrainState.create(self.params0, self.methods[0].init(self.params0), self.weights0, self.config.seed, self.dtype)
        if phase < len(self.methods):
            state = state.replace(opt_state=self.methods[phase].init(self.params0))
        batch = self.batch0_host
        if batch is None:  # the global shapes of points that live only on the devices
            batch = jax.tree.map(lambda a: np.zeros(a.shape, a.dtype), self.batch0)
        return {"state": state, "batch": batch}

    def restore(self) -> tuple[TrainState, _Book]:
        """The state of the newest complete checkpoint in ``checkpoint_dir``.

        Checks the problem, network and settings it was written for before reading any
        array; a file that cannot be read (a write cut short) is skipped for the one
        before it.
        """
        def newest():
            ckpt.remove_partial_writes(self.checkpoint_dir)
            step, path, meta, skipped = _newest_compatible(self.checkpoint_dir, self.fingerprint)
            return {"step": step, "path": str(path), "book": meta["book"], "skipped": skipped}

        # Process 0 reads the folder; every process gets its findings and arrays.
        found = distributed.broadcast_json(distributed.on_main(newest))
        step, path, book, skipped = found["step"], Path(found["path"]), found["book"], found["skipped"]
        template = self._template(book["phase"])
        if distributed.is_main():
            tree, _ = ckpt.load_pytree(path, template)
        else:
            tree = jax.device_get(template)
        tree = jax.tree.map(_like, template, distributed.broadcast_tree(_host_tree(tree)))
        note = f"resumed at step {step} from {path.name}"
        if skipped:
            note += f" (skipped unreadable {', '.join(skipped)})"
        host = jax.tree.map(np.asarray, tree["batch"])
        self.batch = self._place_points(host)
        self.batch_host = host
        book = _Book(**{**book, "phase_steps": tuple(book["phase_steps"]), "rows": tuple(book["rows"]), "events": tuple(book["events"]) + (note,)})
        return self._place_state(tree["state"]), book

    def _write_checkpoint(self, state: TrainState, book: _Book, collective: bool = True) -> None:
        """Process 0 writes ``(state, batch, book)``; the others take part in gathering
        points that live only on the devices (``collective=False``: no gathering, no
        checkpoint unless the batch is on the host)."""
        batch = self.batch_host
        if batch is None:
            if not collective and jax.process_count() > 1:
                return
            batch = distributed.gather(self.batch)
        if not distributed.is_main():
            return
        meta = {"format": CHECKPOINT_FORMAT, "fingerprint": self.fingerprint, "book": dataclasses.asdict(book)}
        meta["book"]["phase_steps"] = list(book.phase_steps)
        meta["book"]["rows"], meta["book"]["events"] = list(book.rows), list(book.events)
        tree = {"state": jax.device_get(state), "batch": batch}
        ckpt.save_pytree(ckpt.checkpoint_path(self.checkpoint_dir, book.global_step), tree, meta)
        ckpt.prune_checkpoints(self.checkpoint_dir, self.config.checkpoint_keep)

    # -- the loop ------------------------------------------------------------------------------
    def run(self, state: TrainState, book: _Book) -> Result:
        """Train from ``(state, book)`` to the end (or to a KeyboardInterrupt) and build the Result."""
        self.good = (state, book, self.batch, self.batch_host)  # the last finite, fully recorded state: where a failure goes back to
        self.clock = time.perf_counter()
        try:
            while book.phase < len(self.phases):
                state, book = self._run_phase(state, book)
        except KeyboardInterrupt:
            state, book, self.batch, self.batch_host = self.good
            message = f"interrupted at step {book.global_step} (Ctrl-C); the state of that step is kept"
            if self.checkpoint_dir is not None:
                message += f" and saved in {self.checkpoint_dir}; resume with resume=True"
            book = self._elapsed(book.replace(events=book.events + (message,)))
            if self.checkpoint_dir is not None:
                self._write_checkpoint(state, book, collective=False)
            return self._result(state, book, interrupted=True)
        book = self._elapsed(book)
        if self.checkpoint_dir is not None:
            self._write_checkpoint(state, book)
        return self._result(state, book)

    def _steps_to_event(self, book: _Book, steps: int) -> int:
        """Steps (1 to ``steps_per_dispatch``) from ``book`` to the next check step,
        resampling, weight refresh or phase end: what one dispatch may run."""
        c = self.config
        limit = min(c.steps_per_dispatch, steps - book.done)
        n = 1
        while n < limit:
            at = book.global_step + n  # the global step after n steps
            if self._is_check(at, False) or (c.resample_every and at % c.resample_every == 0):
                break
            if c.weighting == "gradnorm" and at % c.weighting_every == 0:
                break
            n += 1
        return n

    def _is_check(self, global_step: int, phase_end: bool) -> bool:
        c = self.config
        return phase_end or global_step % c.log_every == 0 or bool(c.checkpoint_every and global_step % c.checkpoint_every == 0)

    def _run_phase(self, state: TrainState, book: _Book) -> tuple[TrainState, _Book]:
        c, k = self.config, book.phase
        phase, step_fn, gradient = self.phases[k], self.step_fns[k], self._gradient_phase(k)
        last_phase = k == len(self.phases) - 1
        info: dict = {}
        multi_fn = self.multi_fns[k]
        while book.done < phase.steps:
            g = book.global_step
            if gradient and c.resample_every and g and g % c.resample_every == 0 and g // c.resample_every != book.round:
                book = book.replace(round=g // c.resample_every)
                self.batch = self._batch(book.round, state)
            if gradient and c.weighting == "gradnorm" and g % c.weighting_every == 0:
                state = self.refresh_weights(state, self.batch)
            if multi_fn is None:
                state, info = step_fn(state, self.batch)
                n = 1
            else:
                n = self._steps_to_event(book, phase.steps)
                state, info = multi_fn(state, self.batch, jnp.asarray(n, jnp.int32))
            book = book.replace(done=book.done + n)
            phase_end = book.done == phase.steps
            if not self._is_check(book.global_step, phase_end):
                continue
            loss, terms, ok, learned = self.measure(state.params, self.batch, state.weights)
            if not bool(ok):
                state, book, ended = self._nonfinite(k, book.global_step)
                if ended:
                    return self._next_phase(state, book)
                continue
            state, book, row = self._checked(state, book, loss, terms, learned, info, phase_end, phase_end and last_phase)
            self.good = (state, book, self.batch, self.batch_host)
            if row is not None and self.callback is not None:
                self.callback(row)
        return self._next_phase(state, book)

    def _next_phase(self, state: TrainState, book: _Book) -> tuple[TrainState, _Book]:
        k = book.phase + 1
        book = book.replace(phase=k, done=0, offset=book.global_step, scale=1.0, phase_steps=book.phase_steps + (book.done,))
        if k < len(self.phases):
            one = jnp.asarray(1.0, self.dtype)
            state = state.replace(opt_state=self.methods[k].init(state.params), step=jnp.zeros_like(state.step), scale=one)
            state = self._place_state(state)
        self.good = (state, book, self.batch, self.batch_host)
        return state, book

    def _row(self, state, book: _Book, loss, terms, learned, info, final) -> dict:
        c = self.config
        step = book.global_step
        row = {"step": step, "phase": self.phases[book.phase].name, "seconds": book.train_seconds, "loss": float(loss)}
        row.update({f"loss_{k}": float(v) for k, v in terms.items()})
        row["lr_scale"] = float(book.scale)
        row["nonfinite"] = book.nonfinite
        row.update({f"learned_{k}": float(v) for k, v in (learned or {}).items()})
        row.update({k: float(v) for k, v in info.items()})
        if c.weighting != "fixed":
            row.update({f"weight_{k}": float(v) for k, v in state.weights.items()})
        evaluate = self.eval is not None and (final or (c.eval_every and step % c.eval_every == 0))
        row["rel_l2"] = float(self.eval(state.params["net"], self.eval_points, self.eval_values)) if evaluate else float("nan")
        return row

    def _elapsed(self, book: _Book) -> _Book:
        """``book`` with the time since the last check step added to its training time."""
        now = time.perf_counter()
        seconds, self.clock = book.train_seconds + (now - self.clock), now
        return book.replace(train_seconds=seconds)

    def _checked(self, state, book: _Book, loss, terms, learned, info, phase_end, final):
        """Bookkeeping at a check step whose state is finite: history row and checkpoint."""
        c = self.config
        step = book.global_step
        book = self._elapsed(book)
        row = None
        if phase_end or step % c.log_every == 0:
            row = self._row(state, book, loss, terms, learned, info, final)
            book = book.replace(rows=book.rows + (row,))
        if self.checkpoint_dir is not None and c.checkpoint_every and step % c.checkpoint_every == 0:
            self._write_checkpoint(state, book)
        return state, book, row

    def _nonfinite(self, k: int, failed: int) -> tuple[TrainState, _Book, bool]:
        """Go back to the last good state after step ``failed``; returns ``(state, book, phase ended)``."""
        state, book, self.batch, self.batch_host = self.good
        name, at = f"{self.phases[k].name} step {failed}", book.global_step
        ended = True
        if self._gradient_phase(k):
            scale = book.scale * 0.5
            message = f"{name}: non-finite loss or parameters; restored step {at} and halved the step size (scale {scale:g})"
            state = self._place_state(state.replace(scale=jnp.asarray(scale, self.dtype)))
            book = book.replace(scale=scale)
            ended = scale < MIN_LR_SCALE
            if ended:
                message += f"; the scale is below {MIN_LR_SCALE:g}, so the phase ends"
        else:
            message = f"{name}: non-finite loss or parameters; restored step {at} and ended the phase"
        book = book.replace(nonfinite=book.nonfinite + 1, events=book.events + (message,))
        warnings.warn(message, NonFiniteLossWarning, stacklevel=6)
        self.good = (state, book, self.batch, self.batch_host)
        return state, book, ended

    def _result(self, state: TrainState, book: _Book, interrupted: bool = False) -> Result:
        loss, terms, _, learned = self.measure(state.params, self.batch, state.weights)
        params = state.params
        if jax.process_count() > 1:  # this process's own copy of the replicated parameters
            params = jax.tree.map(jnp.asarray, jax.device_get(params))
        facts = describe(self.model)
        done = list(book.phase_steps) + ([book.done] if book.phase < len(self.phases) else [])
        steps: dict[str, int] = {}
        for phase, n in zip(self.phases, done):
            steps[phase.name] = steps.get(phase.name, 0) + n
        learned = {name: float(v) for name, v in (learned or {}).items()}
        metrics = {
            "problem": self.problem.name,
            "network": facts["network"],
            "activation": facts["activation"],
            "derivatives": self.config.derivatives,
            "dtype": facts["dtype"],
            "seed": self.config.seed,
            "n_params": facts["n_params"],
            "hidden": facts["hidden"],
            "steps": steps,
            "phases": [{**p.to_dict(), "steps_done": n} for p, n in zip(self.phases, done + [0] * (len(self.phases) - len(done)))],
            "compilations": {f"{i}:{p.name}": n for i, (p, n) in enumerate(zip(self.phases, self.traces))},
            "train_seconds": book.train_seconds,
            "final_loss": {k: float(v) for k, v in terms.items()},
            "final_total_loss": float(loss),
            "learned": learned,
            "nonfinite_events": book.nonfinite,
            "interrupted": interrupted,
            "config": self.config.to_dict(),
            "versions": package_versions(),
            "backend": jax.default_backend(),
            "devices": 1 if self.mesh is None else int(self.mesh.size),
            "processes": jax.process_count(),
        }
        truths = {name: p.true_value for name, p in self.problem.learned.items() if p.true_value is not None}
        if truths:
            metrics["learned_error"] = {name: abs(learned[name] - t) / abs(t) if t else abs(learned[name]) for name, t in truths.items()}
        if self.eval is not None:
            values = self.predict(params["net"], self.eval_points).reshape(self.eval_values.shape)
            metrics.update(_error_report(values, self.eval_values, self.problem))
        rows = book.rows
        keys = sorted({k for row in rows for k in row} - {"phase"})
        history = {k: np.array([row.get(k, np.nan) for row in rows], dtype=float) for k in keys}
        history["phase"] = np.array([row["phase"] for row in rows])
        model = with_params(self.model, params["net"])
        return Result(
            self.problem, model, params["net"], history, metrics, self.config, tuple(book.events), interrupted,
            learned, self.transform, self.input_bounds,
        )


def _error_report(values, reference, problem: Problem) -> dict:
    return error_report(values, reference, problem.fields, problem.up_to_constant)


def _like(template, value):
    """``value`` (read from disk) as a JAX array of the template leaf's dtype and weak type."""
    if getattr(template, "weak_type", False) and np.ndim(value) == 0:
        # a Python scalar becomes a weakly typed array, as the optimizer created it
        return jnp.asarray(np.asarray(value).item())
    return jnp.asarray(value, dtype=template.dtype)


def _host_tree(tree):
    """A pytree with host (NumPy) leaves; PRNG keys as their raw data."""
    def host(leaf):
        if hasattr(leaf, "dtype") and jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key):
            leaf = jax.random.key_data(leaf)
        return np.asarray(leaf)

    return jax.tree.map(host, tree)
