"""Run folders on disk (pinn.io): what is written, what reads back, what is refused.

Results here are built by hand from untrained networks (no training), so every test
is fast; the numbers they carry are still checked to round-trip exactly.
"""

import csv
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pinn
import problems
from pinn import checkpoint, io
from pinn.config import TrainConfig
from pinn.result import Result


def fake_result(problem, hidden=(8, 8), dtype="float64", key=3, **config):
    """A Result holding an untrained network: enough for everything but accuracy."""
    model = pinn.MLP.for_problem(problem, hidden, "tanh", key=key, dtype=dtype)
    _, params = pinn.pure_apply(model)
    history = {
        "step": np.array([10.0, 20.0, 30.0]),
        "phase": np.array(["adam", "adam", "lbfgs"]),
        "loss": np.array([3.0, 0.25, 0.125]),
        "loss_pde": np.array([2.5, 0.2, 0.1]),
        "loss_dirichlet": np.array([0.5, 0.05, 0.025]),
        "rel_l2": np.array([np.nan, 0.5, 0.375]),
    }
    metrics = {
        "problem": problem.name,
        "activation": "tanh",
        "rel_l2": 0.375,
        "rel_l2_per_field": {f: 0.375 for f in problem.fields},
        "final_loss": {"pde": 0.1, "dirichlet": 0.025},
        "steps": {"adam": 20, "lbfgs": 10},
        "train_seconds": 1.5,
        "n_params": model.n_params,
        "seed": 0,
        "dtype": dtype,
    }
    return Result(problem, model, params, history, metrics, TrainConfig(**config), ("adam step 5: an event",))


@pytest.fixture(scope="module")
def poisson():
    return problems.get("poisson2d").problem()


def test_save_writes_every_file_with_its_contents(tmp_path, poisson):
    result = fake_result(poisson, steps=30, lbfgs_steps=10, n_interior=77, seed=4)
    out = io.save_result(result, tmp_path / "run", key=3)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["config.json", "model.json", "metrics.json", "history.csv", "params.npz"]
    )
    config = json.loads((out / "config.json").read_text())
    assert config["format"] == "pinn-run" and config["problem"] == "poisson2d"
    assert config["params"] == {"amplitude": 1.0}
    assert config["model"] == {"hidden": [8, 8], "activation": "tanh", "dtype": "float64", "key": 3}
    assert config["train"]["steps"] == 30 and config["train"]["n_interior"] == 77 and config["train"]["seed"] == 4
    assert set(config["train"]) == {f for f in TrainConfig().to_dict()}
    model = json.loads((out / "model.json").read_text())
    assert model["in_dim"] == 2 and model["out_dim"] == 1 and model["hidden"] == [8, 8]
    assert model["input_bounds"] == [[0.0, 0.0], [1.0, 1.0]]
    assert model["n_params"] == 2 * 8 + 8 + 8 * 8 + 8 + 8 + 1
    metrics = json.loads((out / "metrics.json").read_text())
    for key in ("problem", "activation", "derivatives", "rel_l2", "rel_l2_per_field", "final_loss", "steps",
                "train_seconds", "n_params", "seed", "dtype", "versions", "events", "interrupted"):
        assert key in metrics, key
    assert metrics["rel_l2"] == 0.375 and metrics["events"] == ["adam step 5: an event"]
    assert metrics["interrupted"] is False
    assert metrics["versions"]["jax"] == jax.__version__
    assert {"python", "jaxlib", "flax", "optax", "numpy"} <= set(metrics["versions"])


