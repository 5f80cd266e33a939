"""benchmarks/peers: the time-to-accuracy numbers, the table, and a one-line error without the
peers (DeepXDE, PyTorch), which pinn never installs. Runs without deepxde."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT / "benchmarks" / "peers"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"peers_{name}", PEERS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


table = _load("table")

COLUMNS = ["step", "seconds", "rel_l2"]


def _curve(rows):
    return {"columns": COLUMNS, "rows": rows}


def test_time_to_accuracy_on_a_synthetic_curve():
    # error 10^-(t/10): 1e-3 first reached at t = 30, 1e-4 at t = 40; rows every 5 s.
    rows = [[i, 5.0 * i, 10 ** (-(5.0 * i) / 10)] for i in range(11)]
    curve = _curve(rows)
    assert table.seconds_to(curve, 1e-3) == 30.0
    assert table.seconds_to(curve, 1e-4) == 40.0
    assert table.seconds_to(curve, 1e-6) is None
    assert table.seconds_to(curve, 2e-3) == 30.0  # the first recorded time, not an interpolation
    assert table.error_at(curve, 32.0) == pytest.approx(1e-3)  # the last row at or before
    assert table.error_at(curve, -1.0) is None
    assert table.end_seconds(curve) == 50.0
    assert table.best_error(curve) == pytest.approx(1e-5)
    # a slower peer: the same curve stretched 4x in time reaches each accuracy 4x later
    slow = _curve([[s, 4 * t, e] for s, t, e in rows])
    assert table.speedup(curve, slow, 1e-3) == (pytest.approx(4.0), True)
    # a peer that stalls above 1e-4: the ratio is a lower bound, its run over pinn's time
    stall = _curve([[s, 3 * t, max(e, 5e-4)] for s, t, e in rows])
    assert table.speedup(curve, stall, 1e-4) == (pytest.approx(150.0 / 40.0), False)
    assert table.speedup(stall, curve, 1e-4) == (None, False)  # pinn never gets there


FIXTURE = {
    "date": "2025-01-01",
    "machine": "x86_64",
    "cpus": 2,
    "load": "1.0",
    "torch_threads": 2,
    "eval_every": 50,
    "versions": {"jax": "0.10.2", "deepxde": "1.15.0", "torch": "2.14.1"},
    "problems": {
        "poisson2d": {
            "recipe": "adam:2000 (lr 0.01, exponential to x0.1), lbfgs:3000",
            "hidden": [32, 32, 32],
            "points": "2000 + 256",
            "runs": {
                "pinn": {
                    "rel_l2": 4.5e-5,
                    "train_seconds": 50.0,
                    "curve": _curve([[0, 1.0, 1.0], [2000, 20.0, 3e-3], [2500, 28.0, 9e-4], [3000, 32.0, 9e-5], [5000, 50.0, 4.5e-5]]),
                },
                "deepxde": {
                    "rel_l2": 5.8e-5,
                    "train_seconds": 200.0,
                    "curve": _curve([[0, 0.0, 1.0], [1500, 45.0, 5e-3], [2000, 60.0, 3e-3], [2400, 77.0, 9e-4], [3000, 142.0, 9e-5], [4000, 200.0, 5.8e-5]]),
                },
            },
        },
        "heat1d": {
            "recipe": "adam:2000 (lr 0.003, exponential to x0.1), lbfgs:4000",
            "hidden": [32, 32, 32],
            "points": "2000 + 256 + 256",
            "runs": {
                "pinn": {"rel_l2": 2e-5, "train_seconds": 40.0, "curve": _curve([[0, 0.5, 1.0], [100, 10.0, 5e-4], [200, 40.0, 5e-5]])},
                "deepxde": {"rel_l2": 3e-4, "train_seconds": 300.0, "curve": _curve([[0, 0.0, 1.0], [100, 30.0, 8e-4], [200, 300.0, 3e-4]])},
            },
        },
    },
}


def test_peers_table_from_a_fixture():
    text = table.peers_table(FIXTURE)
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| problem"))
    rows = lines[header + 2 :]
    assert len(rows) == 2 and all(r.count("|") == lines[header].count("|") for r in rows)
    poisson, heat = rows
    # 1e-3: 28 s vs 77 s (2.75x, under the claim: bold); 1e-4: 32 s vs 142 s (4.4x)
    assert "| 28 s | 77 s | **2.8×** |" in poisson
    assert "| 32 s | 142 s | **4.4×** |" in poisson
    # equal time = the shorter run (pinn's 50 s): pinn 4.5e-5, DeepXDE's last error by then (at 45 s) 5e-3
    assert "| 50 s | 4.5e-05 | 5.0e-03 |" in poisson
    assert "4.5e-05 (50 s) | 5.8e-05 (200 s) |" in poisson
    # heat1d: 1e-3 in 10 s vs 30 s (3x); 1e-4 never by DeepXDE: a lower bound 300/40 = 7.5x, claim met
    assert "| 10 s | 30 s | **3.0×** |" in heat
    assert "| 40 s | — | > 7.5× |" in heat
    assert "Measured 2025-01-01" in lines[0] and "DeepXDE 1.15.0" in lines[0]
    s = table.summary(FIXTURE["problems"]["heat1d"])
    assert s[1e-4]["claim"] and not s[1e-4]["exact"] and not s[1e-3]["claim"]


def test_table_module_imports_only_the_standard_library():
    source = (PEERS / "table.py").read_text()
    imports = [line.split()[1] for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert set(imports) <= {"__future__"}


def test_without_deepxde_one_line_naming_the_extra():
    # DeepXDE made unimportable, whatever this environment has installed.
    code = (
        "import sys, runpy; sys.modules['deepxde'] = None; "
        f"sys.argv = ['run.py', '--problems', 'poisson2d', '--out', {str(ROOT / 'nothing.json')!r}]; "
        f"runpy.run_path({str(PEERS / 'run.py')!r}, run_name='__main__')"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode != 0
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1, proc.stderr
    assert "pip install .[peers]" in err[0] and "deepxde" in err[0]
    assert "Traceback" not in proc.stderr
    assert not (ROOT / "nothing.json").exists()


def test_modules_import_without_deepxde():
    # The driver and the DeepXDE side import DeepXDE only inside functions.
    code = (
        "import sys; sys.modules['deepxde'] = None; "
        f"sys.path.insert(0, {str(ROOT)!r}); "
        "import benchmarks.peers.run, benchmarks.peers.deepxde_side, benchmarks.peers.table; print('ok')"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_cpu_seconds_column_gives_both_times():
    pinn = {"columns": ["step", "seconds", "cpu_seconds", "rel_l2"], "rows": [[0, 1.0, 2.0, 1.0], [10, 10.0, 12.0, 5e-4], [20, 20.0, 24.0, 5e-5]]}
    peer = {"columns": ["step", "seconds", "cpu_seconds", "rel_l2"], "rows": [[0, 0.0, 0.0, 1.0], [10, 60.0, 48.0, 5e-4], [20, 90.0, 72.0, 5e-5]]}
    assert table.seconds_to(pinn, 1e-3, "cpu_seconds") == 12.0
    s = table.summary({"runs": {"pinn": {"curve": pinn}, "deepxde": {"curve": peer}}})
    assert s[1e-3]["ratio"] == pytest.approx(6.0) and s[1e-3]["cpu_ratio"] == pytest.approx(4.0)
    report = {"problems": {"p": {"recipe": "r", "hidden": [2], "points": "1", "runs": {
        "pinn": {"rel_l2": 5e-5, "train_seconds": 20.0, "curve": pinn},
        "deepxde": {"rel_l2": 5e-5, "train_seconds": 90.0, "curve": peer}}}}}
    row = table.peers_table(report).splitlines()[-1]
    assert "| 10 / 12 s | 60 / 48 s | 6.0× / 4.0× | 20 / 24 s | 90 / 72 s | 4.5× / 3.0× |" in row.replace("**", "")
    assert "**4.5×** / 3.0×" in row  # bold: the wall speed-up under the claim


def test_folx_table():
    e = {
        "points": 2000, "laplacian_dim": 2, "hidden": [32, 32, 32], "activation": "tanh", "output_transform": False,
        "ms": {"pinn": 4.0, "folx": 8.0, "hessian": 12.0}, "ms_min": {"pinn": 3.0, "folx": 6.0, "hessian": 9.0},
        "ratio_to_folx": {"pinn": 0.5, "folx": 1.0, "hessian": 1.5},
        "max_rel_diff_to_hessian": {"pinn": 7e-16, "folx": 8e-16, "hessian": 0.0}, "load_average_before": 2.0,
    }
    text = table.folx_table({"repeats": 30, "versions": {"jax": "0.10.2", "folx": "0.2.30"}, "problems": {"poisson2d": e}})
    row = text.splitlines()[-1]
    assert row == ("| `poisson2d` | 2-D | 32x32x32 tanh | 2000 | 4.0 (3.0) ms | 8.0 (6.0) ms | 12.0 (9.0) ms "
                   "| 0.50 | 1.50 | 8e-16 | 2 |")


def test_folx_script_without_folx_one_line_naming_the_extra():
    code = (
        "import sys, runpy; sys.modules['folx'] = None; "
        f"sys.argv = ['folx_laplacian.py', '--out', {str(ROOT / 'nothing.json')!r}]; "
        f"runpy.run_path({str(ROOT / 'benchmarks' / 'folx_laplacian.py')!r}, run_name='__main__')"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode != 0
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and "pip install .[peers]" in err[0] and "folx" in err[0], proc.stderr
    assert not (ROOT / "nothing.json").exists()
