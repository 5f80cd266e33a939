"""Bad input gets a clear error before any training starts.

Every case names the bad value (and lists the valid ones where there is a list); the
solve-level cases also check that nothing was traced, compiled or written.
"""

import math
import re

import jax.numpy as jnp
import numpy as np
import pytest

import pinn
import problems
from pinn import checkpoint as ckpt
from pinn.config import TrainConfig

LINE = pinn.Interval(0.0, 1.0)
SPACE_TIME = LINE * pinn.TimeInterval(0.0, 1.0)


def poisson(u, x):
    return -pinn.laplacian(u)(x) - jnp.pi**2 * jnp.sin(jnp.pi * x[0])


def exact(x):
    return jnp.sin(jnp.pi * x[0])


SQUARE = pinn.Rectangle((0.0, 0.0), (1.0, 1.0))


def vector_residual(u, x):
    return pinn.laplacian(u)(x)


def vector_exact(x):
    return jnp.stack([x[0], x[1]])


# -- constructors: (callable, exception match) ------------------------------------------------
CONSTRUCTION = {
    # names: the message lists the valid ones
    "unknown problem": (lambda: problems.get("poisson3d"), r"unknown problem 'poisson3d'; valid problems: poisson2d, .*heat1d"),
    "unknown activation": (lambda: pinn.MLP(1, 1, (4,), "relu6"), r"unknown activation 'relu6'; valid activations: tanh, .*swish"),
    "unknown schedule": (lambda: TrainConfig(schedule="linear"), r"unknown schedule 'linear'; valid schedules: constant, exponential, cosine"),
    "unknown sampler": (lambda: TrainConfig(sampler="grid"), r"unknown sampler 'grid'; valid samplers: uniform, sobol, halton, lhs"),
    "unknown derivatives": (lambda: TrainConfig(derivatives="reverse"), r"unknown derivatives engine 'reverse'; valid engines: hessian, forward"),
    "unknown precision": (lambda: TrainConfig(precision="low"), r"unknown precision 'low'; valid precisions: highest, high, default"),
    "unknown dtype": (lambda: pinn.MLP(1, 1, (4,), dtype="float16"), r"unknown dtype 'float16'; valid dtypes: float32, float64"),
    "unknown engine of a block": (lambda: pinn.derivative_engine("backward").__enter__(), r"unknown derivatives engine 'backward'"),
    "unknown setting": (lambda: TrainConfig().replace(stepz=10), r"unknown training setting 'stepz'; valid settings: .*steps"),
    "unknown setting in plain data": (lambda: TrainConfig.from_dict({"steps": 10, "learning_rate": 1e-3}), r"unknown training setting 'learning_rate'"),
    # sizes
    "zero width": (lambda: pinn.MLP(1, 1, (16, 0)), r"hidden width must be a positive integer, got 0"),
    "negative width": (lambda: pinn.MLP(1, 1, (-4,)), r"hidden width must be a positive integer, got -4"),
    "zero depth": (lambda: pinn.MLP(1, 1, ()), r"hidden must name at least one layer width, got \(\)"),
    "depth given as a number": (lambda: pinn.MLP(1, 1, 4), r"hidden must be a sequence of widths"),
    "zero inputs": (lambda: pinn.MLP(0, 1, (4,)), r"in_dim must be a positive integer, got 0"),
    "zero interior points": (lambda: TrainConfig(n_interior=0), r"n_interior must be a positive integer, got 0"),
    "negative boundary points": (lambda: TrainConfig(n_boundary=-5), r"n_boundary must be a positive integer, got -5"),
    "condition with zero points": (lambda: pinn.Dirichlet(on=LINE.boundary, n=0), r"condition point count n must be a positive integer, got 0"),
    "negative steps": (lambda: TrainConfig(steps=-1), r"steps must be a non-negative integer, got -1"),
    "no steps at all": (lambda: TrainConfig(steps=0, lbfgs_steps=0), r"steps and lbfgs_steps are both 0: nothing to train"),
    "fractional steps": (lambda: TrainConfig(steps=10.5), r"steps must be a non-negative integer, got 10.5"),
    "zero learning rate": (lambda: TrainConfig(lr=0.0), r"lr must be a positive finite number, got 0.0"),
    "negative learning rate": (lambda: TrainConfig(lr=-1e-3), r"lr must be a positive finite number, got -0.001"),
    "NaN learning rate": (lambda: TrainConfig(lr=math.nan), r"lr must be a positive finite number, got nan"),
    "learning rate as text": (lambda: TrainConfig(lr="1e-3"), r"lr must be a positive finite number, got '1e-3'"),
    "final lr ratio above 1": (lambda: TrainConfig(final_lr_ratio=2.0), r"final_lr_ratio must be in \(0, 1\], got 2.0"),
    "final lr ratio as text": (lambda: TrainConfig(final_lr_ratio="0.1"), r"final_lr_ratio must be a finite number, got '0.1'"),
    "zero log interval": (lambda: TrainConfig(log_every=0), r"log_every must be a positive integer, got 0"),
    "negative checkpoint interval": (lambda: TrainConfig(checkpoint_every=-1), r"checkpoint_every must be a non-negative integer, got -1"),
    "keep no checkpoints": (lambda: TrainConfig(checkpoint_keep=0), r"checkpoint_keep must be a positive integer, got 0"),
    "one-point evaluation grid": (lambda: TrainConfig(eval_resolution=1), r"eval_resolution must be an integer >= 2, got 1"),
    "negative seed": (lambda: TrainConfig(seed=-1), r"seed must be a non-negative integer, got -1"),
    "boolean steps": (lambda: TrainConfig(steps=True), r"steps must be a non-negative integer, got True"),
    "weights not a table": (lambda: TrainConfig(weights=[1.0]), r"weights must be a mapping of loss-term names to numbers, got \[1.0\]"),
    "weight as text": (lambda: TrainConfig(weights={"dirichlet": "ten"}), r"weight of 'dirichlet' must be a finite number, got 'ten'"),
    "negative weight": (lambda: TrainConfig(weights={"dirichlet": -1.0}), r"weight of 'dirichlet' must be non-negative, got -1.0"),
    "settings not a table": (lambda: TrainConfig.from_dict([("steps", 10)]), r"training settings must be a table of key = value pairs"),
    # domains
    "interval reversed": (lambda: pinn.Interval(1.0, 0.0), r"lower bound 1.0 must be below upper bound 0.0 on axis 0"),
    "rectangle flat": (lambda: pinn.Rectangle((0.0, 1.0), (1.0, 1.0)), r"lower bound 1.0 must be below upper bound 1.0 on axis 1"),
    "time interval reversed": (lambda: pinn.TimeInterval(1.0, 0.0), r"time interval start 1.0 must be below its end 0.0"),
    "box with NaN corner": (lambda: pinn.Box((0.0, math.nan), (1.0, 1.0)), r"lower must be finite, got \(0.0, nan\)"),
    "annulus inside out": (lambda: pinn.Annulus(inner=1.0, outer=0.5), r"need 0 <= inner < outer, got inner=1.0, outer=0.5"),
    "sector wider than half a turn": (lambda: pinn.Annulus(angles=(0.0, 4.0)), r"angles must span \(0, pi\] or the full circle"),
    "disk of radius 0": (lambda: pinn.Disk(radius=0.0), r"radius must be positive, got 0.0"),
    "polygon of two vertices": (lambda: pinn.Polygon([(0, 0), (1, 0)]), r"a polygon needs at least 3 vertices of 2 coordinates, got shape \(2, 2\)"),
    "self-crossing polygon": (
        lambda: pinn.Polygon([(0, 0), (2, 2), (2, 0), (0, 1)]),
        r"polygon edges 0 and 2 cross \(edge k joins vertex k to vertex k\+1\); give the vertices of a simple polygon",
    ),
    "box corner as text": (lambda: pinn.Rectangle(("a", 0.0), (1.0, 1.0)), r"lower must be numbers, got \('a', 0.0\)"),
    "polygon without area": (lambda: pinn.Polygon([(0, 0), (1, 0), (2, 0)]), r"polygon has zero area"),
    # problems
    "domain not a domain": (lambda: pinn.Problem("unit square", poisson), r"domain must be a pinn domain .* got 'unit square'"),
    "residual not a function": (lambda: pinn.Problem(LINE, "u_xx"), r"residual must be a function residual\(u, x, \*\*params\), got 'u_xx'"),
    "residual of the wrong shape": (
        lambda: pinn.Problem(LINE, lambda u, x: jnp.ones((2, 2)) * u(x), exact=exact),
        r"residual must return a scalar or a vector \(shape \(\) or \(k,\)\), got shape \(2, 2\)",
    ),
    "residual not finite for the exact solution": (
        lambda: pinn.Problem(LINE, lambda u, x: jnp.log(u(x) - 2.0), exact=exact),
        r"residual is not finite for the exact solution",
    ),
    "residual missing a parameter": (
        lambda: pinn.Problem(LINE, lambda u, x, k: k * u(x)),
        r"residual\(u, x, \*\*params\) failed .* missing 1 required positional argument: 'k'",
    ),
    "exact solution of the wrong shape": (
        lambda: pinn.Problem(LINE, poisson, exact=lambda x: jnp.stack([x[0], x[0]])),
        r"exact solution must return shape \(\) for fields \('u',\), got \(2,\)",
    ),
    "exact solution for two fields of one": (
        lambda: pinn.Problem(LINE, lambda u, x: u(x), exact=exact, fields=("u", "v")),
        r"exact solution must return shape \(2,\) for fields \('u', 'v'\), got \(\)",
    ),
    "NaN parameter": (lambda: pinn.Problem(LINE, lambda u, x, k: k * u(x), params={"k": math.nan}), r"parameter 'k' must be finite, got nan"),
    "infinite parameter": (lambda: pinn.Problem(LINE, lambda u, x, k: k * u(x), params={"k": math.inf}), r"parameter 'k' must be finite, got inf"),
    "parameter not a number": (lambda: pinn.Problem(LINE, lambda u, x, k: k * u(x), params={"k": "abc"}), r"parameter 'k' must be a number or a pinn.Parameter, got 'abc'"),
    "repeated field names": (lambda: pinn.Problem(LINE, poisson, fields=("u", "u")), r"fields must be distinct non-empty names, got \('u', 'u'\)"),
    "reserved term name": (
        lambda: pinn.Problem(LINE, poisson, [pinn.Dirichlet(on=LINE.boundary, name="pde")]),
        r"the loss-term name 'pde' is reserved",
    ),
    "two conditions of one name": (
        lambda: pinn.Problem(LINE, poisson, [pinn.Dirichlet(on=LINE.boundary, name="a"), pinn.Neumann(on=LINE.boundary, name="a")]),
        r"two conditions are named 'a'",
    ),
    "condition not on a boundary set": (lambda: pinn.Dirichlet(on="boundary"), r"'on' must be a boundary set such as domain.boundary"),
    "negative condition weight": (lambda: pinn.Dirichlet(on=LINE.boundary, weight=-1.0), r"condition weight must be a finite non-negative number, got -1.0"),
    "condition weight as text": (lambda: pinn.Dirichlet(on=LINE.boundary, weight="10"), r"condition weight must be a finite non-negative number, got '10'"),
    "condition component out of range": (
        lambda: pinn.Problem(SQUARE, vector_residual, [pinn.Dirichlet(on=SQUARE.boundary, component=2)], exact=vector_exact, fields=("u", "v")),
        r"condition 'dirichlet': component 2 is not a field index; valid components: 0 to 1",
    ),
    "condition value of the wrong shape": (
        lambda: pinn.Problem(SQUARE, vector_residual, [pinn.Dirichlet(on=SQUARE.boundary, value=lambda x: jnp.ones(3))], exact=vector_exact, fields=("u", "v")),
        r"condition 'dirichlet' failed for a field of shape \(2,\) \(fields \('u', 'v'\)\): .*incompatible shapes",
    ),
    "component condition given a vector value": (
        lambda: pinn.Problem(SQUARE, vector_residual, [pinn.Dirichlet(on=SQUARE.boundary, component=0, value=lambda x: jnp.ones(2))], exact=vector_exact, fields=("u", "v")),
        r"condition 'dirichlet': its value must be a scalar or of shape \(\) .* got a residual of shape \(2,\)",
    ),
    "initial condition without time": (
        lambda: pinn.Problem(LINE, poisson, [pinn.Initial(value=0.0)], exact=exact),
        r"condition 'initial': an initial condition needs a space-time domain",
    ),
    "condition selecting no boundary points": (
        lambda: pinn.Problem(SQUARE, vector_residual, [pinn.Dirichlet(on=SQUARE.boundary.where(lambda x: x[0] > 2))], exact=vector_exact, fields=("u", "v")),
        r"condition 'dirichlet': the boundary predicate selects none of \d+ sampled boundary points",
    ),
    "data with the wrong number of coordinates": (
        lambda: pinn.Problem(LINE, poisson, [pinn.Data(points=[[0.1, 0.2]], values=[1.0])], exact=exact),
        r"condition 'data': data points have 2 coordinates, the domain has 1",
    ),
    "condition not finite for the exact solution": (
        lambda: pinn.Problem(LINE, poisson, [pinn.Dirichlet(on=LINE.boundary, value=lambda x: jnp.log(x[0] - 2.0))], exact=exact),
        r"condition 'dirichlet' is not finite for the exact solution",
    ),
    "data of mismatched lengths": (
        lambda: pinn.Data(points=np.zeros((3, 1)), values=np.zeros(2)),
        r"data points must have shape \(n, d\) .* got \(3, 1\) and \(2,\)",
    ),
    "data with NaN values": (lambda: pinn.Data(points=np.zeros((3, 1)), values=np.full(3, np.nan)), r"data points and values must be finite"),
}


