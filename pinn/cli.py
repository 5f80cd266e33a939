"""The ``pinn`` command: solve bundled problems, inspect and reuse finished runs.

::

    pinn list                                   the bundled problems
    pinn solve heat1d                           train with the defaults, write runs/heat1d-<time>/
    pinn solve elasticity_plate --activation relu --steps 2000 --out runs/plate-relu
    pinn solve --config runs/plate-relu/config.json --out runs/again    the same run again
    pinn solve heat1d_inverse --data measured.csv      learn kappa from your measurements (header x,t,u)
    pinn evaluate runs/plate-relu               recompute its errors and figures
    pinn predict runs/plate-relu --points xy.csv --out u.csv --fields sigma_xx
    pinn predict runs/plate-relu --mesh plate.msh --out u.vtu        on your mesh, for ParaView
    pinn export runs/plate-relu --format xdmf   fields and derived quantities on a grid, for ParaView
    pinn activations                            the activation table
    pinn compare heat1d --activations relu,tanh,swish,gelu

Strings from the command line and config files are parsed here, at the edge: every
bad value ends in one line ``pinn: error: ...`` on stderr and exit status 2, before
any training starts. Set ``PINN_DEBUG=1`` to see the traceback instead.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import inspect
import json
import math
import os
import sys
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_PEER_LOST = 3  # another process of a distributed run stopped; the checkpoints are intact


class _Parser(argparse.ArgumentParser):
    """argparse with errors as ONE line (``pinn: error: ...``) instead of usage + message."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"pinn: error: {message} (see '{self.prog} --help')\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive finite number, got {text!r}")
    return value


def _param(text: str) -> tuple[str, float]:
    """``NAME=VALUE`` of ``--param``: a problem parameter and its number."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"must be NAME=VALUE such as noise=0.05, got {text!r}")
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"the value of {name.strip()!r} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise argparse.ArgumentTypeError(f"the value of {name.strip()!r} must be finite, got {value!r}")
    return name.strip(), number


def _names(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"must be a comma-separated list of names, got {text!r}")
    return names


# -- settings: defaults, config file, command line ------------------------------------------------
def _type_name(value) -> str:
    return type(value).__name__


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _train_field_kinds() -> dict[str, str]:
    """TrainConfig field -> the JSON type it takes ('int', 'float', 'str', 'int?', 'table')."""
    import dataclasses

    from pinn.config import TrainConfig

    kinds = {}
    for field in dataclasses.fields(TrainConfig):
        annotation = str(field.type).replace(" ", "")
        if annotation in ("int", "float", "str"):
            kinds[field.name] = annotation
        elif annotation in ("int|None", "Optional[int]"):
            kinds[field.name] = "int?"
        elif "Mapping" in annotation or "dict" in annotation:
            kinds[field.name] = "table"
        else:
            kinds[field.name] = "any"
    return kinds


def _check_kind(where: str, value, kind: str) -> None:
    ok = {
        "int": _is_int(value),
        "int?": value is None or _is_int(value),
        "float": _is_number(value),
        "str": isinstance(value, str),
        "table": isinstance(value, Mapping) and all(isinstance(k, str) and _is_number(v) for k, v in value.items()),
        "any": True,
    }[kind]
    if not ok:
        wanted = {
            "int": "an integer",
            "int?": "an integer or null",
            "float": "a number",
            "str": "a string",
            "table": "a table of names to numbers",
        }[kind]
        raise ValueError(f"config key {where!r} must be {wanted}, got {value!r} ({_type_name(value)})")


def read_config_file(path) -> dict:
    """Read and check a run config (``.toml`` or ``.json``) with the keys of ``config.json``.

    Returns ``{"problem": str | None, "params": {...}, "model": {...}, "train": {...}}``
    holding only the keys the file sets. Unknown keys and wrong types raise a ValueError
    naming the key.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"config file {path} not found")
    suffix = path.suffix.lower()
    if suffix == ".toml":
        import tomllib

        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as err:
            raise ValueError(f"config file {path} is not valid TOML: {err}") from None
    elif suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise ValueError(f"config file {path} is not valid JSON: {err}") from None
    else:
        raise ValueError(f"config file {path} must end in .toml or .json, got {suffix or 'no suffix'!r}")
    return check_config(data, str(path))


