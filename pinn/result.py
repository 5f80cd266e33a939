"""What a run gives back: :class:`Result`, and :func:`load_run` to read a saved one.

``result.predict(points)`` (or ``result(points)``) evaluates the solution, with the
problem's output transform and any input scaling the trainer applied, in the
network's own precision; ``result.model`` is the trained network itself;
``result.learned`` holds the learned problem parameters.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from pinn import io
from pinn.checkpoint import load_pytree
from pinn.config import TrainConfig
from pinn.evaluate import batched_predict, predictor
from pinn.networks import NETWORKS, network_from_config
from pinn.nn import DTYPES, MLP, describe, field_apply, pure_apply, with_params
from pinn.problem import Problem


@dataclasses.dataclass(frozen=True)
class Result:
    """What :func:`pinn.solve` returns: trained network, parameters, history and metrics.

    Attributes:
        problem: the problem solved.
        model: the trained network (the module passed to ``solve``, trained).
        params: the network's trained parameters (``nnx.State``).
        history: columns of the history (step, phase, seconds, loss terms, errors, ...).
        metrics: final errors, losses, steps, time and settings (``metrics.json``).
        config: the :class:`pinn.TrainConfig` of the run.
        events: notes of the run (restored non-finite steps, resumes, interruption).
        interrupted: True when Ctrl-C stopped the run (it holds its last check step).
        learned: learned problem parameters, name -> value.
        output_transform: the output transform the trainer applied on top of the
            network (``None`` when the network applies it itself, or there is none).
        input_bounds: the box the trainer mapped to [-1, 1]^d (``scale_inputs``), or None.
    """

    problem: Problem
    model: nnx.Module
    params: Any
    history: dict[str, np.ndarray]
    metrics: dict
    config: TrainConfig
    events: tuple[str, ...] = ()
    interrupted: bool = False
    learned: dict[str, float] = dataclasses.field(default_factory=dict)
    output_transform: Callable | None = None
    input_bounds: Any = None

    @property
    def rel_l2(self) -> float:
        return self.metrics.get("rel_l2", float("nan"))

    @property
    def rel_l2_per_field(self) -> dict[str, float]:
        return self.metrics.get("rel_l2_per_field", {})

    @property
    def dtype(self) -> str:
        return describe(self.model)["dtype"]

    def solution(self) -> tuple[Callable, Any]:
        """``(apply, params)``: the solution ``apply(params, x)`` at one point, pure."""
        return field_apply(self.model, self.output_transform, self.input_bounds)

    def predict(self, points) -> np.ndarray:
        """The trained fields at ``points`` (n, d): an array (n, number of fields), in the
        network's own precision."""
        points = np.atleast_2d(np.asarray(points, dtype=np.float64))
        if points.shape[1] != self.problem.domain.dim:
            raise ValueError(
                f"points must have {self.problem.domain.dim} columns {self.problem.coordinates}, got shape {points.shape}"
            )
        with jax.enable_x64(self.dtype == "float64"):
            apply, params, predict = self._predictor
            return np.asarray(batched_predict(apply, params, jnp.asarray(points, dtype=DTYPES[self.dtype]), predict=predict))

    @functools.cached_property
    def _predictor(self):
        """``(apply, params, jitted prediction)``, made once: later calls reuse the compiled program."""
        with jax.enable_x64(self.dtype == "float64"):
            apply, params = self.solution()
        return apply, params, predictor(apply)

    def __call__(self, x) -> np.ndarray:
        """The solution at one point (d,) -- a scalar or (m,) -- or at points (n, d)."""
        x = np.asarray(x, dtype=np.float64)
        values = self.predict(x)
        if x.ndim == 1:
            return values[0, 0] if self.problem.n_fields == 1 else values[0]
        return values[:, 0] if self.problem.n_fields == 1 else values

    def save(self, directory) -> Path:
        """Write metrics, config, history and parameters to ``directory`` (see :mod:`pinn.io`)."""
        return io.save_result(self, directory)


