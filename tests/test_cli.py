"""The ``pinn`` command, called in-process through ``pinn.cli.main(argv)``.

One tiny run of poisson2d is trained for the whole module (a few seconds); evaluate,
predict and the config round trip work on it. Runs that need no training (derived
quantities, an interrupted run) are written by hand with :func:`pinn.io.save_result`.
Bad input (one line ``pinn: error: ...``, exit status 2) is also covered case by case
in tests/test_errors.py; here are the cases that belong to files and runs.
"""

import contextlib
import dataclasses
import io as io_
import json
import re

import numpy as np
import pytest

import pinn
import problems
from pinn import cli, io
from pinn.progress import TrainingProgress
from pinn.config import TrainConfig
from pinn.result import Result

TINY = ["--steps", "10", "--lbfgs-steps", "0", "--width", "8", "--depth", "1", "--points", "32", "--seed", "3"]


def run(argv, capsys):
    code = cli.main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_error_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pinn: error: ") and "Traceback" not in err, err
    return lines[0]


@pytest.fixture(scope="module")
def solved_with_output(tmp_path_factory):
    """One tiny poisson2d run through the command line, shared by the module: (folder, stdout, stderr)."""
    out = tmp_path_factory.mktemp("cli") / "run"
    stdout, stderr = io_.StringIO(), io_.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = cli.main(["solve", "poisson2d", *TINY, "--out", str(out)])
    assert code == 0, stderr.getvalue()
    return out, stdout.getvalue(), stderr.getvalue()


@pytest.fixture(scope="module")
def solved(solved_with_output):
    return solved_with_output[0]


def test_solve_writes_a_complete_run(solved):
    names = {p.name for p in solved.iterdir()}
    assert {"metrics.json", "config.json", "history.csv", "model.json", "params.npz", "figures"} <= names
    assert {p.name for p in (solved / "figures").iterdir()} == {"solution.png", "loss.png"}
    config = json.loads((solved / "config.json").read_text())
    assert config["problem"] == "poisson2d" and config["format"] == "pinn-run"
    assert config["model"] == {"hidden": [8], "activation": "tanh", "dtype": "float64", "key": 3}
    train = config["train"]
    assert (train["steps"], train["lbfgs_steps"], train["n_interior"], train["seed"]) == (10, 0, 32, 3)
    assert train["derivatives"] == problems.get("poisson2d").train["derivatives"]  # the problem's default kept
    metrics = json.loads((solved / "metrics.json").read_text())
    assert metrics["problem"] == "poisson2d" and metrics["activation"] == "tanh" and metrics["seed"] == 3
    assert metrics["steps"] == {"adam": 10} and metrics["n_params"] == 2 * 8 + 8 + 8 + 1
    assert set(metrics["final_loss"]) == {"pde", "dirichlet"} and metrics["interrupted"] is False
    assert 0 < metrics["rel_l2"] < 10 and metrics["train_seconds"] > 0
    assert metrics["versions"]["jax"] and metrics["versions"]["python"]
    header = (solved / "history.csv").read_text().splitlines()[0].split(",")
    assert header[:3] == ["step", "phase", "loss"] and "loss_pde" in header and "rel_l2" in header


def test_solve_prints_a_summary(solved_with_output):
    folder, out, err = solved_with_output
    assert re.search(r"poisson2d solved in [\d.]+ s: 10 adam steps, 33 parameters, tanh, float64", out)
    assert re.search(r"relative L2 error  \d\.\d{3}e[+-]\d\d  \(target 1e-04: not reached\)", out)
    assert "final loss terms   dirichlet" in out and "figures/solution.png" in out and f"results in         {folder}/" in out
    assert err.strip().splitlines() == [f"pinn: solving poisson2d -> {folder}"]  # no bar: not a terminal


