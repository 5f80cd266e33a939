"""The import graph of ``pinn/``: no cycles, and the core never imports the bundled problems.

Every import counts, also one inside a function: a lazy import is still a dependency.
The app layer (command line, comparison study, plots) is the only code that turns a
problem's name into a problem, so only it may import ``problems``.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "pinn"
APP_LAYER = {"pinn.cli", "pinn.compare", "pinn.plot"}


def module_name(path: Path) -> str:
    return "pinn" if path.name == "__init__.py" else f"pinn.{path.stem}"


def imports(path: Path) -> set[str]:
    """Modules ``path`` imports (pinn submodules and top-level packages), anywhere in the file."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "pinn":
                # ``from pinn import io`` names a submodule; ``from pinn import MLP`` the package
                for alias in node.names:
                    sub = PACKAGE / f"{alias.name}.py"
                    out.add(f"pinn.{alias.name}" if sub.exists() else "pinn")
            else:
                out.add(node.module)
    return out


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.glob("*.py")}
    edges = {}
    for name, path in modules.items():
        targets = set()
        for target in imports(path):
            if target in modules and target != name:
                targets.add(target)
            elif target.split(".")[0] == "problems":
                targets.add("problems")
        edges[name] = targets
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt == "pinn":
                continue  # the package __init__ re-exports everything; submodules never import it
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycle_in_pinn():
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_core_never_imports_the_bundled_problems():
    offenders = sorted(name for name, targets in graph().items() if "problems" in targets and name not in APP_LAYER)
    assert offenders == [], f"core modules importing problems: {offenders}"


def test_submodules_do_not_import_the_package_itself():
    """A submodule importing ``pinn`` (the package) would make the package's own import order matter."""
    offenders = sorted(name for name, targets in graph().items() if name not in APP_LAYER | {"pinn"} and "pinn" in targets)
    assert offenders == [], f"submodules importing the pinn package: {offenders}"


def test_the_checker_finds_a_cycle():
    """The checker itself can fail: a planted cycle and a planted core -> problems edge are found."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    edges = graph()
    edges["pinn.train"] = edges["pinn.train"] | {"pinn.cli"}
    edges["pinn.cli"] = edges["pinn.cli"] | {"pinn.train"}
    assert find_cycle(edges) is not None


def test_no_problem_module_imports_the_engines():
    """The engine is chosen by the trainer for the whole residual, never by a problem."""
    root = PACKAGE.parent / "problems"
    offenders = [p.name for p in root.glob("*.py") if "pinn.engines" in imports(p)]
    assert offenders == []
