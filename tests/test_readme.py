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
    table = re.search(r"<!-- table:readme_accuracy -->(.*?)<!-- /table:readme_accuracy -->", text, re.S).group(1)
    listed = re.findall(r"^\| `(\w+)` \|", table, re.M)
    assert listed == list(problems.names())
    links = re.findall(r"\]\(((?:examples|notebooks)/[\w./]+|BENCHMARKS\.md)\)", text)
    root = README.parent
    assert {p.name for p in (root / "examples").glob("*.py")} <= {Path(link).name for link in links}
    assert {p.name for p in (root / "notebooks").glob("*.ipynb")} <= {Path(link).name for link in links}
    for link in links:
        assert (root / link).exists(), link


def open_core_example() -> str:
    text = README.read_text()
    block = re.search(r"<!-- readme-example: open-core -->\s+```python\n(.*?)```", text, re.S)
    assert block, "README lost its open-core example"
    return block.group(1)


def test_readme_open_core_example_learns_kappa():
    """The README's own network + optax phase + learned parameter example, on a shorter budget.

    As written (300 Adam + 700 L-BFGS steps, 400 points) it measured kappa = 0.40010 and
    rel L2 6.8e-4; here 100 + 100 steps on 100 points must move kappa most of the way.
    """
    code = open_core_example()
    code, n = re.subn(r"optax.adam\(1e-2\), 300\)", "optax.adam(1e-2), 100)", code)
    code, m = re.subn(r'"lbfgs", 700\)', '"lbfgs", 100)', code)
    code, k = re.subn(r"n_interior=400", "n_interior=100", code)
    assert (n, m, k) == (1, 1, 1)
    namespace = {}
    exec(compile(code, str(README), "exec"), namespace)
    result = namespace["result"]
    assert abs(result.learned["kappa"] - 0.4) < 0.25 * abs(1.0 - 0.4)  # started at 1.0
    assert result.metrics["network"] == "SineNet" and result.metrics["compilations"] == {"0:optax": 1, "1:lbfgs": 1}


def test_readme_commands_for_more_points_parse():
    """Every `pinn solve` line of "More points than one machine" is a valid command line."""
    from pinn import cli

    text = README.read_text()
    section = re.search(r"## More points than one machine(.*?)\n## ", text, re.S).group(1)
    blocks = "\n".join(re.findall(r"```sh\n(.*?)```", section, re.S))
    commands = [re.sub(r"\s*&$", "", line.split("pinn ", 1)[1]) for line in re.findall(r"^[^#\n]*pinn solve [^\n]*$", blocks, re.M)]
    assert len(commands) >= 6
    parser = cli.build_parser()
    for command in commands:
        args = parser.parse_args(command.split())
        assert args.name == "heat1d" or args.name == "heat3d"
        if args.processes is not None:
            cluster = __import__("pinn.distributed").distributed.Cluster(args.processes, args.process_id, args.coordinator)
            assert cluster.coordinator.endswith(":4321")


def test_readme_commands_for_second_order_phases_resolve():
    """Every `pinn solve` line of "Second-order phases" resolves to the phases it names."""
    from pinn import cli

    text = README.read_text()
    section = re.search(r"## Second-order phases(.*?)\n## ", text, re.S).group(1)
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    resolved = {}
    for line in block.splitlines():
        argv = line.split("#")[0].split()[1:]
        args = cli.build_parser().parse_args(argv)
        _, _, model, config, _ = cli.resolve_run(args.name, None, cli._command_line_settings(args), args.width, args.depth)
        resolved[" ".join(argv)] = ([(p.name, p.steps) for p in config.phase_list()], model.hidden)
    assert resolved == {
        "solve poisson2d": ([("adam", 200), ("lm", 1000)], (64,)),
        "solve heat1d --phases adam:200,lm:600": ([("adam", 200), ("lm", 600)], (20, 20)),
        "solve poisson2d --recipe adam-lbfgs": ([("adam", 2000), ("lbfgs", 3000)], (32, 32, 32)),
    }
