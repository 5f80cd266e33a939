r"""Second-order phases through :func:`pinn.solve` (issue 14): the ``"lm"`` phase takes the
Gauss-Newton step of the problem's own residual vector, a rejected step leaves the
parameters alone, a run resumed in the middle of an LM phase ends on the same bits, no
phase compiles twice, and the damping reaches ``history.csv``.

The reference step is built here, independently of the trainer: J = ``jax.jacfwd`` of
:func:`pinn.make_residual_vector` over the flat parameters (the trainer uses a
point-by-point reverse Jacobian), and the step solves the normal equations

.. math::  (J^\top J + \mu I)\,\delta = -J^\top r .
"""

import csv
import importlib.util
import math
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx
from jax.flatten_util import ravel_pytree

import pinn
import problems
from pinn.batch import to_device
from pinn.losses import term_weights

ROOT = Path(__file__).resolve().parents[1]
TINY = dict(n_interior=40, n_boundary=16, eval_every=0, checkpoint_every=0, derivatives="forward")


def poisson():
    return problems.get("poisson2d").problem()


def tiny_model(problem, hidden=(6,), key=1):
    return pinn.MLP.for_problem(problem, hidden, "tanh", dtype="float64", key=key)


def reference_system(problem, model, n_interior, n_boundary):
    """(flat parameters, r, J) at the model's parameters and the trainer's points (seed 0, round 0)."""
    with jax.enable_x64(True):
        apply, net = pinn.field_apply(model)
        vector = pinn.make_residual_vector(problem, lambda p, x: apply(p["net"], x), "forward")
        batch = to_device(pinn.sample_batch(problem, n_interior, n_boundary, "sobol", 0, 0), jnp.float64)
        weights = term_weights(problem)
        flat, unravel = ravel_pytree({"net": net, "learned": {}})

        def r_flat(f):
            return vector(unravel(f), batch, weights)

        return np.asarray(flat), np.asarray(r_flat(flat)), np.asarray(jax.jacfwd(r_flat)(flat))


def flat_params(result) -> np.ndarray:
    with jax.enable_x64(True):  # ravel_pytree would round float64 leaves to float32 otherwise
        return np.asarray(ravel_pytree(result.params)[0])


# -- the step is the Gauss-Newton step ---------------------------------------------------------------
class RandomFeatures(nnx.Module):
    """u(x) = c · tanh(W x + b) with W, b fixed (not trained): linear in its parameters c,
    so the residual is affine in them and one Gauss-Newton step lands on the least-squares
    solution exactly (gain ratio 1)."""

    def __init__(self, d, k, seed=0):
        rng = np.random.default_rng(seed)
        with jax.enable_x64(True):
            self.W = nnx.Variable(jnp.asarray(rng.normal(0.0, 2.0, (k, d))))
            self.b = nnx.Variable(jnp.asarray(rng.normal(0.0, 1.0, k)))
            self.c = nnx.Param(jnp.asarray(rng.normal(0.0, 0.1, k)))

    def __call__(self, x):
        return self.c[...] @ jnp.tanh(self.W[...] @ x + self.b[...])


def test_one_lm_step_with_tiny_damping_is_the_gauss_newton_solution():
    problem = poisson()
    mu = 1e-10
    flat0, r, J = reference_system(problem, RandomFeatures(2, 12), TINY["n_interior"], TINY["n_boundary"])
    m, n = J.shape
    assert (m, n) == (56, 12)
    result = pinn.solve(problem, RandomFeatures(2, 12), phases=[pinn.Phase("lm", 1, damping=mu)], log_every=1, **TINY)
    assert result.history["accepted"].tolist() == [1.0]
    assert result.history["gain_ratio"][0] == pytest.approx(1.0, abs=1e-6)
    step = flat_params(result) - flat0
    # The normal equations JᵀJ δ = -Jᵀr, solved here with NumPy. The damping moves the
    # solution by at most μ/σ_min² of itself (σ_min: J's smallest singular value), far
    # more than the round-off of this well-conditioned system (cond(JᵀJ) ~ 3e4).
    gauss_newton = np.linalg.solve(J.T @ J, -J.T @ r)
    sigma_min = np.linalg.svd(J, compute_uv=False)[-1]
    assert mu / sigma_min**2 < 1e-6
    assert np.linalg.norm(step - gauss_newton) <= 2 * mu / sigma_min**2 * np.linalg.norm(gauss_newton)
    damped = np.linalg.solve(J.T @ J + mu * np.eye(n), -J.T @ r)
    np.testing.assert_allclose(step, damped, rtol=1e-9, atol=1e-12 * np.abs(damped).max())
    # the loss after the step is the least-squares minimum ||r + Jδ||²
    minimum = float(np.sum((r + J @ gauss_newton) ** 2))
    assert result.metrics["final_total_loss"] == pytest.approx(minimum, rel=1e-8)
    assert minimum < 0.2 * float(r @ r)  # one step took most of the loss away