def test_evaluate_recomputes_the_error_from_predictions(solved, capsys):
    before = json.loads((solved / "metrics.json").read_text())
    code, out, _ = run(["evaluate", solved], capsys)
    assert code == 0
    after = json.loads((solved / "metrics.json").read_text())
    evaluation = after["evaluation"]
    # float64 run: the error recomputed on the same grid agrees with the one measured in training.
    assert evaluation["rel_l2"] == pytest.approx(before["rel_l2"], rel=1e-10)
    assert evaluation["rel_l2_at_training"] == before["rel_l2"]
    # ... and with an independent computation from the predictions.
    run_ = pinn.load_run(solved, problem=problems.build)
    points, exact = run_.problem.evaluation_data()
    u = run_.predict(points)
    assert evaluation["rel_l2"] == pytest.approx(np.linalg.norm(u - exact) / np.linalg.norm(exact), rel=1e-12)
    assert evaluation["max_abs_error_per_field"]["u"] == pytest.approx(np.abs(u - exact).max(), rel=1e-12)
    assert evaluation["n_points"] == len(points)
    assert f"relative L2 error  {evaluation['rel_l2']:.3e}" in out


@pytest.mark.parametrize("suffix_in, suffix_out", [(".csv", ".npy"), (".npy", ".csv")])
def test_predict_writes_the_fields_at_the_given_points(solved, tmp_path, capsys, suffix_in, suffix_out):
    points = np.random.default_rng(5).uniform(size=(9, 2))
    source = tmp_path / f"points{suffix_in}"
    if suffix_in == ".csv":
        source.write_text("x,y\n" + "\n".join(f"{float(x)!r},{float(y)!r}" for x, y in points))
    else:
        np.save(source, points)
    target = tmp_path / f"values{suffix_out}"
    code, out, _ = run(["predict", solved, "--points", source, "--out", target], capsys)
    assert code == 0 and "9 points x 1 columns (u)" in out
    values = np.load(target) if suffix_out == ".npy" else np.loadtxt(target, delimiter=",", skiprows=1, ndmin=2)
    assert values.shape == (9, 1)
    np.testing.assert_array_equal(values, pinn.load_run(solved, problem=problems.build).predict(points))


def test_predict_warns_about_points_outside_the_domain(solved, tmp_path, capsys):
    np.save(tmp_path / "p.npy", np.array([[0.5, 0.5], [1.5, 0.5]]))
    code, _, err = run(["predict", solved, "--points", tmp_path / "p.npy", "--out", tmp_path / "o.npy"], capsys)
    assert code == 0
    assert "pinn: warning: 1 of 2 points lie outside the domain of 'poisson2d'" in err


def fake_run(name, directory, derived_check=True, **changes):
    """A saved run of an untrained network of bundled problem ``name`` (no training)."""
    problem = problems.get(name).problem()
    model = pinn.MLP.for_problem(problem, (6,), "tanh", key=2, dtype="float64")
    params = pinn.pure_apply(model)[1]
    history = {"step": np.array([5.0]), "phase": np.array(["adam"]), "loss": np.array([1.0]), "loss_pde": np.array([1.0])}
    metrics = {"rel_l2": 1.0, "rel_l2_per_field": {f: 1.0 for f in problem.fields}, "steps": {"adam": 5, "lbfgs": 0}}
    result = Result(problem, model, params, history, metrics, TrainConfig(steps=5), **changes)
    io.save_result(result, directory, key=2)
    return result


def test_predict_adds_derived_quantities(tmp_path, capsys):
    spec = problems.get("elasticity_plate")
    assert {"sigma_xx", "sigma_yy", "sigma_xy"} <= set(spec.derived)
    result = fake_run("elasticity_plate", tmp_path / "plate")
    name = next(iter(spec.derived))
    points = np.random.default_rng(2).uniform(size=(6, 2))
    np.save(tmp_path / "p.npy", points)
    code, out, _ = run(["predict", tmp_path / "plate", "--points", tmp_path / "p.npy", "--out", tmp_path / "o.csv",
                        "--fields", name], capsys)
    assert code == 0 and f"(u_x, u_y, {name})" in out
    lines = (tmp_path / "o.csv").read_text().splitlines()
    assert lines[0] == f"u_x,u_y,{name}"
    values = np.loadtxt(tmp_path / "o.csv", delimiter=",", skiprows=1)
    np.testing.assert_array_equal(values[:, :2], result.predict(points))
    np.testing.assert_allclose(values[:, 2], io.predict_columns(result, points, [name], spec.derived)[:, 0], rtol=1e-12)
    code, _, err = run(["predict", tmp_path / "plate", "--points", tmp_path / "p.npy", "--out", tmp_path / "o.csv",
                        "--fields", "sigma_zz"], capsys)
    assert code == 2 and re.search(r"unknown field 'sigma_zz' for problem 'elasticity_plate'; valid fields: u_x, u_y, ",
                                   one_error_line(err))


