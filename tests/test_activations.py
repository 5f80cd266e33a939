"""The activation table: numbers computed from the functions, checked against closed forms."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx
from scipy.optimize import brentq
from scipy.stats import norm

import pinn
from pinn.curvature import activation_table, format_activation_table, measured_class, sampled_continuous

SMOOTH = ("tanh", "sin", "swish", "swish_trainable", "gelu", "softplus", "mish")


@pytest.fixture(scope="module")
def table():
    return {row["name"]: row for row in activation_table()}


def test_table_has_every_registered_activation_in_order(table):
    assert tuple(table) == pinn.activation_names()
    keys = {"name", "smoothness", "phi_0", "dphi_0", "max_abs_dphi", "d2phi_continuous", "baseline", "description"}
    for row in table.values():
        assert keys <= set(row)


@pytest.mark.parametrize(
    "name, phi_0, dphi_0",
    [
        ("tanh", 0.0, 1.0),
        ("sin", 0.0, 1.0),
        ("swish", 0.0, 0.5),  # sigma(0) + 0 * sigma'(0)
        ("swish_trainable", 0.0, 0.5),  # beta = 1
        ("gelu", 0.0, 0.5),  # Phi(0) + 0 * phi(0)
        ("softplus", math.log(2.0), 0.5),  # sigmoid(0)
        ("mish", 0.0, math.tanh(math.log(2.0))),  # tanh(softplus(0)) = 3/5
        ("elu", 0.0, 1.0),
        ("hard_swish", 0.0, 0.5),  # (2x + 3)/6 at 0
        ("relu", 0.0, 0.0),  # JAX's convention at the kink
    ],
)
def test_value_and_slope_at_zero(table, name, phi_0, dphi_0):
    assert table[name]["phi_0"] == pytest.approx(phi_0, abs=1e-12)
    assert table[name]["dphi_0"] == pytest.approx(dphi_0, abs=1e-12)


def _sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def test_max_slopes_against_closed_forms(table):
    # Maxima over the sampled range [-10, 10]; grid spacing 1e-4, so smooth maxima are hit to ~1e-8.
    assert table["tanh"]["max_abs_dphi"] == pytest.approx(1.0, rel=1e-9)
    assert table["sin"]["max_abs_dphi"] == pytest.approx(1.0, rel=1e-9)
    assert table["relu"]["max_abs_dphi"] == 1.0
    assert table["elu"]["max_abs_dphi"] == pytest.approx(1.0, rel=1e-9)
    # softplus' = sigmoid increases to 1; on [-10, 10] its maximum is sigmoid(10).
    assert table["softplus"]["max_abs_dphi"] == pytest.approx(_sigmoid(10.0), rel=1e-12)
    # swish' = sigma(x)(1 + x(1 - sigma(x))) peaks where swish'' = 0, i.e. x tanh(x/2) = 2.
    x_star = brentq(lambda x: x * math.tanh(x / 2) - 2.0, 1.0, 4.0, xtol=1e-14)
    s = _sigmoid(x_star)
    assert table["swish"]["max_abs_dphi"] == pytest.approx(s * (1 + x_star * (1 - s)), rel=1e-7)
    assert table["swish"]["max_abs_dphi"] == pytest.approx(1.0998, abs=1e-4)
    # gelu' = Phi(x) + x phi(x) peaks where gelu'' = phi(x)(2 - x^2) = 0, i.e. x = sqrt(2).
    r2 = math.sqrt(2.0)
    assert table["gelu"]["max_abs_dphi"] == pytest.approx(norm.cdf(r2) + r2 * norm.pdf(r2), rel=1e-7)
    # hard-swish' = (2x + 3)/6 on (-3, 3): supremum 3/2 at x -> 3-.
    assert table["hard_swish"]["max_abs_dphi"] == pytest.approx(1.5, abs=1e-4)


def test_second_derivatives_against_closed_forms(table):
    # softplus'' = sigmoid' whose maximum is 1/4 at 0.
    assert table["softplus"]["max_abs_d2phi"] == pytest.approx(0.25, rel=1e-12)
    assert table["softplus"]["d2phi_0"] == pytest.approx(0.25, rel=1e-12)
    # swish''(0) = 2 sigma'(0) = 1/2; gelu''(0) = 2 phi(0) = sqrt(2/pi); tanh''(0) = 0.
    assert table["swish"]["d2phi_0"] == pytest.approx(0.5, rel=1e-12)
    assert table["gelu"]["d2phi_0"] == pytest.approx(math.sqrt(2 / math.pi), rel=1e-12)
    assert table["tanh"]["d2phi_0"] == pytest.approx(0.0, abs=1e-15)
    # |tanh''| = 2 tanh sech^2 peaks at 4 / (3 sqrt 3).
    assert table["tanh"]["max_abs_d2phi"] == pytest.approx(4 / (3 * math.sqrt(3)), rel=1e-7)
    assert table["sin"]["max_abs_d2phi"] == pytest.approx(1.0, rel=1e-9)
    # ReLU is piecewise linear: its second derivative is zero at every sample.
    assert table["relu"]["max_abs_d2phi"] == 0.0
    # hard-swish'' = 1/3 between its kinks.
    assert table["hard_swish"]["max_abs_d2phi"] == pytest.approx(1 / 3, rel=1e-12)


def test_only_relu_is_the_baseline(table):
    assert [n for n, r in table.items() if r["baseline"]] == ["relu"]
    assert table["relu"]["smoothness"] == "C0"
    assert all(table[n]["smoothness"] == "Cinf" for n in SMOOTH)
    assert table["elu"]["smoothness"] == "C1"


@pytest.mark.parametrize("name", pinn.activation_names())
def test_measured_continuity_matches_the_declared_class(table, name):
    row = table[name]
    assert row["dphi_continuous"] == (row["smoothness"] != "C0")
    assert row["d2phi_continuous"] == (row["smoothness"] == "Cinf")
    assert row["measured"] == {"C0": "C0", "C1": "C1", "Cinf": "C2+"}[row["smoothness"]]


@pytest.mark.parametrize("name", pinn.activation_names())
def test_declared_class_matches_measurement(table, name):
    # hard_swish is C0 (its slope jumps at x = +-3), not C1 as often said.
    assert table[name]["measured"] == {"C0": "C0", "C1": "C1", "Cinf": "C2+"}[table[name]["smoothness"]]


def test_kinks_found_by_sampling_are_the_closed_form_ones():
    with jax.enable_x64(True):
        hs = pinn.get_activation("hard_swish")
        dhs = jax.grad(lambda x: hs(x))
        # phi'(3-) = (2*3 + 3)/6 = 3/2, phi'(3+) = 1: the slope jumps by 1/2.
        assert float(dhs(3.0 - 1e-9)) == pytest.approx(1.5, abs=1e-8)
        assert float(dhs(3.0 + 1e-9)) == pytest.approx(1.0, abs=1e-12)
        elu = pinn.get_activation("elu")
        d2elu = jax.grad(jax.grad(lambda x: elu(x)))
        # phi''(0-) = e^0 = 1, phi''(0+) = 0.
        assert float(d2elu(-1e-9)) == pytest.approx(1.0, abs=1e-8)
        assert float(d2elu(1e-9)) == 0.0
    assert not sampled_continuous(dhs)
    assert not sampled_continuous(d2elu)
    assert sampled_continuous(jax.grad(lambda x: elu(x)))
    assert sampled_continuous(jnp.abs) and not sampled_continuous(jnp.sign)
    assert measured_class(True, True) == "C2+" and measured_class(True, False) == "C1" and measured_class(False, False) == "C0"


def test_activation_properties_match_closed_forms():
    from scipy.optimize import minimize_scalar
    from scipy.special import expit

    # swish' = s(x) (1 + x (1 - s(x))), s the logistic function; its maximum is near x = 2.4.
    dswish = lambda x: expit(x) * (1 + x * (1 - expit(x)))  # noqa: E731
    swish_max = -minimize_scalar(lambda x: -dswish(x), bounds=(0.0, 5.0), method="bounded", options={"xatol": 1e-10}).fun
    expected = {"swish": (0.0, 0.5, swish_max), "elu": (0.0, 1.0, 1.0)}
    for name, (phi_0, dphi_0, max_abs_dphi) in expected.items():
        props = pinn.activation_properties(name)
        assert props["phi_0"] == pytest.approx(phi_0, abs=1e-12)
        assert props["dphi_0"] == pytest.approx(dphi_0, rel=1e-12)
        assert props["max_abs_dphi"] == pytest.approx(max_abs_dphi, rel=1e-6, abs=1e-7)
    assert pinn.activation_properties("elu")["d2phi_continuous"] is False
    assert pinn.activation_properties("swish")["d2phi_continuous"] is True


def test_lookup_by_name_alias_and_unknown_name():
    assert pinn.get_activation("silu").name == "swish"
    assert activation_table(["silu"])[0]["name"] == "swish"
    with pytest.raises(ValueError, match=r"unknown activation 'bogus'; valid activations: tanh, sin, swish, .*relu"):
        activation_table(["bogus"])


def test_format_activation_table_aligns_columns(table):
    rows = [table["relu"], table["swish"], table["softplus"]]
    text = format_activation_table(rows)
    lines = text.splitlines()
    assert len(lines) == 2 + len(rows)
    assert lines[0].split()[:4] == ["activation", "class", "φ(0)", "φ'(0)"]
    # Every column starts at the same offset on every line.
    starts = [i for i, ch in enumerate(lines[1]) if ch == "-" and (i == 0 or lines[1][i - 1] == " ")]
    for line in lines[2:]:
        for s in starts[1:]:
            assert line[s - 2 : s] == "  " or line[s - 1] == " "
    swish = next(line for line in lines if line.startswith("swish"))
    assert swish.split()[1:5] == ["Cinf", "0", "0.5", "1.1"]
    assert "0.6931" in next(line for line in lines if line.startswith("softplus"))
    assert next(line for line in lines if line.startswith("relu")).split()[-1] == "baseline"


def test_trainable_swish_betas_are_parameters_with_gradients():
    x = jnp.array([0.3, -0.7])
    model = pinn.MLP(2, 1, (8, 8), "swish_trainable", key=3)
    plain = pinn.MLP(2, 1, (8, 8), "swish", key=3)
    # beta starts at 1: the same network as plain swish.
    assert float(model(x)) == pytest.approx(float(plain(x)), rel=1e-6)
    apply, params = pinn.pure_apply(model)
    assert "betas" in params and params["betas"].shape == (2,)
    grads = jax.grad(lambda p: apply(p, x))(params)
    g = np.asarray(grads["betas"])
    assert g.shape == (2,) and np.all(np.abs(g) > 0)
    # The gradient is the real one: compare with a central difference in beta_0.
    h = 1e-3

    def shifted(delta):
        p = jax.tree.map(lambda v: v, params)
        p["betas"] = nnx.Param(params["betas"][...] + jnp.array([delta, 0.0]))
        return float(apply(p, x))

    assert g[0] == pytest.approx((shifted(h) - shifted(-h)) / (2 * h), rel=1e-2)
