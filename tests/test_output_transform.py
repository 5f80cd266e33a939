"""Output transforms: conditions imposed exactly by the network's form (hard constraints)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pinn
from pinn import io
from pinn.batch import sample_batch
from pinn.losses import make_loss_terms


def square_problem(transform):
    """-Δu = 2π² sin πx sin πy on the unit square, u = 0 on its boundary."""
    domain = pinn.Rectangle((0.0, 0.0), (1.0, 1.0))

    def exact(x):
        return jnp.sin(jnp.pi * x[0]) * jnp.sin(jnp.pi * x[1])

    def residual(u, x):
        return -pinn.laplacian(u)(x) - 2 * jnp.pi**2 * exact(x)

    return pinn.Problem(
        domain=domain,
        residual=residual,
        conditions=[pinn.Dirichlet(on=domain.boundary, value=0.0)],
        exact=exact,
        name="square",
        output_transform=transform,
    )


def vanish_on_boundary(x, y):
    return x[0] * (1 - x[0]) * x[1] * (1 - x[1]) * y


def test_for_problem_builds_the_transform_in():
    problem = square_problem(vanish_on_boundary)
    with jax.enable_x64(True):
        model = pinn.MLP.for_problem(problem, (8, 8), key=3, dtype="float64")
        x = jnp.array([0.3, 0.7])
        assert model.output_transform is vanish_on_boundary
        np.testing.assert_allclose(model(x), 0.3 * 0.7 * 0.7 * 0.3 * model.network(x), rtol=1e-14)


def test_transform_imposes_dirichlet_exactly_for_any_weights():
    problem = square_problem(vanish_on_boundary)
    plain = square_problem(None)
    with jax.enable_x64(True):
        batch = sample_batch(problem, 64, 64, seed=0)
        for transformed, expected_zero in ((problem, True), (plain, False)):
            apply, params = pinn.pure_apply(pinn.MLP.for_problem(transformed, (8, 8), key=1, dtype="float64"))
            terms = make_loss_terms(transformed, apply)(params, jax.tree.map(jnp.asarray, batch))
            if expected_zero:
                assert float(terms["dirichlet"]) < 1e-30
            else:
                assert float(terms["dirichlet"]) > 1e-4


def test_forward_engine_equals_hessian_through_the_transform():
    problem = square_problem(lambda x, y: jnp.sin(jnp.pi * x[0]) * x[1] * (1 - x[1]) * y + x[0] ** 2)
    with jax.enable_x64(True):
        apply, params = pinn.pure_apply(pinn.MLP.for_problem(problem, (16, 16), key=0, dtype="float64"))
        batch = jax.tree.map(jnp.asarray, sample_batch(problem, 50, 20, seed=2))
        reference = make_loss_terms(problem, apply, "hessian")(params, batch)
        forward = make_loss_terms(problem, apply, "forward")(params, batch)
        for name in reference:
            np.testing.assert_allclose(forward[name], reference[name], rtol=1e-12)


def test_saved_run_reloads_with_the_transform(tmp_path):
    problem = square_problem(vanish_on_boundary)
    model = pinn.MLP.for_problem(problem, (8,), key=0, dtype="float64")
    result = pinn.solve(problem, model, steps=5, n_interior=32, n_boundary=16, eval_every=0)
    result.save(tmp_path / "run")
    loaded = pinn.load_run(tmp_path / "run", problem=problem)
    points = np.array([[0.0, 0.5], [0.25, 0.5], [1.0, 0.1]])
    np.testing.assert_array_equal(loaded.predict(points), result.predict(points))
    assert loaded.predict(points)[0, 0] == 0.0 and loaded.predict(points)[2, 0] == 0.0
    assert io.read_json(tmp_path / "run" / "model.json")["output_transform"].endswith("vanish_on_boundary")


def test_bad_transforms_are_named():
    with pytest.raises(ValueError, match=r"output_transform must be a function fn\(x, y\) -> y, got 3"):
        square_problem(3)
    with pytest.raises(ValueError, match=r"output_transform must return the shape of its y, \(\) for fields \('u',\), got \(2,\)"):
        square_problem(lambda x, y: jnp.stack([y, y]))
    with pytest.raises(ValueError, match=r"output_transform\(x, y\) failed for points of shape \(2,\)"):
        square_problem(lambda x, y: (x @ jnp.ones(3)) * y)
    with pytest.raises(ValueError, match=r"output_transform must be a function fn\(x, y\) -> y, got 'x'"):
        pinn.MLP(2, 1, (4,), output_transform="x")
