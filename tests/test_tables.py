"""benchmarks/tables.py: the marked tables of BENCHMARKS.md are what the committed JSON gives.

The check passes on the committed files, and fails when either side is tampered with: a
number edited in the markdown, or one in the JSON.
"""

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import problems

ROOT = Path(__file__).resolve().parents[1]
MARKDOWN = ROOT / "BENCHMARKS.md"
RESULTS = ROOT / "benchmarks" / "results"


def _load():
    spec = importlib.util.spec_from_file_location("bench_tables", ROOT / "benchmarks" / "tables.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


tables = _load()


@pytest.fixture
def copy(tmp_path):
    """A copy of BENCHMARKS.md and benchmarks/results/ to tamper with."""
    shutil.copy(MARKDOWN, tmp_path / "BENCHMARKS.md")
    shutil.copytree(RESULTS, tmp_path / "results")
    return tmp_path


def _check(folder) -> int:
    return tables.main(["--check", "--markdown", str(folder / "BENCHMARKS.md"), "--results", str(folder / "results")])


def test_committed_tables_match_the_committed_json():
    out = subprocess.run(
        [sys.executable, "benchmarks/tables.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert "baseline_speed" in out.stdout


def test_the_baseline_block_is_marked_once_and_generated():
    text = MARKDOWN.read_text()
    blocks = tables.find_blocks(text)
    assert "baseline_speed" in blocks
    start, end = blocks["baseline_speed"]
    block = text[start:end]
    report = json.loads((RESULTS / "baseline_speed.json").read_text())
    assert block == tables.baseline_speed_table(report)
    # every problem measured has its rows
    for name in report["problems"]:
        assert f"| `{name}` |" in block


def test_a_number_edited_in_the_markdown_fails_the_check(copy, capsys):
    path = copy / "BENCHMARKS.md"
    text = path.read_text()
    start, end = tables.find_blocks(text)["baseline_speed"]
    block = text[start:end]
    row = next(line for line in block.splitlines() if line.startswith("| `poisson2d`"))
    cells = row.split(" | ")
    cells[4] = "9.99"  # the Adam ratio of the first poisson2d row
    path.write_text(text[:start] + block.replace(row, " | ".join(cells)) + text[end:])
    assert _check(copy) == 1
    assert "9.99" in capsys.readouterr().err  # the diff shows the edited line
    # regenerating restores the committed text exactly, outside the block too
    assert tables.main(["--markdown", str(path), "--results", str(copy / "results")]) == 0
    assert path.read_text() == text
    assert _check(copy) == 0


def test_a_number_edited_in_the_json_fails_the_check(copy):
    path = copy / "results" / "baseline_speed.json"
    report = json.loads(path.read_text())
    entry = report["problems"]["poisson2d"]["adam"]["hessian"]
    entry["framework_ms"] *= 1.5
    path.write_text(json.dumps(report))
    assert _check(copy) == 1


def test_a_marked_table_without_its_json_fails_the_check(copy, capsys):
    (copy / "results" / "baseline_speed.json").unlink()
    assert _check(copy) == 1
    assert "baseline_speed.json, which does not exist" in capsys.readouterr().err


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "<!-- table:nope -->\n<!-- /table:nope -->\n",
            r"unknown table 'nope' in a marker; valid tables: " + re.escape(", ".join(tables.GENERATORS)) + "$",
        ),
        ("<!-- table:accuracy -->\nx\n", r"table 'accuracy' is never closed"),
        (
            "<!-- table:accuracy -->\n<!-- table:baseline_speed -->\n",
            r"table 'baseline_speed' opens inside table 'accuracy'",
        ),
        ("<!-- /table:accuracy -->\n", r"closes a table that is not open"),
        (
            "<!-- table:accuracy -->\n<!-- /table:accuracy -->\n<!-- table:accuracy -->\n<!-- /table:accuracy -->\n",
            r"table 'accuracy' is marked twice",
        ),
    ],
)
def test_malformed_markers_are_rejected(text, message):
    with pytest.raises(ValueError, match=message):
        tables.find_blocks(text)


ACCURACY = {
    "date": "2026-11-27T08:00:00+00:00",
    "command": "python benchmarks/accuracy.py",
    "machine": "Linux-x86_64",
    "cpus": 2,
    "records": [
        {
            "name": "heat1d", "rel_l2": 6.16e-05, "rel_l2_per_field": {"u": 6.16e-05}, "target": 1e-4, "met": True,
            "train_seconds": 45.2, "steps": {"adam": 2000, "lbfgs": 4000}, "hidden": [32, 32, 32],
            "activation": "tanh", "dtype": "float64", "seed": 0, "cpu_seconds": 80.4, "load_average_before": [1.2, 1, 1],
            "summary": "u_t = 0.4 u_xx on [0,1] x [0,1]",
        },
        {
            "name": "heat1d_inverse", "rel_l2": 6.4e-4, "solution_rel_l2": 6.4e-4, "target": 1e-3, "met": True,
            "summary": "u_t = κ u_xx, κ unknown", "learned": {"kappa": 0.40012}, "learned_start": {"kappa": 1.0},
            "learned_true": {"kappa": 0.4}, "learned_error": {"kappa": 3.09e-4}, "learned_target": {"kappa": 5e-3},
            "learned_met": {"kappa": True}, "train_seconds": 60.0, "cpu_seconds": 58.1,
        },
        {
            "name": "elasticity_plate", "rel_l2": 4.09e-04, "rel_l2_per_field": {"u_x": 3.65e-04, "u_y": 5.63e-04},
            "target": 1e-3, "met": True, "train_seconds": 65.0, "steps": {"adam": 2000, "lbfgs": 5000},
            "hidden": [32, 32, 32], "activation": "tanh", "dtype": "float64", "seed": 0,
        },
        {"name": "burgers", "rel_l2": 6.5e-3, "target": 6.7e-4, "met": False},
    ],
}


