"""Every setting of a run, validated at construction: :class:`TrainConfig`.

The optimizer pipeline is a sequence of :class:`pinn.Phase` (``phases=``); without it,
``steps`` Adam steps then ``lbfgs_steps`` L-BFGS steps (the shorthand of the bundled
problems' defaults).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import numpy as np

from pinn.operators import check_engine
from pinn.phases import SCHEDULES, Phase, as_phase
from pinn.sampling import check_sampler

PRECISIONS: tuple[str, ...] = ("highest", "high", "default")
WEIGHTINGS: tuple[str, ...] = ("fixed", "gradnorm")
# Settings that change what is recorded but not the trajectory: a run may be resumed with other values.
RESUMABLE_CHANGES: tuple[str, ...] = ("eval_every", "eval_resolution", "checkpoint_keep", "devices", "steps_per_dispatch")


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
        phases: the optimizer pipeline, a sequence of :class:`pinn.Phase` (or
            ``"adam:2000,lbfgs:3000"``); ``None`` (default): ``steps`` Adam steps, then
            ``lbfgs_steps`` L-BFGS steps.
        weighting: ``"fixed"`` (the terms' own weights) or ``"gradnorm"``: weights
            that balance the terms' gradient norms (:mod:`pinn.weighting`), refreshed
            every ``weighting_every`` steps of a gradient phase with moving average
            ``weighting_momentum``; they live in the training state.
        scale_inputs: map the domain's bounding box to [-1, 1]^d before the network
            (for networks that do not scale their inputs themselves; :class:`pinn.MLP`
            built with ``for_problem`` does).
        devices: train data-parallel over this many local devices (``None``: all of
            them; 1: one device, as before): the points of every term are sharded along
            the point axis over a ``jax.sharding.Mesh``, parameters and optimizer state
            replicated, one jitted step (XLA's SPMD partitioner inserts the reductions).
            With several processes (:mod:`pinn.distributed`): local devices per
            process; the mesh spans every process.
        sample_per_process: with several processes, each samples only its own shard
            of every term (a seed folded with its process index) instead of taking its
            shard of the one global point set; for point sets too large for one host.
            The points, and so the result, then depend on the number of processes.
        steps_per_dispatch: run up to this many steps of a gradient phase in one
            dispatch (a ``lax.fori_loop`` on the device) between check steps; the same
            trajectory, bit for bit, as one step per dispatch. 1 (default): one step
            per dispatch, as before.
        resample_on_device: with ``resample_every``, draw the fresh PDE points on the
            device (``jax.random`` from the state's key; box-shaped domains) instead of
            on the host; condition points are resampled on the host as before.
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
    phases: tuple[Phase, ...] | None = None
    weighting: str = "fixed"
    weighting_every: int = 100
    weighting_momentum: float = 0.9
    scale_inputs: bool = False
    devices: int | None = None
    sample_per_process: bool = False
    steps_per_dispatch: int = 1
    resample_on_device: bool = False

    def __post_init__(self):
        _check_int("steps", self.steps, 0)
        _check_int("lbfgs_steps", self.lbfgs_steps, 0)
        if self.phases is not None:
            phases = self.phases
            if isinstance(phases, str):
                from pinn.phases import parse_phases

                phases = parse_phases(phases)
            elif isinstance(phases, (Phase, Mapping)) or not hasattr(phases, "__iter__"):
                raise ValueError(f"phases must be a sequence of pinn.Phase, got {phases!r}")
            object.__setattr__(self, "phases", tuple(as_phase(p) for p in phases))
            if not any(p.steps for p in self.phases):
                raise ValueError(f"every phase has 0 steps: nothing to train ({list(self.phases)})")
        elif self.steps + self.lbfgs_steps == 0:
            raise ValueError("steps and lbfgs_steps are both 0: nothing to train")
        _check_choice("weighting", self.weighting, WEIGHTINGS)
        _check_int("weighting_every", self.weighting_every, 1)
        _check_number("weighting_momentum", self.weighting_momentum)
        if not 0 <= self.weighting_momentum < 1:
            raise ValueError(f"weighting_momentum must be in [0, 1), got {self.weighting_momentum!r}")
        if not isinstance(self.scale_inputs, bool):
            raise ValueError(f"scale_inputs must be True or False, got {self.scale_inputs!r}")
        if self.devices is not None:
            _check_int("devices", self.devices, 1)
        for name in ("sample_per_process", "resample_on_device"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        _check_int("steps_per_dispatch", self.steps_per_dispatch, 1)
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
        for name in ("lr", "final_lr_ratio", "causal_epsilon", "weighting_momentum"):
            object.__setattr__(self, name, float(getattr(self, name)))

    def replace(self, **changes) -> "TrainConfig":
        valid = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - valid)
        if unknown:
            raise ValueError(f"unknown training setting {unknown[0]!r}; valid settings: {', '.join(sorted(valid))}")
        return dataclasses.replace(self, **changes)

    def phase_list(self) -> tuple[Phase, ...]:
        """The phases this run trains through, zero-step phases left out."""
        if self.phases is not None:
            return tuple(p for p in self.phases if p.steps)
        out = (Phase("adam", self.steps), Phase("lbfgs", self.lbfgs_steps))
        return tuple(p for p in out if p.steps)

    def to_dict(self) -> dict:
        """Plain data (JSON); phases as ``{"method", "steps", options}`` tables."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["weights"] = dict(self.weights)
        data["phases"] = None if self.phases is None else [p.to_dict() for p in self.phases]
        return data

    @classmethod
    def from_dict(cls, settings: Mapping) -> "TrainConfig":
        """A config from plain data (a parsed JSON or TOML table); every key is checked."""
        if not isinstance(settings, Mapping):
            raise ValueError(f"training settings must be a table of key = value pairs, got {settings!r}")
        return cls().replace(**dict(settings))
