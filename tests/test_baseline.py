"""The hand-written baseline (benchmarks/baseline/) is independent of the framework and
computes the framework's loss: only then does benchmarks/baseline_speed.py's ratio of
step times compare the framework with a real reimplementation.

* independence: no file of the baseline imports ``pinn`` or ``problems`` in any form
  (read from the source with ``ast``, and checked at run time in a fresh interpreter);
* equality: at the same parameters (the framework MLP's, copied into the baseline's
  dict layout) and the same points (``pinn.sample_batch``), every loss term and the
  weighted total agree to 1e-10 relative in float64, for every problem with the nested-
  jvp engine and with ``jax.hessian`` (three problems in the timed suite, the rest and
  the Hessian engine with the slow tests);
* the defaults agree (layer sizes, activation, input box, weights, Adam schedule), and
  one Adam step of each side lands on the same parameters.
"""

import ast
import dataclasses
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
BASELINE = BENCHMARKS / "baseline"
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))

import baseline  # noqa: E402
import baseline_speed  # noqa: E402
from baseline import common  # noqa: E402

import pinn  # noqa: E402

FORBIDDEN = ("pinn", "problems")
# A problem takes seconds to build and to compile on the 2 shared cores: the timed suite
# runs three that cover a scalar Laplacian, a space-time residual under an output
# transform and a vector (elasticity) system; the others run with the slow tests.
FAST = ("poisson2d", "heat3d", "elasticity_cylinder")
ALL = [pytest.param(n, marks=() if n in FAST else pytest.mark.slow) for n in baseline.names()]
RTOL = 1e-10
N_INTERIOR, N_BOUNDARY = 64, 16  # the equality holds pointwise; few points keep the test short


# -- independence ----------------------------------------------------------------------------------


def _forbidden_root(name: str | None) -> bool:
    return name is not None and name.split(".")[0] in FORBIDDEN


