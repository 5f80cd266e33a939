r"""Domains from meshes: triangle (2D) and tetrahedral (3D) meshes, or a closed triangle
surface (3D), read through meshio (gmsh ``.msh``, ``.stl``, ``.vtu``, ``.xdmf``, ...).

::

    domain = pinn.read_mesh("bracket.msh")          # a pinn.MeshDomain
    domain.boundary_labels                           # gmsh physical groups of the boundary
    hot = domain.boundary.part("inner")              # a condition part, like any other

Interior points of a volume mesh are drawn cell by cell in proportion to cell measure
and uniformly inside each simplex, so they are uniform on the domain; a closed
surface is filled by rejection from its bounding box (inside by winding number).
Boundary points are drawn facet by facet in proportion to facet measure, with outward
normals (away from the facet's cell, or away from the inside of a surface).
Boundary facets carry the name of their gmsh physical group; untagged ones are
labelled ``boundary``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
from pathlib import Path

import numpy as np

from pinn.geometry import Domain, _norm, _Piece, _xp

UNTAGGED = "boundary"
_CHUNK = 4096  # points per block when NumPy evaluates point-facet distances


def read_mesh_file(path):
    """The meshio mesh in ``path``, or a one-line error: no such file, or not a mesh."""
    import meshio

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"mesh file {path} not found")
    said = io.StringIO()
    try:
        # meshio prints what each reader it tried said, and exits when none could read the
        # file: keep both for a one-line error.
        with contextlib.redirect_stdout(said), contextlib.redirect_stderr(said):
            mesh = meshio.read(path)
    except (Exception, SystemExit) as err:  # ReadError, KeyError, ValueError, ... or sys.exit
        lines = [line.strip() for line in (str(err) if not isinstance(err, SystemExit) else said.getvalue()).splitlines()]
        lines = [line for line in lines if line]
        reason = lines[-1].removeprefix("Error: ") if lines else type(err).__name__
        raise ValueError(f"{path} is not a mesh that meshio can read: {reason}") from None
    if len(mesh.points) == 0 or not mesh.cells:
        raise ValueError(f"{path} is not a mesh: it has {len(mesh.points)} points and no cells")
    return mesh


def _physical_names(mesh) -> dict[tuple[int, int], str]:
    """(dimension, tag) -> name of the gmsh physical groups."""
    return {(int(dim), int(tag)): name for name, (tag, dim) in ((k, v[:2]) for k, v in mesh.field_data.items())}


def _cells(mesh, kind: str):
    """Cells of one kind and their gmsh physical tags (-1 where none)."""
    blocks, tags = [], []
    physical = mesh.cell_data.get("gmsh:physical")
    for i, block in enumerate(mesh.cells):
        if block.type == kind:
            blocks.append(block.data)
            tags.append(physical[i] if physical is not None else np.full(len(block.data), -1))
    if not blocks:
        return None, None
    return np.concatenate(blocks).astype(int), np.concatenate(tags).astype(int)


def _simplex_measure(vertices: np.ndarray) -> np.ndarray:
    """Measure of simplices given as (k, nodes, dim): lengths, areas or volumes."""
    edges = vertices[:, 1:] - vertices[:, :1]
    n = edges.shape[1]
    gram = np.einsum("kid,kjd->kij", edges, edges)
    return np.sqrt(np.maximum(np.linalg.det(gram), 0.0)) / np.prod(np.arange(1, n + 1))


def _unit_simplex(u: np.ndarray) -> np.ndarray:
    """Barycentric weights, uniform on the simplex, from points of the unit cube [0,1)^k."""
    k = u.shape[1]
    if k == 1:
        return np.column_stack([1 - u[:, 0], u[:, 0]])
    if k == 2:
        a, b = u[:, 0].copy(), u[:, 1].copy()
        flip = a + b > 1
        a[flip], b[flip] = 1 - a[flip], 1 - b[flip]
        return np.column_stack([1 - a - b, a, b])
    # Tetrahedron: fold the cube into it (Rocchini & Cignoni 2000), measure-preserving.
    s, t, v = u[:, 0].copy(), u[:, 1].copy(), u[:, 2].copy()
    fold = s + t > 1
    s[fold], t[fold] = 1 - s[fold], 1 - t[fold]
    a = t + v > 1
    b = ~a & (s + t + v > 1)
    s_a, t_a, v_a = s[a], 1 - v[a], 1 - s[a] - t[a]
    s_b, t_b, v_b = 1 - t[b] - v[b], t[b], s[b] + t[b] + v[b] - 1
    s[a], t[a], v[a] = s_a, t_a, v_a
    s[b], t[b], v[b] = s_b, t_b, v_b
    return np.column_stack([1 - s - t - v, s, t, v])


@dataclasses.dataclass(frozen=True, eq=False)
class MeshDomain(Domain):
    """A domain given by a mesh: ``points`` (n, dim), volume ``cells`` (k, dim + 1)
    simplices or ``None`` for a closed surface, boundary ``facets`` (f, dim) with
    outward ``normals`` (f, dim) and a part index per facet into ``labels``.

    Build one with :func:`read_mesh` (a file) or :meth:`from_meshio`.
    """

    points: np.ndarray
    cells: np.ndarray | None
    facets: np.ndarray
    normals: np.ndarray
    facet_parts: np.ndarray
    labels: tuple[str, ...]
    source: str = ""

    def __repr__(self):
        kind = "surface" if self.cells is None else f"{len(self.cells)} cells"
        return f"MeshDomain({self.source or 'mesh'}: {self.dim}D, {kind}, {len(self.facets)} boundary facets)"

    @property
    def dim(self) -> int:
        return self.points.shape[1]

    @property
    def bounds(self):
        return self.points.min(axis=0), self.points.max(axis=0)

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def from_meshio(cls, mesh, source: str = "") -> "MeshDomain":
        names = _physical_names(mesh)
        tets, _ = _cells(mesh, "tetra")
        tris, tri_tags = _cells(mesh, "triangle")
        lines, line_tags = _cells(mesh, "line")
        points = np.asarray(mesh.points, dtype=float)
        where = f" in {source}" if source else ""
        if tets is not None:
            return cls._volume(points[:, :3], tets, tris, tri_tags, names, 3, source)
        if tris is None:
            kinds = ", ".join(sorted({b.type for b in mesh.cells}))
            raise ValueError(f"no triangle or tetra cells{where} (cells: {kinds}); a mesh domain needs one of those")
        flat = points.shape[1] == 2 or np.allclose(points[:, 2], points[0, 2])
        if flat:
            return cls._volume(points[:, :2], tris, lines, line_tags, names, 2, source)
        return cls._surface(points, tris, tri_tags, names, source)

    @classmethod
    def _volume(cls, points, cells, tagged, tags, names, dim, source):
        # Boundary facets: those of exactly one cell.
        local = [np.delete(np.arange(dim + 1), i) for i in range(dim + 1)]
        faces = np.concatenate([cells[:, idx] for idx in local])
        opposite = np.concatenate([cells[:, i] for i in range(dim + 1)])
        key = np.sort(faces, axis=1)
        _, first, counts = np.unique(key, axis=0, return_index=True, return_counts=True)
        single = first[counts == 1]
        facets, away = faces[single], opposite[single]
        normals = _facet_normals(points, facets)
        inward = np.einsum("fd,fd->f", points[away] - points[facets[:, 0]], normals) > 0
        normals[inward] *= -1
        parts, labels = _label_facets(facets, tagged, tags, names, dim - 1)
        used = _simplex_measure(points[cells]) > 0
        return cls(points, cells[used], facets, normals, parts, labels, source)

    @classmethod
    def _surface(cls, points, triangles, tags, names, source):
        edges = np.sort(np.concatenate([triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [2, 0]]]), axis=1)
        unique, counts = np.unique(edges, axis=0, return_counts=True)
        bad = counts != 2
        if bad.any():
            i, j = unique[np.argmax(bad)]
            raise ValueError(
                f"the surface{' in ' + source if source else ''} is not closed: edge ({i}, {j}) belongs to "
                f"{counts[np.argmax(bad)]} triangle(s), not 2 ({int(bad.sum())} such edges); a domain needs a closed surface"
            )
        triangles = _orient_outward(points, triangles)
        normals = _facet_normals(points, triangles)
        parts, labels = _label_facets(triangles, triangles, tags, names, 2)
        return cls(points, None, triangles, normals, parts, labels, source)

    # -- sampling ---------------------------------------------------------------------------
    @property
    def _unit_dim(self) -> int:
        return self.dim + 1 if self.cells is not None else self.dim

    def _unit_to_interior(self, u):
        if self.cells is None:
            lower, upper = self.bounds
            points = lower + u * (upper - lower)
            return points, self._winding(points) > 0.5
        vertices = self.points[self.cells]
        which = _pick(_simplex_measure(vertices), u[:, 0])
        weights = _unit_simplex(u[:, 1:])
        return np.einsum("nk,nkd->nd", weights, vertices[which]), np.ones(len(u), dtype=bool)

    def _boundary_pieces(self):
        vertices = self.points[self.facets]
        measure = _simplex_measure(vertices)
        pieces = []
        for part, label in enumerate(self.labels):
            mine = np.flatnonzero(self.facet_parts == part)
            if not len(mine):
                continue

            def piece(v, mine=mine):
                which = mine[_pick(measure[mine], v[:, 0])]
                weights = _unit_simplex(v[:, 1:])
                return np.einsum("nk,nkd->nd", weights, vertices[which]), self.normals[which]

            pieces.append(_Piece(float(measure[mine].sum()), self.dim, piece, label))
        return pieces

    # -- signed distance --------------------------------------------------------------------
    def _winding(self, points):
        """Winding number of the boundary around points (1 inside, 0 outside)."""
        xp = _xp(points)
        if self.dim == 2:
            a, b = self.points[self.facets[:, 0]], self.points[self.facets[:, 1]]
            da, db = a - points[..., None, :], b - points[..., None, :]
            cross = da[..., 0] * db[..., 1] - da[..., 1] * db[..., 0]
            dot = (da * db).sum(axis=-1)
            # Outward normals (dy, -dx) mean counter-clockwise facets: angles add to 2 pi inside.
            sign = np.sign(np.einsum("fd,fd->f", np.stack([b[:, 1] - a[:, 1], a[:, 0] - b[:, 0]], -1), self.normals))
            return (sign * xp.arctan2(cross, dot)).sum(axis=-1) / (2 * np.pi)
        a, b, c = (self.points[self.facets[:, k]] - points[..., None, :] for k in range(3))
        la, lb, lc = _norm(xp, a), _norm(xp, b), _norm(xp, c)
        det = (a * xp.cross(b, c)).sum(axis=-1)
        den = la * lb * lc + (a * b).sum(-1) * lc + (b * c).sum(-1) * la + (c * a).sum(-1) * lb
        sign = np.sign(np.einsum("fd,fd->f", np.cross(self.points[self.facets[:, 1]] - self.points[self.facets[:, 0]],
                                                     self.points[self.facets[:, 2]] - self.points[self.facets[:, 0]]), self.normals))
        return xp.abs((sign * 2 * xp.arctan2(det, den)).sum(axis=-1)) / (4 * np.pi)

    def _distance(self, points):
        xp = _xp(points)
        v = self.points[self.facets]
        if self.dim == 2:
            return _segment_distance(xp, points, v[:, 0], v[:, 1]).min(axis=-1)
        return _triangle_distance(xp, points, v[:, 0], v[:, 1], v[:, 2]).min(axis=-1)

    def sdf(self, points):
        xp = _xp(points)
        if xp is np and points.ndim == 2 and len(points) > _CHUNK:
            return np.concatenate([self.sdf(points[i : i + _CHUNK]) for i in range(0, len(points), _CHUNK)])
        dist = self._distance(points)
        return xp.where(self._winding(points) > 0.5, -dist, dist)


def _pick(measures: np.ndarray, u: np.ndarray) -> np.ndarray:
    edges = np.cumsum(measures) / measures.sum()
    return np.minimum(np.searchsorted(edges, u, side="right"), len(measures) - 1)


def _facet_normals(points, facets):
    v = points[facets]
    if facets.shape[1] == 2:
        d = v[:, 1] - v[:, 0]
        n = np.column_stack([d[:, 1], -d[:, 0]])
    else:
        n = np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0])
    return n / np.linalg.norm(n, axis=1, keepdims=True)


def _orient_outward(points, triangles):
    """Triangles of a closed surface re-ordered so every normal (b - a) x (c - a) points out.

    Neighbours are made to run their shared edge in opposite directions (a walk over
    each connected component); then each component is turned so that it encloses a
    positive volume, unless it lies inside an odd number of others (a cavity)."""
    triangles = triangles.copy()
    edge_map: dict[tuple[int, int], list[int]] = {}
    for t, tri in enumerate(triangles):
        for k in range(3):
            edge_map.setdefault(tuple(sorted((tri[k], tri[(k + 1) % 3]))), []).append(t)
    component = np.full(len(triangles), -1)
    n_components = 0
    for seed in range(len(triangles)):
        if component[seed] >= 0:
            continue
        component[seed] = n_components
        stack = [seed]
        while stack:
            t = stack.pop()
            tri = triangles[t]
            for k in range(3):
                i, j = tri[k], tri[(k + 1) % 3]
                for u in edge_map[tuple(sorted((i, j)))]:
                    if u == t or component[u] >= 0:
                        continue
                    other = list(triangles[u])
                    pos = other.index(i)
                    if other[(pos + 1) % 3] == j:  # runs i -> j too: flip it
                        triangles[u] = triangles[u][[0, 2, 1]]
                    component[u] = n_components
                    stack.append(u)
        n_components += 1
    v = points[triangles]
    signed = np.einsum("kd,kd->k", v[:, 0], np.cross(v[:, 1], v[:, 2]))
    for c in range(n_components):
        mine = component == c
        if signed[mine].sum() < 0:
            triangles[mine] = triangles[mine][:, [0, 2, 1]]
    if n_components > 1:
        v = points[triangles]
        for c in range(n_components):
            probe = points[triangles[component == c][0, 0]]
            around = 0
            for o in range(n_components):
                if o != c:
                    a, b, cc = (v[component == o][:, k] - probe for k in range(3))
                    det = np.einsum("kd,kd->k", a, np.cross(b, cc))
                    la, lb, lc = (np.linalg.norm(w, axis=1) for w in (a, b, cc))
                    den = la * lb * lc + np.einsum("kd,kd->k", a, b) * lc + np.einsum("kd,kd->k", b, cc) * la + np.einsum("kd,kd->k", cc, a) * lb
                    around += abs(2 * np.arctan2(det, den).sum()) / (4 * np.pi) > 0.5
            if around % 2 == 1:
                mine = component == c
                triangles[mine] = triangles[mine][:, [0, 2, 1]]
    return triangles


def _label_facets(facets, tagged, tags, names, dim):
    """Part index of every boundary facet from the tagged lower-dimensional cells."""
    lookup = {}
    if tagged is not None:
        for cell, tag in zip(np.sort(tagged, axis=1), tags):
            if tag >= 0:
                lookup[tuple(cell)] = names.get((dim, int(tag)), f"tag{int(tag)}")
    facet_names = [lookup.get(tuple(f), UNTAGGED) for f in np.sort(facets, axis=1)]
    labels = tuple(dict.fromkeys(facet_names))
    index = {label: i for i, label in enumerate(labels)}
    return np.array([index[n] for n in facet_names], dtype=int), labels


def _segment_distance(xp, p, a, b):
    ab = b - a
    ap = p[..., None, :] - a
    s = xp.clip((ap * ab).sum(axis=-1) / (ab * ab).sum(axis=-1), 0.0, 1.0)
    return _norm(xp, ap - s[..., None] * ab)


def _triangle_distance(xp, p, a, b, c):
    """Distance from points to triangles: to the plane where the foot falls inside, else to the edges."""
    n = np.cross(b - a, c - a)
    n = n / np.linalg.norm(n, axis=1, keepdims=True)
    ap = p[..., None, :] - a
    height = (ap * n).sum(axis=-1)
    foot = p[..., None, :] - height[..., None] * n

    def side(u, v):  # foot on the inner side of edge u -> v
        return (xp.cross(v - u, foot - u) * n).sum(axis=-1) >= 0

    inside = side(a, b) & side(b, c) & side(c, a)
    edges = xp.minimum(
        xp.minimum(_segment_distance(xp, p, a, b), _segment_distance(xp, p, b, c)), _segment_distance(xp, p, c, a)
    )
    return xp.where(inside, xp.abs(height), edges)


def read_mesh(path) -> MeshDomain:
    """A :class:`MeshDomain` from a mesh file: triangles (2D) or tetrahedra (3D) with the
    gmsh physical groups of their boundary as part labels, or a closed triangle surface.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a mesh meshio reads, no triangle/tetra cells, or a surface that is not closed.
    """
    return MeshDomain.from_meshio(read_mesh_file(path), source=str(path))


__all__ = ["MeshDomain", "read_mesh", "read_mesh_file"]
