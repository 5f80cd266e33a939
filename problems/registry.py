"""The registry of bundled problems: name -> :class:`ProblemSpec`.

A spec builds its :class:`pinn.Problem` (physical parameters may be overridden) and
carries the defaults -- network and training budget -- chosen so that solving it by
name reaches its accuracy target on a 2-core CPU::

    spec = problems.get("poisson2d")
    result = spec.solve()                      # defaults
    result = spec.solve(steps=200, hidden=(16, 16))   # any setting overridden

A spec may also name scalar quantities computed from the trained result (a
:class:`Quantity`, e.g. the stress concentration factor of ``elasticity_hole``);
``spec.solve`` reports them in ``result.metrics["quantities"]``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

from pinn import MLP, Problem, TrainConfig
from pinn import solve as _solve

MODEL_SETTINGS = ("hidden", "activation", "dtype", "key")

#: The recipe under which a problem whose defaults moved to a second-order phase keeps
#: its former Adam + L-BFGS defaults (what the peers and the baseline run).
ADAM_LBFGS = "adam-lbfgs"

#: Training settings that together name the optimizer pipeline: ``phases``, or the
#: ``steps`` (Adam) / ``lbfgs_steps`` shorthand.
PIPELINE_SETTINGS = ("phases", "steps", "lbfgs_steps")


def override_training(train: Mapping, overrides: Mapping) -> dict:
    """Training settings ``train`` with ``overrides`` on top.

    An override that names the optimizer pipeline replaces the pipeline of ``train`` as
    a whole: ``steps=200`` on defaults given as ``phases="adam:500,lm:400"`` trains 200
    Adam steps (not the defaults' phases, which would win over ``steps`` in
    :class:`pinn.TrainConfig`), and ``phases=...`` on ``steps``/``lbfgs_steps``
    defaults drops those.
    """
    merged = dict(train)
    given = set(overrides) & set(PIPELINE_SETTINGS)
    if "phases" in given:
        merged.pop("steps", None), merged.pop("lbfgs_steps", None)
    elif given:
        merged.pop("phases", None)
    merged.update(overrides)
    return merged


@dataclasses.dataclass(frozen=True)
class Quantity:
    """A number computed from a trained result, e.g. a stress concentration factor.

    Attributes:
        fn: ``fn(result) -> float``.
        exact: its exact value, where known.
        rtol: the relative error against ``exact`` the defaults must reach (a target,
            as :attr:`ProblemSpec.target` is for the fields).
        description: what it is, in a few words.
    """

    fn: Callable
    exact: float | None = None
    rtol: float | None = None
    description: str = ""

    def report(self, result) -> dict:
        """``{"value", "exact", "rel_error", "target", "met", "description"}`` for ``result``
        (``exact``, ``rel_error``, ``target`` and ``met`` None where unknown)."""
        value = float(self.fn(result))
        rel_error = None if self.exact is None else abs(value - self.exact) / abs(self.exact) if self.exact else abs(value)
        met = None if rel_error is None or self.rtol is None else bool(rel_error <= self.rtol)
        return {
            "value": value,
            "exact": self.exact,
            "rel_error": rel_error,
            "target": self.rtol,
            "met": met,
            "description": self.description,
        }


@dataclasses.dataclass(frozen=True)
class ProblemSpec:
    """A bundled problem: how to build it and how to solve it by default.

    Attributes:
        name: registry name.
        build: ``build(**params) -> Problem``; keyword arguments override physical parameters.
        summary: the equation in one line.
        target: the relative L2 error the defaults must reach.
        model: default network settings (``hidden``, ``activation``, ``dtype``).
        train: default :class:`pinn.TrainConfig` settings.
        derived: quantities derived from the trained fields, by name:
            ``fn(u, x, **params) -> scalar`` at one point (e.g. stresses for elasticity);
            used by ``pinn predict --fields`` and the figures.
        learns: what an inverse problem learns from its measurements: the name of a
            learned parameter (a :class:`pinn.Parameter` of the problem) or of an
            unknown field -> the relative error its defaults must reach. ``target`` then
            holds for the other fields (the solution); shown by ``pinn list``.
        quantities: scalar quantities of the trained result, by name (:class:`Quantity`),
            reported by :meth:`solve` in ``result.metrics["quantities"]``.
        recipes: named alternatives to the defaults, by name: network and training
            settings laid over :attr:`model` and :attr:`train` (``solve(recipe=NAME)``,
            ``pinn solve NAME --recipe R``). A problem whose defaults moved to a
            second-order phase keeps its former Adam + L-BFGS recipe as ``"adam-lbfgs"``.
    """

    name: str
    build: Callable[..., Problem]
    summary: str
    target: float
    model: Mapping = dataclasses.field(default_factory=dict)
    train: Mapping = dataclasses.field(default_factory=dict)
    derived: Mapping[str, Callable] = dataclasses.field(default_factory=dict)
    learns: Mapping[str, float] = dataclasses.field(default_factory=dict)
    quantities: Mapping[str, Quantity] = dataclasses.field(default_factory=dict)
    recipes: Mapping[str, Mapping] = dataclasses.field(default_factory=dict)
    # Built problems by parameters: a Problem is immutable, and building one runs its
    # checks (the exact solution, residual and every condition, compiled), seconds each.
    _built: dict = dataclasses.field(default_factory=dict, init=False, repr=False, compare=False)

    def problem(self, **params) -> Problem:
        """The problem with ``params`` (keyword arguments of :attr:`build`); the same
        object for the same numbers (parameters holding arrays or data are built anew)."""
        if not all(v is None or isinstance(v, (bool, int, float, str)) for v in params.values()):
            return self.build(**params)
        key = tuple(sorted(params.items()))
        if key not in self._built:
            self._built[key] = self.build(**params)
        return self._built[key]

    def recipe(self, name: str | None) -> dict:
        """The settings of recipe ``name`` (None or ``"default"``: none); an unknown name
        lists the valid ones."""
        if name is None or name == "default":
            return {}
        if name not in self.recipes:
            valid = ", ".join(("default", *self.recipes))
            raise ValueError(f"unknown recipe {name!r} of problem {self.name!r}; valid recipes: {valid}")
        return dict(self.recipes[name])

    def adam_lbfgs_recipe(self) -> str | None:
        """The recipe that trains Adam then L-BFGS: :data:`ADAM_LBFGS` where the defaults
        moved on, else None (the defaults themselves)."""
        return ADAM_LBFGS if ADAM_LBFGS in self.recipes else None

    def split_settings(self, settings: Mapping, recipe: str | None = None) -> tuple[dict, dict]:
        """Split overrides into (model settings, training settings): the defaults, then
        ``recipe``'s settings, then ``settings`` (see :func:`override_training` for the
        optimizer pipeline)."""
        model = {"hidden": (64,) * 4, "activation": "tanh", "dtype": "float32", "key": 0, **self.model}
        train = dict(self.train)
        for layer in (self.recipe(recipe), settings):
            model.update({k: v for k, v in layer.items() if k in MODEL_SETTINGS})
            train = override_training(train, {k: v for k, v in layer.items() if k not in MODEL_SETTINGS})
        return model, train

    def config(self, recipe: str | None = None, **settings) -> TrainConfig:
        return TrainConfig().replace(**self.split_settings(settings, recipe)[1])

    def make_model(self, problem: Problem | None = None, recipe: str | None = None, **settings) -> MLP:
        model = self.split_settings(settings, recipe)[0]
        problem = problem or self.problem()
        return MLP.for_problem(problem, model["hidden"], model["activation"], key=model["key"], dtype=model["dtype"])

    def solve(
        self,
        *,
        params: Mapping | None = None,
        recipe: str | None = None,
        callback=None,
        checkpoint_dir=None,
        resume: bool = False,
        progress: bool = False,
        **settings,
    ):
        """Solve with the defaults (or the named ``recipe``); ``settings`` override
        network and training settings.

        ``checkpoint_dir`` and ``resume`` are those of :func:`pinn.solve`: checkpoints
        written there survive a crash, and ``resume=True`` continues from the newest.
        """
        problem = self.problem(**(params or {}))
        model = self.make_model(problem, recipe, **settings)
        config = self.config(recipe, **settings)
        result = _solve(problem, model, config, callback=callback, checkpoint_dir=checkpoint_dir, resume=resume, progress=progress)
        return self.report_quantities(result)

    def report_quantities(self, result):
        """Add the spec's :attr:`quantities` of ``result`` to ``result.metrics["quantities"]``
        (name -> :meth:`Quantity.report`; nothing where the spec has none); returns ``result``."""
        if self.quantities:
            result.metrics["quantities"] = {name: q.report(result) for name, q in self.quantities.items()}
        return result


_REGISTRY: dict[str, ProblemSpec] = {}


def register(spec: ProblemSpec) -> ProblemSpec:
    if spec.name in _REGISTRY:
        raise ValueError(f"problem {spec.name!r} is already registered")
    _REGISTRY[spec.name] = spec
    return spec


def names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def build(name: str, params=None) -> Problem:
    """The bundled problem ``name`` with physical parameters ``params``: the factory
    :func:`pinn.load_run` takes (``pinn.load_run(folder, problem=problems.build)``)."""
    return get(name).problem(**dict(params or {}))


def get(name: str) -> ProblemSpec:
    """The spec registered as ``name``; an unknown name lists the valid ones."""
    if name not in _REGISTRY:
        raise ValueError(f"unknown problem {name!r}; valid problems: {', '.join(_REGISTRY)}")
    return _REGISTRY[name]
