r"""Steady heat conduction in a bracket read from a gmsh file, against finite elements.

.. math::  \Delta u = 0 \ \text{in the bracket}, \quad u = 1 \ \text{on the left bolt hole}, \quad
           u = 0 \ \text{on the arm's top edge}, \quad \partial u / \partial n = 0 \ \text{elsewhere}.

The bracket (a plate joined with an arm, minus three bolt holes; built by constructive
solid geometry in gmsh, :mod:`problems.data.make_bracket_mesh`) is read with
:func:`pinn.read_mesh` from ``problems/data/bracket.msh``; its gmsh physical groups
(``hole_left``, ``hole_right``, ``arm_hole``, ``arm_top``, ``outer``) are the boundary parts
the conditions name. The reference is a P2 finite-element solution on the same mesh
(:mod:`problems.heat_bracket_reference`).

Both Dirichlet conditions hold exactly: with :math:`\phi_h`, :math:`\phi_c` the distance
functions (:func:`pinn.distance_function`) of the hot hole and the cold edge,

.. math::  u = \frac{\phi_c}{\phi_h + \phi_c} + \frac{\phi_h \phi_c}{\phi_h + \phi_c} N(x),

which is 1 on the hole and 0 on the edge whatever the network :math:`N`; the insulated
edges are a Neumann loss term. Inputs ``(x, y)``; output field ``u`` (temperature).
"""

import functools

import jax
import numpy as np

import pinn
from problems import heat_bracket_reference as ref
from problems.registry import ProblemSpec, register

INSULATED = ("outer", "hole_right", "arm_hole")


@functools.lru_cache(maxsize=1)
def _reference() -> tuple[np.ndarray, np.ndarray]:
    # Cached: a pure function of the shipped mesh that costs about a second.
    points, values = ref.reference_table()
    points.setflags(write=False)
    values.setflags(write=False)
    return points, values


def domain() -> pinn.MeshDomain:
    return pinn.read_mesh(ref.MESH)


def build() -> pinn.Problem:
    bracket = domain()
    hot = bracket.boundary.part(ref.HOT)
    cold = bracket.boundary.part(ref.COLD)
    phi_hot = pinn.distance_function(bracket, hot)
    phi_cold = pinn.distance_function(bracket, cold)

    @jax.jit  # compiled once, also where the problem's checks call it eagerly
    def transform(x, y):
        h, c = phi_hot(x), phi_cold(x)
        return (c + h * c * y) / (h + c)

    def residual(u, x):
        return pinn.laplacian(u)(x)

    points, values = _reference()
    return pinn.Problem(
        domain=bracket,
        residual=residual,
        conditions=[
            pinn.Dirichlet(on=hot, value=1.0, name="hot_hole"),
            pinn.Dirichlet(on=cold, value=0.0, name="cold_edge"),
            pinn.Neumann(on=bracket.boundary.part(*INSULATED), value=0.0, name="insulated"),
        ],
        reference=pinn.Reference(points, values, source="P2 finite elements (scikit-fem) on bracket.msh refined once"),
        fields=("u",),
        name="heat_bracket",
        description="Δu = 0 in a gmsh bracket, u = 1 on a bolt hole, u = 0 on the arm's top, insulated elsewhere",
        output_transform=transform,
    )


SPEC = register(
    ProblemSpec(
        name="heat_bracket",
        build=build,
        summary="Δu = 0 in a bracket read from gmsh (hot bolt hole, cooled arm, insulated rest; FEM reference)",
        target=1e-3,
        model={"hidden": (32, 32, 32), "activation": "tanh", "dtype": "float64"},
        train={
            "steps": 1000,
            "lbfgs_steps": 2000,
            "lr": 1e-2,
            "n_interior": 2000,
            "n_boundary": 512,
            "derivatives": "forward",
        },
    )
)