def test_one_damped_lm_step_of_an_mlp_solves_the_damped_normal_equations():
    """A tanh MLP (nonlinear in its weights) from its initial weights: the step is
    (JᵀJ + μI)⁻¹(-Jᵀr) with J = jacfwd of the residual vector (here μ = 1, which the
    gain ratio accepts: a full Gauss-Newton step from a random start is rejected)."""
    problem = poisson()
    mu = 1.0
    flat0, r, J = reference_system(problem, tiny_model(problem), TINY["n_interior"], TINY["n_boundary"])
    n = J.shape[1]
    result = pinn.solve(problem, tiny_model(problem), phases=[pinn.Phase("lm", 1, damping=mu)], log_every=1, **TINY)
    assert result.history["accepted"].tolist() == [1.0]
    step = flat_params(result) - flat0
    damped = -np.linalg.solve(J.T @ J + mu * np.eye(n), J.T @ r)
    np.testing.assert_allclose(step, damped, rtol=1e-8, atol=1e-12 * np.abs(damped).max())
    gradient = J.T @ r
    assert abs(step @ gradient) / (np.linalg.norm(step) * np.linalg.norm(gradient)) < 0.99  # not a gradient step
    # Above dense_limit the same system is solved matrix-free (CG on JᵀJ v + μv, J never formed).
    cg = pinn.solve(
        problem, tiny_model(problem), log_every=1, **TINY,
        phases=[pinn.Phase("lm", 1, damping=mu, dense_limit=10, cg_iterations=200, cg_tolerance=1e-13)],
    )
    assert cg.history["accepted"].tolist() == [1.0]
    np.testing.assert_allclose(flat_params(cg) - flat0, damped, rtol=1e-7, atol=1e-10 * np.abs(damped).max())


# -- a rejected step ---------------------------------------------------------------------------------
def test_a_rejected_step_keeps_the_parameters_and_raises_the_damping():
    """An (almost) undamped Gauss-Newton step from a random start overshoots: the trial
    loss rises, the step is rejected and the parameters stay exactly as they were."""
    problem = poisson()
    flat0, r, _ = reference_system(problem, tiny_model(problem), TINY["n_interior"], TINY["n_boundary"])
    result = pinn.solve(problem, tiny_model(problem), phases=[pinn.Phase("lm", 2, damping=1e-10)], log_every=1, **TINY)
    h = result.history
    assert h["accepted"].tolist() == [0.0, 0.0]
    assert np.all(h["gain_ratio"] < 0)
    np.testing.assert_array_equal(flat_params(result), flat0)  # bit for bit
    # Nielsen: a rejection multiplies μ by ν (2 after an accepted step, doubling with each rejection).
    np.testing.assert_allclose(h["damping"], [1e-10, 2e-10], rtol=1e-12)
    np.testing.assert_allclose(h["loss"], [float(r @ r)] * 2, rtol=1e-12)
    assert result.metrics["nonfinite_events"] == 0


# -- resuming mid-phase ------------------------------------------------------------------------------
@pytest.mark.slow
def test_resume_in_the_middle_of_an_lm_phase_is_bit_identical(tmp_path):
    problem = poisson()
    settings = dict(TINY, phases="adam:10,lm:20", lr=1e-2, log_every=5, checkpoint_every=5)
    whole = pinn.solve(problem, tiny_model(problem), **settings)
    stops = []

    def stop_at_20(row):
        if row["step"] == 20:  # the 10th of the 20 LM steps
            stops.append(row["phase"])
            raise KeyboardInterrupt

    part = pinn.solve(problem, tiny_model(problem), checkpoint_dir=tmp_path, callback=stop_at_20, **settings)
    assert part.interrupted and stops == ["lm"]
    assert part.metrics["steps"] == {"adam": 10, "lm": 10}
    rest = pinn.solve(problem, tiny_model(problem), checkpoint_dir=tmp_path, resume=True, **settings)
    assert not rest.interrupted and rest.metrics["steps"] == {"adam": 10, "lm": 20}
    np.testing.assert_array_equal(flat_params(rest), flat_params(whole))
    # the damping carried across the restart: the same μ at every log step
    np.testing.assert_array_equal(rest.history["damping"], whole.history["damping"])
    np.testing.assert_array_equal(rest.history["loss"], whole.history["loss"])
    assert np.nansum(whole.history["accepted"]) > 0  # the phase moved the parameters


