"""Sharp edges a new user hit writing their own problems (issue 19), each pinned down.

1. the residual's derivative order is found for every operator (wave, Klein-Gordon,
   u_xy, fourth order), so the ReLU warning fires;
2. a residual returning a tuple or None, or taking (x, u), gets a one-line message;
4. a field defined up to a constant is scored with the means removed;
5. data points: the first bad row is named, and points outside the domain refused;
6. user-supplied collocation points (``extra_points``);
8. the meaning of Robin's alpha and beta is visible.
"""

import warnings

import jax.numpy as jnp
import numpy as np
import pytest

import pinn
from pinn.conditions import __doc__ as CONDITIONS_DOC
from pinn.evaluate import error_report

SQUARE = pinn.Rectangle((0.0, 0.0), (1.0, 1.0))
LINE_TIME = pinn.Interval(0.0, 1.0) * pinn.TimeInterval(0.0, 1.0)
L_SHAPE = pinn.Polygon([(0.0, 0.0), (1.0, 0.0), (1.0, 0.5), (0.5, 0.5), (0.5, 1.0), (0.0, 1.0)])


def poisson(u, x):
    return -pinn.laplacian(u)(x) - 1.0


def _hess(u, x):
    return pinn.hessian(u)(x)


# -- 1. residual order ------------------------------------------------------------------
def wave(u, x):
    H = _hess(u, x)
    return H[1, 1] - H[0, 0]  # u_tt - u_xx: zero on the isotropic quadratic |x|^2 / 2


def klein_gordon(u, x, m):
    H = _hess(u, x)
    return H[1, 1] - H[0, 0] + m**2 * u(x) + u(x) ** 3


def mixed(u, x):
    return _hess(u, x)[0, 1] - 1.0


def monge_ampere(u, x):
    return jnp.linalg.det(_hess(u, x)) - 1.0  # nonlinear: zero on every rank-one Hessian


def biharmonic(u, x):
    return pinn.laplacian(pinn.laplacian(u))(x) - 1.0


def kdv(u, x):
    u_x = pinn.partial(u, 0)
    return pinn.partial(u, 1)(x) + u(x) * u_x(x) + pinn.partial(pinn.partial(u_x, 0), 0)(x)


def burgers_inviscid(u, x):
    return pinn.partial(u, 1)(x) + u(x) * pinn.partial(u, 0)(x)


def wave_system(u, x):
    """u_t = v, v_t = u_xx as two fields (u, v): second order in space."""
    J = pinn.jacobian(u)(x)
    return jnp.stack([J[0, 1] - u(x)[1], J[1, 1] - pinn.hessian(u)(x)[0, 0, 0]])


ORDERS = {
    "wave": (LINE_TIME, wave, {}, ("u",), 2),
    "klein_gordon": (LINE_TIME, klein_gordon, {"m": 1.5}, ("u",), 2),
    "mixed u_xy": (SQUARE, mixed, {}, ("u",), 2),
    "monge_ampere": (SQUARE, monge_ampere, {}, ("u",), 2),
    "wave as a system": (LINE_TIME, wave_system, {}, ("u", "v"), 2),
    "kdv (third)": (LINE_TIME, kdv, {}, ("u",), 3),
    "biharmonic (fourth)": (SQUARE, biharmonic, {}, ("u",), 4),
    "burgers (first)": (LINE_TIME, burgers_inviscid, {}, ("u",), 1),
    "algebraic (zeroth)": (SQUARE, lambda u, x: u(x) ** 2 - x[0], {}, ("u",), 0),
}


@pytest.mark.parametrize("name", ORDERS)
def test_residual_order_is_found_for_every_operator(name):
    domain, residual, params, fields, order = ORDERS[name]
    problem = pinn.Problem(domain, residual, params=params, fields=fields)
    assert problem.residual_order() == order


@pytest.mark.parametrize("name, terms", [("wave", "second-order terms"), ("biharmonic (fourth)", "terms of order 2 to 4")])
def test_relu_warns_on_wave_and_fourth_order_residuals(name, terms):
    domain, residual, params, fields, _ = ORDERS[name]
    problem = pinn.Problem(domain, residual, params=params, fields=fields, name="mine")
    with pytest.warns(pinn.CurvatureWarning, match=rf"'relu' is piecewise linear .* so the {terms} of problem 'mine'"):
        assert pinn.warn_if_curvature_blind(problem, "relu")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not pinn.warn_if_curvature_blind(problem, "tanh")


