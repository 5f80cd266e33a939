r"""Poisson equation on the L-shaped domain, against a finite-element reference.

.. math::  -\Delta u = 1 \quad \text{on } \Omega = [-1, 1]^2 \setminus (0, 1]^2,
           \qquad u = 0 \text{ on } \partial\Omega.

No closed form: at the re-entrant corner (0, 0) the solution behaves like
:math:`r^{2/3} \sin(2\theta/3)`, its gradient is unbounded. The reference is a P2
finite-element solution (scikit-fem, :mod:`problems.poisson_lshape_reference`).

The domain is built by constructive solid geometry, ``square - quadrant``; the
boundary condition holds exactly through :func:`pinn.hard_dirichlet`
(:math:`u = \phi N`, :math:`\phi` the R-function distance to the six edges), and
extra collocation points ring the corner, where the residual is hardest to meet.
Inputs ``(x, y)``; output field ``u``.
"""

import functools

import numpy as np

import pinn
from problems import poisson_lshape_reference
from problems.registry import ProblemSpec, register


@functools.lru_cache(maxsize=2)
def _reference(level: int) -> tuple[np.ndarray, np.ndarray]:
    # Cached: a pure function of the level that costs a few seconds.
    points, values = poisson_lshape_reference.reference_table(level)
    points.setflags(write=False)
    values.setflags(write=False)
    return points, values


def domain() -> pinn.Domain:
    return pinn.Rectangle((-1.0, -1.0), (1.0, 1.0)) - pinn.Rectangle((0.0, 0.0), (1.0, 1.0))


def corner_points() -> np.ndarray:
    """Rings of points around the re-entrant corner, inside the L (three quarters of each ring)."""
    radii = (0.003, 0.01, 0.03, 0.1)
    angles = np.linspace(0.5 * np.pi, 2.0 * np.pi, 13)[1:-1]
    return np.array([[r * np.cos(t), r * np.sin(t)] for r in radii for t in angles])


def build(source: float = 1.0) -> pinn.Problem:
    lshape = domain()
    points, values = _reference(poisson_lshape_reference.DEFAULT_LEVEL)

    def residual(u, x, source):
        return -pinn.laplacian(u)(x) - source

    return pinn.Problem(
        domain=lshape,
        residual=residual,
        conditions=[pinn.Dirichlet(on=lshape.boundary, value=0.0, name="walls")],
        params={"source": source},
        reference=pinn.Reference(
            points,
            source * values,  # linear in the load
            source=f"P2 finite elements (scikit-fem), mesh size 2^-{poisson_lshape_reference.DEFAULT_LEVEL}",
        ),
        fields=("u",),
        name="poisson_lshape",
        description="-Δu = 1 on the L-shaped domain [-1,1]² minus (0,1]², u = 0 on the boundary",
        output_transform=pinn.hard_dirichlet(lshape, 0.0),
        extra_points=corner_points(),
    )


SPEC = register(
    ProblemSpec(
        name="poisson_lshape",
        build=build,
        summary="-Δu = 1 on the L-shaped domain, u = 0 on ∂Ω (re-entrant corner; FEM reference)",
        target=5e-3,
        model={"hidden": (32, 32, 32), "activation": "tanh", "dtype": "float64"},
        train={
            "steps": 1000,
            "lbfgs_steps": 2000,
            "lr": 1e-2,
            "n_interior": 2000,
            "n_boundary": 64,
            "derivatives": "forward",
        },
    )
)
