"""Runs on disk: write a trained result to a folder, read it back, move point arrays.

A run folder holds::

    config.json    every setting needed to rerun it: problem and physical parameters,
                   network (hidden, activation, dtype, key), training (TrainConfig)
    model.json     the architecture: in_dim, out_dim, hidden, activation, dtype, input_bounds
    metrics.json   errors, final loss terms, steps, time, parameter count, seed, versions, events
    history.csv    one row per log step: step, phase, loss terms, error at evaluation steps
    params.npz     the trained parameters (:func:`pinn.checkpoint.save_pytree`, atomic)
    figures/       PNG figures (written by :mod:`pinn.plot`, not here)
    checkpoints/   training checkpoints (written by the trainer when asked)

``config.json`` carries ``"format": "pinn-run"``: that marks a folder as a run, and
:func:`check_run_directory` refuses to write into a non-empty folder without it, so
nothing else is ever written over.

:func:`pinn.load_run` (:mod:`pinn.result`) reads a folder back. This module knows
files, not results: it takes a result's attributes as they are and never imports the
trainer or the bundled problems.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import os
import platform
import sys
import tempfile
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from pinn.checkpoint import save_pytree
from pinn.nn import DTYPES, describe

RUN_FORMAT = "pinn-run"
RUN_FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
MODEL_FILE = "model.json"
METRICS_FILE = "metrics.json"
HISTORY_FILE = "history.csv"
PARAMS_FILE = "params.npz"
FIGURES_DIR = "figures"
CHECKPOINTS_DIR = "checkpoints"
#: The top-level keys of ``config.json`` (and of a ``pinn solve --config`` file).
CONFIG_KEYS = ("format", "version", "problem", "params", "model", "train")
MODEL_KEYS = ("hidden", "activation", "dtype", "key")
VERSIONED_PACKAGES = ("jax", "jaxlib", "flax", "optax", "numpy", "scipy")


# -- small file helpers ---------------------------------------------------------------
def _write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename (never half-written)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _jsonable(value):
    """Plain JSON types; non-finite floats become None (JSON has no NaN)."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


def write_json(path, data) -> Path:
    path = Path(path)
    _write_text_atomic(path, json.dumps(_jsonable(data), indent=2, ensure_ascii=False) + "\n")
    return path