def test_config_file_round_trip_reproduces_the_run(solved, tmp_path, capsys):
    code, _, _ = run(["solve", "--config", solved / "config.json", "--out", tmp_path / "again"], capsys)
    assert code == 0
    first = json.loads((solved / "config.json").read_text())
    second = json.loads((tmp_path / "again" / "config.json").read_text())
    assert second == first
    m1 = json.loads((solved / "metrics.json").read_text())
    m2 = json.loads((tmp_path / "again" / "metrics.json").read_text())
    assert m2["final_loss"] == m1["final_loss"]  # same seed and settings: the same numbers
    assert m2["rel_l2"] == pytest.approx(m1.get("evaluation", m1)["rel_l2"], rel=1e-12)


def test_toml_config_and_flags_combine_in_order(tmp_path):
    (tmp_path / "run.toml").write_text(
        'problem = "heat1d"\n[params]\na = 0.25\n[model]\nhidden = [12, 12]\nactivation = "swish"\n'
        '[train]\nsteps = 40\nlr = 0.002\nweights = { initial = 10.0 }\n'
    )
    settings = cli.read_config_file(tmp_path / "run.toml")
    assert settings == {
        "problem": "heat1d",
        "params": {"a": 0.25},
        "model": {"hidden": (12, 12), "activation": "swish"},
        "train": {"steps": 40, "lr": 0.002, "weights": {"initial": 10.0}},
    }
    args = cli.build_parser().parse_args(["solve", "--config", "x.toml", "--steps", "7", "--depth", "3", "--float32"])
    spec, problem, model, config, key = cli.resolve_run(None, settings, cli._command_line_settings(args), args.width,
                                                        args.depth)
    assert problem.name == "heat1d" and problem.params["a"] == 0.25
    assert model.hidden == (12, 12, 12) and model.activation.name == "swish" and model.dtype == "float32"
    assert config.steps == 7 and config.lr == 0.002 and config.weights == {"initial": 10.0}
    # --steps replaces the defaults' optimizer phases; the rest comes from the problem's defaults
    assert [(p.name, p.steps) for p in config.phase_list()] == [("adam", 7)] and key == 0
    assert (config.n_interior, config.derivatives) == (spec.train["n_interior"], spec.train["derivatives"])
    # --param overrides the file's problem parameters
    args = cli.build_parser().parse_args(["solve", "--config", "x.toml", "--param", "a=0.5"])
    _, problem, *_ = cli.resolve_run(None, settings, cli._command_line_settings(args), args.width, args.depth)
    assert problem.params["a"] == 0.5


def test_chunk_size_flag_sets_the_chunked_pde_term():
    args = cli.build_parser().parse_args(["solve", "heat1d", "--chunk-size", "64", "--points", "256"])
    _, _, _, config, _ = cli.resolve_run("heat1d", None, cli._command_line_settings(args), args.width, args.depth)
    assert (config.chunk_size, config.n_interior) == (64, 256)
    args = cli.build_parser().parse_args(["solve", "heat1d"])
    _, _, _, config, _ = cli.resolve_run("heat1d", None, cli._command_line_settings(args), args.width, args.depth)
    assert config.chunk_size == 0  # the default: all points at once


