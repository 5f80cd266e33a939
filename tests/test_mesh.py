"""Domains from meshes (pinn.read_mesh): gmsh files with physical groups, tetrahedra, closed surfaces."""

import math

import meshio
import numpy as np
import pytest
import skfem

import pinn


def within_binomial(count, n, p, sigmas=5.0):
    return abs(count - n * p) <= sigmas * math.sqrt(n * p * (1 - p))


def write_tagged_rectangle(path):
    """[0, 2] x [0, 1] in triangles, gmsh 2.2 format; the edge x = 0 is the physical group
    'inlet', the rest of the boundary 'wall'."""
    mesh = skfem.MeshTri.init_tensor(np.linspace(0, 2, 9), np.linspace(0, 1, 5))
    lines = mesh.facets[:, mesh.boundary_facets()].T
    inlet = np.all(np.isclose(mesh.p[0, lines], 0.0), axis=1)
    line_tags = np.where(inlet, 1, 2)
    tri_tags = np.full(mesh.t.shape[1], 3)
    meshio.Mesh(
        np.column_stack([mesh.p.T, np.zeros(mesh.p.shape[1])]),
        [("line", lines), ("triangle", mesh.t.T)],
        cell_data={"gmsh:physical": [line_tags, tri_tags], "gmsh:geometrical": [line_tags, tri_tags]},
        field_data={"inlet": np.array([1, 1]), "wall": np.array([2, 1]), "plate": np.array([3, 2])},
    ).write(path, file_format="gmsh22", binary=False)


def cube_surface(size=(1.0, 2.0, 1.0)):
    box = skfem.MeshTet.init_tensor(*(np.linspace(0, s, 3) for s in size))
    return box, box.p.T, box.facets[:, box.boundary_facets()].T


def test_gmsh_physical_groups_are_boundary_parts(tmp_path):
    write_tagged_rectangle(tmp_path / "plate.msh")
    domain = pinn.read_mesh(tmp_path / "plate.msh")
    assert domain.dim == 2 and set(domain.boundary_labels) == {"inlet", "wall"}
    x, n = domain.boundary.part("inlet").sample(200)
    assert np.all(x[:, 0] == 0.0) and np.all(n == [-1.0, 0.0])
    x, n, labels = domain.boundary.sample_labelled(6000, "uniform", seed=1)
    assert within_binomial((labels == "inlet").sum(), 6000, 1 / 6)  # length 1 of a perimeter of 6
    np.testing.assert_allclose(np.abs(domain.sdf(x)), 0.0, atol=1e-12)
    assert np.all(domain.sdf(x + 1e-4 * n) > 0)
    np.testing.assert_allclose(np.linalg.norm(n, axis=1), 1.0)
    # A condition takes the tagged part like any other.
    problem = pinn.Problem(domain, lambda u, x: pinn.laplacian(u)(x), [pinn.Dirichlet(on=domain.boundary.part("inlet"))])
    assert problem.named_conditions


def test_mesh_interior_is_uniform(tmp_path):
    write_tagged_rectangle(tmp_path / "plate.msh")
    domain = pinn.read_mesh(tmp_path / "plate.msh")
    x = domain.sample_interior(20000, "uniform", seed=2)
    assert np.all(domain.sdf(x) <= 1e-12)
    for lower, upper, p in (((0, 0), (0.5, 1), 0.25), ((1.3, 0.2), (1.9, 0.7), 0.15)):
        inside = np.all((x >= lower) & (x <= upper), axis=1)
        assert within_binomial(inside.sum(), 20000, p)
    box, points, _ = cube_surface()
    tets = pinn.MeshDomain.from_meshio(meshio.Mesh(points, [("tetra", box.t.T)]))
    x = tets.sample_interior(20000, "uniform", seed=3)
    assert within_binomial((x[:, 1] < 0.5).sum(), 20000, 0.25)
    assert within_binomial((x[:, 0] + x[:, 2] < 0.5).sum(), 20000, 0.125)  # a prism of 1/8 of the volume


def test_closed_surface_domain(tmp_path):
    _, points, triangles = cube_surface()
    meshio.Mesh(points, [("triangle", triangles)]).write(tmp_path / "box.stl", binary=True)
    domain = pinn.read_mesh(tmp_path / "box.stl")
    assert domain.dim == 3 and domain.cells is None
    x = domain.sample_interior(4000, "uniform", seed=4)
    assert np.all((x >= 0) & (x <= [1, 2, 1]))
    assert within_binomial((x[:, 1] < 1.0).sum(), 4000, 0.5)
    xb, nb = domain.sample_boundary(2000, seed=5)
    np.testing.assert_allclose(np.abs(domain.sdf(xb)), 0.0, atol=1e-12)
    assert np.all(domain.sdf(xb + 1e-4 * nb) > 0) and np.mean(domain.sdf(xb - 1e-4 * nb) < 0) > 0.99
    # Signed distances: exact for the box.
    probe = np.array([[0.5, 1.0, 0.5], [0.5, 1.0, 1.3], [2.0, 3.0, 0.5], [0.1, 0.5, 0.5]])
    np.testing.assert_allclose(domain.sdf(probe), [-0.5, 0.3, math.hypot(1.0, 1.0), -0.1], atol=1e-12)


def test_mesh_domains_combine(tmp_path):
    write_tagged_rectangle(tmp_path / "plate.msh")
    plate = pinn.read_mesh(tmp_path / "plate.msh")
    hole = pinn.Disk((1.0, 0.5), 0.25)
    domain = plate - hole
    x, n, labels = domain.boundary.sample_labelled(2000, "sobol", seed=6)
    assert set(labels) == {"inlet", "wall", "circle"}
    np.testing.assert_allclose(np.abs(domain.sdf(x)), 0.0, atol=1e-12)
    inside = domain.sample_interior(1000, seed=7)
    assert np.all(np.linalg.norm(inside - [1.0, 0.5], axis=1) >= 0.25)


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda d: d / "nowhere.msh", r"mesh file .*nowhere.msh not found"),
        (lambda d: (d / "junk.msh").write_text("$MeshFormat\nnonsense\n") and d / "junk.msh", r"junk.msh is not a mesh that meshio can read"),
        (lambda d: (d / "notes.txt").write_text("hello") and d / "notes.txt", r"notes.txt is not a mesh that meshio can read"),
        (
            lambda d: meshio.Mesh(cube_surface()[1], [("triangle", cube_surface()[2][:-1])]).write(d / "open.stl", binary=True) or d / "open.stl",
            r"the surface in .*open.stl is not closed: edge \(\d+, \d+\) belongs to 1 triangle\(s\), not 2",
        ),
        (
            lambda d: meshio.Mesh(np.random.rand(4, 3), [("line", np.array([[0, 1], [2, 3]]))]).write(d / "lines.vtu") or d / "lines.vtu",
            r"no triangle or tetra cells in .*lines.vtu \(cells: line\)",
        ),
    ],
)
def test_bad_mesh_files(tmp_path, setup, message):
    path = setup(tmp_path)
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        pinn.read_mesh(path)
