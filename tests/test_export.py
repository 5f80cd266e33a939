"""Results out: pinn.export_result and `pinn export` / `pinn predict --mesh`, read back with meshio."""

import re

import meshio
import numpy as np
import pytest

import pinn
import problems
from pinn import cli, io
from pinn.config import TrainConfig
from pinn.export import grid_mesh
from pinn.result import Result


def fake_run(name, directory):
    """A saved run of an untrained network of bundled problem ``name`` (no training needed:
    the export must reproduce whatever the network computes)."""
    problem = problems.get(name).problem()
    model = pinn.MLP.for_problem(problem, (6,), "tanh", key=2, dtype="float64")
    params = pinn.pure_apply(model)[1]
    history = {"step": np.array([5.0]), "phase": np.array(["adam"]), "loss": np.array([1.0]), "loss_pde": np.array([1.0])}
    metrics = {"rel_l2": 1.0, "rel_l2_per_field": {f: 1.0 for f in problem.fields}, "steps": {"adam": 5, "lbfgs": 0}}
    result = Result(problem, model, params, history, metrics, TrainConfig(steps=5))
    io.save_result(result, directory, key=2)
    return pinn.load_run(directory, problem=problem)


@pytest.fixture(scope="module")
def plate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export") / "plate"
    return folder, fake_run("elasticity_plate", folder)


def run(argv, capsys):
    code = cli.main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_error_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pinn: error: ") and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("fmt", ["vtu", "xdmf"])
def test_grid_export_opens_with_meshio(plate, tmp_path, fmt):
    folder, result = plate
    derived = problems.get("elasticity_plate").derived
    path = tmp_path / f"plate.{fmt}"
    written = pinn.export_result(result, path, resolution=9, derived=derived, fields=["sigma_xx", "sigma_xy"])
    assert written[0] == path
    mesh = meshio.read(path)
    lower, upper = result.problem.domain.bounds
    assert mesh.points.shape == (81, 3)  # the plate is a rectangle: the whole 9 x 9 grid
    np.testing.assert_allclose(mesh.points[:, :2].min(axis=0), lower)
    np.testing.assert_allclose(mesh.points[:, :2].max(axis=0), upper)
    assert [b.type for b in mesh.cells] == ["quad"] and len(mesh.cells[0].data) == 64
    assert set(mesh.point_data) == {"u_x", "u_y", "sigma_xx", "sigma_xy"}
    xy = mesh.points[:, :2]
    np.testing.assert_allclose(np.column_stack([mesh.point_data["u_x"], mesh.point_data["u_y"]]), result.predict(xy), rtol=1e-12)
    stresses = io.predict_columns(result, xy, ["sigma_xx", "sigma_xy"], derived)
    np.testing.assert_allclose(mesh.point_data["sigma_xx"], stresses[:, 0], rtol=1e-12)
    np.testing.assert_allclose(mesh.point_data["sigma_xy"], stresses[:, 1], rtol=1e-12)


def test_csv_export_has_coordinates_then_fields(plate, tmp_path):
    _, result = plate
    path = tmp_path / "plate.csv"
    pinn.export_result(result, path, resolution=5)
    header = path.read_text().splitlines()[0]
    assert header == "x,y,u_x,u_y"
    rows = np.loadtxt(path, delimiter=",", skiprows=1)
    assert rows.shape == (25, 4)
    np.testing.assert_allclose(rows[:, 2:], result.predict(rows[:, :2]), rtol=1e-12)


def test_grid_keeps_cells_inside_combined_domains():
    plate = pinn.Rectangle((0, 0), (1, 1)) - pinn.Disk((0.5, 0.5), 0.3)
    points, [(kind, cells)] = grid_mesh(plate, 21)
    assert kind == "quad"
    assert np.all(plate.contains(points, tol=1e-9))
    centres = points[cells].mean(axis=1)
    assert np.all(np.linalg.norm(centres - 0.5, axis=1) > 0.3 - 0.05)
    assert len(cells) < 400  # some of the 20 x 20 cells fall in the hole


