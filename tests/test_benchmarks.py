"""The benchmark scripts run, and the speed benchmark's hand-written step computes what
the framework's does (a ratio of times means something only then)."""

import importlib.util
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import pinn

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load(name):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_plain_network_equals_the_model_with_its_output_transform():
    speed = load("speed")
    domain = pinn.Rectangle((-1.0, 0.0), (1.0, 2.0))
    problem = pinn.Problem(
        domain,
        lambda u, x: pinn.laplacian(u)(x),
        [pinn.Dirichlet(on=domain.boundary)],
        output_transform=lambda x, y: (1 - x[0] ** 2) * x[1] * y + 0.5,
    )
    with jax.enable_x64(True):
        model = pinn.MLP.for_problem(problem, (8, 8), "tanh", key=2, dtype="float64")
        points = jnp.asarray(np.random.default_rng(0).uniform([-1, 0], [1, 2], size=(20, 2)))
        plain = jax.vmap(lambda x: speed.plain_apply(model)(speed.plain_params(model), x))(points)
        np.testing.assert_allclose(plain, jax.vmap(model)(points), rtol=1e-14, atol=1e-15)


def test_speed_benchmark_runs_and_both_steps_have_the_same_loss():
    speed = load("speed")
    argv = ["--problems", "poisson2d", "--engines", "forward", "--steps", "2", "--lbfgs-steps", "1"]
    report = speed.main([*argv, "--repeats", "1", "--no-sweep"])
    (row,) = report["problems"]
    forward = row["engines"]["forward"]
    np.testing.assert_allclose(forward["loss_framework"], forward["loss_plain"], rtol=1e-12)
    assert set(forward) >= {"adam", "lbfgs"}


def test_framework_steps_compile_once():
    """Counted, not timed: each jitted step holds one compiled program after two steps."""
    import problems

    speed = load("speed")
    spec = problems.get("poisson2d")
    problem = spec.problem()
    model = spec.make_model(problem, hidden=(8,))
    config = spec.config(steps=2, lbfgs_steps=2, n_interior=64, n_boundary=16)
    with speed._scope(model, config):
        steps, batch, _ = speed.framework_steps(problem, model, config)
        for phase in ("adam", "lbfgs"):
            fn, args = steps[phase][2]
            state = fn(*args)[0]
            fn(state, batch)
            assert fn._cache_size() == 1, phase


def test_accuracy_records_merge_by_problem_in_registry_order(tmp_path):
    import json

    accuracy = load("accuracy")

    def record(name, date, rel):
        return {"name": name, "date": date, "rel_l2": rel, "target": 1e-3, "met": rel <= 1e-3}

    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps({"records": [record("heat1d", "2026-12-01T01:00", 2e-3), record("burgers", "2026-12-01T01:00", 5e-4)]}))
    b.write_text(json.dumps({"records": [record("heat1d", "2026-12-01T02:00", 6e-5), record("poisson2d", "2026-12-01T02:00", 4e-5)]}))
    out = tmp_path / "results"
    assert accuracy.main(["--merge", str(a), str(b), "--out", str(out)]) == 0
    merged = json.loads((out / "accuracy.json").read_text())["records"]
    assert [r["name"] for r in merged] == ["poisson2d", "heat1d", "burgers"]  # problems.names() order
    assert merged[1]["rel_l2"] == 6e-5  # the newer heat1d record replaced the older
    # A later merge keeps what is there, replacing only what it brings.
    c = tmp_path / "c.json"
    c.write_text(json.dumps({"records": [record("burgers", "2026-12-01T03:00", 2e-3)]}))
    assert accuracy.main(["--merge", str(c), "--out", str(out)]) == 1  # the new record misses its target
    merged = json.loads((out / "accuracy.json").read_text())["records"]
    assert [(r["name"], r["rel_l2"]) for r in merged] == [("poisson2d", 4e-5), ("heat1d", 6e-5), ("burgers", 2e-3)]
