r"""Linear elasticity in two dimensions: strain, stress, the Navier-Cauchy residual, tractions.

Small strains, isotropic material, in-plane displacement field u = (u_x, u_y)::

    ε = (∇u + ∇uᵀ) / 2
    σ = λ tr(ε) I + 2 μ ε                       (in-plane constitutive law)
    div σ(u) + f = 0   ⇔   μ Δu + (λ + μ) ∇(∇·u) + f = 0      (Navier-Cauchy)
    t = σ n                                      (traction on a boundary with outward normal n)

Plane strain and plane stress share this form; they differ only in the effective
first Lamé parameter (:func:`plane_strain_lame`, :func:`plane_stress_lame`):

* plane strain (ε_zz = 0): λ = Eν / ((1 + ν)(1 − 2ν)), μ = E / (2(1 + ν));
* plane stress (σ_zz = 0): λ* = Eν / (1 − ν²),        μ = E / (2(1 + ν)).

Every function takes a displacement field ``u`` of ONE point (shape (2,) out) as
the trainer hands it to a residual, or any plain function, e.g. a trained model.
Second derivatives come from :func:`pinn.hessian` (``jax.hessian`` or the forward
engine the trainer picked); first derivatives from :func:`pinn.jacobian`.

:data:`LAME` records, for each bundled elasticity problem, how its physical
parameters give the (effective) λ and μ; :func:`stress_of` uses it to turn a
trained field of a bundled problem into stresses::

    lam, mu = lame_of(problem)
    sxx, syy, sxy = stress(model, x, lam, mu)

:func:`stress_fields` gives the same stresses in the form of a spec's ``derived``
quantities (``pinn predict --fields sigma_xx,sigma_yy,sigma_xy``, the stress figure).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import jax
import jax.numpy as jnp

import pinn


def plane_strain_lame(E: float, nu: float) -> tuple[float, float]:
    """(λ, μ) of plane strain from Young's modulus ``E`` and Poisson's ratio ``nu``."""
    return E * nu / ((1 + nu) * (1 - 2 * nu)), E / (2 * (1 + nu))


def plane_stress_lame(E: float, nu: float) -> tuple[float, float]:
    """Effective in-plane (λ*, μ) of plane stress: λ* = Eν/(1 − ν²)."""
    return E * nu / (1 - nu**2), E / (2 * (1 + nu))


def strain_tensor(u: Callable, x: jax.Array) -> jax.Array:
    """ε(x) = (∇u + ∇uᵀ)/2, shape (2, 2)."""
    J = pinn.jacobian(u)(x)  # J[i, j] = du_i/dx_j
    return 0.5 * (J + J.T)


def stress_tensor(u: Callable, x: jax.Array, lam, mu) -> jax.Array:
    """σ(x) = λ tr(ε) I + 2 μ ε, shape (2, 2)."""
    eps = strain_tensor(u, x)
    return lam * jnp.trace(eps) * jnp.eye(2, dtype=eps.dtype) + 2 * mu * eps


def stress(u: Callable, x: jax.Array, lam, mu) -> tuple[jax.Array, jax.Array, jax.Array]:
    """(σ_xx, σ_yy, σ_xy) of the displacement field ``u`` at one point ``x``.

    Works on a trained model as well as on an exact solution; vmap it for many points.
    """
    s = stress_tensor(u, x, lam, mu)
    return s[0, 0], s[1, 1], s[0, 1]


def traction(u: Callable, x: jax.Array, normal: jax.Array, lam, mu) -> jax.Array:
    """t = σ(x) n, shape (2,), for the outward unit normal ``normal``."""
    return stress_tensor(u, x, lam, mu) @ normal


def div_stress(u: Callable, x: jax.Array, lam, mu) -> jax.Array:
    """div σ(u) = μ Δu + (λ + μ) ∇(∇·u), shape (2,), from the Hessian of ``u``."""
    H = pinn.hessian(u)(x)  # H[i, j, k] = d2 u_i / dx_j dx_k, shape (2, 2, 2)
    lap = jnp.trace(H, axis1=1, axis2=2)  # (Δu_x, Δu_y)
    grad_div = jnp.einsum("jji->i", H)  # ∂_i (∂_j u_j)
    return mu * lap + (lam + mu) * grad_div


def navier_cauchy(u: Callable, x: jax.Array, lam, mu, body_force=0.0) -> jax.Array:
    """The equilibrium residual div σ(u) + f at one point (``body_force`` f: (2,) or 0)."""
    return div_stress(u, x, lam, mu) + body_force


def manufactured_body_force(exact: Callable, x: jax.Array, lam, mu) -> jax.Array:
    """f = −div σ(u*) for a manufactured displacement u*, by automatic differentiation."""
    return -div_stress(exact, x, lam, mu)


#: problem name -> function of its parameters giving the effective (λ, μ).
LAME: dict[str, Callable[[Mapping[str, float]], tuple[float, float]]] = {
    "elasticity_plate": lambda p: (p["lam"], p["mu"]),
    "elasticity_beam": lambda p: plane_stress_lame(p["E"], p["nu"]),
    "elasticity_cylinder": lambda p: plane_strain_lame(p["E"], p["nu"]),
}


def lame_of(problem: pinn.Problem) -> tuple[float, float]:
    """(λ, μ) of a bundled elasticity problem, from its name and parameters."""
    if problem.name not in LAME:
        raise ValueError(
            f"problem {problem.name!r} is not a bundled elasticity problem; valid problems: {', '.join(LAME)}"
        )
    return LAME[problem.name](problem.params)


def stress_of(problem: pinn.Problem, u: Callable, points) -> jax.Array:
    """Stresses (σ_xx, σ_yy, σ_xy) of field ``u`` at ``points`` (n, 2): an array (n, 3)."""
    lam, mu = lame_of(problem)
    points = jnp.asarray(points)
    return jax.vmap(lambda x: jnp.stack(stress(u, x, lam, mu)))(points)


#: names of the stress components that :func:`stress_fields` derives, in output order.
STRESS_FIELDS: tuple[str, ...] = ("sigma_xx", "sigma_yy", "sigma_xy")


def stress_fields(lame: Callable[[Mapping[str, float]], tuple[float, float]]) -> dict[str, Callable]:
    """The stresses as derived quantities of a spec (:attr:`ProblemSpec.derived`).

    ``lame(params) -> (λ, μ)`` gives the (effective) Lamé parameters from the problem's
    parameters, e.g. ``LAME["elasticity_beam"]``. Each entry is ``fn(u, x, **params)``
    at one point, the form ``pinn predict --fields`` and the stress figure call::

        {"sigma_xx": σ_xx, "sigma_yy": σ_yy, "sigma_xy": σ_xy}
    """

    def component(index: int, name: str) -> Callable:
        def fn(u, x, **params):
            lam, mu = lame(params)
            return stress(u, x, lam, mu)[index]

        fn.__name__ = fn.__qualname__ = name
        return fn

    return {name: component(i, name) for i, name in enumerate(STRESS_FIELDS)}