def test_export_on_the_users_mesh_and_predict_mesh(plate, tmp_path, capsys):
    folder, result = plate
    lower, upper = result.problem.domain.bounds
    rng = np.random.default_rng(0)
    points = np.column_stack([rng.uniform(lower[0], upper[0], 12), rng.uniform(lower[1], upper[1], 12), np.zeros(12)])
    triangles = np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]])
    meshio.Mesh(points, [("triangle", triangles)]).write(tmp_path / "user.vtu")
    code, out, err = run(["export", folder, "--mesh", tmp_path / "user.vtu", "--out", tmp_path / "on_mesh.xdmf"], capsys)
    assert code == 0, err
    mesh = meshio.read(tmp_path / "on_mesh.xdmf")
    np.testing.assert_array_equal(mesh.cells[0].data, triangles)
    np.testing.assert_allclose(mesh.point_data["u_y"], result.predict(points[:, :2])[:, 1], rtol=1e-12)
    assert {"sigma_xx", "sigma_yy", "sigma_xy"} <= set(mesh.point_data)  # every derived quantity by default
    code, out, err = run(["predict", folder, "--mesh", tmp_path / "user.vtu", "--out", tmp_path / "v.npy"], capsys)
    assert code == 0, err
    np.testing.assert_allclose(np.load(tmp_path / "v.npy"), result.predict(points[:, :2]), rtol=1e-12)
    code, out, err = run(["predict", folder, "--mesh", tmp_path / "user.vtu", "--out", tmp_path / "v.vtu",
                          "--fields", "sigma_xx"], capsys)
    assert code == 0, err
    assert set(meshio.read(tmp_path / "v.vtu").point_data) == {"u_x", "u_y", "sigma_xx"}


def test_export_default_path_and_time_series(tmp_path, capsys):
    folder = tmp_path / "heat"
    result = fake_run("heat1d", folder)
    code, out, err = run(["export", folder, "--resolution", "6", "--times", "3"], capsys)
    assert code == 0, err
    files = sorted((folder / "export").glob("solution_*.vtu"))
    assert [f.name for f in files] == ["solution_0000.vtu", "solution_0001.vtu", "solution_0002.vtu"]
    last = meshio.read(files[-1])
    t1 = result.problem.domain.time.t1
    x = last.points[:, :1]
    np.testing.assert_allclose(last.point_data["u"], result.predict(np.column_stack([x, np.full(len(x), t1)]))[:, 0], rtol=1e-12)
    code, out, err = run(["export", folder, "--format", "xdmf", "--resolution", "6", "--times", "3"], capsys)
    assert code == 0, err
    with meshio.xdmf.TimeSeriesReader(folder / "export" / "solution.xdmf") as reader:
        points, cells = reader.read_points_cells()
        times = [reader.read_data(k)[0] for k in range(reader.num_steps)]
    np.testing.assert_allclose(times, np.linspace(0.0, t1, 3))


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--format", "vtk"], r"argument --format: invalid choice: 'vtk'"),
        (["--out", "{tmp}/a.vtu", "--format", "csv"], r"export file .*a.vtu must end in .csv for format 'csv'"),
        (["--mesh", "{tmp}/missing.msh"], r"mesh file .*missing.msh not found"),
        (["--mesh", "{tmp}/notes.msh"], r"notes.msh is not a mesh that meshio can read"),
        (["--fields", "sigma_zz"], r"unknown field 'sigma_zz' for problem 'elasticity_plate'; valid fields: u_x, u_y, "),
        (["--resolution", "1"], r"grid resolution must be an integer >= 2, got 1"),
    ],
)
def test_bad_export_arguments_end_in_one_line(plate, tmp_path, capsys, argv, message):
    folder, _ = plate
    (tmp_path / "notes.msh").write_text("not a mesh at all\n")
    code, _, err = run(["export", folder, *[a.replace("{tmp}", str(tmp_path)) for a in argv]], capsys)
    assert code == 2 and re.search(message, one_error_line(err))


def test_predict_needs_points_or_mesh(plate, tmp_path, capsys):
    folder, _ = plate
    code, _, err = run(["predict", folder, "--out", tmp_path / "v.npy"], capsys)
    assert code == 2 and "predict needs exactly one of --points FILE and --mesh FILE" in one_error_line(err)
