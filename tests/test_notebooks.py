"""Every notebook in notebooks/ executes top to bottom (with PINN_TINY=1: tiny budgets).

Each runs in a fresh kernel with nbclient, in a temporary folder (the notebooks write
their runs there); any error in any cell fails the test with that cell's traceback.
"""

import pathlib

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_the_documented_notebooks_exist():
    assert {"quickstart.ipynb", "custom_pde.ipynb"} <= {p.name for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, tmp_path, monkeypatch):
    monkeypatch.setenv("PINN_TINY", "1")
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError naming the cell on any error
    errors = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])
              if o.get("output_type") == "error"]
    assert errors == []
    ran = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert ran and all(cell.get("execution_count") for cell in ran)
