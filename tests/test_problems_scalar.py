"""The scalar bundled problems: exact solutions satisfy their equations and conditions,
a short solve learns, and the registry finds them by name.

Checked in float64 for poisson2d, heat1d, heat_disk, heat3d, wave1d and helmholtz2d;
the long runs that reach each problem's accuracy target are in benchmarks/accuracy.py.
"""

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special

import pinn
import problems
from problems import heat1d, heat_disk

INVERSE = ("heat1d_inverse", "elasticity_plate_inverse", "burgers_inverse", "poisson_inverse_field")
ALL_TEN = (
    "poisson2d",
    "heat1d",
    "heat_disk",
    "heat3d",
    "elasticity_plate",
    "elasticity_beam",
    "elasticity_cylinder",
    "burgers",
    "wave1d",
    "helmholtz2d",
)


@dataclasses.dataclass(frozen=True)
class Case:
    coordinates: tuple[str, ...]
    scale: float  # size of the largest term of the residual for the exact solution
    params: dict  # a non-default parameter set, to check the parameters reach the residual
    ratio: float  # a short solve must bring the error below ratio * the untrained error
    short: dict = dataclasses.field(default_factory=dict)  # the short solve's settings beyond SHORT


CASES = {
    "poisson2d": Case(("x", "y"), 2 * np.pi**2, {"amplitude": 2.0}, 0.5),
    "heat1d": Case(("x", "t"), 0.4 * np.pi**2, {"a": 0.2}, 0.5),
    "heat_disk": Case(("x", "y", "t"), 0.1 * heat_disk.J0_FIRST_ZERO**2, {"D": 0.3}, 0.5),
    "heat3d": Case(("x", "y", "z", "t"), 3 * 0.05 * np.pi**2, {"D": 0.1}, 0.5),
    # The initial data must outweigh the residual to travel into the domain (measured 0.65).
    "wave1d": Case(("x", "t"), (8 * np.pi) ** 2 * 0.5, {"c": 1.0}, 0.8,
                   {"hidden": (32, 32), "n_interior": 512, "steps": 500,
                    "weights": {"dirichlet": 100.0, "initial": 100.0, "initial_velocity": 100.0}}),
    # sin 4πy needs a wider net and more steps before the error drops below the untrained
    # network's (early on the net grows a smooth bump to match the large source).
    "helmholtz2d": Case(("x", "y"), 17 * np.pi**2, {"k": 3.0}, 0.3,
                        {"hidden": (32, 32), "n_interior": 512, "steps": 1000, "weights": {"dirichlet": 100.0}}),
}
NAMES = tuple(CASES)


@pytest.fixture(autouse=True)
def float64():
    with jax.enable_x64(True):
        yield


@functools.cache
def built(name, **params):
    """Each problem built once per worker: building checks it eagerly, which takes seconds."""
    return problems.get(name).problem(**params)


def interior(problem, n=256, seed=3):
    return jnp.asarray(problem.domain.sample_interior(n, "halton", seed=seed))


def residuals(problem, u, points):
    return np.asarray(jax.jit(jax.vmap(lambda x: problem.residual_at(u, x)))(points))


# -- each problem is what its docstring says ----------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_problem_documents_inputs_and_fields(name):
    spec = problems.get(name)
    problem = built(name)
    assert problem.name == name
    assert problem.coordinates == CASES[name].coordinates
    assert problem.fields == ("u",)
    doc = spec.build.__module__
    module_doc = __import__(doc, fromlist=["_"]).__doc__
    assert "Inputs ``(" + ", ".join(CASES[name].coordinates) + ")``" in module_doc
    assert "output field ``u``" in module_doc


@pytest.mark.parametrize("engine", ["hessian", "forward"])
@pytest.mark.parametrize("name", NAMES)
def test_exact_solution_satisfies_the_equation(name, engine):
    problem = built(name)
    with pinn.derivative_engine(engine):
        r = residuals(problem, problem.exact, interior(problem))
    # Terms of size `scale` cancel; float64 leaves a few ulps of them.
    assert np.abs(r).max() <= 1e-12 * CASES[name].scale * 100


