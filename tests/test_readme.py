"""The README's custom-PDE example runs as written (on a tiny budget)."""

import re
from pathlib import Path


README = Path(__file__).resolve().parents[1] / "README.md"


def readme_example(steps: int, lbfgs_steps: int) -> str:
    text = README.read_text()
    block = re.search(r"## Your own PDE in a few lines\s+```python\n(.*?)```", text, re.S)
    assert block, "README lost its custom-PDE example"
    code = block.group(1)
    code, n_adam = re.subn(r"\bsteps=\d+", f"steps={steps}", code)
    code, n_lbfgs = re.subn(r"lbfgs_steps=\d+", f"lbfgs_steps={lbfgs_steps}", code)
    assert n_adam >= 1 and n_lbfgs == 1
    return code


def test_readme_example_runs_and_learns():
    namespace = {}
    exec(compile(readme_example(300, 30), str(README), "exec"), namespace)
    result = namespace["result"]
    # Untrained networks sit near 100% error; this tiny budget already gets below 10%.
    assert result.rel_l2 < 0.1
    assert result.metrics["steps"] == {"adam": 300, "lbfgs": 30}


def test_readme_lists_every_problem_and_links_what_exists():
    import problems

    text = README.read_text()
    table = re.search(r"<!-- accuracy-table -->(.*?)<!-- /accuracy-table -->", text, re.S).group(1)
    listed = re.findall(r"^\| `(\w+)` \|", table, re.M)
    assert listed == list(problems.names())
    links = re.findall(r"\]\(((?:examples|notebooks)/[\w./]+|BENCHMARKS\.md)\)", text)
    root = README.parent
    assert {p.name for p in (root / "examples").glob("*.py")} <= {Path(link).name for link in links}
    assert {p.name for p in (root / "notebooks").glob("*.ipynb")} <= {Path(link).name for link in links}
    for link in links:
        assert (root / link).exists(), link
