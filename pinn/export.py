"""Results out: a trained run's fields (and derived quantities) on a grid or on the
user's mesh, as ``.vtu`` or ``.xdmf`` (through meshio, for ParaView) or ``.csv``.

::

    pinn.export_result(result, "plate.vtu", derived=spec.derived, fields=["sigma_xx"])
    pinn.export_result(result, "plate.xdmf", mesh="plate.msh")       # on the user's mesh

Point data arrays are named after the fields and derived quantities. Without a mesh
the bounding box is cut into a regular grid (lines, quadrilaterals or hexahedra) and
the cells with every vertex in the domain are kept. A time-dependent problem is
written at ``times`` instants: one XDMF time series, one ``.vtu`` per instant
(``name_0000.vtu``, ... which ParaView opens as a series), or CSV rows with a ``t``
column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from pinn import io
from pinn.geometry import SpaceTime

FORMATS: tuple[str, ...] = ("vtu", "xdmf", "csv")
_GRID_CELLS = {1: "line", 2: "quad", 3: "hexahedron"}


def check_format(path: Path, format: str | None) -> str:
    """The format of ``path`` (from ``format`` or its suffix); a ValueError naming the valid ones."""
    suffix = path.suffix.lower().lstrip(".")
    if format is None:
        format = suffix
    if format not in FORMATS:
        raise ValueError(f"unknown export format {format!r}; valid formats: {', '.join(FORMATS)}")
    if suffix != format:
        raise ValueError(f"export file {path} must end in .{format} for format {format!r}, got {path.suffix or 'no suffix'!r}")
    return format


def grid_mesh(domain, resolution: int = 41):
    """Points and cells of a regular grid of the domain's bounding box, keeping the cells
    whose vertices all lie in the domain: ``(points (n, dim), [(cell type, (k, nodes))])``."""
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or resolution < 2:
        raise ValueError(f"grid resolution must be an integer >= 2, got {resolution!r}")
    d = domain.dim
    if d not in _GRID_CELLS:
        raise ValueError(f"a grid export covers 1 to 3 spatial dimensions, got {d}")
    lower, upper = domain.bounds
    axes = [np.linspace(lo, hi, resolution) for lo, hi in zip(lower, upper)]
    points = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, d)
    index = np.arange(len(points)).reshape((resolution,) * d)
    r = resolution - 1
    if d == 1:
        cells = np.column_stack([index[:-1], index[1:]])
    elif d == 2:
        cells = np.stack([index[:-1, :-1], index[1:, :-1], index[1:, 1:], index[:-1, 1:]], -1).reshape(r * r, 4)
    else:
        i = index
        corners = [
            i[:-1, :-1, :-1], i[1:, :-1, :-1], i[1:, 1:, :-1], i[:-1, 1:, :-1],
            i[:-1, :-1, 1:], i[1:, :-1, 1:], i[1:, 1:, 1:], i[:-1, 1:, 1:],
        ]
        cells = np.stack(corners, -1).reshape(r**3, 8)
    scale = float(np.max(upper - lower))
    inside = domain.contains(points, tol=1e-9 * scale)
    cells = cells[inside[cells].all(axis=1)]
    if not len(cells):
        raise ValueError(f"no grid cell of resolution {resolution} lies inside {domain!r}; raise the resolution")
    used = np.unique(cells)
    renumber = np.full(len(points), -1)
    renumber[used] = np.arange(len(used))
    return points[used], [(_GRID_CELLS[d], renumber[cells])]


def _padded(points: np.ndarray) -> np.ndarray:
    """Points with 3 coordinates (VTK's), zeros appended."""
    return np.column_stack([points, np.zeros((len(points), 3 - points.shape[1]))]) if points.shape[1] < 3 else points


def export_result(
    result,
    path,
    *,
    format: str | None = None,
    mesh=None,
    resolution: int = 41,
    derived: Mapping | None = None,
    fields: Sequence[str] | None = None,
    times: int | Sequence[float] = 11,
) -> list[Path]:
    """Write ``result``'s fields, and the derived quantities named in ``fields``, to ``path``.

    Args:
        result: a :class:`pinn.Result` (from :func:`pinn.solve` or :func:`pinn.load_run`).
        path: the file to write; its suffix gives the format unless ``format`` is set.
        format: ``vtu``, ``xdmf`` or ``csv``.
        mesh: a mesh file (any format meshio reads) or a ``meshio.Mesh`` to evaluate on;
            default: a grid of ``resolution`` points per axis clipped to the domain.
        derived: the derived quantities available, name -> ``fn(u, x, **params)``.
        fields: derived quantities to add to the fields (names of ``derived``).
        times: for a time-dependent problem, the number of instants from t0 to t1, or the instants.

    Returns the files written.
    """
    path = Path(path)
    format = check_format(path, format)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"output folder {path.parent} does not exist")
    derived = dict(derived or {})
    columns = io.output_columns(result, derived, fields)
    domain = result.problem.domain
    space = domain.space if isinstance(domain, SpaceTime) else domain
    if mesh is None:
        points, cells = grid_mesh(space, resolution)
    else:
        import meshio

        from pinn.mesh import read_mesh_file

        if not isinstance(mesh, meshio.Mesh):
            mesh = read_mesh_file(mesh)
        points = np.asarray(mesh.points, dtype=float)
        if points.shape[1] < space.dim or (points.shape[1] > space.dim and not np.allclose(points[:, space.dim :], 0.0)):
            raise ValueError(
                f"the mesh has {points.shape[1]} coordinates with non-zero values past the domain's {space.dim}; "
                f"the problem's coordinates are {result.problem.coordinates}"
            )
        points = points[:, : space.dim]
        cells = [(block.type, block.data) for block in mesh.cells]
    if isinstance(domain, SpaceTime):
        if np.isscalar(times):
            if isinstance(times, bool) or int(times) != times or times < 1:
                raise ValueError(f"times must be a positive number of instants or a list of instants, got {times!r}")
            instants = np.linspace(domain.time.t0, domain.time.t1, int(times))
        else:
            instants = np.asarray(times, dtype=float).ravel()
    else:
        instants = [None]
    steps = []
    for t in instants:
        at = points if t is None else np.column_stack([points, np.full(len(points), t)])
        values = io.predict_columns(result, at, columns, derived)
        steps.append((t, at, {name: values[:, k] for k, name in enumerate(columns)}))
    return _write(path, format, points, cells, steps, result.problem.coordinates)