@pytest.mark.parametrize("case", list(CONSTRUCTION))
def test_bad_construction_is_refused_with_a_clear_message(case):
    make, match = CONSTRUCTION[case]
    with pytest.raises(ValueError, match=match):
        make()


# -- solve: refused before anything is traced, compiled or written -------------------------------------
@pytest.fixture
def traced():
    return {"n": 0}


def problem_with(traced, conditions=None, domain=LINE, **kwargs):
    def residual(u, x):
        traced["n"] += 1
        return -pinn.laplacian(u)(x) - jnp.pi**2 * jnp.sin(jnp.pi * x[0])

    conditions = [pinn.Dirichlet(on=domain.boundary, value=0.0)] if conditions is None else conditions
    problem = pinn.Problem(domain, residual, conditions, **kwargs)
    traced["n"] = 0  # construction probes the residual; training must not start
    return problem


def model_for(problem, **kwargs):
    return pinn.MLP.for_problem(problem, (4,), "tanh", **kwargs)


SOLVE_CASES = {
    "unknown keyword setting": (dict(settings=dict(learning_rate=1e-3)), r"unknown training setting 'learning_rate'"),
    "bad keyword setting": (dict(settings=dict(n_interior=0)), r"n_interior must be a positive integer, got 0"),
    "config of the wrong type": (dict(config={"steps": 10}), r"config must be a pinn.TrainConfig, got \{'steps': 10\}"),
    "weight of an unknown term": (dict(settings=dict(weights={"initial": 2.0})), r"unknown loss term 'initial' in weights; the terms are: pde, dirichlet"),
    "model of another size": (dict(model=lambda p: pinn.MLP(2, 1, (4,))), r"model MLP failed on one point of shape \(1,\) \(problem 'custom' has coordinates \('x',\)\)"),
    "model that is not a model": (dict(model=lambda p: "mlp"), r"model must be a flax.nnx.Module mapping one point \(1,\) to the fields, got 'mlp'"),
    "callback that is not callable": (dict(callback=42), r"callback must be a function of one history row, got 42"),
    "resume without a folder": (dict(resume=True), r"resume=True needs the checkpoint_dir of the run to continue"),
}