def read_json(path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON: {err}") from None


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages a result depends on."""
    versions = {"python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    versions["pinn"] = sys.modules["pinn"].__version__ if "pinn" in sys.modules else None
    return versions


# -- what a run folder is -------------------------------------------------------------------
def is_run_directory(directory) -> bool:
    """True when ``directory`` holds a ``config.json`` written by :func:`save_result`."""
    path = Path(directory) / CONFIG_FILE
    if not path.is_file():
        return False
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("format") == RUN_FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def check_run_directory(directory, *, allow_existing_run: bool = True) -> Path:
    """Refuse ``directory`` as an output folder unless writing there loses nothing.

    Accepted: a folder that does not exist, an empty one, one holding only a
    ``checkpoints/`` folder (a run killed before it saved), and -- when
    ``allow_existing_run`` -- a run folder written before. Anything else raises a
    ValueError naming what is in the way.
    """
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ValueError(f"output folder {directory} is a file, not a folder")
    if not directory.exists():
        return directory
    if is_run_directory(directory):
        if not allow_existing_run:
            raise ValueError(
                f"output folder {directory} already holds a run; choose another --out, "
                f"or pass --resume to continue that run"
            )
        return directory
    entries = sorted(p.name for p in directory.iterdir())
    others = [e for e in entries if e != CHECKPOINTS_DIR]
    if others:
        shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
        raise ValueError(
            f"output folder {directory} holds files that are not a pinn run ({shown}); "
            f"choose an empty or new folder"
        )
    return directory


# -- settings ---------------------------------------------------------------------------
def model_settings(model, key=None) -> dict:
    """The settings :meth:`pinn.MLP.for_problem` needs to rebuild ``model``.

    ``key`` is the integer seed of the initialisation when known; ``None`` otherwise.
    """
    if key is None:
        key = getattr(model, "key", None)
    key = int(key) if isinstance(key, (int, np.integer)) and not isinstance(key, bool) else None
    facts = describe(model)
    return {"hidden": facts["hidden"], "activation": facts["activation"], "dtype": facts["dtype"], "key": key}


def architecture(model, problem=None, result=None) -> dict:
    """What ``model.json`` holds: the network's shape, and what the trainer added on top."""
    facts = describe(model)
    bounds = getattr(model, "input_bounds", None)
    arch = {
        "network": facts["network"],
        "in_dim": getattr(model, "in_dim", None if problem is None else problem.domain.dim),
        "out_dim": getattr(model, "out_dim", None if problem is None else problem.n_fields),
        "hidden": facts["hidden"],
        "activation": facts["activation"],
        "dtype": facts["dtype"],
        "input_bounds": None if bounds is None else [list(b) for b in bounds],
        "n_params": facts["n_params"],
        "output_transform": _function_name(getattr(model, "output_transform", None)),
    }
    config = getattr(model, "config", None)
    if callable(config):
        arch["config"] = config()  # the library's own networks rebuild from it (pinn.network_from_config)
    if result is not None:
        trainer_bounds = result.input_bounds
        arch["trainer"] = {
            "output_transform": _function_name(result.output_transform),
            "input_bounds": None if trainer_bounds is None else [list(b) for b in trainer_bounds],
        }
    if problem is not None:
        arch["coordinates"] = list(problem.coordinates)
        arch["fields"] = list(problem.fields)
    return arch


def _function_name(fn) -> str | None:
    """A readable name for a function stored in a model (its code is not saved)."""
    if fn is None:
        return None
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def run_config(problem, model, config, key=None) -> dict:
    """The content of ``config.json``: the same keys ``pinn solve --config`` reads."""
    return {
        "format": RUN_FORMAT,
        "version": RUN_FORMAT_VERSION,
        "problem": problem.name,
        "params": dict(problem.params),
        "model": model_settings(model, key),
        "train": config.to_dict(),
    }


def write_run_settings(directory, problem, model, config, key=None) -> Path:
    """Write ``config.json`` and ``model.json`` (before training, so a killed run is still a run)."""
    directory = check_run_directory(directory)
    directory.mkdir(parents=True, exist_ok=True)
    write_json(directory / CONFIG_FILE, run_config(problem, model, config, key))
    write_json(directory / MODEL_FILE, architecture(model, problem))
    return directory


# -- history ------------------------------------------------------------------------------
def _history_columns(history: Mapping[str, np.ndarray]) -> list[str]:
    first = [c for c in ("step", "phase", "loss") if c in history]
    terms = sorted(c for c in history if c.startswith("loss_"))
    rest = sorted(c for c in history if c not in first and c not in terms)
    return first + terms + rest


def write_history(path, history: Mapping[str, np.ndarray]) -> Path:
    """``history.csv``: one row per log step; an empty cell where a value was not measured."""
    path = Path(path)
    columns = _history_columns(history)
    n = len(next(iter(history.values()))) if history else 0

    def cell(column, i):
        value = history[column][i]
        if column == "phase":
            return str(value)
        value = float(value)
        if not math.isfinite(value):
            return "" if math.isnan(value) else repr(value)
        return str(int(value)) if column == "step" else repr(value)

    lines = [",".join(columns)]
    lines += [",".join(cell(c, i) for c in columns) for i in range(n)]
    _write_text_atomic(path, "\n".join(lines) + "\n")
    return path


def read_history(path) -> dict[str, np.ndarray]:
    path = Path(path)
    if not path.is_file():
        return {}
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return {}
    history = {}
    for column in rows[0]:
        values = [row[column] for row in rows]
        if column == "phase":
            history[column] = np.array(values)
        else:
            history[column] = np.array([float(v) if v != "" else np.nan for v in values], dtype=float)
    return history


# -- save and load ----------------------------------------------------------------------------
def result_metrics(result) -> dict:
    """``metrics.json``: the result's metrics plus events, versions and the interrupted flag."""
    metrics = dict(result.metrics)
    facts = describe(result.model)
    metrics.setdefault("problem", result.problem.name)
    metrics.setdefault("activation", facts["activation"])
    metrics.setdefault("dtype", facts["dtype"])
    metrics.setdefault("seed", result.config.seed)
    metrics.setdefault("derivatives", result.config.derivatives)
    metrics.setdefault("n_params", facts["n_params"])
    metrics["learned"] = {name: float(v) for name, v in result.learned.items()}
    metrics["interrupted"] = bool(getattr(result, "interrupted", False))
    metrics["events"] = list(result.events)
    metrics["versions"] = package_versions()
    return metrics


def save_result(result, directory, *, key=None) -> Path:
    """Write a result to ``directory`` (created if needed); returns the folder.

    ``key`` is the integer seed the network was initialised with, recorded in
    ``config.json``. Re-saving into a run folder rewrites it; a non-empty folder that
    is not a run is refused (ValueError).
    """
    directory = check_run_directory(directory)
    directory.mkdir(parents=True, exist_ok=True)
    if key is None and is_run_directory(directory):
        # Keep the seed written before training (the CLI writes config.json first).
        key = read_json(directory / CONFIG_FILE).get("model", {}).get("key")
    write_json(directory / CONFIG_FILE, run_config(result.problem, result.model, result.config, key))
    write_json(directory / MODEL_FILE, architecture(result.model, result.problem, result))
    save_pytree(
        directory / PARAMS_FILE,
        result.params,
        meta={"problem": result.problem.name, "architecture": architecture(result.model)},
    )
    write_history(directory / HISTORY_FILE, result.history)
    write_json(directory / METRICS_FILE, result_metrics(result))
    return directory


# -- point arrays in and out -------------------------------------------------------------------
ARRAY_SUFFIXES = (".npy", ".csv")


def check_array_suffix(path: Path, what: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in ARRAY_SUFFIXES:
        raise ValueError(f"{what} {path} must end in {' or '.join(ARRAY_SUFFIXES)}, got {suffix or 'no suffix'!r}")
    return suffix


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_points(path, dim: int, coordinates: Sequence[str] = ()) -> np.ndarray:
    """Read an (n, dim) array of points from ``.npy`` or ``.csv`` (a header row is skipped)."""
    path = Path(path)
    suffix = check_array_suffix(path, "points file")
    if not path.is_file():
        raise FileNotFoundError(f"points file {path} not found")
    if suffix == ".npy":
        try:
            points = np.load(path, allow_pickle=False)
        except ValueError as err:
            raise ValueError(f"points file {path} is not a numeric .npy array: {err}") from None
    else:
        text = path.read_text(encoding="utf-8").strip().splitlines()
        if text and all(not _is_float(cell) for cell in text[0].split(",")):
            text = text[1:]  # a header row of column names
        try:
            points = np.array([[float(v) for v in line.split(",")] for line in text if line.strip()])
        except ValueError as err:
            raise ValueError(f"points file {path} has a non-numeric entry: {err}") from None
        if points.size == 0:
            points = points.reshape(0, dim)
    names = f" ({', '.join(coordinates)})" if coordinates else ""
    if points.dtype.kind not in "fiu":
        raise ValueError(f"points file {path} must hold numbers, got dtype {points.dtype}")
    if points.ndim == 1 and dim == 1:
        points = points[:, None]
    if points.ndim != 2 or points.shape[1] != dim:
        raise ValueError(f"points in {path} must have shape (n, {dim}){names}, got {points.shape}")
    if len(points) == 0:
        raise ValueError(f"points file {path} holds no points")
    if not np.isfinite(points).all():
        raise ValueError(f"points file {path} holds non-finite values")
    return points.astype(np.float64)


def write_array(path, values: np.ndarray, columns: Sequence[str]) -> Path:
    """Write (n, k) ``values`` as ``.npy`` or as ``.csv`` with a header of ``columns``."""
    path = Path(path)
    suffix = check_array_suffix(path, "output file")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"output folder {path.parent} does not exist")
    values = np.asarray(values, dtype=np.float64)
    if suffix == ".npy":
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                np.save(f, values)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    else:
        lines = [",".join(columns)] + [",".join(repr(float(v)) for v in row) for row in values]
        _write_text_atomic(path, "\n".join(lines) + "\n")
    return path


# -- fields and derived quantities at points ----------------------------------------------------
def output_columns(result, derived: Mapping, requested: Sequence[str] | None = None) -> list[str]:
    """Columns of a prediction: the problem's fields, then the requested derived quantities.

    Naming a field in ``requested`` is allowed (fields are always included); an unknown
    name raises a ValueError listing the valid ones.
    """
    fields = list(result.problem.fields)
    valid = fields + [name for name in derived if name not in fields]
    columns = list(fields)
    for name in requested or ():
        if name not in valid:
            raise ValueError(f"unknown field {name!r} for problem {result.problem.name!r}; valid fields: {', '.join(valid)}")
        if name not in columns:
            columns.append(name)
    return columns


def predict_columns(result, points, columns: Sequence[str], derived: Mapping | None = None) -> np.ndarray:
    """Values (n, len(columns)) of fields and derived quantities of a trained result at ``points``.

    A derived quantity is ``fn(u, x, **params)`` at one point, ``u`` the trained network
    as a function of one point (e.g. a stress from the displacement's Jacobian).
    """
    points = np.atleast_2d(np.asarray(points, dtype=np.float64))
    fields = result.problem.fields
    values = result.predict(points)
    out = []
    extra = [c for c in columns if c not in fields]
    if extra:
        derived = derived or {}
        with jax.enable_x64(result.dtype == "float64"):
            apply, params = result.solution()
            dtype = DTYPES[result.dtype]

            def u(x):
                return apply(params, x)

            problem_params = result.problem.param_values(result.learned)
            fns = [derived[name] for name in extra]
            at_point = jax.jit(jax.vmap(lambda x: jnp.stack([jnp.asarray(fn(u, x, **problem_params)) for fn in fns])))
            extra_values = np.concatenate(
                [np.asarray(at_point(jnp.asarray(points[i : i + 16384], dtype=dtype))) for i in range(0, len(points), 16384)]
            ).reshape(len(points), len(extra))
    for column in columns:
        if column in fields:
            out.append(values[:, fields.index(column)])
        else:
            out.append(extra_values[:, extra.index(column)])
    return np.stack(out, axis=1)
