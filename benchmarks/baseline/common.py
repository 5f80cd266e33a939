r"""The pieces every hand-written problem shares: the network, derivatives, loss, optimizer steps.

Written directly in JAX and optax, with nothing from ``pinn`` or ``problems``: this is
what a person would write for one PINN without a framework, and
tests/test_baseline.py checks that it computes the framework's loss to 1e-10.

Network: a plain dict ``{"W0": (d, h1), "b0": (h1,), ..., "W{L}": (h_L, m), "b{L}": (m,)}``
acting on ONE point, inputs scaled from the domain's bounding box to [-1, 1]^d,

.. math::  h_0 = 2 (x - l) / (u - l) - 1, \quad h_{i+1} = \phi(h_i W_i + b_i), \quad
           y = h_L W_L + b_L,

then the problem's output transform ``u = T(x, y)`` (a scalar when m = 1).

Loss: for each term k with pointwise residual r_i at its n_k points,
:math:`L_k = \frac{1}{n_k} \sum_i \lVert r_i \rVert^2`, and the loss is
:math:`\sum_k w_k L_k`.

Derivative engines (how second derivatives are computed; first derivatives are always
forward mode, ``jax.jvp`` for one direction, ``jax.jacfwd`` for a Jacobian):

==========  ====================================================================
``hessian`` ``jax.hessian`` of the field restricted to the coordinates the equation
            differentiates twice (the spatial ones of a heat equation, say)
``jvp``     nested ``jax.jvp`` along coordinate axes, only the entries the equation
            uses (a Laplacian: the d diagonal ones)
==========  ====================================================================
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence

import jax
import jax.numpy as jnp
import optax

PDE = "pde"
ENGINES: tuple[str, ...] = ("hessian", "jvp")
ACTIVATIONS: dict[str, Callable] = {"tanh": jnp.tanh, "sin": jnp.sin}


def check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise ValueError(f"unknown baseline engine {engine!r}; valid engines: {', '.join(ENGINES)}")
    return engine


@dataclasses.dataclass(frozen=True)
class Setup:
    """One problem written out by hand: its network, equations, weights and budget.

    ``residual(u, x, engine)`` and each ``conditions[name](u, data, engine)`` act at one
    point (``data`` holds that point's ``"x"`` and, on a boundary, ``"normal"``).
    ``weights`` holds every term's default weight, ``"pde"`` included.
    """

    name: str
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    out_dim: int
    hidden: tuple[int, ...]
    activation: str
    residual: Callable
    conditions: Mapping[str, Callable]
    weights: Mapping[str, float]
    lr: float
    adam_steps: int
    lbfgs_steps: int
    n_interior: int
    n_boundary: int
    transform: Callable | None = None
    final_lr_ratio: float = 0.1
    lbfgs_memory: int = 50
    dtype: str = "float64"

    def __post_init__(self):
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}; valid activations: {', '.join(ACTIVATIONS)}")
        missing = set(self.terms) ^ set(self.weights)
        if missing:
            raise ValueError(f"weights must name exactly the terms {self.terms}; got {tuple(self.weights)}")

    @property
    def in_dim(self) -> int:
        return len(self.lower)

    @property
    def terms(self) -> tuple[str, ...]:
        return (PDE, *self.conditions)

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        return (self.in_dim, *self.hidden, self.out_dim)


# -- the network ---------------------------------------------------------------------------


def init_params(setup: Setup, key: jax.Array) -> dict[str, jax.Array]:
    """Glorot-normal weights and zero biases in the baseline's dict layout."""
    sizes = setup.layer_sizes
    dtype = jnp.float64 if setup.dtype == "float64" else jnp.float32
    params = {}
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        key, sub = jax.random.split(key)
        params[f"W{i}"] = jax.nn.initializers.glorot_normal()(sub, (a, b), dtype)
        params[f"b{i}"] = jnp.zeros((b,), dtype)
    return params


def network(setup: Setup) -> Callable:
    """``u(params, x)`` at one point x (d,): scaled input, dense layers, output transform."""
    n_layers = len(setup.layer_sizes) - 1
    act = ACTIVATIONS[setup.activation]

    def u(params, x):
        lower = jnp.asarray(setup.lower, x.dtype)
        upper = jnp.asarray(setup.upper, x.dtype)
        h = 2.0 * (x - lower) / (upper - lower) - 1.0
        for i in range(n_layers - 1):
            h = act(h @ params[f"W{i}"] + params[f"b{i}"])
        y = h @ params[f"W{n_layers - 1}"] + params[f"b{n_layers - 1}"]
        y = y[0] if setup.out_dim == 1 else y
        return y if setup.transform is None else setup.transform(x, y)

    return u


# -- derivatives at one point -----------------------------------------------------------------


def unit(x: jax.Array, k: int) -> jax.Array:
    return jnp.zeros_like(x).at[k].set(1.0)


def d1(u: Callable, x: jax.Array, k: int) -> jax.Array:
    """du/dx_k by one forward-mode product."""
    return jax.jvp(u, (x,), (unit(x, k),))[1]


def d2(u: Callable, x: jax.Array, j: int, k: int) -> jax.Array:
    """d2u/dx_j dx_k by two nested forward-mode products."""
    return jax.jvp(lambda y: d1(u, y, j), (x,), (unit(x, k),))[1]


def hessian_on(u: Callable, x: jax.Array, axes: Sequence[int]) -> jax.Array:
    """``jax.hessian`` of u restricted to the coordinates ``axes`` (the others held at x):
    shape (*out, r, r) for r = len(axes)."""
    axes = list(axes)

    def restricted(s):
        # the point rebuilt from static slices (a scatter would cost more to differentiate)
        return u(jnp.stack([s[axes.index(k)] if k in axes else x[k] for k in range(x.shape[0])]))

    return jax.hessian(restricted)(x[jnp.asarray(axes)])


def laplacian(u: Callable, x: jax.Array, axes: Sequence[int], engine: str) -> jax.Array:
    """sum_k d2u/dx_k^2 over ``axes``: the trace of a Hessian, or d nested jvps."""
    if check_engine(engine) == "hessian":
        return jnp.trace(hessian_on(u, x, axes), axis1=-2, axis2=-1)
    return sum(d2(u, x, k, k) for k in axes)


def mean_square(r: jax.Array) -> jax.Array:
    """(1/n) sum_i |r_i|^2 over the n points of a residual of shape (n, ...)."""
    return jnp.mean(jnp.sum(r.reshape(r.shape[0], -1) ** 2, axis=-1))


# -- loss and optimizer steps ------------------------------------------------------------------


def loss_terms(setup: Setup, engine: str) -> Callable:
    """``terms(params, batch) -> {term: L_k}`` with ``batch[term]`` a dict of arrays (n, ...)."""
    check_engine(engine)
    net = network(setup)

    def terms(params, batch):
        u = lambda y: net(params, y)  # noqa: E731
        out = {PDE: mean_square(jax.vmap(lambda x: setup.residual(u, x, engine))(batch[PDE]["x"]))}
        for name, fn in setup.conditions.items():
            out[name] = mean_square(jax.vmap(lambda data, fn=fn: fn(u, data, engine))(batch[name]))
        return out

    return terms


def loss(setup: Setup, engine: str, weights: Mapping[str, float] | None = None) -> Callable:
    """``loss(params, batch) = sum_k w_k L_k`` with the setup's default weights (or ``weights``)."""
    terms = loss_terms(setup, engine)
    weights = dict(setup.weights if weights is None else weights)

    def total(params, batch):
        return sum(weights[name] * value for name, value in terms(params, batch).items())

    return total


def learning_rate(setup: Setup) -> optax.Schedule:
    """Exponential decay from ``lr`` to ``lr * final_lr_ratio`` over the Adam steps."""
    steps = max(setup.adam_steps, 1)
    return optax.exponential_decay(setup.lr, steps, setup.final_lr_ratio, end_value=setup.lr * setup.final_lr_ratio)


def adam(setup: Setup, engine: str) -> tuple[Callable, Callable]:
    """``(init(params), step(params, state, batch) -> (params, state, loss))``, the step jitted."""
    value = loss(setup, engine)
    opt = optax.adam(learning_rate(setup))

    @jax.jit
    def step(params, state, batch):
        f, g = jax.value_and_grad(value)(params, batch)
        updates, state = opt.update(g, state, params)
        return optax.apply_updates(params, updates), state, f

    return opt.init, step


def lbfgs(setup: Setup, engine: str) -> tuple[Callable, Callable]:
    """``(init(params), step(params, state, batch) -> (params, state, loss))``: optax.lbfgs with
    its zoom line search, the loss and gradient reused from the state."""
    value = loss(setup, engine)
    opt = optax.lbfgs(memory_size=setup.lbfgs_memory)

    def init(params):
        # optax.lbfgs's initial state holds weak-typed scalars that the first update makes
        # strong; made strong here so that the step compiles once.
        return jax.tree.map(lambda a: jax.lax.convert_element_type(a, a.dtype), opt.init(params))

    @jax.jit
    def step(params, state, batch):
        fn = lambda p: value(p, batch)  # noqa: E731
        f, g = optax.value_and_grad_from_state(fn)(params, state=state)
        updates, state = opt.update(g, state, params, value=f, grad=g, value_fn=fn)
        return optax.apply_updates(params, updates), state, f

    return init, step