@pytest.mark.parametrize("case", list(SOLVE_CASES))
def test_bad_solve_input_is_refused_before_training(case, traced, tmp_path):
    change, match = SOLVE_CASES[case]
    conditions = change["conditions"](LINE) if "conditions" in change else None
    problem = problem_with(traced, conditions)
    model = change["model"](problem) if "model" in change else model_for(problem)
    kwargs = dict(change.get("settings", {}))
    if "resume" in change:
        kwargs["resume"] = change["resume"]
    with pytest.raises(ValueError, match=match):
        pinn.solve(problem, model, change.get("config", TrainConfig(steps=5, n_interior=8)), callback=change.get("callback"), **kwargs)
    assert traced["n"] == 0


def test_nan_or_infinite_model_parameters_are_refused(traced):
    problem = problem_with(traced)
    model = model_for(problem)
    model.layers[1].kernel[...] = model.layers[1].kernel[...].at[0, 0].set(jnp.inf)
    with pytest.raises(ValueError, match=r"model parameter .*layers.*1.*kernel.* holds NaN or infinite values"):
        pinn.solve(problem, model, steps=5)
    assert traced["n"] == 0


def test_checkpoint_folder_holding_other_files_is_refused(traced, tmp_path):
    (tmp_path / "thesis.tex").write_text("years of work")
    problem = problem_with(traced)
    with pytest.raises(ValueError, match=r"holds files that are not checkpoints \(thesis.tex\)"):
        pinn.solve(problem, model_for(problem), steps=5, checkpoint_dir=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thesis.tex"]
    assert traced["n"] == 0


def test_checkpoint_folder_that_is_a_file_is_refused(traced, tmp_path):
    target = tmp_path / "ckpt"
    target.write_text("x")
    problem = problem_with(traced)
    with pytest.raises(ValueError, match=r"checkpoint_dir .*ckpt' is a file, not a folder"):
        pinn.solve(problem, model_for(problem), steps=5, checkpoint_dir=target)


def test_an_earlier_run_is_never_written_over(traced, tmp_path):
    earlier = ckpt.checkpoint_path(tmp_path, 100)
    earlier.write_bytes(b"an earlier run")
    problem = problem_with(traced)
    with pytest.raises(ValueError, match=r"already holds the checkpoints of a run; pass resume=True"):
        pinn.solve(problem, model_for(problem), steps=5, checkpoint_dir=tmp_path)
    assert earlier.read_bytes() == b"an earlier run"
    assert traced["n"] == 0


def test_resume_from_an_empty_folder_is_refused(traced, tmp_path):
    problem = problem_with(traced)
    with pytest.raises(ValueError, match=r"resume=True but checkpoint_dir .* holds no checkpoint to resume from"):
        pinn.solve(problem, model_for(problem), steps=5, checkpoint_dir=tmp_path, resume=True)


def test_resume_from_unreadable_checkpoints_only_is_refused(traced, tmp_path):
    ckpt.checkpoint_path(tmp_path, 10).write_bytes(b"not a zip file")
    problem = problem_with(traced)
    with pytest.raises(ValueError, match=r"no complete checkpoint to resume from .* \(unreadable: ckpt-000000010.npz\)"):
        pinn.solve(problem, model_for(problem), steps=5, checkpoint_dir=tmp_path, resume=True)
    assert traced["n"] == 0


def test_a_checkpoint_of_another_architecture_is_refused_by_load_pytree(tmp_path):
    small = pinn.pure_apply(pinn.MLP(1, 1, (4,)))[1]
    large = pinn.pure_apply(pinn.MLP(1, 1, (8,)))[1]
    path = ckpt.save_pytree(tmp_path / "params.npz", small)
    with pytest.raises(ValueError, match=r"\['layers'\]\[0\]\['bias'\].* has shape \(4,\), expected \(8,\)"):
        ckpt.load_pytree(path, large)
    deeper = pinn.pure_apply(pinn.MLP(1, 1, (4, 4)))[1]
    with pytest.raises(ValueError, match=r"does not match the expected structure: missing \[.*2.*\]"):
        ckpt.load_pytree(path, deeper)


def test_predict_at_points_of_the_wrong_dimension_is_refused():
    problem = pinn.Problem(LINE, poisson, exact=exact)
    result = pinn.Result(problem, model_for(problem), None, {}, {}, TrainConfig())
    with pytest.raises(ValueError, match=r"points must have 1 columns \('x',\), got shape \(3, 2\)"):
        result.predict(np.zeros((3, 2)))


# -- the command line: exit status 2 and one readable line, nothing trained ---------------------------
def run_cli(argv, capsys):
    cli = pytest.importorskip("pinn.cli")
    try:
        code = cli.main(argv)
    except SystemExit as exit_:
        code = exit_.code
    err = capsys.readouterr().err
    return code, err


@pytest.fixture
def files(tmp_path):
    (tmp_path / "unknown_key.json").write_text('{"train": {"stepz": 10}}')
    (tmp_path / "wrong_type.json").write_text('{"train": {"steps": "ten"}}')
    (tmp_path / "unknown_model_key.toml").write_text('problem = "poisson2d"\n[model]\nwidth = 3\n')
    (tmp_path / "bad_activation.json").write_text('{"problem": "poisson2d", "model": {"activation": "relu6"}}')
    (tmp_path / "broken.json").write_text('{"train": ')
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "notes.txt").write_text("mine")
    return tmp_path


