"""The activation comparison: one tiny run per activation and seed, files on disk, bad input."""

import json

import numpy as np
import pytest

from pinn.compare import compare_activations

TINY = dict(steps=30, lbfgs_steps=0, hidden=(8,), n_interior=64, n_boundary=32, eval_resolution=21, n_points=64)


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    report = compare_activations("poisson2d", ["relu", "tanh"], seeds=(0, 1), out=out, **TINY)
    return out, report


def test_writes_json_and_png(comparison):
    out, report = comparison
    on_disk = json.loads((out / "compare.json").read_text())
    assert on_disk == json.loads(json.dumps(report))
    png = (out / "compare.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width > 1000 and height > 600


def test_same_budget_and_seeds_for_every_activation(comparison):
    _, report = comparison
    assert report["problem"] == "poisson2d" and report["activations"] == ["relu", "tanh"]
    assert report["seeds"] == [0, 1]
    assert report["config"]["steps"] == 30 and report["config"]["lbfgs_steps"] == 0
    assert report["model"]["hidden"] == [8]
    for name in ("relu", "tanh"):
        run = report["runs"][name]
        assert [r["seed"] for r in run["per_seed"]] == [0, 1]
        assert all(r["steps"] == {"adam": 30} for r in run["per_seed"])
        assert len(run["rel_l2"]["per_seed"]) == 2
        assert run["rel_l2"]["mean"] == pytest.approx(np.mean(run["rel_l2"]["per_seed"]), rel=1e-12)
        assert run["rel_l2_per_field"]["u"]["per_seed"] == pytest.approx(run["rel_l2"]["per_seed"], rel=1e-12)
        assert set(run["final_loss"]) == {"pde", "dirichlet"}
        assert all(t > 0 for t in run["train_seconds"]["per_seed"])
    # Different seeds give different networks (and points).
    assert report["runs"]["tanh"]["rel_l2"]["per_seed"][0] != report["runs"]["tanh"]["rel_l2"]["per_seed"][1]


def test_curvature_is_measured_per_run(comparison):
    _, report = comparison
    relu, tanh = report["runs"]["relu"], report["runs"]["tanh"]
    assert relu["curvature_summary"]["hessian_zero_fraction"] == 1.0
    assert relu["curvature_summary"]["second_order_zero_fraction"] == 1.0
    assert relu["curvature_summary"]["rel_hessian_error"] == 1.0
    assert tanh["curvature_summary"]["hessian_zero_fraction"] == 0.0
    assert tanh["per_seed"][0]["curvature"]["n_points"] == 64
    # The ReLU baseline's warning is recorded with its run, once per run.
    assert all(len(r["warnings"]) == 1 and "piecewise linear" in r["warnings"][0] for r in relu["per_seed"])
    assert all(r["warnings"] == [] for r in tanh["per_seed"])


def test_summary_ratio_to_best_smooth(comparison):
    _, report = comparison
    summary = report["summary"]
    assert summary["best_smooth"] == "tanh"
    tanh, relu = report["runs"]["tanh"]["rel_l2"]["mean"], report["runs"]["relu"]["rel_l2"]["mean"]
    assert summary["best_smooth_rel_l2"] == tanh
    assert summary["ratio_to_best_smooth"]["relu"] == pytest.approx(relu / tanh, rel=1e-12)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(activations=["relu", "bogus"]), r"unknown activation 'bogus'; valid activations: tanh, sin, .*relu"),
        (dict(activations=[]), "activations must name at least one activation"),
        (dict(activations=["relu", "relu"]), r"activations must be distinct, got \['relu', 'relu'\]"),
        (dict(activations=["relu"], seeds=(0, -1)), "seeds must be non-negative integers, got -1"),
        (dict(activations=["relu"], seeds=0), "seeds must be a positive count or a sequence of seeds, got 0"),
        (dict(activations=["relu"], key=3), "setting 'key' is chosen by the comparison"),
        (dict(activations=["relu"], field="v"), "unknown field 'v'; fields of 'poisson2d': u"),
        (dict(activations=["relu"], steps=-1), "steps must be a non-negative integer, got -1"),
        (dict(activations=["relu"], bogus=1), "unknown training setting 'bogus'"),
    ],
)
def test_bad_input_is_rejected_before_training(kwargs, message):
    with pytest.raises(ValueError, match=message):
        compare_activations("poisson2d", **kwargs)


def test_unknown_problem_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown problem 'nope'; valid problems: poisson2d"):
        compare_activations("nope", ["relu"])


def test_comma_separated_activations_and_seed_count():
    from pinn.compare import _check_activations, _check_seeds

    assert _check_activations("relu, tanh,silu") == ("relu", "tanh", "swish")
    assert _check_seeds(3) == (0, 1, 2)