def test_relu_does_not_warn_on_a_first_order_residual():
    domain, residual, params, fields, _ = ORDERS["burgers (first)"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not pinn.warn_if_curvature_blind(pinn.Problem(domain, residual), "relu")


# -- 2. what the residual returns and how it is called -----------------------------------
def swapped(x, u):
    return -pinn.laplacian(u)(x) - 1.0


@pytest.mark.parametrize(
    "residual, message",
    [
        (lambda u, x: (u(x), pinn.laplacian(u)(x)), r"residual must return one array, .* it returned a tuple of 2 values: stack the equations with jnp.stack"),
        (lambda u, x: [pinn.laplacian(u)(x)], r"it returned a list of 1 value: stack the equations"),
        (lambda u, x: None, r"residual must return one array, .* it returned None: is a return statement missing\?"),
        (swapped, r"residual must take the field first and the point second, residual\(u, x, \*\*params\); .*declared swapped\(x, u\)\): swap its first two arguments"),
    ],
)
def test_residual_of_the_wrong_form_gets_one_line(residual, message):
    with pytest.raises(ValueError, match=message) as err:
        pinn.Problem(SQUARE, residual)
    assert "\n" not in str(err.value)


def test_swapped_residual_with_params_is_recognised():
    def heat(x, u, kappa):
        return pinn.partial(u, 1)(x) - kappa * pinn.hessian(u)(x)[0, 0]

    with pytest.raises(ValueError, match=r"declared heat\(x, u, kappa\)\): swap its first two arguments"):
        pinn.Problem(LINE_TIME, heat, params={"kappa": 0.1})


# -- 4. fields defined up to a constant --------------------------------------------------
def test_up_to_constant_is_validated_and_kept():
    fields = ("u", "v", "p")
    stokes = lambda u, x: pinn.laplacian(u)(x)  # noqa: E731 - shapes only
    problem = pinn.Problem(SQUARE, stokes, fields=fields, up_to_constant="p")
    assert problem.up_to_constant == ("p",)
    assert pinn.Problem(SQUARE, poisson).up_to_constant == ()
    with pytest.raises(ValueError, match=r"up_to_constant must name fields .*; 'q' is not a field; fields: u, v, p"):
        pinn.Problem(SQUARE, stokes, fields=fields, up_to_constant=("p", "q"))


def test_error_report_removes_the_means_of_fields_up_to_a_constant():
    rng = np.random.default_rng(0)
    x = rng.uniform(size=200)
    reference = np.stack([np.sin(3 * x), 2.0 + np.cos(2 * x)], axis=1)  # (u, p); p carries a constant 2
    noise = 1e-3 * np.stack([np.sin(7 * x), np.cos(5 * x)], axis=1)
    prediction = reference + noise + np.array([0.0, 5.0])  # p right but for a constant 5

    raw = error_report(prediction, reference, ("u", "p"))
    report = error_report(prediction, reference, ("u", "p"), up_to_constant=("p",))

    def centred(a):
        return a - a.mean()

    expected_p = np.linalg.norm(centred(prediction[:, 1]) - centred(reference[:, 1])) / np.linalg.norm(centred(reference[:, 1]))
    expected_u = np.linalg.norm(noise[:, 0]) / np.linalg.norm(reference[:, 0])
    diff = np.stack([noise[:, 0], centred(prediction[:, 1]) - centred(reference[:, 1])], 1)
    expected_all = np.linalg.norm(diff) / np.linalg.norm(np.stack([reference[:, 0], centred(reference[:, 1])], 1))
    assert raw["rel_l2_per_field"]["p"] > 1.0  # scored raw, the constant dominates
    np.testing.assert_allclose(report["rel_l2_per_field"]["p"], expected_p, rtol=1e-10)
    assert report["rel_l2_per_field"]["p"] < 2e-3
    np.testing.assert_allclose(report["rel_l2_per_field"]["u"], expected_u, rtol=1e-10)
    np.testing.assert_allclose(report["rel_l2_per_field"]["u"], raw["rel_l2_per_field"]["u"], rtol=1e-12)
    np.testing.assert_allclose(report["rel_l2"], expected_all, rtol=1e-10)
    with pytest.raises(ValueError, match=r"up_to_constant names 'pressure', which is not a field; fields: u, p"):
        error_report(prediction, reference, ("u", "p"), up_to_constant=("pressure",))


# -- 5. data points ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "points, values, message",
    [
        ([[0.1, 0.2], [0.3, np.nan], [0.5, 0.5]], [1.0, 2.0, 3.0], r"data points and values must be finite; data points row 1 is not finite: \[0.3, nan\]"),
        ([[0.1, 0.2], [0.3, 0.4], [0.5, 0.5]], [1.0, 2.0, np.inf], r"data values row 2 is not finite: inf"),
        ([[0.1, 0.2], [0.3, 0.4]], [[1.0, 0.0], [np.nan, 2.0]], r"data values row 1 is not finite: \[nan, 2.0\]"),
    ],
)
def test_data_names_its_first_non_finite_row(points, values, message):
    with pytest.raises(ValueError, match=message):
        pinn.Data(points=points, values=values)