# -- compilation ---------------------------------------------------------------------------------------
@pytest.mark.slow
def test_every_phase_compiles_once():
    problem = poisson()
    phases = [pinn.Phase("adam", 3), pinn.Phase("lm", 4), pinn.Phase("ssbfgs", 3), pinn.Phase("lbfgs", 3)]
    result = pinn.solve(problem, tiny_model(problem), phases=phases, log_every=1, **TINY)
    assert result.metrics["steps"] == {"adam": 3, "lm": 4, "ssbfgs": 3, "lbfgs": 3}
    # a second trace of a step would count 2 (a weak type or shape changing after the first step)
    assert result.metrics["compilations"] == {"0:adam": 1, "1:lm": 1, "2:ssbfgs": 1, "3:lbfgs": 1}
    assert np.all(np.isfinite(result.history["loss"])) and result.history["loss"][-1] < result.history["loss"][0]


# -- the record -----------------------------------------------------------------------------------------
def test_damping_is_in_history_csv(tmp_path):
    problem = poisson()
    result = pinn.solve(problem, tiny_model(problem), phases="adam:4,lm:4", log_every=2, **TINY)
    folder = result.save(tmp_path / "run")
    with open(folder / "history.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {"damping", "accepted", "gain_ratio"} <= set(rows[0])
    assert [row["phase"] for row in rows] == ["adam", "adam", "lm", "lm"]
    assert [row["damping"] for row in rows[:2]] == ["", ""]  # Adam has no damping
    damping = [float(row["damping"]) for row in rows[2:]]
    np.testing.assert_allclose(damping, result.history["damping"][2:], rtol=1e-12)
    assert all(math.isfinite(d) and d > 0 for d in damping)
    assert [float(row["accepted"]) for row in rows[2:]] == result.history["accepted"][2:].tolist()


# -- the benchmark script's bookkeeping ------------------------------------------------------------
def _load_optimizers():
    spec = importlib.util.spec_from_file_location("bench_optimizers", ROOT / "benchmarks" / "optimizers.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_benchmark_curves_keep_their_best_point_and_time_to_target():
    bench = _load_optimizers()
    rows = [[i, float(i), 2.0 * i, 1.0 / (1 + i) if i != 613 else 1e-9, 1.0, None] for i in range(1000)]
    kept = bench.thin(rows, 50)
    assert len(kept) <= 51 and kept[0] == rows[0] and kept[-1] == rows[-1] and rows[613] in kept
    curve = {"columns": list(bench.CURVE_COLUMNS), "rows": rows}
    assert bench.seconds_to(curve, 1e-2) == 99.0  # the first row with 1/(1 + i) <= 1e-2
    assert bench.seconds_to(curve, 1e-2, "cpu_seconds") == 198.0
    assert bench.seconds_to(curve, 1e-12) is None


def test_benchmark_recipes_share_the_start_and_differ_in_the_second_phase():
    bench = _load_optimizers()
    spec = problems.get("poisson2d")
    base = {"hidden": (8,), "phases": "adam:30,lm:20"}
    assert bench.default_method(spec, base) == "lm"
    assert bench.recipe(spec, "lm", base) == base
    for method in ("lbfgs", "ssbfgs"):
        phases = spec.config(**bench.recipe(spec, method, base)).phase_list()
        assert [p.name for p in phases] == ["adam", method] and phases[0] == pinn.Phase("adam", 30)
    assert set(bench.TARGETS) == set(problems.names()) & set(bench.TARGETS)
    # "old" is the former recipe: Adam then L-BFGS, on the network that recipe names
    old = spec.config(**bench.recipe(spec, "old", base)).phase_list()
    assert [p.name for p in old] == ["adam", "lbfgs"]
    assert spec.make_model(**bench.recipe(spec, "old", base)).hidden == (32, 32, 32)
    for name in bench.TARGETS:  # a problem whose defaults moved on keeps its former recipe
        other = problems.get(name)
        if bench.default_method(other, {}) != "lbfgs":
            assert other.adam_lbfgs_recipe() == "adam-lbfgs", name
    assert set(bench.TARGETS) == {
        "poisson2d", "heat1d", "heat_disk", "heat3d", "elasticity_plate", "elasticity_beam",
        "elasticity_cylinder", "burgers", "wave1d", "helmholtz2d",
    }
