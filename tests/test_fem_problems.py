"""The bundled geometry problems and their finite-element references (scikit-fem)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pinn
import problems
from problems import poisson_lshape_reference as lref


@pytest.fixture(scope="module", autouse=True)
def unregistered():
    """The geometry problems are not in problems.BUNDLED (yet): importing them here
    registers them, and the registry other tests read must not keep them."""
    before = set(problems.names())
    yield
    for name in set(problems.names()) - before:
        del problems.registry._REGISTRY[name]


def rel(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


# -- poisson_lshape ---------------------------------------------------------------------------------
def test_lshape_solver_on_an_exact_solution():
    """sin(pi x) sin(pi y) vanishes on every edge of the L: the solver must find it, P2
    vertex values converging at h^4 (superconvergence) on this smooth solution."""
    errors = []
    for level in (2, 3):
        basis, u = lref.solve(level, source=lambda x, y: 2 * np.pi**2 * np.sin(np.pi * x) * np.sin(np.pi * y))
        points, values = lref.on_grid(basis, u, 2.0**-level)
        errors.append(np.max(np.abs(values - np.sin(np.pi * points[:, 0]) * np.sin(np.pi * points[:, 1]))))
    assert errors[1] < 3e-4
    assert errors[0] / errors[1] > 12  # 2^4 = 16 expected


def test_lshape_refinement_study():
    """The unit-load solution at the points of the 1/8 grid, levels 3 to 5: successive
    differences shrink by 2^(4/3) = 2.52 (the corner singularity's rate; measured 2.50,
    and 2.46 for levels 5-6), so the level-5 error is at most the last difference over
    (ratio - 1), far below the 5e-3 target; the default (level 6) is 2.5 times closer."""
    values = []
    for level in (3, 4, 5):
        basis, u = lref.solve(level)
        points, v = lref.on_grid(basis, u, 1 / 8)
        values.append(v)
    diffs = [rel(values[k], values[k + 1]) for k in range(2)]
    ratio = diffs[0] / diffs[1]
    assert 2.52 * 0.9 < ratio < 2.52 * 1.1, diffs
    assert diffs[1] / (ratio - 1) < 5e-4


def test_lshape_problem_reference():
    from problems import poisson_lshape

    problem = poisson_lshape.build()
    points, values = problem.reference.points, problem.reference.values[:, 0]
    assert len(points) == 12545  # the vertices of the level-6 mesh
    assert np.all(problem.domain.contains(points, tol=1e-12))
    assert values.min() >= 0 and abs(values.max() - 0.149380) < 1e-5
    on_edges = np.abs(problem.domain.sdf(points)) < 1e-12
    assert on_edges.sum() > 500 and np.all(values[on_edges] == 0.0)
    assert np.all(problem.domain.contains(poisson_lshape.corner_points()))
    # The L's boundary parts are the faces of the two rectangles it is made of.
    assert set(problem.domain.boundary_labels) == {"x_min", "x_max", "y_min", "y_max"}


# -- elasticity_hole ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_kirsch_solution_solves_the_quarter_plate():
    from problems import elasticity_hole

    problem = elasticity_hole.build()
    with jax.enable_x64(True):
        inside = jnp.asarray(problem.domain.sample_interior(64, seed=1))
        residual = jax.jit(jax.vmap(lambda x: problem.residual(problem.exact, x, **problem.params)))(inside)
        assert np.max(np.abs(np.asarray(residual))) < 1e-12
        for name, condition in problem.named_conditions.items():
            data = {k: jnp.asarray(v) for k, v in condition.sample(problem.domain, 64, "sobol", 2).items()}
            values = jax.jit(jax.vmap(lambda d: condition.residual(problem.exact, d)))(data)
            assert np.max(np.abs(np.asarray(values))) < 1e-12, name
        # The stresses of the Kirsch displacement are Kirsch's; sigma_xx = 3 sigma at (0, a).
        lam, mu = elasticity_hole.lame(problem.params)
        from problems import elasticity

        stresses = jax.jit(jax.vmap(lambda x: jnp.stack(elasticity.stress(problem.exact, x, lam, mu))))(inside)
        kirsch = jax.jit(jax.vmap(lambda x: elasticity_hole.kirsch_stress(x, 1.0, 0.2)))(inside)
        np.testing.assert_allclose(np.asarray(stresses), np.asarray(kirsch), atol=1e-12)
        top = jnp.array([0.0, 0.2])
        np.testing.assert_allclose(float(jax.jit(lambda x: elasticity.stress(problem.exact, x, lam, mu)[0])(top)), 3.0, rtol=1e-12)
        # Symmetry holds exactly through the transform.
        x, _ = problem.domain.boundary.part("x_min").sample(32)
        y = jax.jit(jax.vmap(problem.output_transform))(jnp.asarray(x), jnp.ones((32, 2)))
        np.testing.assert_allclose(np.asarray(y[:, 0]), 0.0, atol=1e-12)


# -- heat_bracket ------------------------------------------------------------------------------------
def test_bracket_mesh_and_reference():
    from problems import heat_bracket_reference as bref

    domain = pinn.read_mesh(bref.MESH)
    assert set(domain.boundary_labels) == {"hole_left", "hole_right", "arm_hole", "arm_top", "outer"}
    x, _ = domain.boundary.part("hole_left").sample(100)
    np.testing.assert_allclose(np.linalg.norm(x - [0.5, 0.5], axis=1), 0.2, atol=2e-3)  # chords of the circle
    points, values = bref.reference_table(refine=0)
    assert values.min() >= -1e-12 and values.max() <= 1 + 1e-12  # maximum principle
    hot = np.isclose(np.linalg.norm(points - [0.5, 0.5], axis=1), 0.2, atol=1e-9)
    assert hot.sum() > 10 and np.allclose(values[hot], 1.0)
    cold = np.isclose(points[:, 1], 1.8)
    assert cold.sum() > 4 and np.allclose(values[cold], 0.0)


def test_bracket_refinement_study():
    """P2 on the shipped mesh, refined 0 and 1 times, against refined twice: relative
    differences 1.0e-4 and 2.7e-5 measured; the default (refined once) is far below 1e-3."""
    from problems import heat_bracket_reference as bref

    points = pinn.read_mesh(bref.MESH).points
    values = [bref.at_points(*bref.solve(r), points) for r in (0, 1, 2)]
    d0, d1 = rel(values[0], values[2]), rel(values[1], values[2])
    assert d1 < d0 / 2.5 and d1 < 5e-5, (d0, d1)