def forbidden_imports(source: str) -> list[str]:
    """Every way ``source`` reaches ``pinn`` or ``problems``: ``import x``, ``from x import``,
    a relative import that leaves the baseline package, or a string naming one of them
    (``importlib.import_module("pinn")``, ``__import__("problems.heat1d")``)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if _forbidden_root(a.name)]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and _forbidden_root(node.module):
                found.append(f"from {node.module} import ...")
            elif node.level > 1:
                found.append(f"from {'.' * node.level}{node.module or ''} import ... (leaves the package)")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if _forbidden_root(node.value.strip()) and " " not in node.value.strip():
                found.append(f"string {node.value!r}")
    return found


@pytest.mark.parametrize(
    "source",
    [
        "import pinn",
        "import numpy, pinn.operators as ops",
        "from pinn import laplacian",
        "from problems.heat1d import laplacian_in_space",
        "import importlib\nm = importlib.import_module('pinn')",
        "m = __import__('problems.registry')",
        "from .. import pinn",
        "def f():\n    from pinn.engines import second_order\n    return second_order",
    ],
)
def test_the_import_check_catches_every_form(source):
    assert forbidden_imports(source), source


@pytest.mark.parametrize("source", ["import jax.numpy as jnp", "from .common import Setup", "from . import common", "x = 'pinned'"])
def test_the_import_check_passes_plain_code(source):
    assert forbidden_imports(source) == []


def test_no_baseline_file_imports_the_framework():
    files = sorted(BASELINE.glob("*.py"))
    assert {f.stem for f in files} >= {"__init__", "common", *baseline.names()}
    for path in files:
        assert forbidden_imports(path.read_text()) == [], path.name


def test_importing_the_baseline_loads_no_framework_module():
    code = (
        f"import sys; sys.path.insert(0, {str(BENCHMARKS)!r}); import baseline; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pinn', 'problems')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd="/")
    assert out.stdout.strip() == "[]"


# -- bad input --------------------------------------------------------------------------------------


def test_unknown_problem_and_engine_are_rejected():
    with pytest.raises(ValueError, match=r"no baseline for problem 'nope'; valid problems: poisson2d, heat1d"):
        baseline.get("nope")
    with pytest.raises(ValueError, match=r"unknown baseline engine 'forward'; valid engines: hessian, jvp"):
        common.loss(baseline.get("poisson2d"), "forward")
    with pytest.raises(ValueError, match=r"weights must name exactly the terms \('pde', 'dirichlet'\)"):
        dataclasses.replace(baseline.get("poisson2d"), weights={"pde": 1.0})


# -- the same problem as the framework's ---------------------------------------------------------------


class _Built(dict):
    """name -> (problem, model, config, apply, framework params, baseline params, batch),
    built on first use (a bundled problem takes a few seconds to build and check)."""

    def __missing__(self, name):
        with jax.enable_x64(True):
            problem, model, config = baseline_speed.framework_problem(name)
            apply, params = pinn.pure_apply(model)
            host = pinn.sample_batch(problem, N_INTERIOR, N_BOUNDARY, "sobol", 0)
            batch = {t: {k: jnp.asarray(v, jnp.float64) for k, v in d.items()} for t, d in host.items()}
            self[name] = (problem, model, config, apply, params, baseline_speed.baseline_params(params), batch)
        return self[name]


@pytest.fixture(scope="module")
def setups():
    return _Built()


@pytest.mark.parametrize("name", ALL)
def test_defaults_match_the_framework(setups, name):
    problem, model, config, *_ = setups[name]
    setup = baseline.get(name)
    assert model.dtype == setup.dtype == "float64"
    assert (model.in_dim, *model.hidden, model.out_dim) == setup.layer_sizes
    assert model.activation.name == setup.activation
    np.testing.assert_allclose(model.input_bounds[0], setup.lower, atol=1e-12)
    np.testing.assert_allclose(model.input_bounds[1], setup.upper, atol=1e-12)
    assert (problem.output_transform is None) == (setup.transform is None)
    assert baseline_speed.default_weights(problem, config) == dict(setup.weights)
    assert (config.lr, config.steps, config.final_lr_ratio, config.schedule) == (
        setup.lr, setup.adam_steps, setup.final_lr_ratio, "exponential"
    )
    assert (config.lbfgs_steps, config.lbfgs_memory) == (setup.lbfgs_steps, setup.lbfgs_memory)
    assert (config.n_interior, config.n_boundary) == (setup.n_interior, setup.n_boundary)


def _compare(setups, name, fw_engine, bl_engine):
    """Every term and the weighted total of both sides, at the same parameters and points."""
    problem, model, config, apply, params, bl_params, batch = setups[name]
    setup = baseline.get(name)
    with jax.enable_x64(True):
        fw = jax.jit(pinn.make_loss_terms(problem, apply, fw_engine))(params, batch)
        # op by op: the baseline's small graphs run faster than they compile
        bl = common.loss_terms(setup, bl_engine)(bl_params, batch)
    fw = {k: float(v) for k, v in fw.items()}
    bl = {k: float(v) for k, v in bl.items()}
    assert sorted(fw) == sorted(bl) == sorted(setup.terms)
    weights = baseline_speed.default_weights(problem, config)
    total_fw = sum(weights[k] * v for k, v in fw.items())
    total_bl = sum(setup.weights[k] * v for k, v in bl.items())
    assert total_fw > 0
    np.testing.assert_allclose(total_bl, total_fw, rtol=RTOL, atol=0)
    for term in fw:
        # A term a hard constraint holds at ~0 (1e-30, say) is compared on the scale of the total.
        assert abs(bl[term] - fw[term]) <= RTOL * max(abs(fw[term]), total_fw), (term, fw[term], bl[term])
    return total_fw


@pytest.mark.parametrize("name", ALL)
def test_loss_equals_the_framework_jvp(setups, name):
    _compare(setups, name, "jvp", "jvp")


@pytest.mark.slow
@pytest.mark.parametrize("name", baseline.names())
def test_loss_equals_the_framework_hessian(setups, name):
    _compare(setups, name, "hessian", "hessian")


def test_the_comparison_sees_a_parameter_change_of_one_part_in_a_million(setups):
    problem, model, config, apply, params, bl_params, batch = setups["elasticity_cylinder"]
    total = _compare(setups, "elasticity_cylinder", "jvp", "jvp")
    with jax.enable_x64(True):
        nudged = dict(bl_params, W1=bl_params["W1"] * (1 + 1e-6))
        moved = float(common.loss(baseline.get("elasticity_cylinder"), "jvp")(nudged, batch))
    assert abs(moved - total) > 10 * RTOL * total


def _one_step(setups, name, phase, engine):
    problem, model, config, apply, params, bl_params, batch = setups[name]
    setup = baseline.get(name)
    weights = baseline_speed.default_weights(problem, config)
    with jax.enable_x64(True):
        fw_loss = baseline_speed.framework_loss(problem, apply, engine, weights)
        if phase == "adam":
            fw_init, fw_step = baseline_speed.adam_step(fw_loss, baseline_speed.schedule(config))
            bl_init, bl_step = common.adam(setup, engine)
        else:
            fw_init, fw_step = baseline_speed.lbfgs_step(fw_loss, config.lbfgs_memory)
            bl_init, bl_step = common.lbfgs(setup, engine)
        fw_params, fw_state = params, fw_init(params)
        bl_params2, bl_state = bl_params, bl_init(bl_params)
        for _ in range(2):
            fw_params, fw_state, fw_value = fw_step(fw_params, fw_state, batch)
            bl_params2, bl_state, bl_value = bl_step(bl_params2, bl_state, batch)
            np.testing.assert_allclose(float(bl_value), float(fw_value), rtol=RTOL)
        fw_params = {k: np.asarray(v) for k, v in baseline_speed.baseline_params(fw_params).items()}
        bl_params2 = {k: np.asarray(v) for k, v in bl_params2.items()}
    assert max(np.max(np.abs(bl_params2[k] - np.asarray(bl_params[k]))) for k in bl_params) > 1e-4  # the steps moved
    for key, value in bl_params2.items():
        np.testing.assert_allclose(value, fw_params[key], rtol=1e-9, atol=1e-13)


def test_two_adam_steps_land_on_the_same_parameters(setups):
    _one_step(setups, "poisson2d", "adam", "hessian")


@pytest.mark.slow
def test_two_lbfgs_steps_land_on_the_same_parameters(setups):
    _one_step(setups, "heat1d", "lbfgs", "jvp")
