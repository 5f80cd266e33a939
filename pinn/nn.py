"""Networks: a Flax NNX multilayer perceptron that acts on ONE point.

The network maps a point x in R^d to u(x) in R^m (a scalar when m = 1), so that
``jax.grad`` and ``jax.hessian`` of it are the derivatives a PDE asks for; the
framework vmaps over points. Inputs are scaled affinely from the domain's bounding
box to [-1, 1]^d before the first layer, which keeps every activation in its useful
range whatever the physical units.

Under ``jax.jit`` the model travels as ``(graphdef, params)`` from ``nnx.split``:
:func:`pure_apply` turns it into a pure function ``apply(params, x)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from pinn.activations import Activation, get_activation

DTYPES = {"float32": jnp.float32, "float64": jnp.float64}


def dtype_name(dtype) -> str:
    """Canonical name ('float32' or 'float64') of a dtype given by name or object."""
    name = dtype if isinstance(dtype, str) else np.dtype(dtype).name
    if name not in DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; valid dtypes: {', '.join(DTYPES)}")
    return name


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


class MLP(nnx.Module):
    """Fully connected network u: R^d -> R^m with a smooth activation.

    Args:
        in_dim: number of input coordinates d (space, then time).
        out_dim: number of output fields m; the network returns a scalar when m = 1.
        hidden: widths of the hidden layers, e.g. ``(64,) * 4``.
        activation: a registered name (see :func:`pinn.activation_names`) or an
            :class:`~pinn.activations.Activation`.
        key: integer seed or ``jax.random`` key for the Glorot-normal initialisation.
        dtype: ``"float32"`` (default) or ``"float64"``; float64 parameters are
            created with JAX's 64-bit mode switched on for this call only, and
            :func:`pinn.solve` trains them in 64-bit mode.
        input_bounds: ``(lower, upper)`` corners of the box mapped to [-1, 1]^d;
            ``None`` leaves inputs unscaled. :meth:`for_problem` fills it in.
        output_transform: optional ``fn(x, y) -> y'`` applied to the raw output ``y``
            at the (unscaled) point ``x``, e.g. ``u = g(x) + d(x) N(x)`` with ``d = 0``
            on a boundary, which imposes ``u = g`` there exactly. :meth:`for_problem`
            takes the problem's own.
    """

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        hidden: Sequence[int] = (64, 64, 64, 64),
        activation: str | Activation = "tanh",
        *,
        key: int | jax.Array = 0,
        dtype: str = "float32",
        input_bounds: tuple[Sequence[float], Sequence[float]] | None = None,
        output_transform: Callable | None = None,
    ):
        self.in_dim = _positive_int("in_dim", in_dim)
        self.out_dim = _positive_int("out_dim", out_dim)
        if isinstance(hidden, (int, np.integer)):
            raise ValueError(f"hidden must be a sequence of widths such as (64,) * 4, got {hidden!r}")
        self.hidden = tuple(_positive_int("hidden width", w) for w in hidden)
        if not self.hidden:
            raise ValueError("hidden must name at least one layer width, got ()")
        self.activation = get_activation(activation)
        self.dtype = dtype_name(dtype)
        self.input_bounds = _check_bounds(input_bounds, self.in_dim)
        if output_transform is not None and not callable(output_transform):
            raise ValueError(f"output_transform must be a function fn(x, y) -> y, got {output_transform!r}")
        self.output_transform = output_transform

        integer_key = isinstance(key, (int, np.integer)) and not isinstance(key, bool)
        # The integer seed is kept so a saved run records how to rebuild this network.
        self.key = int(key) if integer_key else None
        seed_key = jax.random.key(key) if integer_key else key
        param_dtype = DTYPES[self.dtype]
        widths = (self.in_dim, *self.hidden, self.out_dim)
        with jax.enable_x64(self.dtype == "float64"):
            rngs = nnx.Rngs(params=seed_key)
            self.layers = nnx.List(
                [
                    nnx.Linear(
                        a,
                        b,
                        kernel_init=nnx.initializers.glorot_normal(),
                        bias_init=nnx.initializers.zeros_init(),
                        param_dtype=param_dtype,
                        rngs=rngs,
                    )
                    for a, b in zip(widths[:-1], widths[1:])
                ]
            )
            if self.activation.trainable:
                self.betas = nnx.Param(jnp.ones(len(self.hidden), dtype=param_dtype))

    @classmethod
    def for_problem(cls, problem, hidden=(64, 64, 64, 64), activation="tanh", **kwargs) -> "MLP":
        """An MLP sized for ``problem``: its input and field counts, inputs scaled to its
        domain, and the problem's output transform (if any) built in."""
        lower, upper = problem.domain.bounds
        return cls(
            problem.domain.dim,
            len(problem.fields),
            hidden,
            activation,
            input_bounds=(tuple(lower), tuple(upper)),
            output_transform=problem.output_transform,
            **kwargs,
        )

    @property
    def n_params(self) -> int:
        return sum(int(np.prod(p.shape)) for p in jax.tree.leaves(nnx.state(self, nnx.Param)))

    def __call__(self, x: jax.Array) -> jax.Array:
        if self.dtype == "float64" and not jax.config.jax_enable_x64 and not isinstance(x, jax.core.Tracer):
            # Called directly (not under a trace) outside 64-bit mode: compute in the
            # network's own precision instead of truncating to float32.
            with jax.enable_x64(True):
                return self(jnp.asarray(np.asarray(x), dtype=jnp.float64))
        y = self.network(x)
        return y if self.output_transform is None else self.output_transform(x, y)

    def network(self, x: jax.Array) -> jax.Array:
        """The raw network output at ``x``, before any output transform."""
        if self.input_bounds is not None:
            lower = jnp.asarray(self.input_bounds[0], dtype=x.dtype)
            upper = jnp.asarray(self.input_bounds[1], dtype=x.dtype)
            x = 2.0 * (x - lower) / (upper - lower) - 1.0
        h = x
        for i, layer in enumerate(self.layers[:-1]):
            z = layer(h)
            h = self.activation(z, self.betas[i]) if self.activation.trainable else self.activation(z)
        out = self.layers[-1](h)
        return out[0] if self.out_dim == 1 else out


