r"""elasticity_cylinder by hand: Lamé's thick cylinder under internal pressure (plane strain),
quarter annulus 1 <= r <= 2, 0 <= θ <= π/2, E = 1, ν = 0.3, p = 0.1, no body force.

Output transform :math:`u = (p/E)(x N_1, y N_2)` (the symmetry conditions exact; their
terms read 0). Residuals in units of p: equilibrium times a/p; ``inner_pressure``
(σn + p n)/p at r = 1, ``outer_free`` σn/p at r = 2, ``shear_y0`` and ``shear_x0``
σ_xy/p on the symmetry planes, ``uy_symmetry`` u_y and ``ux_symmetry`` u_x. Unit
weights. Bounding box [0, 2]^2. Network 32-32-32 tanh, float64; Adam 1e-3 over 1000 steps.
"""

from .common import Setup
from .elastic import div_stress, plane_strain_lame, stress_tensor

A, B, E, NU, P = 1.0, 2.0, 1.0, 0.3, 0.1
LAM, MU = plane_strain_lame(E, NU)


def transform(x, y):
    return (P / E) * x * y


def residual(u, x, engine):
    return div_stress(u, x, LAM, MU, engine) * (A / P)


def inner_pressure(u, data, engine):
    n = data["normal"]
    return (stress_tensor(u, data["x"], LAM, MU) @ n + P * n) / P


def outer_free(u, data, engine):
    return stress_tensor(u, data["x"], LAM, MU) @ data["normal"] / P


def uy_symmetry(u, data, engine):
    return u(data["x"])[1]


def ux_symmetry(u, data, engine):
    return u(data["x"])[0]


def shear(u, data, engine):
    return stress_tensor(u, data["x"], LAM, MU)[0, 1] / P


SETUP = Setup(
    name="elasticity_cylinder",
    lower=(0.0, 0.0),
    upper=(B, B),
    out_dim=2,
    hidden=(32, 32, 32),
    activation="tanh",
    residual=residual,
    conditions={
        "inner_pressure": inner_pressure,
        "outer_free": outer_free,
        "uy_symmetry": uy_symmetry,
        "shear_y0": shear,
        "ux_symmetry": ux_symmetry,
        "shear_x0": shear,
    },
    weights={term: 1.0 for term in ("pde", "inner_pressure", "outer_free", "uy_symmetry", "shear_y0", "ux_symmetry", "shear_x0")},
    lr=1e-3,
    adam_steps=1000,
    lbfgs_steps=4000,
    n_interior=1500,
    n_boundary=200,
    transform=transform,
)