@pytest.mark.parametrize("name", NAMES)
def test_parameters_reach_the_residual(name):
    default, other = built(name), built(name, **CASES[name].params)
    assert dict(other.params) == {**default.params, **CASES[name].params}
    points = interior(default)
    assert np.abs(residuals(other, other.exact, points)).max() < 1e-9 * CASES[name].scale

    def field(x):  # any smooth field: its residual must change with the parameters
        return jnp.prod(jnp.sin(1.3 * x + 0.2)) + jnp.sum(x**3)

    assert np.abs(residuals(other, field, points) - residuals(default, field, points)).max() > 1e-2


@pytest.mark.parametrize("name", NAMES)
def test_exact_solution_satisfies_every_condition(name):
    problem = built(name)
    batch = pinn.sample_batch(problem, 64, 256, "sobol", seed=5)
    assert set(batch) == {"pde", *problem.named_conditions}
    for term, condition in problem.named_conditions.items():
        data = {k: jnp.asarray(v) for k, v in batch[term].items()}
        r = np.asarray(jax.jit(jax.vmap(lambda d, c=condition: c.residual(problem.exact, d)))(data))
        assert np.mean(r**2) < 1e-26, term
        assert np.abs(r).max() < 1e-12, term


def test_conditions_cover_the_whole_boundary_and_initial_slice():
    # The boundary points of each term lie on the boundary, the initial ones at t = 0.
    for name in NAMES:
        problem = built(name)
        batch = pinn.sample_batch(problem, 64, 128, "sobol", seed=1)
        for term, condition in problem.named_conditions.items():
            x = batch[term]["x"]
            if condition.kind in ("initial", "initial_velocity"):
                np.testing.assert_allclose(x[:, -1], 0.0, atol=0)
            else:
                space = problem.domain.space if problem.time_dependent else problem.domain
                dist = space.sdf(x[:, : space.dim])
                np.testing.assert_allclose(dist, 0.0, atol=1e-12)


# -- the pieces the problems are made of ------------------------------------------------


def test_bessel_j0_matches_scipy():
    z = np.linspace(0.0, 3.0, 601)
    np.testing.assert_allclose(np.asarray(heat_disk.bessel_j0(jnp.asarray(z))), scipy.special.j0(z), rtol=0, atol=1e-14)


def test_first_zero_of_j0_matches_scipy():
    assert heat_disk.J0_FIRST_ZERO == pytest.approx(scipy.special.jn_zeros(0, 1)[0], abs=1e-15)
    assert abs(float(heat_disk.bessel_j0(heat_disk.J0_FIRST_ZERO))) < 1e-15


def test_laplacian_in_space_matches_jax_hessian_for_both_engines():
    model = pinn.MLP(4, 1, (8, 8), "tanh", key=2, dtype="float64")
    apply, params = pinn.pure_apply(model)

    def u(x):
        return apply(params, x)

    x = jnp.array([0.3, -0.2, 0.7, 0.4])
    expected = jax.jit(lambda x: jnp.trace(jax.hessian(u)(x)[:3, :3]))(x)
    for engine in pinn.DERIVATIVE_ENGINES:
        with pinn.derivative_engine(engine):
            value = jax.jit(lambda x: heat1d.laplacian_in_space(u, x))(x)
        assert float(value) == pytest.approx(float(expected), rel=1e-12)


# -- a short solve learns ---------------------------------------------------------------

# A tiny float32 network, a few hundred Adam steps; eval_resolution 21 keeps every mode
# visible on the grid (9 points per axis would sample sin 4πy only at its zeros).
SHORT = {"hidden": (16, 16), "dtype": "float32", "steps": 300, "lbfgs_steps": 0, "lr": 1e-2, "n_interior": 256,
         "n_boundary": 64, "eval_every": 0, "log_every": 100, "eval_resolution": 21}


def untrained_error(spec, problem, settings):
    model = spec.make_model(problem, **settings)
    apply, params = pinn.pure_apply(model)
    points, values = problem.evaluation_data(settings["eval_resolution"])
    with jax.enable_x64(model.dtype == "float64"):
        prediction = jax.vmap(lambda x: apply(params, x))(jnp.asarray(points, model.dtype)).reshape(values.shape)
        return float(pinn.relative_l2(prediction, jnp.asarray(values))[0])