def _write(path, format, points, cells, steps, coordinates) -> list[Path]:
    import meshio

    if format == "csv":
        names = list(coordinates) + list(steps[0][2])
        rows = np.concatenate([np.column_stack([at, *data.values()]) for _, at, data in steps])
        np.savetxt(path, rows, delimiter=",", header=",".join(names), comments="")
        return [path]
    vtk_points = _padded(points)
    if format == "xdmf":
        if steps[0][0] is None:
            meshio.Mesh(vtk_points, cells, point_data=steps[0][2]).write(path)
            return [path, path.with_suffix(".h5")]
        # Inline XML: meshio's time-series writer puts an HDF5 file in the working folder.
        with meshio.xdmf.TimeSeriesWriter(path, data_format="XML") as writer:
            writer.write_points_cells(vtk_points, cells)
            for t, _, data in steps:
                writer.write_data(float(t), point_data=data)
        return [path]
    if steps[0][0] is None:
        meshio.Mesh(vtk_points, cells, point_data=steps[0][2]).write(path)
        return [path]
    written = []
    for k, (t, _, data) in enumerate(steps):
        target = path.with_name(f"{path.stem}_{k:04d}.vtu")
        meshio.Mesh(vtk_points, cells, point_data=data, field_data={"TimeValue": np.array([t])}).write(target)
        written.append(target)
    return written
