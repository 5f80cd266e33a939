r"""Finite-element reference for :mod:`problems.heat_bracket` (scikit-fem, on the shipped mesh).

.. math::  \Delta u = 0 \ \text{in the bracket}, \quad u = 1 \ \text{on the left bolt hole}, \quad
           u = 0 \ \text{on the arm's top edge}, \quad \partial u / \partial n = 0 \ \text{elsewhere}.

Quadratic (P2) Lagrange triangles on the gmsh mesh ``problems/data/bracket.msh``
(:mod:`problems.data.make_bracket_mesh`), refined uniformly ``refine`` times; the
boundary stays the mesh's polygon, the very domain the network is trained on
(:func:`pinn.read_mesh` of the same file). The table is the solution at the vertices of
the shipped mesh (degrees of freedom of every refinement: no interpolation).
Refinement study (relative L2 at those vertices against the twice-refined solution):
1.0e-4 unrefined, 2.7e-5 refined once (the default), ratio 3.8; so the default is
within ~4e-5 of the limit, 25 times below the problem's target (repeated in
``tests/test_fem_problems.py``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

MESH = Path(__file__).with_name("data") / "bracket.msh"
DEFAULT_REFINE = 1
HOT, COLD = "hole_left", "arm_top"


def solve(refine: int = DEFAULT_REFINE, order: int = 2, mesh_file=MESH):
    """(basis, dof values) of the P2 (or P1) solution on the mesh refined ``refine`` times."""
    import skfem
    from skfem.models.poisson import laplace

    mesh = skfem.MeshTri.load(str(mesh_file))
    for _ in range(refine):
        mesh = mesh.refined()
    basis = skfem.Basis(mesh, skfem.ElementTriP2() if order == 2 else skfem.ElementTriP1())
    A = laplace.assemble(basis)
    hot, cold = basis.get_dofs(HOT).all(), basis.get_dofs(COLD).all()
    u = np.zeros(basis.N)
    u[hot] = 1.0
    fixed = np.concatenate([hot, cold])
    u = skfem.solve(*skfem.condense(A, np.zeros(basis.N), x=u, D=fixed))
    return basis, u


def at_points(basis, u, points: np.ndarray) -> np.ndarray:
    """Solution values at ``points`` that are degrees of freedom of ``basis`` (mesh vertices)."""
    from scipy.spatial import cKDTree

    distance, index = cKDTree(basis.doflocs.T).query(points)
    if distance.max() > 1e-9:
        raise ValueError(f"point {points[int(np.argmax(distance))]} is not a degree of freedom of the refined mesh")
    return u[index]


def reference_table(refine: int = DEFAULT_REFINE, mesh_file=MESH) -> tuple[np.ndarray, np.ndarray]:
    """(points (n, 2), values (n,)): the solution at the vertices of the shipped mesh."""
    import meshio

    points = np.asarray(meshio.read(mesh_file).points, dtype=float)[:, :2]
    basis, u = solve(refine, mesh_file=mesh_file)
    return points, at_points(basis, u, points)
