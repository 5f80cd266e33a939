r"""A square plate with a circular hole under uniaxial tension (plane stress): Kirsch.

A quarter of the plate, by symmetry: :math:`[0, L]^2` minus the disk of radius
:math:`a` about the origin (constructive solid geometry, ``plate - hole``), with
:math:`\operatorname{div}\sigma(u) = 0` and

==============  ==============================================  ==========================
term            equation                                        where
==============  ==============================================  ==========================
(exact)         u_x = 0                                         x = 0 (symmetry)
(exact)         u_y = 0                                         y = 0 (symmetry)
``shear_free``  σ_xy = 0                                        x = 0 and y = 0
``far_field``   σ n = σ_Kirsch n                                x = L and y = L
``hole_free``   σ n = 0                                         the hole
==============  ==============================================  ==========================

The outer edges carry the exact Kirsch tractions, so the Kirsch solution of the
infinite plate (remote stress :math:`\sigma_\infty` along x) is exact on this finite
plate. With :math:`\kappa = (3 - \nu)/(1 + \nu)` (plane stress) and :math:`\mu = E / (2(1 + \nu))`,

.. math::
    u_r = \frac{\sigma_\infty}{4\mu}\Big[\frac{r(\kappa - 1)}{2} + \frac{a^2}{r}
          + \Big(r + \frac{a^2}{r}(\kappa + 1) - \frac{a^4}{r^3}\Big)\cos 2\theta\Big], \qquad
    u_\theta = -\frac{\sigma_\infty}{4\mu}\Big(r + \frac{a^2}{r}(\kappa - 1) + \frac{a^4}{r^3}\Big)\sin 2\theta,

whose stresses are Kirsch's: :math:`\sigma_{\theta\theta} = 3\sigma_\infty` at the top of the
hole :math:`(0, a)`, the stress concentration factor 3 (reported by ``spec.solve`` as
``result.metrics["quantities"]["stress_concentration"]``, target within 1 %). The symmetry conditions hold
exactly (:func:`pinn.hard_dirichlet` on each displacement component).
Parameters: ``E`` = 1, ``nu`` = 0.3, ``sigma`` = 1, ``a`` = 0.2, ``L`` = 1.
Inputs ``(x, y)``; fields ``(u_x, u_y)``; derived stresses ``sigma_xx``, ``sigma_yy``, ``sigma_xy``.
"""

import jax
import jax.numpy as jnp
import numpy as np

import pinn
from problems import elasticity
from problems.registry import ProblemSpec, Quantity, register


def kirsch_displacement(x, E, nu, sigma, a):
    """(u_x, u_y) of the Kirsch solution (plane stress) at one point."""
    mu = E / (2 * (1 + nu))
    kappa = (3 - nu) / (1 + nu)
    r = jnp.hypot(x[0], x[1])
    theta = jnp.arctan2(x[1], x[0])
    ur = sigma / (4 * mu) * (r * (kappa - 1) / 2 + a**2 / r + (r + a**2 / r * (kappa + 1) - a**4 / r**3) * jnp.cos(2 * theta))
    ut = -sigma / (4 * mu) * (r + a**2 / r * (kappa - 1) + a**4 / r**3) * jnp.sin(2 * theta)
    return jnp.stack([ur * jnp.cos(theta) - ut * jnp.sin(theta), ur * jnp.sin(theta) + ut * jnp.cos(theta)])


def kirsch_stress(x, sigma, a):
    """(σ_xx, σ_yy, σ_xy) of the Kirsch solution at one point."""
    r = jnp.hypot(x[0], x[1])
    theta = jnp.arctan2(x[1], x[0])
    q = a**2 / r**2
    srr = sigma / 2 * (1 - q) + sigma / 2 * (1 - 4 * q + 3 * q**2) * jnp.cos(2 * theta)
    stt = sigma / 2 * (1 + q) - sigma / 2 * (1 + 3 * q**2) * jnp.cos(2 * theta)
    srt = -sigma / 2 * (1 + 2 * q - 3 * q**2) * jnp.sin(2 * theta)
    c, s = jnp.cos(theta), jnp.sin(theta)
    return jnp.stack([
        srr * c * c + stt * s * s - 2 * srt * s * c,
        srr * s * s + stt * c * c + 2 * srt * s * c,
        (srr - stt) * s * c + srt * (c * c - s * s),
    ])


def geometry(a: float = 0.2, L: float = 1.0):
    """(domain, plate, hole) of the quarter plate."""
    plate = pinn.Rectangle((0.0, 0.0), (L, L))
    hole = pinn.Disk((0.0, 0.0), a)
    return plate - hole, plate, hole