# Two in the timed suite; the others (seconds to minutes each) with the slow tests. Every
# problem's pipeline also runs in the timed suite through its example (tests/test_examples.py).
TIMED_SOLVES = ("poisson2d", "heat1d")


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=() if n in TIMED_SOLVES else pytest.mark.slow) for n in NAMES]
)
def test_short_solve_lowers_the_error(name):
    spec = problems.get(name)
    settings = {**SHORT, **CASES[name].short}
    result = spec.solve(**settings)
    before = untrained_error(spec, built(name), {**spec.model, **settings})
    assert result.metrics["steps"] == {"adam": settings["steps"]}  # only the phases that ran
    assert np.isfinite(result.rel_l2)
    assert result.rel_l2 < CASES[name].ratio * before, (result.rel_l2, before)


# -- the registry -----------------------------------------------------------------------


def test_unknown_problem_lists_the_valid_names():
    with pytest.raises(ValueError, match=r"unknown problem 'heat2d'; valid problems: .*heat1d.*heat_disk.*heat3d"):
        problems.get("heat2d")


def test_registry_holds_every_scalar_problem_in_order():
    registered = problems.names()
    assert [n for n in registered if n in NAMES] == list(NAMES[:4]) + ["wave1d", "helmholtz2d"]
    for name in NAMES:
        spec = problems.get(name)
        assert spec.name == name
        assert spec.train.get("derivatives") == "forward"
        assert sum(phase.steps for phase in spec.config().phase_list()) > 0


def test_registry_holds_all_ten_bundled_problems_then_the_inverse_ones():
    assert problems.names() == ALL_TEN + INVERSE


def test_the_registry_builds_a_problem_once_per_parameter_set():
    spec = problems.get("heat1d")
    assert spec.problem() is spec.problem() is problems.build("heat1d")
    assert spec.problem(a=0.2) is spec.problem(a=0.2)
    assert spec.problem(a=0.2) is not spec.problem()
    assert spec.problem(a=0.2).params["a"] == 0.2 and spec.problem().params["a"] == 0.4
    # measurements (arrays) are never a cache key: built anew each time
    inverse = problems.get("heat1d_inverse")
    data = pinn.Data(np.array([[0.5, 0.5]]), np.array([0.1]))
    assert inverse.problem(data=data) is not inverse.problem(data=data)


def test_an_override_of_the_pipeline_replaces_the_defaults_pipeline():
    from problems.registry import override_training

    defaults = {"phases": "adam:500,lm:400", "lr": 1e-2}
    assert override_training(defaults, {"steps": 20}) == {"steps": 20, "lr": 1e-2}
    assert override_training({"steps": 500, "lbfgs_steps": 9, "lr": 1}, {"phases": "adam:5"}) == {"phases": "adam:5", "lr": 1}
    assert override_training({"steps": 500, "lbfgs_steps": 9}, {"steps": 5}) == {"steps": 5, "lbfgs_steps": 9}
    assert override_training(defaults, {"lr": 1.0}) == {"phases": "adam:500,lm:400", "lr": 1.0}


def test_a_recipe_lays_its_settings_over_the_defaults():
    spec = problems.get("heat1d")
    spec = dataclasses.replace(
        spec, train={**spec.train, "phases": "adam:200,lm:1000"}, recipes={"slow": {"steps": 7, "lbfgs_steps": 3, "hidden": (5,)}}
    )
    assert [(p.name, p.steps) for p in spec.config().phase_list()] == [("adam", 200), ("lm", 1000)]
    assert [(p.name, p.steps) for p in spec.config("slow").phase_list()] == [("adam", 7), ("lbfgs", 3)]
    assert [(p.name, p.steps) for p in spec.config("slow", steps=2).phase_list()] == [("adam", 2), ("lbfgs", 3)]
    assert spec.make_model(spec.problem(), "slow").hidden == (5,)
    assert spec.split_settings({}, "default") == spec.split_settings({})
    with pytest.raises(ValueError, match=r"unknown recipe 'fast' of problem 'heat1d'; valid recipes: default, slow"):
        spec.config("fast")
    # the Adam + L-BFGS recipe: named where the defaults moved on, the defaults elsewhere
    assert problems.get("poisson2d").adam_lbfgs_recipe() == "adam-lbfgs"
    assert problems.get("heat_disk").adam_lbfgs_recipe() is None
    assert [p.name for p in problems.get("heat1d").config(problems.get("heat1d").adam_lbfgs_recipe()).phase_list()] == ["adam", "lbfgs"]