def check_config(data, source: str = "config") -> dict:
    """Check the keys and types of run settings (see :func:`read_config_file`)."""
    from pinn import io

    if not isinstance(data, Mapping):
        raise ValueError(f"{source} must hold a table of settings, got {_type_name(data)}")
    unknown = sorted(set(data) - set(io.CONFIG_KEYS))
    if unknown:
        raise ValueError(f"{source}: unknown config key {unknown[0]!r}; valid keys: {', '.join(io.CONFIG_KEYS)}")
    if "format" in data and data["format"] != io.RUN_FORMAT:
        raise ValueError(f"{source}: config key 'format' must be {io.RUN_FORMAT!r}, got {data['format']!r}")
    if "version" in data and data["version"] != io.RUN_FORMAT_VERSION:
        raise ValueError(f"{source}: config key 'version' must be {io.RUN_FORMAT_VERSION}, got {data['version']!r}")
    out = {"problem": None, "params": {}, "model": {}, "train": {}}
    try:
        if "problem" in data:
            _check_kind("problem", data["problem"], "str")
            out["problem"] = data["problem"]
        for section in ("params", "model", "train"):
            if section in data and not isinstance(data[section], Mapping):
                raise ValueError(f"config key {section!r} must be a table, got {data[section]!r} ({_type_name(data[section])})")
        for key, value in data.get("params", {}).items():
            _check_kind(f"params.{key}", value, "float")
            out["params"][key] = value
        model = data.get("model", {})
        unknown = sorted(set(model) - set(io.MODEL_KEYS))
        if unknown:
            raise ValueError(f"unknown config key 'model.{unknown[0]}'; valid keys: {', '.join('model.' + k for k in io.MODEL_KEYS)}")
        if "hidden" in model:
            hidden = model["hidden"]
            if not isinstance(hidden, list) or not hidden or not all(_is_int(w) and w > 0 for w in hidden):
                raise ValueError(f"config key 'model.hidden' must be a list of positive integers such as [64, 64, 64], got {hidden!r}")
            out["model"]["hidden"] = tuple(hidden)
        for key, kind in (("activation", "str"), ("dtype", "str"), ("key", "int?")):
            if key in model:
                _check_kind(f"model.{key}", model[key], kind)
                out["model"][key] = model[key]
        kinds = _train_field_kinds()
        train = data.get("train", {})
        unknown = sorted(set(train) - set(kinds))
        if unknown:
            raise ValueError(f"unknown config key 'train.{unknown[0]}'; valid keys: {', '.join('train.' + k for k in kinds)}")
        for key, value in train.items():
            _check_kind(f"train.{key}", value, kinds[key])
            out["train"][key] = dict(value) if kinds[key] == "table" else value
    except ValueError as err:
        message = str(err)
        raise ValueError(message if message.startswith(source) else f"{source}: {message}") from None
    return out


def _merge(base: dict, override: dict) -> dict:
    from problems.registry import override_training

    merged = {"problem": override.get("problem") or base.get("problem")}
    for section in ("params", "model"):
        merged[section] = {**base.get(section, {}), **override.get(section, {})}
    # --steps on defaults given as phases trains those steps, not the defaults' phases
    merged["train"] = override_training(base.get("train", {}), override.get("train", {}))
    return merged


def _command_line_settings(args) -> dict:
    """The settings named by flags of ``pinn solve`` (only those given)."""
    model, train = {}, {}
    if args.activation is not None:
        from pinn.activations import get_activation

        model["activation"] = get_activation(args.activation).name  # a typo lists the valid names
    if args.float64:
        model["dtype"] = "float64"
    if args.float32:
        model["dtype"] = "float32"
    if args.seed is not None:
        model["key"] = args.seed
        train["seed"] = args.seed
    overrides = (("steps", "steps"), ("lbfgs_steps", "lbfgs_steps"), ("lr", "lr"), ("points", "n_interior"), ("chunk_size", "chunk_size"))
    for flag, key in overrides:
        if getattr(args, flag) is not None:
            train[key] = getattr(args, flag)
    if args.derivatives is not None:
        from pinn.operators import check_engine

        train["derivatives"] = check_engine(args.derivatives)
    if getattr(args, "phases", None) is not None:
        from pinn.phases import parse_phases

        train["phases"] = [p.to_dict() for p in parse_phases(args.phases)]  # a typo lists the valid names
    if getattr(args, "weighting", None) is not None:
        train["weighting"] = args.weighting
    if getattr(args, "devices", None) is not None:
        train["devices"] = args.devices
    if getattr(args, "steps_per_dispatch", None) is not None:
        train["steps_per_dispatch"] = args.steps_per_dispatch
    if getattr(args, "sample_per_process", False):
        train["sample_per_process"] = True
    params = dict(getattr(args, "param", None) or [])  # checked against the problem in resolve_run
    settings = {"params": params, "model": model, "train": train}
    if getattr(args, "recipe", None) is not None:
        settings["recipe"] = args.recipe  # checked against the problem in resolve_run
    return settings


def _apply_shape(model: dict, width: int | None, depth: int | None) -> dict:
    if width is None and depth is None:
        return model
    hidden = tuple(model["hidden"])
    width = width if width is not None else hidden[0]
    depth = depth if depth is not None else len(hidden)
    return {**model, "hidden": (width,) * depth}


