"""The ETDRK4 Allen–Cahn reference: exact linear cases, a manufactured solution, refinement."""

import numpy as np
import pytest

from problems import allen_cahn_reference as acr

EPS = acr.EPS


def test_heat_mode_decays_exactly_without_reaction():
    # With r = 0 and u0 = cos(πx) the solution is exp(−ε π² t) cos(πx): ETDRK4 integrates
    # the linear part exactly, so only rounding is left (measured 9e-16 and 6e-16).
    t_eval = np.linspace(0.0, 1.0, 11)
    for eps in (EPS, 0.05):
        x, t, u = acr.solve_allen_cahn(64, 0.1, t_eval, eps=eps, reaction=0.0, u0=lambda x: np.cos(np.pi * x))
        exact = np.exp(-eps * np.pi**2 * t)[:, None] * np.cos(np.pi * x)
        np.testing.assert_allclose(u, exact, rtol=0, atol=1e-10)
    assert u[-1, 0] == pytest.approx(-np.exp(-0.05 * np.pi**2), abs=1e-12)  # the decay is visible


def _kinked_heat_series(x, t, eps, terms=20_000):
    """1 − x² periodised (a kink at x = ±1) under u_t = ε u_xx, by its Fourier series
    2/3 + Σ 4(−1)^{m+1}/(πm)² e^{−ε π² m² t} cos(mπx); at t >= 1e-3 the terms beyond m = 20000 are below e^{-390}."""
    m = np.arange(1, terms + 1)
    c = 4 * (-1.0) ** (m + 1) / (np.pi * m) ** 2
    return np.array([2 / 3 + (c * np.exp(-eps * (np.pi * m) ** 2 * s)) @ np.cos(np.pi * np.outer(m, x)) for s in t])


def test_kink_treatment_is_exact_for_the_heat_equation():
    # The periodic extension of 1 − x² has a kink at x = ±1, like the benchmark's u0.
    # Carried analytically it costs nothing: 2e-15 on 256 modes against the series;
    # the plain spectral solution is off by 1.6e-3 (and still 4e-4 with 1024 modes).
    t_eval = np.array([1e-3, 1e-2, 0.1, 1.0])
    kwargs = dict(eps=EPS, reaction=0.0, u0=lambda x: 1 - x**2, u0_prime=lambda x: -2 * x)
    x, t, u = acr.solve_allen_cahn(256, 0.05, t_eval, **kwargs)
    exact = _kinked_heat_series(x, t, EPS)
    np.testing.assert_allclose(u, exact, rtol=0, atol=1e-12)
    _, _, plain = acr.solve_allen_cahn(256, 0.05, t_eval, kink=False, **kwargs)
    assert np.abs(plain - exact).max() > 1e-3


def _manufactured(eps=EPS, r=acr.REACTION):
    def exact(x, t):
        return 0.5 * np.sin(np.pi * x + t) + 0.25 * np.cos(2 * np.pi * x) * np.exp(-t)

    def forcing(x, t):
        u = exact(x, t)
        u_t = 0.5 * np.cos(np.pi * x + t) - 0.25 * np.cos(2 * np.pi * x) * np.exp(-t)
        u_xx = -0.5 * np.pi**2 * np.sin(np.pi * x + t) - np.pi**2 * np.cos(2 * np.pi * x) * np.exp(-t)
        return u_t - eps * u_xx - r * (u - u**3)

    return exact, forcing


def test_manufactured_solution_converges_at_fourth_order():
    # u = sin(πx + t)/2 + cos(2πx) e^{−t}/4 with its forcing, full reaction: the error
    # falls 16-fold per halving of dt (measured 9.6e-6, 5.8e-7, 3.6e-8 at dt = 0.025,
    # 0.0125, 0.00625: ratios 16.4 and 16.2).
    exact, forcing = _manufactured()
    t_eval = np.linspace(0.0, 1.0, 5)
    errors = []
    for dt in (0.025, 0.0125, 0.00625):
        x, t, u = acr.solve_allen_cahn(64, dt, t_eval, u0=lambda x: exact(x, 0.0), forcing=forcing)
        errors.append(np.abs(u - exact(x[None], t[:, None])).max())
    assert errors[-1] < 5e-8
    for coarse, fine in zip(errors[:-1], errors[1:]):
        assert 14 < coarse / fine < 19