@pytest.mark.parametrize(
    "domain, points, message",
    [
        (SQUARE, [[0.2, 0.2], [1.5, 0.2]], r"condition 'data': data points row 1, \[1.5, 0.2\], lies outside the domain Rectangle"),
        # inside the bounding box, outside the disk: the domain's own geometry decides
        (pinn.Disk((0.0, 0.0), 1.0), [[0.0, 0.0], [0.5, 0.5], [0.9, 0.9]], r"data points row 2, \[0.9, 0.9\], lies outside the domain Disk"),
        (pinn.Annulus((0.0, 0.0), 0.5, 1.0), [[0.7, 0.0], [0.1, 0.1]], r"data points row 1, \[0.1, 0.1\], lies outside the domain Annulus"),
        (L_SHAPE, [[0.25, 0.75], [0.75, 0.75]], r"data points row 1, \[0.75, 0.75\], lies outside the domain Polygon"),
        (LINE_TIME, [[0.5, 0.0], [0.5, 1.2]], r"data points row 1, \[0.5, 1.2\], lies outside the domain SpaceTime"),
    ],
)
def test_data_outside_the_domain_is_refused(domain, points, message):
    data = pinn.Data(points=points, values=np.zeros(len(points)))
    with pytest.raises(ValueError, match=message):
        pinn.Problem(domain, poisson, [data])


def test_data_on_the_boundary_is_accepted():
    # corners, edges and the disk's rim, with rounding of the size a text file leaves
    points = np.array([[0.0, 0.0], [1.0, 0.5], [0.5, 1.0 + 1e-12]])
    problem = pinn.Problem(SQUARE, poisson, [pinn.Data(points=points, values=np.zeros(3))])
    np.testing.assert_array_equal(pinn.sample_batch(problem, 8, 8)["data"]["x"], points)
    rim = np.array([[np.cos(t), np.sin(t)] for t in np.linspace(0, 2 * np.pi, 7)])
    pinn.Problem(pinn.Disk(), poisson, [pinn.Data(points=rim, values=np.zeros(7))])


# -- 6. extra collocation points ------------------------------------------------------------
def corner_rings():
    """The example of the Problem docstring: rings round the L's re-entrant corner."""
    corner = np.array([0.5, 0.5])
    return np.array(
        [corner + r * np.array([np.cos(t), np.sin(t)]) for r in (0.01, 0.03, 0.1) for t in np.linspace(0.5 * np.pi, 2 * np.pi, 12)]
    )


