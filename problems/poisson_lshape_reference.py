r"""Finite-element reference for :mod:`problems.poisson_lshape` (scikit-fem).

.. math::  -\Delta u = f \ \text{on}\ \Omega = [-1, 1]^2 \setminus (0, 1]^2, \qquad u = 0 \ \text{on}\ \partial\Omega.

Quadratic (P2) Lagrange triangles on the L-shaped mesh of scikit-fem refined
uniformly ``level`` times (mesh size :math:`h = 2^{-\text{level}}`). The re-entrant corner
makes :math:`u \sim r^{2/3} \sin(2\theta/3)` there, so the L2 error falls like
:math:`h^{4/3}` (not :math:`h^3`): measured at the points of the 1/16 grid, successive
levels differ by 1.2e-3, 4.2e-4, 1.2e-4 (levels 4, 5, 6 against 7), so the default
level 6 is within ~1.6e-4 of the limit, thirty times below the problem's target.
``tests/test_fem_problems.py`` repeats the refinement study and checks the solver on
the exact solution :math:`\sin \pi x \sin \pi y` (zero on every edge of the L).

The table is the solution at the mesh vertices, the points of the grid of spacing
:math:`h` inside the L (12,545 points at level 6): P2 values there are degrees of
freedom, so no interpolation enters the reference.
"""

from __future__ import annotations

import numpy as np

DEFAULT_LEVEL = 6


def lshape_mesh(level: int):
    """scikit-fem's L-shaped triangle mesh ([-1, 1]^2 without the upper-right quadrant), refined."""
    import skfem

    return skfem.MeshTri.init_lshaped().refined(level)


def solve(level: int, source=None, order: int = 2):
    """P2 (or P1) solution of -Δu = source, u = 0 on the boundary: (basis, dof values).

    ``source(x, y)`` takes coordinate arrays; ``None`` is the unit load f = 1."""
    import skfem
    from skfem.models.poisson import laplace

    mesh = lshape_mesh(level)
    basis = skfem.Basis(mesh, skfem.ElementTriP2() if order == 2 else skfem.ElementTriP1())

    @skfem.LinearForm
    def load(v, w):
        f = 1.0 if source is None else source(w.x[0], w.x[1])
        return f * v

    A = laplace.assemble(basis)
    b = load.assemble(basis)
    u = skfem.solve(*skfem.condense(A, b, D=basis.get_dofs()))
    return basis, u


def on_grid(basis, u, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """Points of the grid of ``spacing`` among the degrees of freedom, and the values there
    (sorted by x, then y)."""
    locations = basis.doflocs.T
    scaled = locations / spacing
    on = np.all(np.abs(scaled - np.round(scaled)) < 1e-9, axis=1)
    points, values = locations[on], u[on]
    order = np.lexsort((points[:, 1], points[:, 0]))
    return points[order], values[order]


def reference_table(level: int = DEFAULT_LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """(points (n, 2), values (n,)) of the f = 1 solution at the mesh vertices of ``level``."""
    basis, u = solve(level)
    return on_grid(basis, u, 2.0**-level)