def _check_bounds(bounds, dim):
    if bounds is None:
        return None
    lower, upper = (tuple(float(v) for v in np.ravel(b)) for b in bounds)
    if len(lower) != dim or len(upper) != dim:
        raise ValueError(f"input_bounds must hold {dim} lower and {dim} upper values, got {bounds!r}")
    for lo, hi in zip(lower, upper):
        if not lo < hi:
            raise ValueError(f"input_bounds lower {lo} must be below upper {hi}")
    return lower, upper


def pure_apply(model: nnx.Module) -> tuple[Callable, nnx.State]:
    """Split ``model`` into a pure ``apply(params, x)`` and its parameter pytree.

    ``apply`` evaluates the network at one point; it is safe under ``jax.jit``,
    ``jax.vmap`` and ``jax.hessian`` because it rebuilds the module from the
    immutable ``(graphdef, params)`` pair at trace time.
    """
    graphdef, params, rest = nnx.split(model, nnx.Param, ...)

    def apply(params, x):
        # ``rest``: the module's other variables (e.g. fixed random features), constants here
        return nnx.merge(graphdef, params, rest)(x)

    return apply, params


def with_params(model: nnx.Module, params) -> nnx.Module:
    """A copy of ``model`` holding the parameters ``params`` (its other variables kept)."""
    graphdef, _, rest = nnx.split(model, nnx.Param, ...)
    return nnx.merge(graphdef, params, rest)


def params_dtype(model: nnx.Module) -> str:
    """``"float64"`` when every floating parameter of ``model`` is float64, else ``"float32"``."""
    leaves = [leaf for leaf in jax.tree.leaves(nnx.state(model, nnx.Param)) if jnp.issubdtype(leaf.dtype, jnp.floating)]
    if not leaves:
        raise ValueError(f"model {type(model).__name__} has no floating-point nnx.Param to train")
    return "float64" if all(leaf.dtype == jnp.float64 for leaf in leaves) else "float32"


def count_params(model: nnx.Module) -> int:
    return sum(int(np.prod(p.shape)) for p in jax.tree.leaves(nnx.state(model, nnx.Param)))


def describe(model: nnx.Module) -> dict:
    """Plain facts about any network: class, activation name, dtype, parameter count, widths."""
    activation = getattr(getattr(model, "activation", None), "name", None)
    hidden = getattr(model, "hidden", None)
    widths = isinstance(hidden, (tuple, list)) and all(isinstance(w, (int, np.integer)) for w in hidden)
    return {
        "network": type(model).__name__,
        "activation": activation if isinstance(activation, str) else None,
        "dtype": params_dtype(model),
        "n_params": count_params(model),
        "hidden": [int(w) for w in hidden] if widths else None,
    }


def field_apply(model: nnx.Module, output_transform: Callable | None = None, input_bounds=None) -> tuple[Callable, nnx.State]:
    """The solution's pure function ``apply(params, x)`` and the network's parameters.

    ``u(x) = T(x, N(s(x)))``: ``s`` maps ``input_bounds`` to [-1, 1]^d (none when
    ``None``), ``N`` is the network, ``T`` the output transform (none when ``None``).
    """
    apply_net, params = pure_apply(model)
    if input_bounds is not None:
        lower, upper = (np.asarray(b, dtype=np.float64) for b in input_bounds)

    def apply(params, x):
        z = x if input_bounds is None else 2.0 * (x - lower.astype(x.dtype)) / (upper - lower).astype(x.dtype) - 1.0
        y = apply_net(params, z)
        return y if output_transform is None else output_transform(x, y)

    return apply, params