@pytest.mark.parametrize(
    "content, message",
    [
        ('problem = "heat1d"\n[params]\nalpha = 1.0\n', r"unknown parameter 'alpha' of problem 'heat1d'; valid parameters: a"),
        ('problem = "heat1d"\nsteps = 3\n', r"unknown config key 'steps'; valid keys: format, version, problem, params"),
        ('[model]\nhidden = [8, 0]\n', r"'model.hidden' must be a list of positive integers"),
        ('[model]\nhidden = 8\n', r"'model.hidden' must be a list of positive integers"),
        ('[train]\nlr = "fast"\n', r"config key 'train.lr' must be a number, got 'fast' \(str\)"),
        ('[train]\nsteps = true\n', r"config key 'train.steps' must be an integer, got True \(bool\)"),
        ('[train]\nweights = { pde = "x" }\n', r"'train.weights' must be a table of names to numbers"),
        ('[params]\na = "hot"\n', r"config key 'params.a' must be a number"),
        ('train = 3\n', r"config key 'train' must be a table"),
        ('format = "other"\n', r"config key 'format' must be 'pinn-run'"),
        ('problem = "poisson2d"\n', r"problem 'heat1d' on the command line differs from 'poisson2d' in the config file"),
        ('problem = "heat1d"\n[train]\nsteps = 0\nlbfgs_steps = 0\n', r"steps and lbfgs_steps are both 0"),
        ("problem = [\n", r"is not valid TOML"),
    ],
)
def test_bad_config_files_are_refused_before_training(tmp_path, capsys, content, message):
    (tmp_path / "c.toml").write_text(content)
    argv = ["solve", "heat1d", "--config", tmp_path / "c.toml", "--out", tmp_path / "out"]
    code, _, err = run(argv, capsys)
    assert code == 2
    assert re.search(message, one_error_line(err)), err
    assert not (tmp_path / "out").exists()  # nothing written


@pytest.mark.parametrize(
    "argv, message",
    [
        (["solve", "poisson2d", "--lr", "nan"], r"--lr: must be a positive finite number, got 'nan'"),
        (["solve", "heat1d_inverse", "--param", "noise"], r"--param: must be NAME=VALUE such as noise=0.05, got 'noise'"),
        (["solve", "heat1d_inverse", "--param", "noise=lots"], r"--param: the value of 'noise' must be a number, got 'lots'"),
        (["solve", "heat1d_inverse", "--param", "sigma=0.1"], r"unknown parameter 'sigma' of problem 'heat1d_inverse'; valid parameters: kappa, noise, data"),
        (["solve", "poisson2d", "--derivatives", "finite"], r"unknown derivatives engine 'finite'; valid engines: hessian"),
        (["solve", "poisson2d", "--chunk-size", "-1"], r"--chunk-size: must be a non-negative integer, got '-1'"),
        (["solve", "poisson2d", "--float32", "--float64"], r"argument --float64: not allowed with argument --float32"),
        (["solve"], r"name a problem \(see 'pinn list'\) or give --config FILE"),
        (["solve", "poisson2d", "--resume"], r"--resume needs --out DIR"),
        (["solve", "poisson2d", "--config", "c.yaml"], r"config file c.yaml not found"),
        (["predict", "{d}/missing", "--points", "p.csv", "--out", "o.csv"], r"run folder .*missing not found"),
        (["compare", "poisson2d", "--activations", "relu,tanhh"], r"unknown activation 'tanhh'; valid activations"),
        (["compare", "poisson2d", "--seeds", "0"], r"--seeds: must be a positive integer, got '0'"),
        ([], r"the following arguments are required: COMMAND"),
    ],
)
def test_bad_arguments_end_in_one_line(tmp_path, capsys, argv, message):
    code, _, err = run([a.replace("{d}", str(tmp_path)) for a in argv], capsys)
    assert code == 2
    assert re.search(message, one_error_line(err)), err


def test_an_existing_run_is_not_written_over(solved, capsys):
    before = {p.name: p.stat().st_mtime_ns for p in solved.iterdir() if p.is_file()}
    code, _, err = run(["solve", "poisson2d", *TINY, "--out", solved], capsys)
    assert code == 2 and "already holds a run; choose another --out, or pass --resume" in one_error_line(err)
    assert {p.name: p.stat().st_mtime_ns for p in solved.iterdir() if p.is_file()} == before


def test_predict_refuses_bad_point_files(solved, tmp_path, capsys):
    (tmp_path / "p.csv").write_text("0.1,0.2,0.3\n")
    code, _, err = run(["predict", solved, "--points", tmp_path / "p.csv", "--out", tmp_path / "o.csv"], capsys)
    assert code == 2 and re.search(r"must have shape \(n, 2\) \(x, y\), got \(1, 3\)", one_error_line(err))
    code, _, err = run(["predict", solved, "--points", tmp_path / "p.csv", "--out", tmp_path / "o.txt"], capsys)
    assert code == 2 and "must end in .npy or .csv" in one_error_line(err)
    assert not (tmp_path / "o.csv").exists()