def build(E: float = 1.0, nu: float = 0.3, sigma: float = 1.0, a: float = 0.2, L: float = 1.0) -> pinn.Problem:
    domain, plate, hole = geometry(a, L)
    lam, mu = elasticity.plane_stress_lame(E, nu)
    edges = domain.boundary

    def residual(u, x, E, nu, sigma, a, L):
        return elasticity.navier_cauchy(u, x, lam, mu)

    def shear_free(u, x, normal):
        return elasticity.stress(u, x, lam, mu)[2]

    def far_field(u, x, normal):
        s = kirsch_stress(x, sigma, a)
        exact = jnp.stack([s[0] * normal[0] + s[2] * normal[1], s[2] * normal[0] + s[1] * normal[1]])
        return elasticity.traction(u, x, normal, lam, mu) - exact

    def hole_free(u, x, normal):
        return elasticity.traction(u, x, normal, lam, mu)

    fix_x = pinn.hard_dirichlet(domain, 0.0, on=edges.part("x_min"), component=0)
    fix_y = pinn.hard_dirichlet(domain, 0.0, on=edges.part("y_min"), component=1)

    @jax.jit  # compiled once, also where the problem's checks call it eagerly
    def symmetric(x, y):
        return fix_y(x, fix_x(x, y))

    return pinn.Problem(
        domain=domain,
        residual=residual,
        conditions=[
            pinn.Dirichlet(on=edges.part("x_min"), value=0.0, component=0, name="ux_symmetry"),
            pinn.Dirichlet(on=edges.part("y_min"), value=0.0, component=1, name="uy_symmetry"),
            pinn.BoundaryResidual(on=edges.part("x_min", "y_min"), fn=shear_free, name="shear_free"),
            pinn.BoundaryResidual(on=edges.part("x_max", "y_max"), fn=far_field, name="far_field"),
            pinn.BoundaryResidual(on=edges.of(hole), fn=hole_free, name="hole_free"),
        ],
        params={"E": E, "nu": nu, "sigma": sigma, "a": a, "L": L},
        exact=lambda x: kirsch_displacement(x, E, nu, sigma, a),
        fields=("u_x", "u_y"),
        name="elasticity_hole",
        description="plane-stress plate with a circular hole under uniaxial tension (Kirsch), quarter by symmetry",
        output_transform=symmetric,
    )


def lame(params):
    return elasticity.plane_stress_lame(params.get("E", 1.0), params.get("nu", 0.3))


DERIVED = elasticity.stress_fields(lame)


def scf_point(a: float) -> tuple[float, float]:
    """Where the stress concentration is read: the top of the hole (0, a), moved into the
    plate by 1e-6 a. On the symmetry line x = 0 itself the hard constraint's distance
    function has a kink, and its derivative there is not the one-sided limit
    (:mod:`pinn.adf`): σ_xx would miss ∂u_x/∂x. The move changes Kirsch's σ_xx by
    O(1e-12) (σ_xx is even in x)."""
    return (1e-6 * a, a)


def stress_concentration_of(u, params) -> float:
    """σ_xx at the top of the hole (:func:`scf_point`) over the remote stress σ, for a
    displacement ``u(x)`` at one point (3 for the Kirsch solution)."""
    x = jnp.array(scf_point(params["a"]), dtype=jnp.result_type(float))
    return float(DERIVED["sigma_xx"](u, x, **params) / params["sigma"])


def stress_concentration(result) -> float:
    """The stress concentration factor of a trained result: σ_xx at the top of the hole
    (:func:`scf_point`) over σ (3 for Kirsch)."""
    from pinn import io

    params = result.problem.param_values(result.learned)
    point = np.array([scf_point(params["a"])])
    return float(io.predict_columns(result, point, ["sigma_xx"], DERIVED)[0, 0] / params["sigma"])


SPEC = register(
    ProblemSpec(
        name="elasticity_hole",
        build=build,
        summary="plate with a hole in tension, plane stress (Kirsch; stress concentration 3)",
        target=1e-3,
        derived=DERIVED,
        quantities={
            "stress_concentration": Quantity(
                stress_concentration, exact=3.0, rtol=0.01, description="sigma_xx at the top of the hole (0, a) over sigma"
            )
        },
        model={"hidden": (20, 20, 20), "activation": "tanh", "dtype": "float64"},
        # Measured: 1000 Adam + 3000 L-BFGS steps (32x3 network, 2000 points): rel L2 0.133,
        # still falling slowly (532 CPU s, load ~11). Levenberg-Marquardt after Adam (20x3,
        # 1000 points, these defaults): 0.72 after the 500 Adam steps, then 6.7e-2 and 3.3e-2
        # after 100 and 200 LM steps (485 CPU s). The target 1e-3 is NOT met yet; Adam 300 +
        # LM 700 ran over 14 CPU minutes and was stopped unfinished.
        train={
            "phases": "adam:500,lm:200",
            "lr": 1e-2,
            "n_interior": 1000,
            "n_boundary": 256,
            "derivatives": "forward",
        },
    )
)