def test_refinement_changes_the_default_solution_by_under_1e8():
    # Defaults (1024 modes, dt = 2e-3) against (2048, 1e-3) on the 512-point grid, all
    # 201 output times: measured 1.3e-10 at t = 1 and 1.24e-8 at most (t = 0.01, the
    # remaining |y|³ kink at x = ±1); it takes about 3 s.
    x, t, u = acr.solve_allen_cahn(n_points=512)
    x2, t2, u2 = acr.solve_allen_cahn(2 * acr.DEFAULT_MODES, acr.DEFAULT_DT / 2, n_points=512)
    np.testing.assert_array_equal(x, x2)
    diff = np.abs(u - u2)
    assert diff[-1].max() <= 1e-8
    assert diff.max() <= 3e-8
    # u keeps u0 at t = 0, stays in [−1, 1] (the maximum principle) and stays at the
    # stable state −1 at x = ±1, where u0 = −1.
    np.testing.assert_allclose(u[0], acr.initial_value(x), atol=1e-15)
    assert np.abs(u).max() <= 1.0 + 1e-9
    assert u[-1, 0] == pytest.approx(-1.0, abs=1e-4)


def test_plain_spectral_solution_converges_to_the_kink_treatment():
    # Without the kink treatment the error is O(1/N²) near x = ±1 at early times; it
    # must shrink about fourfold per doubling towards the treated solution (measured
    # 4.4e-4, 1.2e-4, 2.9e-5 over t <= 0.05 for 1024, 2048, 4096 modes).
    t_eval = np.linspace(0.0, 0.05, 11)
    _, _, treated = acr.solve_allen_cahn(2048, t_eval=t_eval, n_points=256)
    errors = [
        np.abs(acr.solve_allen_cahn(n, t_eval=t_eval, kink=False, n_points=256)[2] - treated).max()
        for n in (1024, 2048, 4096)
    ]
    assert errors[0] > 1e-4
    for coarse, fine in zip(errors[:-1], errors[1:]):
        assert 3 < coarse / fine < 6


def test_output_grid_and_times():
    x, t, u = acr.solve_allen_cahn(64, 0.01, [0.0, 0.05, 0.05, 0.1], n_points=16)
    np.testing.assert_allclose(x, -1 + 2 * np.arange(16) / 16)
    assert u.shape == (4, 16)
    np.testing.assert_array_equal(u[1], u[2])  # a repeated time repeats the output


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(n_modes=63), "n_modes must be an even integer >= 4, got 63"),
        (dict(n_modes=64, n_points=24), "n_points must be a positive divisor of n_modes = 64, got 24"),
        (dict(dt=0.0), "dt must be a positive finite number, got 0.0"),
        (dict(eps=-1e-4), "eps must be a positive finite number, got -0.0001"),
        (dict(reaction=True), "reaction must be a finite number .*got True"),
        (dict(t_eval=[0.5, 0.2]), "t_eval must be finite, non-negative and non-decreasing"),
        (dict(t_eval=[-0.1]), "t_eval must be finite, non-negative and non-decreasing"),
        (dict(u0=lambda x: x, u0_prime=lambda x: 1.0 + 0 * x), r"u0 must be continuous across x = ±1 .*u0\(-1\) = -1.0"),
        (dict(u0=lambda x: x[:3]), r"u0\(x\) must return one value per grid point \(64\), got shape \(3,\)"),
        (dict(forcing=3.0), "forcing must be a function f"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    kwargs = {"n_modes": 64, "t_eval": [0.01], **kwargs}
    with pytest.raises(ValueError, match=match):
        acr.solve_allen_cahn(**kwargs)