CLI_CASES = {
    "unknown problem": (["solve", "nope"], r"unknown problem 'nope'; valid problems: poisson2d"),
    "unknown activation": (["solve", "poisson2d", "--activation", "relu6"], r"unknown activation 'relu6'; valid activations: tanh"),
    "zero width": (["solve", "poisson2d", "--width", "0"], r"--width: must be a positive integer, got '0'"),
    "negative depth": (["solve", "poisson2d", "--depth", "-1"], r"--depth: must be a positive integer, got '-1'"),
    "zero points": (["solve", "poisson2d", "--points", "0"], r"--points: must be a positive integer, got '0'"),
    "steps not a number": (["solve", "poisson2d", "--steps", "x"], r"--steps: must be a non-negative integer, got 'x'"),
    "negative learning rate": (["solve", "poisson2d", "--lr", "-1"], r"--lr: must be a positive finite number, got '-1'"),
    "unknown command": (["bogus"], r"invalid choice: 'bogus'"),
    "config with an unknown key": (["solve", "--config", "{d}/unknown_key.json"], r"unknown config key 'train.stepz'; valid keys: train.steps"),
    "config with a wrong type": (["solve", "--config", "{d}/wrong_type.json"], r"config key 'train.steps' must be an integer, got 'ten'"),
    "toml config with an unknown key": (["solve", "--config", "{d}/unknown_model_key.toml"], r"unknown config key 'model.width'"),
    "config with a bad value": (["solve", "--config", "{d}/bad_activation.json"], r"unknown activation 'relu6'"),
    "config that is not JSON": (["solve", "--config", "{d}/broken.json"], r"broken.json"),
    "missing config": (["solve", "--config", "{d}/missing.json"], r"missing.json not found"),
    "output folder holding other files": (["solve", "poisson2d", "--out", "{d}/junk"], r"holds files that are not a pinn run \(notes.txt\)"),
    "resume of nothing": (["solve", "poisson2d", "--out", "{d}/empty", "--resume"], r"nothing to resume in .*empty"),
    "evaluate a folder that is not a run": (["evaluate", "{d}/junk"], r"junk is not a pinn run folder"),
}


@pytest.mark.parametrize("case", list(CLI_CASES))
def test_the_command_line_exits_2_with_one_line(case, files, capsys):
    argv, match = CLI_CASES[case]
    argv = [a.format(d=files) for a in argv]
    code, err = run_cli(argv, capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pinn: error: "), err
    assert "Traceback" not in err
    assert re.search(match, lines[0]), lines[0]
    assert sorted(p.name for p in (files / "junk").iterdir()) == ["notes.txt"]  # nothing written over