def test_history_csv_round_trips_with_blanks_for_unmeasured_errors(tmp_path, poisson):
    result = fake_result(poisson)
    out = io.save_result(result, tmp_path / "run")
    with (out / "history.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["step", "phase", "loss", "loss_dirichlet", "loss_pde", "rel_l2"]
    assert rows[0]["rel_l2"] == "" and rows[0]["step"] == "10" and rows[2]["phase"] == "lbfgs"
    back = io.read_history(out / "history.csv")
    for key, values in result.history.items():
        if key == "phase":
            assert back[key].tolist() == values.tolist()
        else:
            np.testing.assert_array_equal(back[key], values)  # NaN where NaN, values exact


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_load_run_rebuilds_problem_model_and_exact_parameters(tmp_path, poisson, dtype):
    result = fake_result(poisson, dtype=dtype, steps=12)
    io.save_result(result, tmp_path / "run")
    loaded = pinn.load_run(tmp_path / "run", problem=problems.build)
    assert loaded.problem.name == "poisson2d" and dict(loaded.problem.params) == {"amplitude": 1.0}
    assert loaded.model.hidden == (8, 8) and loaded.model.dtype == dtype
    assert loaded.model.input_bounds == result.model.input_bounds
    assert loaded.config == result.config
    for a, b in zip(jax.tree.leaves(loaded.params), jax.tree.leaves(result.params)):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    points = np.random.default_rng(0).uniform(size=(50, 2))
    np.testing.assert_array_equal(loaded.predict(points), result.predict(points))
    assert loaded.metrics["rel_l2"] == 0.375 and loaded.events == result.events


def test_refuses_a_folder_that_is_not_a_run(tmp_path, poisson):
    folder = tmp_path / "thesis"
    folder.mkdir()
    (folder / "chapter1.tex").write_text("precious")
    with pytest.raises(ValueError, match=r"holds files that are not a pinn run \(chapter1.tex\)"):
        io.save_result(fake_result(poisson), folder)
    assert sorted(p.name for p in folder.iterdir()) == ["chapter1.tex"]
    assert (folder / "chapter1.tex").read_text() == "precious"
    # A config.json that pinn did not write does not make a folder a run either.
    (folder / "config.json").write_text('{"learning_rate": 3}')
    with pytest.raises(ValueError, match="not a pinn run"):
        io.save_result(fake_result(poisson), folder)
    with pytest.raises(ValueError, match="is a file, not a folder"):
        io.save_result(fake_result(poisson), folder / "chapter1.tex")


def test_resaving_into_a_run_and_a_checkpoints_only_folder_are_accepted(tmp_path, poisson):
    out = io.save_result(fake_result(poisson, key=1), tmp_path / "run", key=1)
    io.save_result(fake_result(poisson, key=2, steps=99), out)  # a run folder: rewritten
    config = json.loads((out / "config.json").read_text())
    assert config["train"]["steps"] == 99 and config["model"]["key"] == 1  # key kept from before
    killed = tmp_path / "killed"
    (killed / "checkpoints").mkdir(parents=True)
    io.save_result(fake_result(poisson), killed)
    assert io.is_run_directory(killed)
    with pytest.raises(ValueError, match="already holds a run; choose another --out, or pass --resume"):
        io.check_run_directory(out, allow_existing_run=False)


def test_load_run_errors_name_what_is_wrong(tmp_path, poisson):
    with pytest.raises(FileNotFoundError, match="run folder .*missing.* not found"):
        pinn.load_run(tmp_path / "missing", problem=problems.build)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="is not a pinn run folder"):
        pinn.load_run(tmp_path / "empty", problem=problems.build)
    out = io.save_result(fake_result(poisson), tmp_path / "run")
    # Parameters of another architecture: the checkpoint check names the differing leaf.
    other = pinn.MLP.for_problem(poisson, (8, 5), "tanh", dtype="float64")
    with jax.enable_x64(True):
        checkpoint.save_pytree(out / "params.npz", pinn.pure_apply(other)[1])
    with pytest.raises(ValueError, match=r"\['layers'\]\[1\]\['bias'\].* has shape \(5,\), expected \(8,\)"):
        pinn.load_run(out, problem=problems.build)
    (out / "params.npz").unlink()
    with pytest.raises(FileNotFoundError, match="no trained parameters yet"):
        pinn.load_run(out, problem=problems.build)


def test_a_custom_problem_reloads_with_the_problem_given(tmp_path):
    domain = pinn.Interval(0.0, 2.0)
    custom = pinn.Problem(
        domain,
        lambda u, x: pinn.laplacian(u)(x) + 1.0,
        [pinn.Dirichlet(on=domain.boundary, value=0.0)],
        exact=lambda x: x[0] * (2.0 - x[0]) / 2.0,
        name="my_bar",
    )
    out = io.save_result(fake_result(custom, hidden=(4,)), tmp_path / "run")
    with pytest.raises(ValueError, match=r"unknown problem 'my_bar'; valid problems: poisson2d"):
        pinn.load_run(out, problem=problems.build)
    with pytest.raises(ValueError, match=r"load_run needs the problem of run .* \('my_bar'\): pass problem=\.\.\."):
        pinn.load_run(out)
    from pinn.cli import load_bundled_run  # the command line's loader says how to reload your own problem

    with pytest.raises(ValueError, match=r"unknown problem 'my_bar'.*pinn.load_run\(directory, problem=\.\.\.\)"):
        load_bundled_run(out)
    loaded = pinn.load_run(out, problem=custom)
    x = np.linspace(0, 2, 7)[:, None]
    np.testing.assert_array_equal(loaded.predict(x), fake_result(custom, hidden=(4,)).predict(x))
    with pytest.raises(ValueError, match="is of problem 'my_bar', not 'poisson2d'"):
        pinn.load_run(out, problem=problems.get("poisson2d").problem())