def _check_params(spec, params: Mapping) -> None:
    valid = [
        name
        for name, p in inspect.signature(spec.build).parameters.items()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    for name in params:
        if name not in valid:
            listed = ", ".join(valid) if valid else "none"
            raise ValueError(f"unknown parameter {name!r} of problem {spec.name!r}; valid parameters: {listed}")


def resolve_run(name: str | None, file_settings: dict | None, flags: dict, width=None, depth=None):
    """Build (spec, problem, model, config, key) from defaults < config file < flags.

    Everything is checked here, before any training step.
    """
    import problems

    from pinn.config import TrainConfig

    file_settings = file_settings or {"problem": None, "params": {}, "model": {}, "train": {}}
    file_problem = file_settings.get("problem")
    if name is not None and file_problem is not None and name != file_problem:
        raise ValueError(f"problem {name!r} on the command line differs from {file_problem!r} in the config file")
    name = name or file_problem
    if name is None:
        raise ValueError("name a problem (see 'pinn list') or give --config FILE")
    spec = problems.get(name)
    model_defaults, train_defaults = spec.split_settings({}, flags.get("recipe"))  # an unknown recipe lists the valid ones
    settings = _merge({"params": {}, "model": model_defaults, "train": train_defaults}, file_settings)
    settings = _merge(settings, flags)
    model_settings = _apply_shape(settings["model"], width, depth)
    _check_params(spec, settings["params"])
    config = TrainConfig().replace(**settings["train"])  # cheap checks first, the problem's own after
    problem = spec.problem(**settings["params"])
    key = model_settings.get("key")
    key = 0 if key is None else key
    # Through the spec: a bundled problem may start its network its own way (wave1d).
    model = spec.make_model(
        problem,
        hidden=tuple(model_settings["hidden"]),
        activation=model_settings["activation"],
        key=key,
        dtype=model_settings["dtype"],
    )
    return spec, problem, model, config, key


# -- output ---------------------------------------------------------------------------------
@contextlib.contextmanager
def _warnings_as_lines():
    """Show warnings (e.g. the ReLU curvature warning) as ``pinn: warning: ...`` lines on stderr."""
    with warnings.catch_warnings():

        def show(message, category, filename, lineno, file=None, line=None):
            print(f"pinn: warning: {message}", file=sys.stderr, flush=True)

        warnings.showwarning = show
        yield


def _default_out(name: str) -> Path:
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path("runs") / f"{name}-{stamp}"
    n = 2
    while out.exists():
        out = Path("runs") / f"{name}-{stamp}-{n}"
        n += 1
    return out


def _fmt(value) -> str:
    return f"{value:.3e}" if isinstance(value, (int, float)) and value is not None and math.isfinite(value) else "n/a"


def print_summary(result, directory: Path, target: float | None, figures: Sequence[Path]) -> None:
    m = result.metrics
    steps = m.get("steps", {})
    state = "stopped early (interrupted)" if getattr(result, "interrupted", False) else "solved"
    print(
        f"{result.problem.name} {state} in {m.get('train_seconds', float('nan')):.1f} s: "
        f"{' + '.join(f'{n} {name}' for name, n in steps.items())} steps, "
        f"{m.get('n_params', 0):,} parameters, {m.get('activation')}, {m.get('dtype')}"
    )
    rel = m.get("rel_l2")
    if rel is not None:
        line = f"  relative L2 error  {_fmt(rel)}"
        if target is not None and isinstance(rel, float) and math.isfinite(rel):
            line += f"  (target {target:.0e}: {'reached' if rel <= target else 'not reached'})"
        per_field = m.get("rel_l2_per_field") or {}
        if len(per_field) > 1:
            line += "  " + ", ".join(f"{k} {_fmt(v)}" for k, v in per_field.items())
        print(line)
    losses = m.get("final_loss") or {}
    if losses:
        print("  final loss terms   " + ", ".join(f"{k} {_fmt(v)}" for k, v in losses.items()))
    for event in result.events:
        print(f"  event: {event}")
    files = sorted(p.name for p in directory.iterdir() if p.is_file() and not p.name.startswith("."))
    print(f"  results in         {directory}/")
    print(f"                     {' '.join(files)}")
    if figures:
        print(f"                     {' '.join(str(p.relative_to(directory)) for p in figures)}")


def _remove_unstarted(out: Path) -> None:
    """Remove the settings written for a run that failed before any checkpoint or result."""
    from pinn import io

    checkpoints = out / io.CHECKPOINTS_DIR
    if checkpoints.is_dir() and any(checkpoints.iterdir()):
        return
    for name in (io.CONFIG_FILE, io.MODEL_FILE):
        (out / name).unlink(missing_ok=True)
    for folder in (checkpoints, out):
        with contextlib.suppress(OSError):
            folder.rmdir()  # only when empty


def _write_figures(result, directory: Path, derived) -> list[Path]:
    from pinn import io, plot

    try:
        return plot.plot_result(result, directory / io.FIGURES_DIR, derived=derived)
    except Exception as err:  # the run is saved; a figure that fails must not lose it
        if os.environ.get("PINN_DEBUG"):
            raise
        print(f"pinn: warning: figures could not be drawn: {err}", file=sys.stderr)
        return []


# -- subcommands ------------------------------------------------------------------------------
def _axes(spec) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(coordinates, fields) of a bundled problem, by building it (which also checks it)."""
    problem = spec.problem()
    return problem.coordinates, problem.fields


def _learns(spec) -> str | None:
    """What an inverse problem learns and from which measurements, in one line (None: nothing)."""
    from pinn.conditions import Data

    learns = getattr(spec, "learns", None)
    if not learns:
        return None
    problem = spec.problem()
    parts = []
    for name, target in learns.items():
        p = problem.learned.get(name)
        if p is not None:
            truth = "" if p.true_value is None else f", true {p.true_value:g}"
            parts.append(f"{name} (start {p.value:g}{truth}; target error {target:.0e})")
        else:
            parts.append(f"the field {name} (target rel L2 {target:.0e})")
    data = [
        f"{len(c.points)} points of {', '.join(c.fields or problem.fields)}"
        + ("" if c.noise is None else f" ({100 * c.noise:g}% noise)")
        for c in problem.conditions
        if isinstance(c, Data)
    ]
    return "; ".join(parts) + (f" from {' and '.join(data)}" if data else "")


def _budget(train: Mapping) -> str:
    """The optimizer phases of a run's training settings, e.g. '2000 adam + 4000 lbfgs'."""
    from pinn.config import TrainConfig

    phases = TrainConfig().replace(**dict(train)).phase_list()
    return " + ".join(f"{p.steps} {p.name}" for p in phases) + " steps"


def _bundled_problem(name: str, params: Mapping):
    """The factory :func:`pinn.load_run` takes: a bundled problem rebuilt by name."""
    import problems

    try:
        spec = problems.get(name)
    except ValueError as err:
        raise ValueError(f"{err}. A run of your own problem reloads with pinn.load_run(directory, problem=...)") from None
    try:
        return spec.problem(**dict(params))
    except TypeError as err:
        raise ValueError(f"cannot rebuild problem {name!r} with parameters {dict(params)}: {err}") from None


def load_bundled_run(directory):
    """A saved run of a bundled problem (the app layer turns the recorded name into a problem)."""
    from pinn.result import load_run

    return load_run(directory, problem=_bundled_problem)


def cmd_list(args) -> int:
    import problems

    names = problems.names()
    print(f"{len(names)} bundled problems (solve one with: pinn solve NAME)\n")
    for name in names:
        spec = problems.get(name)
        coordinates, fields = _axes(spec)
        model, train = spec.split_settings({})
        hidden = "x".join(str(w) for w in model["hidden"])
        budget = f"{_budget(train)}, {train.get('n_interior', '?')} points"
        print(f"{name}")
        print(f"    {spec.summary}")
        print(
            f"    inputs ({', '.join(coordinates)}) -> fields ({', '.join(fields)})"
            + (f"; derived: {', '.join(spec.derived)}" if spec.derived else "")
        )
        learns = _learns(spec)
        if learns:
            print(f"    learns {learns}")
        print(f"    default: {hidden} {model['activation']} {model['dtype']}, {budget}; target rel L2 {spec.target:.0e}")
        for recipe in spec.recipes:
            model, train = spec.split_settings({}, recipe)
            hidden = "x".join(str(w) for w in model["hidden"])
            print(f"    --recipe {recipe}: {hidden}, {_budget(train)}, {train.get('n_interior', '?')} points")
    return 0


def _announce_first(callback, name, out):
    """``callback`` that first says where the run goes: once training has started, so a
    run refused before its first step ends in the one error line alone."""
    announced = []

    def announce(row):
        if not announced:
            announced.append(True)
            print(f"pinn: solving {name} -> {out}", file=sys.stderr, flush=True)
        return callback(row)

    return announce


def _with_data(spec, problem, path):
    """The bundled ``problem`` rebuilt with the measurements of file ``path`` in place of
    its own (``pinn solve NAME --data FILE``): a ``.csv`` names its columns in a header
    (coordinates and fields); a ``.npy`` (n, d + k) holds the fields the problem measures."""
    import problems

    from pinn.conditions import Data

    def takes_data(s):
        return "data" in inspect.signature(s.build).parameters

    if not takes_data(spec):
        valid = [n for n in problems.names() if takes_data(problems.get(n))]
        raise ValueError(f"--data: problem {spec.name!r} takes no measurements; problems that do: {', '.join(valid)}")
    bundled = next((c for c in problem.conditions if isinstance(c, Data)), None)
    fields = (bundled.fields if bundled is not None and bundled.fields else problem.fields) if str(path).lower().endswith(".npy") else None
    data = Data.from_file(
        path, fields, coordinates=problem.coordinates,
        name=None if bundled is None else bundled.name, weight=1.0 if bundled is None else bundled.weight,
    )
    problem = spec.problem(**dict(problem.params), data=data)  # checks the fields and the points
    print(f"pinn: {len(data.points)} measurements of {', '.join(data.fields)} from {path}", file=sys.stderr)
    return problem


def _join_cluster(args):
    """Join the processes named by --processes/--process-id/--coordinator (or the
    JAX_* environment variables) before anything touches JAX; None for one process."""
    from pinn import distributed

    cluster = distributed.Cluster.from_env(
        getattr(args, "processes", None), getattr(args, "process_id", None), getattr(args, "coordinator", None)
    )
    if cluster is not None:
        distributed.initialize(cluster)
    return cluster


def cmd_solve(args) -> int:
    import pinn
    from pinn import distributed, io
    from pinn.progress import TrainingProgress

    cluster = _join_cluster(args)
    main = cluster is None or cluster.process_id == 0
    out = Path(args.out) if args.out else None
    if cluster is not None and out is None:
        raise ValueError("several processes need --out DIR: the same folder on every process (process 0 writes it)")
    file_settings = read_config_file(args.config) if args.config else None
    if args.resume:
        if out is None:
            raise ValueError("--resume needs --out DIR, the folder of the run to continue")
        if file_settings is None and main and io.is_run_directory(out):
            file_settings = check_config(io.read_json(out / io.CONFIG_FILE), str(out / io.CONFIG_FILE))
        if cluster is not None:  # the settings of the run, as process 0 reads them, on every process
            file_settings = distributed.broadcast_json(_jsonable(file_settings))
    spec, problem, model, config, key = resolve_run(
        args.name, file_settings, _command_line_settings(args), args.width, args.depth
    )
    if getattr(args, "data", None) is not None:
        problem = _with_data(spec, problem, args.data)  # a bad file is refused before anything is written
    out = out or _default_out(spec.name)
    accepts = inspect.signature(pinn.solve).parameters
    resumable = "checkpoint_dir" in accepts and "resume" in accepts

    def prepare():
        """Checks and config.json, by process 0 alone; returns whether the folder is new."""
        if args.resume:
            if not resumable:
                raise ValueError("this version of pinn cannot resume runs (pinn.solve has no checkpoints)")
            if not out.is_dir() or not (io.is_run_directory(out) or (out / io.CHECKPOINTS_DIR).is_dir()):
                raise ValueError(f"nothing to resume in {out}: it holds no run")
        io.check_run_directory(out, allow_existing_run=args.resume)
        if args.resume and (out / io.CHECKPOINTS_DIR).is_dir():
            # Before config.json is rewritten: settings that differ from the run's are refused, naming them.
            pinn.check_resumable(problem, model, config, out / io.CHECKPOINTS_DIR)
        fresh = not out.exists()
        # config.json first: a run killed at any moment is still a run folder that --resume finds.
        io.write_run_settings(out, problem, model, config, key)
        return fresh

    fresh = distributed.on_main(prepare, fallback=False)
    kwargs = {"checkpoint_dir": out / io.CHECKPOINTS_DIR, "resume": args.resume} if resumable else {}
    again = f"pinn solve {spec.name} --out {out} --resume"
    if cluster is not None:
        again += f" --processes {cluster.processes} --process-id I --coordinator {cluster.coordinator} on every process I"
    try:
        with TrainingProgress(sum(p.steps for p in config.phase_list()), desc=spec.name, enabled=None if main else False) as progress:
            callback = _announce_first(progress, spec.name, out) if main else progress
            result = pinn.solve(problem, model, config, callback=callback, **kwargs)
    except KeyboardInterrupt:
        hint = f"; continue it with: {again}" if resumable else ""
        print(f"pinn: interrupted before the run could be saved{hint}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except distributed.PeerLost as err:
        checkpoints = out / io.CHECKPOINTS_DIR
        print(
            f"pinn: error: {err}. The run stopped; the checkpoints in {checkpoints} are complete: continue with: {again}",
            file=sys.stderr, flush=True,
        )
        sys.stdout.flush()
        # Leave at once: JAX's own shutdown would wait for the lost process, then abort.
        os._exit(EXIT_PEER_LOST)
    except Exception:
        if fresh:
            _remove_unstarted(out)  # refused before its first step: leave no half-made run behind
        raise
    if not main:
        print(f"pinn: process {cluster.process_id} of {cluster.processes} done; process 0 wrote {out}", file=sys.stderr)
        return 0
    io.save_result(result, out, key=key)
    figures = _write_figures(result, out, spec.derived)
    print_summary(result, out, spec.target, figures)
    if getattr(result, "interrupted", False):
        print(
            f"pinn: interrupted; metrics and figures so far are in {out}. "
            f"Continue with: {again}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    return 0


def _jsonable(settings):
    """Run settings as plain JSON data (tuples as lists); None stays None."""
    return None if settings is None else json.loads(json.dumps(settings))


def evaluate_run(directory):
    """Reload a run, recompute its errors from fresh predictions and rewrite metrics.json.

    Returns ``(run, evaluation)``: the reloaded :class:`pinn.Result` and the numbers.
    """
    import numpy as np

    from pinn import io
    from pinn.evaluate import error_report

    directory = Path(directory)
    run = load_bundled_run(directory)
    problem = run.problem
    if not problem.has_solution:
        raise ValueError(f"problem {problem.name!r} has no exact or reference solution to evaluate against")
    points, reference = problem.evaluation_data(run.config.eval_resolution)
    predicted = run.predict(points).reshape(reference.shape)
    diff = predicted - reference
    errors = error_report(predicted, reference, problem.fields, problem.up_to_constant)
    evaluation = {
        "rel_l2": errors["rel_l2"],
        "rel_l2_per_field": errors["rel_l2_per_field"],
        "max_abs_error_per_field": {f: float(np.max(np.abs(diff[:, k]))) for k, f in enumerate(problem.fields)},
        "n_points": int(len(points)),
        "rel_l2_at_training": run.metrics.get("rel_l2_at_training", run.metrics.get("rel_l2")),
        "evaluated_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    metrics = dict(run.metrics)
    metrics["rel_l2_at_training"] = evaluation["rel_l2_at_training"]
    metrics["rel_l2"] = evaluation["rel_l2"]
    metrics["rel_l2_per_field"] = evaluation["rel_l2_per_field"]
    metrics["evaluation"] = evaluation
    io.write_json(directory / io.METRICS_FILE, metrics)
    run = dataclasses.replace(run, metrics=metrics)
    return run, evaluation


def cmd_evaluate(args) -> int:
    import problems

    from pinn import io

    directory = Path(args.directory)
    run, evaluation = evaluate_run(directory)
    figures = _write_figures(run, directory, problems.get(run.problem.name).derived)
    stored = evaluation["rel_l2_at_training"]
    from pinn.nn import describe

    print(f"{run.problem.name} ({describe(run.model)['activation']}) in {directory}: {evaluation['n_points']} evaluation points")
    print(f"  relative L2 error  {_fmt(evaluation['rel_l2'])}  (recorded at training: {_fmt(stored)})")
    for field, value in evaluation["rel_l2_per_field"].items():
        print(f"    {field}: relative L2 {_fmt(value)}, max |error| {_fmt(evaluation['max_abs_error_per_field'][field])}")
    print(f"  wrote {directory / io.METRICS_FILE}" + (f" and {len(figures)} figures in {directory / io.FIGURES_DIR}" if figures else ""))
    return 0


ALL_DERIVED = ("<all derived>",)  # `--fields` given without names


def cmd_predict(args) -> int:
    import problems

    from pinn import io

    if (args.points is None) == (args.mesh is None):
        raise ValueError("predict needs exactly one of --points FILE and --mesh FILE")
    if args.mesh is not None:
        return _predict_on_mesh(args)
    for path, what in ((args.points, "points file"), (args.out, "output file")):
        io.check_array_suffix(Path(path), what)  # before loading anything
    run = load_bundled_run(args.directory)
    derived = problems.get(run.problem.name).derived
    fields = tuple(derived) if args.fields is ALL_DERIVED else args.fields
    if args.fields is ALL_DERIVED and not derived:
        raise ValueError(f"problem {run.problem.name!r} defines no derived quantities for --fields")
    columns = io.output_columns(run, derived, fields)
    points = io.read_points(args.points, run.problem.domain.dim, run.problem.coordinates)
    outside = int((~run.problem.domain.contains(points, tol=1e-6)).sum())
    if outside:
        print(
            f"pinn: warning: {outside} of {len(points)} points lie outside the domain of {run.problem.name!r}; "
            f"values there are extrapolations",
            file=sys.stderr,
        )
    values = io.predict_columns(run, points, columns, derived)
    io.write_array(args.out, values, columns)
    print(f"wrote {args.out}: {values.shape[0]} points x {values.shape[1]} columns ({', '.join(columns)})")
    return 0


def _predict_on_mesh(args) -> int:
    """``pinn predict --mesh``: values at the mesh's points (.npy/.csv), or the mesh with
    its fields (.vtu/.xdmf)."""
    import problems

    from pinn import io
    from pinn.export import export_result
    from pinn.mesh import read_mesh_file

    out = Path(args.out)
    as_mesh = out.suffix.lower() in (".vtu", ".xdmf")
    if not as_mesh:
        io.check_array_suffix(out, "output file (with --mesh: .npy, .csv, .vtu or .xdmf)")
    mesh = read_mesh_file(args.mesh)
    run = load_bundled_run(args.directory)
    derived = problems.get(run.problem.name).derived
    fields = tuple(derived) if args.fields is ALL_DERIVED else args.fields
    if as_mesh:
        written = export_result(run, out, mesh=mesh, derived=derived, fields=fields)
        print(f"wrote {', '.join(map(str, written))}: {len(mesh.points)} mesh points")
        return 0
    if run.problem.time_dependent:
        raise ValueError("the mesh is spatial and the problem depends on time: write .vtu or .xdmf (a time series)")
    dim = run.problem.domain.dim
    points = mesh.points[:, :dim]
    columns = io.output_columns(run, derived, fields)
    values = io.predict_columns(run, points, columns, derived)
    io.write_array(out, values, columns)
    print(f"wrote {out}: {values.shape[0]} mesh points x {values.shape[1]} columns ({', '.join(columns)})")
    return 0


def cmd_export(args) -> int:
    import problems

    from pinn.export import check_format, export_result

    directory = Path(args.directory)
    if args.out:
        out = Path(args.out)
        fmt = check_format(out, args.format)
    else:
        fmt = args.format or "vtu"
        out = directory / "export" / f"solution.{fmt}"
    run = load_bundled_run(directory)
    if not args.out:
        out.parent.mkdir(exist_ok=True)
    derived = problems.get(run.problem.name).derived
    fields = tuple(derived) if args.fields is None else args.fields
    written = export_result(
        run, out, format=fmt, mesh=args.mesh, resolution=args.resolution, derived=derived, fields=fields, times=args.times
    )
    print(f"wrote {', '.join(map(str, written))}")
    return 0


def cmd_activations(args) -> int:
    try:
        from pinn.curvature import activation_table, format_activation_table
    except ImportError:
        raise ValueError("the activation table is not available in this version of pinn") from None
    from pinn.activations import get_activation

    names = [get_activation(name).name for name in args.names] if args.names else None  # a typo lists the valid names
    print(format_activation_table(activation_table(names)))
    return 0


def cmd_compare(args) -> int:
    import problems

    from pinn.activations import get_activation

    try:
        from pinn.compare import compare_activations
    except ImportError:
        raise ValueError("pinn compare is not available in this version of pinn") from None
    spec = problems.get(args.name)
    activations = [get_activation(a).name for a in args.activations]
    seeds = tuple(range(args.seed, args.seed + args.seeds))
    out = Path(args.out) if args.out else Path("runs") / f"compare-{spec.name}-{datetime.datetime.now():%Y%m%d-%H%M%S}"
    report = compare_activations(
        spec.name,
        activations,
        steps=args.steps,
        lbfgs_steps=args.lbfgs_steps,
        seeds=seeds,
        out=out,
        progress=sys.stdout.isatty(),
    )
    _print_compare(report, out)
    return 0


def _print_compare(report, out: Path) -> None:
    runs = report.get("runs", {}) if isinstance(report, Mapping) else {}
    ratios = (report.get("summary") or {}).get("ratio_to_best_smooth") or {}
    if runs:
        print(f"{report.get('problem', '')}: {len(report.get('seeds', []))} seed(s) per activation")
        print(f"  {'activation':<16}{'class':<7}{'rel L2 (mean)':>14}{'x best smooth':>15}{'Hessian = 0':>13}{'train s':>9}")
        for name, row in runs.items():
            rel = (row.get("rel_l2") or {}).get("mean")
            zero = (row.get("curvature_summary") or {}).get("hessian_zero_fraction")
            seconds = (row.get("train_seconds") or {}).get("mean")
            ratio = ratios.get(name)
            print(
                f"  {name:<16}{row.get('smoothness', ''):<7}{_fmt(rel):>14}"
                f"{(f'{ratio:.3g}' if isinstance(ratio, (int, float)) else 'n/a'):>15}"
                f"{(f'{100 * zero:.0f}%' if isinstance(zero, (int, float)) else 'n/a'):>13}"
                f"{(f'{seconds:.1f}' if isinstance(seconds, (int, float)) else 'n/a'):>9}"
            )
        best = (report.get("summary") or {}).get("best_smooth")
        if best:
            print(f"  best smooth activation: {best}")
    from pinn.compare import learned_table

    for line in learned_table(report if isinstance(report, Mapping) else {}):
        print(line)
    print(f"wrote {out / 'compare.json'} and {out / 'compare.png'}")


# -- the parser --------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pinn",
        description="Physics-informed neural networks in JAX: solve bundled PDEs, inspect and reuse runs.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("list", help="list the bundled problems", description="List the bundled problems.")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser(
        "solve",
        help="train a network on a bundled problem",
        description="Train a network on a bundled problem and write metrics, config, history, parameters "
        "and figures to --out (default runs/NAME-<time>). Flags override the config file, which overrides "
        "the problem's defaults.",
    )
    p.add_argument("name", nargs="?", help="problem name (see 'pinn list'); optional with --config")
    p.add_argument("--config", metavar="FILE", help="TOML or JSON file with the keys of a run's config.json")
    p.add_argument("--activation", metavar="A", help="activation (see 'pinn activations'), e.g. tanh, swish, relu")
    p.add_argument(
        "--param", type=_param, action="append", metavar="NAME=VALUE",
        help="a parameter of the problem, e.g. noise=0.05 (repeatable; 'pinn list' names them)",
    )
    p.add_argument("--width", type=_positive_int, metavar="W", help="neurons per hidden layer")
    p.add_argument("--depth", type=_positive_int, metavar="D", help="number of hidden layers")
    p.add_argument("--points", type=_positive_int, metavar="N", help="collocation points for the PDE residual")
    p.add_argument(
        "--chunk-size",
        type=_non_negative_int,
        metavar="N",
        help="differentiate the PDE term over chunks of N points (same numbers, flat cost per point on a CPU; 0: all at once)",
    )
    p.add_argument("--steps", type=_non_negative_int, metavar="N", help="Adam steps")
    p.add_argument("--lbfgs-steps", type=_non_negative_int, metavar="N", help="L-BFGS steps after Adam")
    p.add_argument("--lr", type=_positive_float, metavar="X", help="Adam learning rate")
    p.add_argument(
        "--phases",
        metavar="LIST",
        help="optimizer phases, e.g. adam:2000,lbfgs:3000 (name:steps[:option=value]); replaces --steps/--lbfgs-steps",
    )
    p.add_argument(
        "--recipe",
        metavar="NAME",
        help="a problem's named alternative to its defaults (see 'pinn list'), e.g. adam-lbfgs: the former Adam + L-BFGS recipe",
    )
    p.add_argument("--weighting", choices=("fixed", "gradnorm"), help="loss-term weights: fixed or gradient-norm balanced")
    p.add_argument(
        "--devices", type=_positive_int, metavar="N", help="train data-parallel over N local devices (default: all; 1: one)"
    )
    p.add_argument(
        "--steps-per-dispatch", type=_positive_int, metavar="K",
        help="run up to K Adam steps per dispatch between check steps (same trajectory; default 1)",
    )
    p.add_argument(
        "--processes", type=_positive_int, metavar="P",
        help="train together with P processes, one command per process (or JAX_NUM_PROCESSES)",
    )
    p.add_argument(
        "--process-id", type=_non_negative_int, metavar="I",
        help="this process among --processes, 0 to P-1; 0 writes --out (or JAX_PROCESS_ID)",
    )
    p.add_argument(
        "--coordinator", metavar="HOST:PORT",
        help="address of process 0, the same for every process (or JAX_COORDINATOR_ADDRESS)",
    )
    p.add_argument(
        "--sample-per-process", action="store_true",
        help="each process draws its own share of the points instead of its shard of one global set",
    )
    p.add_argument("--seed", type=_non_negative_int, metavar="S", help="seed of the network and the points")
    dtype = p.add_mutually_exclusive_group()
    dtype.add_argument("--float64", action="store_true", help="train in double precision")
    dtype.add_argument("--float32", action="store_true", help="train in single precision")
    from pinn.operators import DERIVATIVE_ENGINES

    p.add_argument(
        "--derivatives",
        metavar="ENGINE",
        help=f"how second derivatives are computed: {', '.join(DERIVATIVE_ENGINES)} ('hessian' is jax.hessian, the reference)",
    )
    p.add_argument(
        "--data",
        metavar="FILE",
        help="measurements replacing an inverse problem's own: .csv with a header naming coordinates and fields "
        "(e.g. x,t,u), or .npy (n, d + k)",
    )
    p.add_argument("--out", metavar="DIR", help="output folder (default runs/NAME-<time>)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out DIR from its last checkpoint")
    p.set_defaults(func=cmd_solve)

    p = sub.add_parser(
        "evaluate",
        help="recompute a run's errors and figures",
        description="Reload a run, recompute its errors from fresh predictions, rewrite metrics.json and the figures.",
    )
    p.add_argument("directory", metavar="DIR", help="a run folder written by 'pinn solve'")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser(
        "predict",
        help="evaluate a trained run at your points",
        description="Evaluate a trained run at points read from a .npy or .csv file of shape (n, d), columns in "
        "the problem's coordinate order (space, then time). The output has the problem's fields, then any "
        "derived quantities named by --fields (e.g. stresses for elasticity); .csv output has a header row.",
    )
    p.add_argument("directory", metavar="DIR", help="a run folder written by 'pinn solve'")
    p.add_argument("--points", metavar="IN", help="input points, .npy or .csv, shape (n, d)")
    p.add_argument("--mesh", metavar="FILE", help="evaluate at the points of this mesh (any format meshio reads) instead")
    p.add_argument("--out", required=True, metavar="OUT", help="output values, .npy or .csv (with --mesh also .vtu or .xdmf)")
    p.add_argument(
        "--fields",
        type=_names,
        nargs="?",
        const=ALL_DERIVED,
        metavar="A,B",
        help="derived quantities to add (e.g. sigma_xx,sigma_yy); alone: every one the problem defines",
    )
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser(
        "export",
        help="write a run's fields for ParaView (vtu, xdmf) or as csv",
        description="Write a trained run's fields and derived quantities (all of them unless --fields names some) "
        "on a grid of the domain, or on the points and cells of --mesh FILE, as .vtu or .xdmf (opens in ParaView) "
        "or .csv. A time-dependent run is written at --times instants.",
    )
    p.add_argument("directory", metavar="DIR", help="a run folder written by 'pinn solve'")
    p.add_argument("--format", choices=("vtu", "xdmf", "csv"), help="file format (default: from --out, else vtu)")
    p.add_argument("--out", metavar="FILE", help="file to write (default DIR/export/solution.FORMAT)")
    p.add_argument("--mesh", metavar="FILE", help="a mesh to evaluate on (default: a grid clipped to the domain)")
    p.add_argument("--resolution", type=_positive_int, default=41, metavar="N", help="grid points per axis (default 41)")
    p.add_argument("--fields", type=_names, metavar="A,B", help="derived quantities to write (default: all)")
    p.add_argument("--times", type=_positive_int, default=11, metavar="N", help="instants of a time-dependent run (default 11)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "activations",
        help="the activation table",
        description="Smoothness class, φ(0), φ'(0), max |φ'| and continuity of φ'' of every activation (or of those named).",
    )
    p.add_argument("names", nargs="*", metavar="NAME", help="activations to show (default: all)")
    p.set_defaults(func=cmd_activations)

    p = sub.add_parser(
        "compare",
        help="compare activations on one problem",
        description="Train the same network on the same points with each activation; write compare.json and compare.png.",
    )
    p.add_argument("name", help="problem name (see 'pinn list')")
    p.add_argument("--activations", type=_names, default=["relu", "tanh", "swish", "gelu"], metavar="A,B,...")
    p.add_argument("--steps", type=_non_negative_int, metavar="N", help="Adam steps (default: the problem's)")
    p.add_argument("--lbfgs-steps", type=_non_negative_int, metavar="N", help="L-BFGS steps (default: the problem's)")
    p.add_argument("--seed", type=_non_negative_int, default=0, metavar="S", help="first seed (default 0)")
    p.add_argument("--seeds", type=_positive_int, default=1, metavar="K", help="number of seeds (default 1)")
    p.add_argument("--out", metavar="DIR", help="output folder (default runs/compare-NAME-<time>)")
    p.set_defaults(func=cmd_compare)
    return parser


def _error_message(err: BaseException) -> str:
    if isinstance(err, KeyError) and err.args:
        return str(err.args[0])
    if isinstance(err, OSError) and err.filename and err.strerror:
        return f"{err.filename}: {err.strerror}"
    return str(err) or type(err).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``pinn`` command with ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    try:
        with _warnings_as_lines():
            return args.func(args)
    except BrokenPipeError:
        # The reader went away (`pinn list | head`): not an error of ours. Point stdout at
        # devnull so the interpreter's final flush does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (ValueError, KeyError, OSError) as err:
        if os.environ.get("PINN_DEBUG"):
            raise
        message = " ".join(_error_message(err).split())  # one line
        print(f"pinn: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("pinn: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
