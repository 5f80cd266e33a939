"""The pinn side of benchmarks/peers/run.py, and what both sides share: the problem's
default recipe, its points, its initial network and its evaluation grid (JAX and pinn
only; DeepXDE is never imported here)."""

from __future__ import annotations

import math
import os
import time

import numpy as np

import pinn
import problems
from pinn.batch import sample_batch
from pinn.losses import term_weights

#: A curve's columns: step, wall-clock training seconds, process CPU seconds since the
#: run's start (all threads; on a loaded machine closer to what the run costs alone), error.
COLUMNS: tuple[str, ...] = ("step", "seconds", "cpu_seconds", "rel_l2")


def setup(name: str) -> dict:
    """Everything both engines take from pinn's defaults for problem ``name`` (numpy arrays
    for the points and the initial weights; a JSON-ready ``describe`` entry)."""
    spec = problems.get(name)
    problem = spec.build()
    recipe = spec.adam_lbfgs_recipe()  # the recipe DeepXDE runs too: Adam, then L-BFGS
    config = spec.config(recipe)
    model = spec.make_model(problem, recipe)
    if problem.output_transform is not None:
        raise ValueError(f"{name}: an output transform is not reproduced on the DeepXDE side")
    phases = config.phase_list()
    if [p.name for p in phases] != ["adam", "lbfgs"]:
        raise ValueError(f"{name}: the default phases are {phases}, not Adam then L-BFGS")
    batch = sample_batch(problem, config.n_interior, config.n_boundary, config.sampler, config.seed, 0)
    points, values = problem.evaluation_data(config.eval_resolution)
    layers = [(np.asarray(layer.kernel.value, np.float64), np.asarray(layer.bias.value, np.float64)) for layer in model.layers]
    lower, upper = problem.domain.bounds
    counts = {term: int(data["x"].shape[0]) for term, data in batch.items()}
    describe = {
        "recipe": f"adam:{phases[0].steps} (lr {config.lr:g}, {config.schedule} to x{config.final_lr_ratio:g}), lbfgs:{phases[1].steps}",
        "hidden": list(model.hidden),
        "activation": model.activation.name,
        "n_params": int(model.n_params),
        "points": " + ".join(str(n) for n in counts.values()),
        "point_counts": counts,
        "weights": term_weights(problem, config.weights),
        "eval_points": int(len(points)),
    }
    if model.activation.name != "tanh" or model.dtype != "float64":
        raise ValueError(f"{name}: the default network is {model.activation.name}/{model.dtype}, not tanh/float64")
    return {
        "spec": spec,
        "problem": problem,
        "config": config,
        "recipe": recipe,
        "phases": phases,
        "batch": batch,
        "layers": layers,
        "bounds": (np.asarray(lower, np.float64), np.asarray(upper, np.float64)),
        "eval": (np.asarray(points, np.float64), np.asarray(values, np.float64)),
        "describe": describe,
    }


def run(name: str, max_seconds: float, eval_every: int) -> dict:
    """Train problem ``name`` with its defaults, recording the error every ``eval_every``
    steps, stopping once the training time passes ``max_seconds``; one JSON record."""
    s = setup(name)
    rows: list[list] = []
    cpu0 = time.process_time()

    def record(row):
        if not math.isnan(row["rel_l2"]):
            cpu = round(time.process_time() - cpu0, 3)
            rows.append([int(row["step"]), round(float(row["seconds"]), 3), cpu, float(row["rel_l2"])])
        if row["seconds"] > max_seconds:
            raise KeyboardInterrupt  # the trainer stops at this row and returns what it has

    load = os.getloadavg()[0]
    wall0 = time.perf_counter()
    result = s["spec"].solve(recipe=s["recipe"], callback=record, eval_every=eval_every, log_every=eval_every, checkpoint_every=0)
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    m = result.metrics
    return {
        "setup": s["describe"],
        "engine": "pinn",
        "phases_text": ",".join(f"{p['method']}:{p['steps_done']}" for p in m["phases"]),
        "rel_l2": float(result.rel_l2),
        "train_seconds": round(float(m["train_seconds"]), 2),
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "stopped_by_time": bool(result.interrupted),
        "load_average_before": round(load, 2),
        "derivatives": result.config.derivatives,
        "curve": {"columns": list(COLUMNS), "rows": rows},
        "pinn_version": pinn.__version__ if hasattr(pinn, "__version__") else None,
    }
