r"""Operators against analytic derivatives, for every derivative engine.

Shapes checked (``m`` fields, ``d`` coordinates; a scalar field has no field axis):

==============  ============  ============  =========================================
operator        scalar u      vector u      test functions
==============  ============  ============  =========================================
grad            (d,)          (m, d)        test_first_derivatives
jacobian        (d,)          (m, d)        test_first_derivatives
hessian         (d, d)        (m, d, d)     test_hessian_*
laplacian       ()            (m,)          test_laplacian_*
divergence      --            ()            test_divergence
partial         ()            (m,)          test_partial_*
==============  ============  ============  =========================================

Tolerances: float64 1e-10 relative (to the largest entry of the analytic value);
float32 2e-5 relative (a few float32 ulps through two levels of differentiation).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pinn
from pinn import operators

ENGINES = pinn.DERIVATIVE_ENGINES
RTOL64 = 1e-10
RTOL32 = 2e-5


# -- analytic test fields ----------------------------------------------------------------
# Scalar field in 3D: u = sin(x) e^{y} + x^2 z^3 + y z.


def scalar_u(x):
    return jnp.sin(x[0]) * jnp.exp(x[1]) + x[0] ** 2 * x[2] ** 3 + x[1] * x[2]


def scalar_grad(x):
    x0, x1, x2 = x
    return np.array([np.cos(x0) * np.exp(x1) + 2 * x0 * x2**3, np.sin(x0) * np.exp(x1) + x2, 3 * x0**2 * x2**2 + x1])


def scalar_hessian(x):
    x0, x1, x2 = x
    return np.array(
        [
            [-np.sin(x0) * np.exp(x1) + 2 * x2**3, np.cos(x0) * np.exp(x1), 6 * x0 * x2**2],
            [np.cos(x0) * np.exp(x1), np.sin(x0) * np.exp(x1), 1.0],
            [6 * x0 * x2**2, 1.0, 6 * x0**2 * x2],
        ]
    )


# Vector field in 2D: v = (x^2 y, sin(y) x, e^{x y}) (m = 3) and a square one w = (x^2 y, sin(y) x).


def vector_v(x):
    return jnp.stack([x[0] ** 2 * x[1], jnp.sin(x[1]) * x[0], jnp.exp(x[0] * x[1])])


def vector_jacobian(x):
    x0, x1 = x
    e = np.exp(x0 * x1)
    return np.array([[2 * x0 * x1, x0**2], [np.sin(x1), x0 * np.cos(x1)], [x1 * e, x0 * e]])


def vector_hessian(x):
    x0, x1 = x
    e = np.exp(x0 * x1)
    return np.array(
        [
            [[2 * x1, 2 * x0], [2 * x0, 0.0]],
            [[0.0, np.cos(x1)], [np.cos(x1), -x0 * np.sin(x1)]],
            [[x1**2 * e, (1 + x0 * x1) * e], [(1 + x0 * x1) * e, x0**2 * e]],
        ]
    )


def square_w(x):
    return vector_v(x)[:2]


X3 = np.array([0.3, -0.7, 1.1])
X2 = np.array([0.4, 0.9])


def field(fn, engine):
    """``fn`` itself: the engine of a test is set for its whole body (the fixture below)."""
    return fn


@pytest.fixture(autouse=True)
def _engine_block(request):
    """Run a test parametrised by ``engine`` inside ``pinn.derivative_engine(engine)``."""
    params = getattr(getattr(request.node, "callspec", None), "params", {})
    engine = params.get("engine")
    if engine is None:
        yield
        return
    with pinn.derivative_engine(engine):
        assert pinn.current_engine() == engine
        yield


def assert_rel(actual, expected, rtol):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    scale = max(np.max(np.abs(expected)), 1e-300)
    err = np.max(np.abs(actual - expected)) / scale
    assert err <= rtol, f"relative error {err:.3e} > {rtol:g}"


# -- float64 against analytic values --------------------------------------------------------

# None: a plain function (jax.hessian). "auto" is "forward" on a CPU; it is checked on
# the vector-field operators, where it could differ.
ENGINE_OR_PLAIN = [None, *(e for e in ENGINES if e != "auto")]


@pytest.mark.parametrize("engine", ENGINE_OR_PLAIN)
def test_first_derivatives(engine):
    with jax.enable_x64(True):
        u = field(scalar_u, engine)
        assert_rel(pinn.grad(u)(jnp.asarray(X3)), scalar_grad(X3), RTOL64)
        assert_rel(pinn.jacobian(u)(jnp.asarray(X3)), scalar_grad(X3), RTOL64)
        v = field(vector_v, engine)
        assert_rel(pinn.jacobian(v)(jnp.asarray(X2)), vector_jacobian(X2), RTOL64)
        assert_rel(pinn.grad(v)(jnp.asarray(X2)), vector_jacobian(X2), RTOL64)


@pytest.mark.parametrize("engine", ENGINE_OR_PLAIN)
def test_hessian_scalar_field(engine):
    with jax.enable_x64(True):
        H = pinn.hessian(field(scalar_u, engine))(jnp.asarray(X3))
        assert_rel(H, scalar_hessian(X3), RTOL64)


@pytest.mark.parametrize("engine", [*ENGINE_OR_PLAIN, "auto"])
def test_hessian_vector_field(engine):
    with jax.enable_x64(True):
        H = pinn.hessian(field(vector_v, engine))(jnp.asarray(X2))
        assert H.shape == (3, 2, 2)
        assert_rel(H, vector_hessian(X2), RTOL64)


@pytest.mark.parametrize("engine", [*ENGINE_OR_PLAIN, "auto"])
def test_laplacian_scalar_and_vector(engine):
    with jax.enable_x64(True):
        lap = pinn.laplacian(field(scalar_u, engine))(jnp.asarray(X3))
        assert lap.shape == ()
        assert_rel(lap, np.trace(scalar_hessian(X3)), RTOL64)
        lap_v = pinn.laplacian(field(vector_v, engine))(jnp.asarray(X2))
        assert lap_v.shape == (3,)
        assert_rel(lap_v, np.trace(vector_hessian(X2), axis1=1, axis2=2), RTOL64)


@pytest.mark.parametrize("engine", ENGINE_OR_PLAIN)
def test_divergence(engine):
    with jax.enable_x64(True):
        div = pinn.divergence(field(square_w, engine))(jnp.asarray(X2))
        J = vector_jacobian(X2)
        assert div.shape == ()
        assert_rel(div, J[0, 0] + J[1, 1], RTOL64)


@pytest.mark.parametrize("engine", ENGINE_OR_PLAIN)
def test_partial_by_index(engine):
    with jax.enable_x64(True):
        u = field(scalar_u, engine)
        x = jnp.asarray(X3)
        g, H = scalar_grad(X3), scalar_hessian(X3)
        for k in range(3):
            assert_rel(pinn.partial(u, k)(x), g[k], RTOL64)
            assert_rel(pinn.partial(u, k - 3)(x), g[k], RTOL64)  # negative index
        assert_rel(pinn.partial(u, 0, 2)(x), H[0, 2], RTOL64)
        assert_rel(pinn.partial(u, 2, 0)(x), H[2, 0], RTOL64)
        assert_rel(pinn.partial(u, -1, -1)(x), H[2, 2], RTOL64)
        # third order: d3u/dx2 dz = 2 * 3 z^2 (from x^2 z^3) ... = 6 z^2
        assert_rel(pinn.partial(u, 0, 0, 2)(x), 6 * X3[2] ** 2, RTOL64)


@pytest.mark.parametrize("engine", ENGINE_OR_PLAIN)
def test_partial_of_vector_field(engine):
    with jax.enable_x64(True):
        v = field(vector_v, engine)
        d = pinn.partial(v, 1, 1)(jnp.asarray(X2))
        assert d.shape == (3,)
        assert_rel(d, vector_hessian(X2)[:, 1, 1], RTOL64)


@pytest.mark.parametrize("engine", ENGINES)
def test_restricted_field_keeps_engine(engine):
    """A field restricted to a plane (the heat problems' spatial Laplacian) differentiates the same."""
    with jax.enable_x64(True):
        u = scalar_u
        z = jnp.asarray(X3[2:])
        in_plane = lambda s: u(jnp.concatenate([s, z]))  # noqa: E731
        lap = pinn.laplacian(in_plane)(jnp.asarray(X3[:2]))
        H = scalar_hessian(X3)
        assert_rel(lap, H[0, 0] + H[1, 1], RTOL64)


@pytest.mark.parametrize("engine", ENGINES)
def test_operators_under_jit_vmap_and_grad(engine):
    """What a training step does: d/dtheta of a mean of Laplacians over vmapped points."""
    with jax.enable_x64(True):
        pts = jnp.asarray(np.random.default_rng(0).uniform(-1, 1, (5, 3)))

        def loss(theta):
            u = lambda x: theta * scalar_u(x) + theta**2 * x[0] * x[1] ** 2  # noqa: E731
            return jnp.mean(jax.vmap(pinn.laplacian(u))(pts))

        theta = 0.7
        value, slope = jax.jit(jax.value_and_grad(loss))(theta)
        lap_u = np.array([np.trace(scalar_hessian(p)) for p in np.asarray(pts)])
        lap_q = 2 * np.asarray(pts)[:, 0]  # Laplacian of x y^2 is 2x
        assert_rel(value, np.mean(theta * lap_u + theta**2 * lap_q), RTOL64)
        assert_rel(slope, np.mean(lap_u + 2 * theta * lap_q), RTOL64)


# -- float32 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINE_OR_PLAIN)
def test_float32(engine):
    x3, x2 = jnp.asarray(X3, jnp.float32), jnp.asarray(X2, jnp.float32)
    H = pinn.hessian(field(scalar_u, engine))(x3)
    assert H.dtype == jnp.float32
    assert_rel(H, scalar_hessian(X3), RTOL32)
    assert_rel(pinn.laplacian(field(scalar_u, engine))(x3), np.trace(scalar_hessian(X3)), RTOL32)
    assert_rel(pinn.hessian(field(vector_v, engine))(x2), vector_hessian(X2), RTOL32)
    assert_rel(pinn.laplacian(field(vector_v, engine))(x2), np.trace(vector_hessian(X2), axis1=1, axis2=2), RTOL32)
    assert_rel(pinn.partial(field(scalar_u, engine), 0, 1)(x3), scalar_hessian(X3)[0, 1], RTOL32)


# -- bad input ---------------------------------------------------------------------------------


def test_divergence_needs_a_square_field():
    with pytest.raises(ValueError, match=r"divergence needs a vector field with as many components as coordinates \(2\); its Jacobian has shape \(3, 2\)"):
        pinn.divergence(vector_v)(jnp.asarray(X2))


def test_divergence_of_a_scalar_field():
    with pytest.raises(ValueError, match=r"divergence needs a vector field .* its Jacobian has shape \(3,\)"):
        pinn.divergence(scalar_u)(jnp.asarray(X3))


def test_unknown_engine_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown derivatives engine 'reverse'; valid engines: hessian, forward, jvp, auto"):
        pinn.derivative_engine("reverse").__enter__()
    with pytest.raises(ValueError, match=r"unknown derivatives engine 'Forward'"):
        operators.check_engine("Forward")


@pytest.mark.parametrize("engine", ENGINE_OR_PLAIN)
def test_taylor_gives_the_value_and_derivatives_along_one_axis(engine):
    with jax.enable_x64(True):
        u = field(scalar_u, engine)
        x = jnp.asarray(X3)
        g, H = scalar_grad(X3), scalar_hessian(X3)
        for k in range(3):
            value, first, second = pinn.taylor(u, k)(x)
            assert_rel(value, scalar_u(x), RTOL64)
            assert_rel(first, g[k], RTOL64)
            assert_rel(second, H[k, k], RTOL64)
        value, first = pinn.taylor(u, -1, order=1)(x)  # negative index: the last coordinate
        assert_rel(first, g[2], RTOL64)
        third = pinn.taylor(u, 2, order=3)(x)[3]
        assert_rel(third, pinn.partial(u, 2, 2, 2)(x), RTOL64)
        assert abs(float(third)) > 1e-3  # nonzero, so the comparison can fail


@pytest.mark.parametrize("engine", ENGINE_OR_PLAIN)
def test_taylor_of_vector_field(engine):
    with jax.enable_x64(True):
        v = field(vector_v, engine)
        value, first, second = pinn.taylor(v, 1)(jnp.asarray(X2))
        assert value.shape == first.shape == second.shape == (3,)
        assert_rel(second, pinn.partial(v, 1, 1)(jnp.asarray(X2)), RTOL64)
        assert_rel(first, pinn.partial(v, 1)(jnp.asarray(X2)), RTOL64)


@pytest.mark.parametrize("order", [0, -1, 1.5, True])
def test_taylor_order_must_be_a_positive_integer(order):
    with pytest.raises(ValueError, match=rf"taylor order must be a positive integer, got {order!r}"):
        pinn.taylor(scalar_u, 0, order=order)


def test_taylor_index_out_of_range():
    with pytest.raises(ValueError, match=r"coordinate index 3 out of range for a point with 3 coordinates"):
        pinn.taylor(scalar_u, 3)(jnp.asarray(X3))


def test_partial_needs_an_index():
    with pytest.raises(ValueError, match=r"partial needs at least one coordinate index, e\.g\. partial\(u, 0\)"):
        pinn.partial(scalar_u)


@pytest.mark.parametrize("index", [3, -4])
def test_partial_index_out_of_range(index):
    with pytest.raises(ValueError, match=rf"coordinate index {index} out of range for a point with 3 coordinates"):
        pinn.partial(scalar_u, 0, index)(jnp.asarray(X3))


def test_engines_table_names_every_engine():
    for engine in ENGINES:
        assert f"``{engine}``" in operators.__doc__