def test_interrupted_run_keeps_what_it_has_and_says_how_to_resume(tmp_path, capsys, monkeypatch):
    problem = problems.get("poisson2d").problem()

    def interrupted_solve(problem, model, config, callback=None, **kwargs):
        _, params = pinn.pure_apply(model)
        history = {"step": np.array([5.0]), "phase": np.array(["adam"]), "loss": np.array([2.0]),
                   "loss_pde": np.array([2.0])}
        metrics = {"rel_l2": 0.9, "rel_l2_per_field": {"u": 0.9}, "steps": {"adam": 5, "lbfgs": 0},
                   "final_loss": {"pde": 2.0}, "train_seconds": 0.1}
        result = Result(problem, model, params, history, metrics, config)
        return dataclasses.replace(result, interrupted=True)

    monkeypatch.setattr(pinn, "solve", interrupted_solve)
    out = tmp_path / "stopped"
    code, stdout, err = run(["solve", "poisson2d", *TINY, "--out", out], capsys)
    assert code == 130
    assert "poisson2d stopped early (interrupted)" in stdout
    assert f"Continue with: pinn solve poisson2d --out {out} --resume" in err
    assert json.loads((out / "metrics.json").read_text())["interrupted"] is True
    assert (out / "figures" / "solution.png").is_file() and (out / "params.npz").is_file()
    assert problem.name == "poisson2d"


def test_ctrl_c_before_a_result_exits_130(tmp_path, capsys, monkeypatch):
    def stopped(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pinn, "solve", stopped)
    code, _, err = run(["solve", "poisson2d", *TINY, "--out", tmp_path / "r"], capsys)
    assert code == 130 and "pinn: interrupted before the run could be saved" in err


def test_list_shows_every_bundled_problem(capsys):
    code, out, _ = run(["list"], capsys)
    assert code == 0
    for name in problems.names():
        spec = problems.get(name)
        assert re.search(rf"^{name}$", out, re.M) and spec.summary in out
    assert "inputs (x, t) -> fields (u)" in out  # heat1d
    spec = problems.get("heat1d")
    model, train = spec.split_settings({})
    phases = " + ".join(f"{p.steps} {p.name}" for p in spec.config().phase_list())
    expected = (
        f"default: {'x'.join(map(str, model['hidden']))} {model['activation']} {model['dtype']}, "
        f"{phases} steps, {train['n_interior']} points; target rel L2 {spec.target:.0e}"
    )
    assert expected in out and phases == "200 adam + 1000 lm"
    assert "    --recipe adam-lbfgs: 32x32x32, 2000 adam + 4000 lbfgs steps, 2000 points" in out


def test_activations_prints_the_table(capsys):
    code, out, _ = run(["activations", "relu", "silu"], capsys)  # the full table is tested in test_curvature
    assert code == 0
    rows = {line.split()[0]: line.split() for line in out.splitlines()[2:]}
    assert set(rows) == {"relu", "swish"}
    assert rows["relu"][1] == "C0" and rows["swish"][1] == "Cinf"
    assert rows["swish"][3] == "0.5"  # φ'(0) of swish, computed by autodiff
    code, _, err = run(["activations", "rellu"], capsys)
    assert code == 2 and "unknown activation 'rellu'; valid activations: tanh" in one_error_line(err)


def test_progress_bar_shows_step_loss_and_error(capsys):
    progress = TrainingProgress(100, enabled=True, desc="heat1d")
    progress({"step": 10, "phase": "adam", "loss": 0.5, "rel_l2": float("nan")})
    progress({"step": 20, "phase": "adam", "loss": 0.25, "rel_l2": 0.125})
    progress({"step": 30, "phase": "lbfgs", "loss": 0.2, "rel_l2": float("nan")})
    assert progress.bar.n == 30 and progress.error == 0.125
    progress.close()
    out = capsys.readouterr().out
    assert "heat1d" in out and "30/100" in out and "phase=L-BFGS" in out and "loss=2.000e-01" in out
    assert "rel_l2=1.25e-01" in out  # the last measured error stays shown
    quiet = TrainingProgress(100, enabled=False)
    quiet({"step": 10, "phase": "adam", "loss": 0.5})
    quiet.close()
    assert capsys.readouterr().out == ""


