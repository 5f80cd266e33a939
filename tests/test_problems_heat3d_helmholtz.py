"""heat3d and helmholtz2d impose their conditions exactly through an output transform.

heat3d:      u = u0(x) + t d(x) N(x, t), d = 64 x(1-x) y(1-y) z(1-z)
helmholtz2d: u = 4 (1 - x²)(1 - y²) N(x, y)

Checked in float64: the conditions' loss terms vanish for an untrained network (and do
not without the transform, so the check can fail), the transforms are what the
docstrings say at chosen points, and the networks the registry builds carry them.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pinn
import problems
from problems import heat3d, helmholtz2d


@pytest.fixture(autouse=True)
def float64():
    with jax.enable_x64(True):
        yield


@functools.cache
def built(name):
    """Each problem built once per worker: building checks it eagerly, which takes seconds."""
    return problems.get(name).problem()


def condition_losses(problem, transform, key):
    """Mean square of each condition's residual for an untrained float64 network with
    ``transform`` (or none), on sampled boundary and initial points."""
    model = pinn.MLP(
        problem.domain.dim, 1, (8, 8), "tanh", key=key, dtype="float64",
        input_bounds=tuple(map(tuple, problem.domain.bounds)), output_transform=transform,
    )
    apply, params = pinn.pure_apply(model)
    batch = pinn.sample_batch(problem, 8, 256, "sobol", seed=2)
    losses = {}
    for term, condition in problem.named_conditions.items():
        data = {k: jnp.asarray(v) for k, v in batch[term].items()}
        r = jax.jit(jax.vmap(lambda d, c=condition: c.residual(lambda x: apply(params, x), d)))(data)
        losses[term] = float(np.mean(np.asarray(r) ** 2))
    return losses


@pytest.mark.parametrize("name", ["heat3d", "helmholtz2d"])
@pytest.mark.parametrize("key", [0, 7])
def test_transform_imposes_every_condition_for_any_weights(name, key):
    problem = built(name)
    conditions = set(problem.named_conditions)
    assert conditions == ({"dirichlet", "initial"} if name == "heat3d" else {"dirichlet"})
    hard = condition_losses(problem, problem.output_transform, key)
    soft = condition_losses(problem, None, key)
    for term in conditions:
        # sin π = 1.2e-16, not 0: the faces read a few ulps of u0, squared.
        assert hard[term] < 1e-28, (term, hard[term])
        assert soft[term] > 1e-4, (term, soft[term])  # without the transform they do not vanish


def test_heat3d_transform_is_u0_plus_t_d_n():
    x = jnp.array([0.3, 0.6, 0.8, 0.5])
    u0 = np.sin(0.3 * np.pi) * np.sin(0.6 * np.pi) * np.sin(0.8 * np.pi)
    d = 64 * 0.3 * 0.7 * 0.6 * 0.4 * 0.8 * 0.2
    assert float(heat3d.hard_conditions(x, 2.5)) == pytest.approx(u0 + 0.5 * d * 2.5, rel=1e-14)
    # d is 1 at the centre of the cube, so N is of the size of the correction it carries.
    assert float(heat3d.hard_conditions(jnp.array([0.5, 0.5, 0.5, 1.0]), -0.7)) == pytest.approx(1.0 - 0.7, rel=1e-14)
    # at t = 0 the initial data, whatever N
    assert float(heat3d.hard_conditions(x.at[3].set(0.0), 123.0)) == pytest.approx(u0, rel=1e-14)


def test_helmholtz2d_transform_is_scaled_bubble_times_n():
    assert float(helmholtz2d.vanish_on_boundary(jnp.array([0.5, -0.25]), 3.0)) == pytest.approx(
        4 * 0.75 * (1 - 0.0625) * 3.0, rel=1e-14
    )
    for edge_point in ([1.0, 0.3], [-1.0, -0.9], [0.2, 1.0], [-0.4, -1.0]):
        assert float(helmholtz2d.vanish_on_boundary(jnp.array(edge_point), 5.0)) == 0.0


@pytest.mark.parametrize(
    "name, transform", [("heat3d", heat3d.hard_conditions), ("helmholtz2d", helmholtz2d.vanish_on_boundary)]
)
def test_registry_networks_carry_the_transform(name, transform):
    spec = problems.get(name)
    problem = built(name)
    assert problem.output_transform is transform
    model = spec.make_model(problem, hidden=(8,), dtype="float64")
    assert model.output_transform is transform
    x = jnp.asarray(problem.domain.sample_interior(3, "halton", seed=4))
    expected = jax.vmap(lambda p: transform(p, model.network(p)))(x)
    np.testing.assert_allclose(jax.vmap(model)(x), expected, rtol=1e-14)
