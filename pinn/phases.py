r"""Training phases: which optimizer moves the parameters, for how many steps.

A run is a sequence of phases, each a :class:`Phase` (an optimizer and a step count)::

    pinn.solve(problem, model, phases=[pinn.Phase(optax.adam(1e-3), steps=2000),
                                       pinn.Phase("lbfgs", steps=3000)])

A phase's optimizer is either any ``optax.GradientTransformation`` or the name of a
registered *method* (``"adam"``, ``"lbfgs"``, ...; :func:`method_names`). A method is
an object with two pure functions,

``init(params) -> opt_state`` and
``update(objective, params, opt_state, scale) -> (params, opt_state, info)``,

where ``objective`` (:class:`Objective`) offers the loss and, for Gauss-Newton-type
methods, the vector of weighted residuals r with :math:`\sum r^2` equal to the loss;
``info`` is a dict of scalars recorded in the history (damping, step size, ...).
:func:`register_method` adds a method without touching the trainer.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

SCHEDULES: tuple[str, ...] = ("constant", "exponential", "cosine")


class Objective(NamedTuple):
    """What a method may evaluate at parameters ``p`` (the batch and weights are bound).

    ``loss(p) -> (total, terms)``; ``residuals(p) -> r`` (1-D, ``sum(r**2) == total``);
    ``jacobian(p) -> J`` (``dr/d ravel_pytree(p)``, built point by point).
    """

    loss: Callable
    residuals: Callable
    jacobian: Callable | None = None


# -- methods -------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class GradientMethod:
    """Any optax gradient transformation: one gradient of the loss per step.

    The update is multiplied by ``scale`` (halved by the trainer after a non-finite step).
    """

    transformation: Any
    resets_on_failure = False

    def init(self, params):
        return self.transformation.init(params)

    def update(self, objective: Objective, params, opt_state, scale):
        (loss, _), grads = jax.value_and_grad(objective.loss, has_aux=True)(params)
        updates, opt_state = self.transformation.update(grads, opt_state, params)
        updates = jax.tree.map(lambda g: scale * g, updates)
        return optax.apply_updates(params, updates), opt_state, {}


@dataclasses.dataclass(frozen=True)
class LBFGSMethod:
    """``optax.lbfgs`` with its zoom line search on the loss (full batch)."""

    memory: int = 50
    resets_on_failure = True

    @property
    def transformation(self):
        return optax.lbfgs(memory_size=self.memory)

    def init(self, params):
        # optax.lbfgs starts with weak-typed scalars that its first update makes strong;
        # fixing their types now keeps the step from compiling a second time.
        return jax.tree.map(lambda a: jax.lax.convert_element_type(a, a.dtype), self.transformation.init(params))

    def update(self, objective: Objective, params, opt_state, scale):
        def value_fn(p):
            return objective.loss(p)[0]

        value, grads = optax.value_and_grad_from_state(value_fn)(params, state=opt_state)
        updates, opt_state = self.transformation.update(
            grads, opt_state, params, value=value, grad=grads, value_fn=value_fn
        )
        step_size = optax.tree_utils.tree_get(opt_state, "learning_rate")
        info = {} if step_size is None else {"step_size": jnp.asarray(step_size, value.dtype)}
        return optax.apply_updates(params, updates), opt_state, info


@dataclasses.dataclass(frozen=True)
class LevenbergMarquardtMethod:
    """Damped Gauss-Newton on the stacked residual vector (:mod:`pinn.gauss_newton`).

    A rejected step keeps the parameters bit for bit and raises the damping; it never
    produces non-finite parameters, so a non-finite check ends the phase.
    """

    solver: Any
    resets_on_failure = True

    def init(self, params):
        return self.solver.init(params)

    def update(self, objective: Objective, params, opt_state, scale):
        dense = ravel_size(params) <= self.solver.dense_limit
        jacobian = objective.jacobian if dense else None
        return self.solver.step(objective.residuals, params, opt_state, jacobian=jacobian)


@dataclasses.dataclass(frozen=True)
class SelfScaledBFGSMethod:
    """Self-scaled BFGS with a Wolfe line search on the loss (:mod:`pinn.quasi_newton`)."""

    solver: Any
    resets_on_failure = True

    def init(self, params):
        return self.solver.init(params)

    def update(self, objective: Objective, params, opt_state, scale):
        return self.solver.step(lambda p: objective.loss(p)[0], params, opt_state)


def ravel_size(params) -> int:
    return sum(int(np.prod(leaf.shape)) for leaf in jax.tree.leaves(params))


# -- the registry ---------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class MethodSpec:
    """A registered method: ``build(steps, options, defaults) -> method``.

    ``options`` names the keyword options a :class:`Phase` of it accepts; ``defaults``
    is the run's :class:`pinn.TrainConfig` (e.g. the learning rate for ``adam``).
    ``needs`` is ``"loss"`` or ``"residuals"`` (Gauss-Newton-type methods need every
    residual at once: no chunked or causally weighted PDE term).
    """

    name: str
    build: Callable[..., Any]
    options: tuple[str, ...] = ()
    summary: str = ""
    needs: str = "loss"


_METHODS: dict[str, MethodSpec] = {}


def register_method(spec: MethodSpec) -> MethodSpec:
    """Add a method to the registry (a name already taken is refused)."""
    if not isinstance(spec, MethodSpec):
        raise ValueError(f"register takes a pinn.phases.MethodSpec, got {spec!r}")
    if spec.name in _METHODS:
        raise ValueError(f"phase method {spec.name!r} is already registered")
    _METHODS[spec.name] = spec
    return spec


def method_names() -> tuple[str, ...]:
    return tuple(_METHODS)


def get_method(name: str) -> MethodSpec:
    if not isinstance(name, str) or name not in _METHODS:
        raise ValueError(f"unknown phase {name!r}; valid phases: {', '.join(_METHODS)} (or an optax.GradientTransformation)")
    return _METHODS[name]


def _positive(name, value, integer=False):
    ok = not isinstance(value, bool) and isinstance(value, (int, np.integer) if integer else (int, float, np.integer, np.floating))
    if not (ok and math.isfinite(value) and value > 0):
        kind = "a positive integer" if integer else "a positive finite number"
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    return int(value) if integer else float(value)


def learning_rate_schedule(lr: float, steps: int, schedule: str = "exponential", final_lr_ratio: float = 0.1) -> optax.Schedule:
    """``constant``, ``exponential`` (to ``lr * final_lr_ratio`` at the last step) or ``cosine`` (same end)."""
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule {schedule!r}; valid schedules: {', '.join(SCHEDULES)}")
    steps = max(steps, 1)
    if schedule == "constant":
        return optax.constant_schedule(lr)
    if schedule == "cosine":
        return optax.cosine_decay_schedule(lr, steps, alpha=final_lr_ratio)
    return optax.exponential_decay(lr, steps, final_lr_ratio, end_value=lr * final_lr_ratio)


def _adam(steps, options, defaults):
    lr = _positive("adam lr", options.get("lr", defaults.lr))
    schedule = options.get("schedule", defaults.schedule)
    ratio = _positive("adam final_lr_ratio", options.get("final_lr_ratio", defaults.final_lr_ratio))
    if ratio > 1:
        raise ValueError(f"adam final_lr_ratio must be in (0, 1], got {ratio!r}")
    return GradientMethod(optax.adam(learning_rate_schedule(lr, steps, schedule, ratio)))


def _lbfgs(steps, options, defaults):
    return LBFGSMethod(_positive("lbfgs memory", options.get("memory", defaults.lbfgs_memory), integer=True))


def _lm(steps, options, defaults):
    from pinn.gauss_newton import LevenbergMarquardt

    return LevenbergMarquardtMethod(LevenbergMarquardt(**options))


def _ssbfgs(steps, options, defaults):
    from pinn.quasi_newton import SelfScaledBFGS

    return SelfScaledBFGSMethod(SelfScaledBFGS(**options))


register_method(MethodSpec("adam", _adam, ("lr", "schedule", "final_lr_ratio"), "Adam with the run's learning-rate schedule"))
register_method(MethodSpec("lbfgs", _lbfgs, ("memory",), "L-BFGS (optax.lbfgs) with a zoom line search"))
register_method(
    MethodSpec(
        "lm",
        _lm,
        ("damping", "increase", "decrease", "min_damping", "max_damping", "dense_limit", "cg_iterations",
         "cg_tolerance", "scaling", "min_gain_ratio", "jacobian_chunk"),
        "Levenberg-Marquardt (damped Gauss-Newton; the energy natural gradient for a linear operator)",
        needs="residuals",
    )
)
register_method(
    MethodSpec(
        "ssbfgs",
        _ssbfgs,
        ("max_params", "max_linesearch_steps", "slope_rtol", "curvature_rtol", "self_scaling"),
        "self-scaled BFGS (dense inverse Hessian) with a strong-Wolfe line search",
    )
)


# -- phases -------------------------------------------------------------------------------------
class Phase:
    """One phase of training: ``optimizer`` for ``steps`` steps.

    Args:
        optimizer: a registered method name (:func:`method_names`) or any
            ``optax.GradientTransformation``.
        steps: the number of steps (a non-negative integer; 0 skips the phase).
        **options: the method's options, e.g. ``Phase("adam", 2000, lr=3e-3)``,
            ``Phase("lbfgs", 3000, memory=100)``.
    """

    __slots__ = ("optimizer", "steps", "options")

    def __init__(self, optimizer, steps: int, **options):
        if isinstance(optimizer, str):
            spec = get_method(optimizer)
            unknown = sorted(set(options) - set(spec.options))
            if unknown:
                valid = ", ".join(spec.options) or "none"
                raise ValueError(f"unknown option {unknown[0]!r} of phase {optimizer!r}; valid options: {valid}")
        elif isinstance(optimizer, optax.GradientTransformation):
            if options:
                raise ValueError(f"a phase of an optax transformation takes no options, got {sorted(options)}")
        else:
            raise ValueError(
                f"a phase's optimizer must be a phase name ({', '.join(_METHODS)}) or an optax.GradientTransformation, "
                f"got {optimizer!r}"
            )
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
            raise ValueError(f"phase steps must be a non-negative integer, got {steps!r}")
        object.__setattr__(self, "optimizer", optimizer)
        object.__setattr__(self, "steps", int(steps))
        object.__setattr__(self, "options", dict(options))

    def __setattr__(self, name, value):
        raise AttributeError("Phase is immutable")

    @property
    def name(self) -> str:
        """The method name, or ``"optax"`` for a transformation passed directly."""
        return self.optimizer if isinstance(self.optimizer, str) else "optax"

    @property
    def needs(self) -> str:
        return get_method(self.optimizer).needs if isinstance(self.optimizer, str) else "loss"

    def build(self, defaults) -> Any:
        """The method object of this phase (defaults from the run's config)."""
        if isinstance(self.optimizer, str):
            return get_method(self.optimizer).build(self.steps, self.options, defaults)
        return GradientMethod(self.optimizer)

    def to_dict(self) -> dict:
        """Plain data (JSON): the name, steps and options; a transformation reads ``"optax"``."""
        return {"method": self.name, "steps": self.steps, **self.options}

    def __eq__(self, other):
        return isinstance(other, Phase) and (self.optimizer, self.steps, self.options) == (other.optimizer, other.steps, other.options)

    def __hash__(self):
        return hash((self.name, self.steps))

    def __repr__(self):
        options = "".join(f", {k}={v!r}" for k, v in self.options.items())
        return f"Phase({self.optimizer!r}, steps={self.steps}{options})"


def parse_phases(text: str) -> tuple[Phase, ...]:
    """Phases from ``"adam:2000,lbfgs:3000"`` (the command line and config files).

    Each item is ``name:steps`` with optional ``:option=value`` parts, e.g.
    ``adam:1000:lr=3e-3``.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"phases must look like 'adam:2000,lbfgs:3000', got {text!r}")
    out = []
    for item in text.split(","):
        parts = item.strip().split(":")
        if len(parts) < 2 or not parts[1].strip().isdigit():
            raise ValueError(f"phase {item.strip()!r} must be name:steps (e.g. adam:2000); valid names: {', '.join(_METHODS)}")
        options = {}
        for part in parts[2:]:
            key, sep, value = part.partition("=")
            if not sep:
                raise ValueError(f"phase option {part!r} in {item.strip()!r} must be key=value")
            options[key.strip()] = _parse_value(value.strip())
        out.append(Phase(parts[0].strip(), int(parts[1]), **options))
    return tuple(out)


def _parse_value(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def as_phase(item) -> Phase:
    """A Phase from a Phase, a ``"name:steps"`` string or a mapping ``{"method": ..., "steps": ...}``."""
    if isinstance(item, Phase):
        return item
    if isinstance(item, str):
        phases = parse_phases(item)
        if len(phases) != 1:
            raise ValueError(f"one phase expected, got {item!r}")
        return phases[0]
    if isinstance(item, Mapping):
        data = dict(item)
        if "method" not in data or "steps" not in data:
            raise ValueError(f"a phase table needs 'method' and 'steps', got {item!r}")
        return Phase(data.pop("method"), data.pop("steps"), **data)
    raise ValueError(f"a phase must be a pinn.Phase, 'name:steps' or a table, got {item!r}")
