"""Writes bracket.msh, the mesh of problems.heat_bracket (run once; needs the gmsh package).

    python problems/data/make_bracket_mesh.py

The bracket is constructive solid geometry in gmsh's OpenCASCADE kernel: a 2 x 1 plate
joined with a 0.4 x 1.8 arm at its right end, minus two bolt holes in the plate and one
in the arm. Boundary curves are put in physical groups by where they lie:

=============  =======================================
group          curves
=============  =======================================
hole_left      circle of radius 0.2 about (0.5, 0.5)
hole_right     circle of radius 0.2 about (1.2, 0.5)
arm_hole       circle of radius 0.1 about (1.8, 1.45)
arm_top        the edge y = 1.8
outer          every other boundary edge
=============  =======================================
"""

import sys
from pathlib import Path

import gmsh

HOLES = {"hole_left": (0.5, 0.5, 0.2), "hole_right": (1.2, 0.5, 0.2), "arm_hole": (1.8, 1.45, 0.1)}
MESH_SIZE = 0.05


def main(path: Path) -> None:
    gmsh.initialize()
    gmsh.option.setNumber("General.Terminal", 0)
    gmsh.model.add("bracket")
    occ = gmsh.model.occ
    plate = occ.addRectangle(0.0, 0.0, 0.0, 2.0, 1.0)
    arm = occ.addRectangle(1.6, 0.0, 0.0, 0.4, 1.8)
    holes = [occ.addDisk(x, y, 0.0, r, r) for x, y, r in HOLES.values()]
    joined, _ = occ.fuse([(2, plate)], [(2, arm)])
    bracket, _ = occ.cut(joined, [(2, h) for h in holes])
    occ.synchronize()
    groups: dict[str, list[int]] = {name: [] for name in (*HOLES, "arm_top", "outer")}
    for _, curve in gmsh.model.getBoundary(bracket, oriented=False):
        x, y, _ = occ.getCenterOfMass(1, curve)
        for name, (cx, cy, r) in HOLES.items():
            if abs(x - cx) < 1e-6 and abs(y - cy) < 1e-6:  # a full circle's centre of mass is its centre
                groups[name].append(curve)
                break
        else:
            groups["arm_top" if abs(y - 1.8) < 1e-9 else "outer"].append(curve)
    for tag, (name, curves) in enumerate(groups.items(), start=1):
        gmsh.model.setPhysicalName(1, gmsh.model.addPhysicalGroup(1, curves, tag), name)
    gmsh.model.setPhysicalName(2, gmsh.model.addPhysicalGroup(2, [t for _, t in bracket], 10), "bracket")
    gmsh.option.setNumber("Mesh.MeshSizeMax", MESH_SIZE)
    gmsh.option.setNumber("Mesh.MshFileVersion", 4.1)
    gmsh.model.mesh.generate(2)
    gmsh.write(str(path))
    gmsh.finalize()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("bracket.msh"))