def test_resume_with_other_settings_is_refused_before_anything_is_written(solved, capsys):
    before = {p.name: p.stat().st_mtime_ns for p in solved.iterdir() if p.is_file()}
    argv = ["solve", "poisson2d", *TINY[:-6], "--width", "12", "--depth", "1", "--points", "32", "--out", solved, "--resume"]
    code, _, err = run(argv, capsys)
    line = one_error_line(err)
    assert code == 2 and re.search(r"was written for a different run and cannot be resumed: .*hidden", line), line
    assert {p.name: p.stat().st_mtime_ns for p in solved.iterdir() if p.is_file()} == before


def test_a_run_refused_by_the_trainer_prints_one_line(tmp_path, capsys):
    config = tmp_path / "run.json"
    config.write_text(json.dumps({"problem": "poisson2d", "train": {"steps": 5, "weights": {"initial": 2.0}}}))
    code, _, err = run(["solve", "--config", config, "--out", tmp_path / "out"], capsys)
    assert code == 2
    assert re.search(r"unknown loss term 'initial' in weights; the terms are: pde, dirichlet", one_error_line(err))
    assert not (tmp_path / "out").exists()


def test_the_command_line_builds_the_network_the_registry_would():
    """wave1d starts its first layer larger (problems/wave1d.py): `pinn solve` must too."""
    spec, problem, model, config, key = cli.resolve_run("wave1d", None, {}, None, None)
    expected = problems.get("wave1d").make_model(problem)
    np.testing.assert_array_equal(np.asarray(model.layers[0].kernel[...]), np.asarray(expected.layers[0].kernel[...]))
    plain = pinn.MLP.for_problem(problem, expected.hidden, expected.activation.name, key=0, dtype=expected.dtype)
    assert not np.array_equal(np.asarray(model.layers[0].kernel[...]), np.asarray(plain.layers[0].kernel[...]))


def test_predict_with_bare_fields_adds_every_derived_quantity(tmp_path, capsys):
    fake_run("elasticity_plate", tmp_path / "plate")
    np.save(tmp_path / "p.npy", np.random.default_rng(3).uniform(size=(4, 2)))
    code, _, err = run(["predict", tmp_path / "plate", "--fields", "--points", tmp_path / "p.npy", "--out", tmp_path / "o.csv"], capsys)
    assert code == 0, err
    assert (tmp_path / "o.csv").read_text().splitlines()[0] == "u_x,u_y,sigma_xx,sigma_yy,sigma_xy"


def test_recipe_flag_lays_a_named_recipe_over_the_defaults(monkeypatch):
    from problems import registry

    spec = problems.get("heat1d")
    train = {k: v for k, v in spec.train.items() if k not in ("steps", "lbfgs_steps")}
    spec = dataclasses.replace(
        spec, train={**train, "phases": "adam:200,lm:1000"}, recipes={"adam-lbfgs": {"steps": 30, "lbfgs_steps": 4}}
    )
    monkeypatch.setitem(registry._REGISTRY, "heat1d", spec)

    def phases(*argv):
        args = cli.build_parser().parse_args(["solve", "heat1d", *argv])
        _, _, _, config, _ = cli.resolve_run("heat1d", None, cli._command_line_settings(args), args.width, args.depth)
        return [(p.name, p.steps) for p in config.phase_list()]

    assert phases() == [("adam", 200), ("lm", 1000)]
    assert phases("--recipe", "adam-lbfgs") == [("adam", 30), ("lbfgs", 4)]
    assert phases("--recipe", "adam-lbfgs", "--steps", "5") == [("adam", 5), ("lbfgs", 4)]
    assert phases("--steps", "5") == [("adam", 5)]  # --steps replaces the defaults' phases
    with pytest.raises(ValueError, match=r"unknown recipe 'fast' of problem 'heat1d'; valid recipes: default, adam-lbfgs"):
        phases("--recipe", "fast")
