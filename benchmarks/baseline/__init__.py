"""An independent, hand-written baseline for every bundled problem: JAX and optax only.

Each module holds one problem written out directly (network, PDE residual, condition
residuals, weights, Adam schedule) as a :class:`~.common.Setup`; :mod:`.common` turns a
setup into its loss and its jitted Adam and L-BFGS steps. Nothing here imports ``pinn``
or ``problems`` (tests/test_baseline.py checks the source), and the loss equals the
framework's to 1e-10 at the same parameters and points (checked there too), so
benchmarks/baseline_speed.py times the framework against a real reimplementation::

    from baseline import get, common
    setup = get("poisson2d")
    loss = common.loss(setup, "jvp")          # loss(params, batch)
    init, step = common.adam(setup, "jvp")    # step(params, state, batch) -> (params, state, loss)
"""

from . import (
    burgers,
    elasticity_beam,
    elasticity_cylinder,
    elasticity_plate,
    heat1d,
    heat3d,
    heat_disk,
    helmholtz2d,
    poisson2d,
    wave1d,
)
from .common import ENGINES, Setup

SETUPS: dict[str, Setup] = {
    m.SETUP.name: m.SETUP
    for m in (
        poisson2d,
        heat1d,
        heat_disk,
        heat3d,
        elasticity_plate,
        elasticity_beam,
        elasticity_cylinder,
        burgers,
        wave1d,
        helmholtz2d,
    )
}


def names() -> tuple[str, ...]:
    return tuple(SETUPS)


def get(name: str) -> Setup:
    """The hand-written setup of problem ``name``; an unknown name lists the valid ones."""
    if name not in SETUPS:
        raise ValueError(f"no baseline for problem {name!r}; valid problems: {', '.join(SETUPS)}")
    return SETUPS[name]


__all__ = ["ENGINES", "SETUPS", "Setup", "get", "names"]