def test_read_points_from_csv_and_npy(tmp_path):
    points = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])
    (tmp_path / "p.csv").write_text("x,y\n0.1,0.2\n0.3,0.4\n0.5,0.6\n")
    np.testing.assert_array_equal(io.read_points(tmp_path / "p.csv", 2), points)
    (tmp_path / "q.csv").write_text("1e-1,2E-1\n")
    np.testing.assert_array_equal(io.read_points(tmp_path / "q.csv", 2), [[0.1, 0.2]])
    np.save(tmp_path / "p.npy", points)
    np.testing.assert_array_equal(io.read_points(tmp_path / "p.npy", 2), points)
    np.save(tmp_path / "line.npy", np.array([0.0, 0.5]))
    assert io.read_points(tmp_path / "line.npy", 1).shape == (2, 1)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("p.txt", "0,1\n", r"must end in \.npy or \.csv, got '\.txt'"),
        ("p.csv", "0.1,0.2,0.3\n", r"must have shape \(n, 2\) \(x, y\), got \(1, 3\)"),
        ("p.csv", "0.1,abc\n", "non-numeric entry"),
        ("p.csv", "x,y\n", "holds no points"),
        ("p.csv", "0.1,nan\n", "non-finite"),
        ("absent.csv", None, "points file .*absent.csv not found"),
    ],
)
def test_read_points_rejects_bad_files(tmp_path, name, content, message):
    if content is not None:
        (tmp_path / name).write_text(content)
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        io.read_points(tmp_path / name, 2, ("x", "y"))


def test_write_array_csv_has_a_header_and_exact_values(tmp_path):
    values = np.array([[1.0, 2.5e-7], [-3.0, 1.0 / 3.0]])
    io.write_array(tmp_path / "o.csv", values, ["u_x", "u_y"])
    lines = (tmp_path / "o.csv").read_text().splitlines()
    assert lines[0] == "u_x,u_y"
    np.testing.assert_array_equal(np.loadtxt(tmp_path / "o.csv", delimiter=",", skiprows=1), values)
    io.write_array(tmp_path / "o.npy", values, ["u_x", "u_y"])
    np.testing.assert_array_equal(np.load(tmp_path / "o.npy"), values)
    with pytest.raises(FileNotFoundError, match="output folder .*nowhere does not exist"):
        io.write_array(tmp_path / "nowhere" / "o.csv", values, ["u_x", "u_y"])


def test_derived_columns_are_computed_from_the_trained_network(poisson):
    result = fake_result(poisson)
    derived = {"u_x": lambda u, x, amplitude: pinn.grad(u)(x)[0], "twice": lambda u, x, amplitude: 2 * amplitude * u(x)}
    with pytest.raises(ValueError, match="unknown field 'sigma'.*valid fields: u, u_x, twice"):
        io.output_columns(result, derived, ["sigma"])
    columns = io.output_columns(result, derived, ["twice", "u", "u_x"])
    assert columns == ["u", "twice", "u_x"]  # the fields first, then what was asked for
    points = np.random.default_rng(1).uniform(size=(20, 2))
    values = io.predict_columns(result, points, columns, derived)
    u = result.predict(points)[:, 0]
    np.testing.assert_array_equal(values[:, 0], u)
    np.testing.assert_allclose(values[:, 1], 2 * u, rtol=1e-14)
    with jax.enable_x64(True):
        apply, params = pinn.pure_apply(result.model)
        du = np.asarray(jax.vmap(jax.grad(lambda x: apply(params, x)))(jnp.asarray(points)))[:, 0]
    np.testing.assert_allclose(values[:, 2], du, rtol=1e-12, atol=1e-14)