def load_run(directory, problem=None, model: nnx.Module | None = None) -> Result:
    """Rebuild a saved run: its problem, network and trained parameters, as a :class:`Result`.

    Args:
        directory: a folder written by :meth:`pinn.Result.save`.
        problem: the :class:`pinn.Problem` of the run, or a factory
            ``factory(name, params) -> Problem`` (the command line passes the registry
            of bundled problems). The core never imports the bundled problems itself.
        model: a network of the same architecture to load the parameters into, for a
            network that is not a :class:`pinn.MLP` (an MLP is rebuilt from ``model.json``).

    Raises:
        FileNotFoundError: the folder or one of its files is missing.
        ValueError: the folder is not a run, or the parameters do not fit the architecture.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"run folder {directory} not found")
    if not io.is_run_directory(directory):
        raise ValueError(f"{directory} is not a pinn run folder (no {io.CONFIG_FILE} written by pinn)")
    settings = io.read_json(directory / io.CONFIG_FILE)
    arch = io.read_json(directory / io.MODEL_FILE)
    if not (directory / io.PARAMS_FILE).is_file():
        raise FileNotFoundError(
            f"{directory / io.PARAMS_FILE} not found: the run has no trained parameters yet "
            f"(was it killed before it saved? resume it with --resume)"
        )
    if problem is None:
        raise ValueError(
            f"load_run needs the problem of run {directory} ({settings.get('problem')!r}): pass problem=... "
            "(a pinn.Problem, or a factory(name, params) such as the bundled problems' registry)"
        )
    if not isinstance(problem, Problem):
        problem = problem(settings["problem"], dict(settings.get("params", {})))
    if problem.name != settings["problem"]:
        raise ValueError(f"run {directory} is of problem {settings['problem']!r}, not {problem.name!r}")
    if (arch["in_dim"], arch["out_dim"]) != (problem.domain.dim, problem.n_fields):
        raise ValueError(
            f"run {directory} maps {arch['in_dim']} -> {arch['out_dim']} but problem {problem.name!r} has "
            f"{problem.domain.dim} coordinates and {problem.n_fields} fields"
        )
    if model is None and arch.get("network") in NETWORKS and arch.get("config"):
        transform = problem.output_transform if arch.get("output_transform") else None
        model = network_from_config(arch["config"], output_transform=transform)
    if model is None:
        if arch.get("network", "MLP") != "MLP":
            raise ValueError(
                f"run {directory} trained a {arch['network']}: pass model=... (a network of the same architecture)"
            )
        bounds = arch.get("input_bounds")
        model = MLP(
            arch["in_dim"],
            arch["out_dim"],
            tuple(arch["hidden"]),
            arch["activation"],
            key=settings.get("model", {}).get("key") or 0,  # recorded, not used: the parameters are loaded
            dtype=arch["dtype"],
            input_bounds=None if bounds is None else (tuple(bounds[0]), tuple(bounds[1])),
            output_transform=problem.output_transform if arch.get("output_transform") else None,
        )
    dtype = describe(model)["dtype"]
    with jax.enable_x64(dtype == "float64"):
        _, template = pure_apply(model)
        loaded, _ = load_pytree(directory / io.PARAMS_FILE, template)
        params = jax.tree.map(lambda t, a: jnp.asarray(a, dtype=t.dtype), template, loaded)
        model = with_params(model, params)
    metrics = io.read_json(directory / io.METRICS_FILE) if (directory / io.METRICS_FILE).is_file() else {}
    train = settings.get("train", {})
    valid = {f.name for f in dataclasses.fields(TrainConfig)}
    config = TrainConfig(**{k: v for k, v in train.items() if k in valid})
    history = io.read_history(directory / io.HISTORY_FILE)
    learned = {name: float(v) for name, v in metrics.get("learned", {}).items()}
    trainer = arch.get("trainer", {})
    transform = problem.output_transform if trainer.get("output_transform") else None
    bounds = trainer.get("input_bounds")
    return Result(
        problem, model, params, history, metrics, config, tuple(metrics.get("events", ())),
        bool(metrics.get("interrupted", False)), learned, transform,
        None if bounds is None else (tuple(bounds[0]), tuple(bounds[1])),
    )
