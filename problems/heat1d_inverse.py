r"""Inverse heat problem: the diffusivity κ from noisy measurements of the temperature.

.. math::  u_t = \kappa\, u_{xx}, \qquad x \in [0, 1],\ t \in [0, 1],

with :math:`u(0, t) = u(1, t) = 0` and :math:`u(x, 0) = \sin \pi x` known, and κ
unknown: a :class:`pinn.Parameter` starting at 1.0 (positive, trained as its
logarithm) and learned with the network from 200 measurements of u.

The measurements are synthetic: the exact solution for the true κ = 0.4,
:math:`u = e^{-0.4 \pi^2 t} \sin \pi x`, at 200 points drawn uniformly in the domain
(seed 0), with Gaussian noise of standard deviation ``noise`` times the standard
deviation of the values (1 % by default; :meth:`pinn.Data.synthetic`, seed 1).
``data=`` replaces them with measurements of your own (``pinn.Data``, e.g.
``pinn.Data.from_file``; ``pinn solve heat1d_inverse --data FILE``).

Given κ the conditions fix u completely, so the data see one number: the fit is a
one-parameter regression through the PDE, and 200 points with 1 % noise pin κ to a
few parts in 10^4. A ReLU network cannot learn κ at all: its u_xx is zero, so the
residual u_t − κ u_xx does not depend on κ (``pinn compare heat1d_inverse
--activations relu,tanh``).

Parameters: ``kappa`` the starting value of κ (1.0); ``noise`` the noise level of the
synthetic measurements (0.01). Inputs ``(x, t)``; output field ``u``.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

import pinn
from problems.heat1d import laplacian_in_space
from problems.registry import ProblemSpec, register

TRUE_KAPPA = 0.4
N_DATA = 200
DATA_SEED = 0


def exact(x):
    """The temperature for the true diffusivity at one point (x, t)."""
    return jnp.exp(-TRUE_KAPPA * jnp.pi**2 * x[1]) * jnp.sin(jnp.pi * x[0])


def measurements(noise: float = 0.01, n: int = N_DATA, seed: int = DATA_SEED) -> pinn.Data:
    """``n`` synthetic measurements of u: uniform random points (seed ``seed``), noise ``noise``."""
    points = np.random.default_rng(seed).uniform([0.0, 0.0], [1.0, 1.0], size=(n, 2))
    # Weight 1: heavier data follow the noise. Measured at the defaults: weight 10 gave
    # u 1.2e-3 (κ error 4e-5), weight 1 u 6.4e-4 (κ error 3e-4).
    return pinn.Data.synthetic(points, exact, noise=noise, seed=seed + 1, weight=1.0)


def build(kappa: float = 1.0, noise: float = 0.01, data: pinn.Data | None = None) -> pinn.Problem:
    """The inverse heat problem with κ starting at ``kappa``, measured with ``noise``
    (see the module docstring); ``data`` replaces the synthetic measurements."""
    domain = pinn.Interval(0.0, 1.0) * pinn.TimeInterval(0.0, 1.0)
    if data is None:
        data = measurements(noise)
    elif not isinstance(data, pinn.Data):
        raise ValueError(f"data must be measurements, a pinn.Data (e.g. pinn.Data.from_file(path)), got {data!r}")

    # ``noise`` rides along as a constant parameter so that a saved run records it
    # (config.json keeps the problem's parameters) and rebuilds the same measurements.
    def residual(u, x, kappa, noise):
        return pinn.partial(u, -1)(x) - kappa * laplacian_in_space(u, x)

    return pinn.Problem(
        domain=domain,
        residual=residual,
        conditions=[
            pinn.Dirichlet(on=domain.boundary, value=0.0),
            pinn.Initial(value=lambda x: jnp.sin(jnp.pi * x[0])),
            data,
        ],
        params={"kappa": pinn.Parameter(kappa, positive=True, true_value=TRUE_KAPPA), "noise": noise},
        exact=exact,
        fields=("u",),
        name="heat1d_inverse",
        description=(
            f"u_t = κ u_xx on [0,1] x [0,1], κ unknown (true {TRUE_KAPPA:g}, start {kappa:g}), "
            f"learned from {len(data.points)} measurements of u"
            + ("" if data.noise is None else f" ({100 * data.noise:g}% noise)")
        ),
    )


SPEC = register(
    ProblemSpec(
        name="heat1d_inverse",
        build=build,
        summary="u_t = κ u_xx on [0,1] x [0,1], u = 0 at x = 0, 1, u(x,0) = sin πx; κ unknown (true 0.4)",
        target=1e-3,
        learns={"kappa": 5e-3},
        model={"hidden": (20, 20, 20), "activation": "tanh", "dtype": "float64"},
        train={"steps": 1000, "lbfgs_steps": 2000, "lr": 3e-3, "n_interior": 1000, "n_boundary": 128, "derivatives": "forward"},
    )
)
