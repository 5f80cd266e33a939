"""Gradient-norm weighting: the balancing formula and its validation."""

import jax.numpy as jnp
import pytest

from pinn import weighting


def test_update_balances_gradient_norms():
    w = weighting.init(["pde", "dirichlet"])
    norms = {"pde": jnp.asarray(9.0), "dirichlet": jnp.asarray(1.0)}
    new = weighting.update(w, norms, momentum=0.0)
    # total 10: weights 10/9 and 10/1, so weighted gradient norms are equal.
    assert float(new["pde"]) == pytest.approx(10 / 9)
    assert float(new["dirichlet"]) == pytest.approx(10.0)
    assert float(new["pde"] * norms["pde"]) == pytest.approx(float(new["dirichlet"] * norms["dirichlet"]))
    damped = weighting.update(w, norms, momentum=0.9)
    assert float(damped["dirichlet"]) == pytest.approx(0.9 + 0.1 * 10.0)


def test_term_gradient_norms_match_direct_gradients():
    params = {"a": jnp.array([1.0, 2.0]), "b": jnp.asarray(3.0)}

    def terms(p, batch):
        return {"one": jnp.sum(p["a"] ** 2) * batch, "two": p["b"] * batch}

    norms = weighting.term_gradient_norms(terms, params, 2.0)
    assert float(norms["one"]) == pytest.approx(float(jnp.linalg.norm(4.0 * params["a"])))
    assert float(norms["two"]) == pytest.approx(2.0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(every=0), "weighting interval must be a positive integer, got 0"),
        (dict(momentum=1.0), r"weighting momentum must be in \[0, 1\), got 1.0"),
    ],
)
def test_bad_weighting(kwargs, message):
    with pytest.raises(ValueError, match=message):
        weighting.GradNormWeighting(**kwargs)
