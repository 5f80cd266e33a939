"""Bundled PDE problems, solvable by name: ``problems.get("heat1d").solve()``.

Each module builds a :class:`pinn.Problem` and registers a :class:`ProblemSpec` with
its default network and budget. Importing this package registers them all, in the
order below (the order of ``problems.names()``).
"""

import importlib
import importlib.util

from problems.registry import ProblemSpec, build, get, names, register

BUNDLED = (
    "poisson2d",
    "heat1d",
    "heat_disk",
    "heat3d",
    "elasticity_plate",
    "elasticity_beam",
    "elasticity_cylinder",
    "burgers",
    "wave1d",
    "helmholtz2d",
    "heat1d_inverse",
    "elasticity_plate_inverse",
    "burgers_inverse",
    "poisson_inverse_field",
)

for _name in BUNDLED:
    # A module that does not exist (yet) is skipped; one that exists and fails to import raises.
    if importlib.util.find_spec(f"problems.{_name}") is not None:
        importlib.import_module(f"problems.{_name}")
del _name

__all__ = ["BUNDLED", "ProblemSpec", "build", "get", "names", "register"]