def test_extra_points_join_every_batch_with_a_fixed_shape():
    extra = corner_rings()
    problem = pinn.Problem(L_SHAPE, poisson, [pinn.Dirichlet(on=L_SHAPE.boundary)], extra_points=extra)
    assert problem.extra_points.shape == (36, 2) and not problem.extra_points.flags.writeable
    first = pinn.sample_batch(problem, 50, 16, "sobol", seed=0, round_=0)["pde"]["x"]
    second = pinn.sample_batch(problem, 50, 16, "sobol", seed=0, round_=1)["pde"]["x"]
    assert first.shape == second.shape == (86, 2)
    np.testing.assert_array_equal(first[50:], extra)
    np.testing.assert_array_equal(second[50:], extra)
    assert not np.array_equal(first[:50], second[:50])  # the sampled ones are resampled
    plain = pinn.Problem(L_SHAPE, poisson, [pinn.Dirichlet(on=L_SHAPE.boundary)])
    np.testing.assert_array_equal(pinn.sample_batch(plain, 50, 16, "sobol", seed=0)["pde"]["x"], first[:50])


def test_extra_points_enter_the_residual_loss():
    # u = 0 everywhere: the loss of -lap u - f is mean(f^2) over the batch, f = 1 on the
    # sampled points and f = 10 on the extra ones (on the edge y = 1, which no sampled point reaches).
    def residual(u, x):
        return -pinn.laplacian(u)(x) - jnp.where(x[1] == 1.0, 10.0, 1.0)

    extra = np.array([[0.2, 1.0], [0.3, 1.0]])
    problem = pinn.Problem(SQUARE, residual, extra_points=extra)
    batch = pinn.sample_batch(problem, 30, 4, "sobol", seed=0)
    assert (batch["pde"]["x"][:30, 1] < 1.0).all()
    terms = pinn.make_loss_terms(problem, lambda params, x: 0.0 * x[0])
    loss = float(terms(None, {"pde": {"x": jnp.asarray(batch["pde"]["x"])}})["pde"])
    np.testing.assert_allclose(loss, (30 * 1.0 + 2 * 100.0) / 32, rtol=1e-6)


@pytest.mark.parametrize(
    "extra, message",
    [
        (np.zeros((4, 3)), r"extra_points must have shape \(k, 2\), k >= 1 points of coordinates \('x', 'y'\), got shape \(4, 3\)"),
        (np.zeros(2), r"extra_points must have shape \(k, 2\).*got shape \(2,\)"),
        ("corner", r"extra_points must be an array of shape \(k, 2\), got 'corner'"),
        ([[0.2, 0.2], [0.1, np.nan]], r"extra_points row 1 is not finite: \[0.1, nan\]"),
        ([[0.2, 0.2], [0.25, 0.75], [0.75, 0.75]], r"extra_points row 2, \[0.75, 0.75\], lies outside the domain Polygon"),
    ],
)
def test_bad_extra_points(extra, message):
    with pytest.raises(ValueError, match=message):
        pinn.Problem(L_SHAPE, poisson, extra_points=extra)


# -- 8. Robin's alpha and beta ----------------------------------------------------------------
def test_robin_meaning_is_in_the_conditions_table():
    assert "Robin               alpha u + beta n . grad u - g = 0" in CONDITIONS_DOC
    assert "Robin(alpha=h, beta=k, value=h * T_inf)" in CONDITIONS_DOC


@pytest.mark.parametrize(
    "alpha, beta, shown",
    [(0.0, 0.0, "alpha=0.0, beta=0.0"), ("1", 1.0, "alpha='1', beta=1.0"), (1.0, np.nan, "alpha=1.0, beta=nan"), (True, 1.0, "alpha=True")],
)
def test_bad_robin_coefficients_say_what_they_mean(alpha, beta, shown):
    message = rf"Robin imposes alpha \* u \+ beta \* \(n . grad u\) = value; alpha and beta must be finite numbers, not both 0, got {shown}"
    with pytest.raises(ValueError, match=message):
        pinn.Robin(on=SQUARE.boundary, alpha=alpha, beta=beta)


def test_robin_residual_is_alpha_u_plus_beta_normal_derivative():
    # u = x^2 + y on the right face x = 1: u = 1 + y, du/dn = u_x = 2.
    robin = pinn.Robin(on=SQUARE.boundary, alpha=2.0, beta=3.0, value=lambda x: 2.0 * (1.0 + x[1]) + 6.0)
    data = {"x": jnp.array([1.0, 0.3]), "normal": jnp.array([1.0, 0.0])}
    r = robin.residual(lambda x: x[0] ** 2 + x[1], data)
    np.testing.assert_allclose(float(r), 0.0, atol=1e-6)