def test_accuracy_table_from_accuracy_py_records():
    table = tables.accuracy_table(ACCURACY)
    assert "with `python benchmarks/accuracy.py` on Linux-x86_64 (2 CPUs)" in table
    assert "| `heat1d` | 6.16e-05 | 1.0e-04 | yes |  | 45 | 80 | 1.2 | adam 2000 + lbfgs 4000 | 32x32x32 | tanh | float64 | 0 |" in table
    assert "| `elasticity_plate` | 4.09e-04 | 1.0e-03 | yes | u_x 3.65e-04, u_y 5.63e-04 | 65 |" in table
    assert "| `burgers` | 6.50e-03 | 6.7e-04 | **no** |" in table


def test_accuracy_table_from_a_problems_mapping_is_the_same():
    by_name = dict(ACCURACY, problems={r["name"]: {k: v for k, v in r.items() if k != "name"} for r in ACCURACY["records"]})
    del by_name["records"]
    assert tables.accuracy_table(by_name) == tables.accuracy_table(ACCURACY)


def test_accuracy_block_round_trip(tmp_path):
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "accuracy.json").write_text(json.dumps(ACCURACY))
    md = tmp_path / "BENCHMARKS.md"
    md.write_text("# B\n\ntext before\n<!-- table:accuracy -->\nstale\n<!-- /table:accuracy -->\ntext after\n")
    assert _check(tmp_path) == 1
    assert tables.main(["--markdown", str(md), "--results", str(tmp_path / "results")]) == 0
    text = md.read_text()
    assert text.startswith("# B\n\ntext before\n<!-- table:accuracy -->\nMeasured 2026-11-27")
    assert text.endswith("<!-- /table:accuracy -->\ntext after\n")
    assert _check(tmp_path) == 0


def test_accuracy_record_without_its_error_is_rejected():
    with pytest.raises(ValueError, match=r"accuracy record 'heat1d' has no 'rel_l2'"):
        tables.accuracy_table({"records": [{"name": "heat1d", "target": 1e-4}]})


def test_inverse_table_lists_each_learned_value_against_the_truth():
    table = tables.inverse_table(ACCURACY)
    assert table.count("\n") == 3  # header, rule, one learned value
    assert "| `heat1d_inverse` | kappa | 1.0 | 0.4 | 0.40012 | 3.09e-04 | 5e-03 | yes | 6.40e-04 | 60 | 58 |" in table


def test_readme_table_shows_the_equation_and_what_was_reached():
    records = {**ACCURACY, "records": ACCURACY["records"][:2]}
    table = tables.readme_accuracy_table(records)
    assert "| `heat1d` | u_t = 0.4 u_xx on [0,1] x [0,1] | 1e-04 | 6.2e-05 |" in table
    assert "| `heat1d_inverse` | u_t = κ u_xx, κ unknown | 1e-03 | 6.4e-04; kappa 0.4001 (error 3.1e-04) |" in table
    failed = {"records": [{**ACCURACY["records"][0], "rel_l2": 2e-4, "met": False}]}
    assert "| 2.0e-04 (**target not met**) |" in tables.readme_accuracy_table(failed)
    # every registered problem has a row; those without a record say so
    assert "| `burgers` | u_t + u u_x = (0.01/π) u_xx" in table and "| not yet measured at these defaults |" in table
    assert table.count("not yet measured") == len(problems.names()) - 2
    with pytest.raises(ValueError, match=r"accuracy record 'elasticity_plate' has no 'summary'"):
        tables.readme_accuracy_table(ACCURACY)


def test_scaling_table_compares_two_processes_with_one():
    row = {"ms_per_step": 10.0, "pinned": True, "taskset": True}
    report = {
        "date": "2026-12-01T04:00:00+00:00", "load_before": [0.3, 0.2, 0.1], "load_after": [1.9, 1.0, 0.5],
        "cpu_count": 2, "versions": {"jax": "0.10.2"}, "command": "python benchmarks/scaling.py",
        "rows": [
            {**row, "kind": "base", "processes": 1, "points": 20000, "points_per_process": 20000, "pinned": False, "point_steps_per_s": 1.5e6},
            {**row, "kind": "base", "processes": 1, "points": 20000, "points_per_process": 20000, "point_steps_per_s": 1.0e6},
            {**row, "kind": "strong", "processes": 2, "points": 20000, "points_per_process": 10000, "point_steps_per_s": 1.8e6},
            {**row, "kind": "weak", "processes": 2, "points": 40000, "points_per_process": 20000, "point_steps_per_s": 2.7e6},
        ],
    }
    text = tables.scaling_table(report)
    assert "load 0.3 before and 1.9 after, 2 cores, JAX 0.10.2" in text
    lines = [line for line in text.splitlines() if line.startswith("| strong") or line.startswith("| weak")]
    assert lines[0].endswith("| 1.20× | 1.80× |")  # 1.8 / 1.5 (XLA's own threads) and 1.8 / 1.0 (one core)
    assert lines[1].endswith("| 1.80× | 2.70× |")
    assert "| strong | 2 | 2e+04 (1e+04) | 1 per process, pinned |" in lines[0]
