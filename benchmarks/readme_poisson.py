"""The README's custom Poisson problem at full budget; prints JSON.

Issue 2's check: relative L2 <= 1e-3 (aim 1e-4) on a 101 x 101 grid, in under
3 minutes on a 2-core CPU. Run: .venv/bin/python benchmarks/readme_poisson.py
"""

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_readme import README, readme_example  # noqa: E402


def main():
    code = readme_example(2000, 2000)
    namespace = {}
    start = time.perf_counter()
    exec(compile(code, str(README), "exec"), namespace)
    wall = time.perf_counter() - start
    result = namespace["result"]
    grid = namespace["domain"].grid(101)
    exact = np.sin(np.pi * grid[:, 0]) * np.sin(np.pi * grid[:, 1])
    err = np.linalg.norm(result.predict(grid)[:, 0] - exact) / np.linalg.norm(exact)
    print(json.dumps({"problem": "readme_poisson", "rel_l2_grid_101": float(err), "rel_l2": result.rel_l2,
                      "train_seconds": result.metrics["train_seconds"], "wall_seconds": wall,
                      "steps": result.metrics["steps"]}))


if __name__ == "__main__":
    main()
