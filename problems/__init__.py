"""Bundled PDE problems, solvable by name: ``problems.get("heat1d").solve()``.

Each module builds a :class:`pinn.Problem` and registers a :class:`ProblemSpec` with
its default network and budget. Importing this package registers them all.
"""

from problems.registry import ProblemSpec, get, names, register

from problems import poisson2d  # noqa: F401  (registers)

__all__ = ["ProblemSpec", "get", "names", "register"]
