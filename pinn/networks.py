r"""Network architectures for hard PINN problems (Flax NNX), each acting on ONE point.

Every network here maps a point x in R^d to the fields u(x) in R^m (a scalar when
m = 1), is smooth wherever its activation is, and so can be vmapped over points and
differentiated with ``jax.hessian`` or the forward engine exactly like
:class:`pinn.MLP`. They share one front end, :class:`InputEmbedding`:

1. inputs are scaled affinely from ``input_bounds`` to [-1, 1] (as in :class:`pinn.MLP`);
2. axes with a period L_i are replaced by the exact periodic embedding
   (cos(2π k x_i / L_i), sin(2π k x_i / L_i)), k = 1..K, so u is periodic in x_i to
   rounding, with all its derivatives;
3. optionally, random Fourier features z -> [cos(2π B z), sin(2π B z)] with
   B ~ N(0, σ²) of shape (features, width_in) (Tancik et al. 2020; Wang, Wang &
   Perdikaris 2021), B fixed (a :class:`Buffer`) or rescaled by a learned factor e^λ.

and one dense layer choice: ``factorized=True`` (or ``(mean, std)``) uses random
weight factorization (:class:`FactorizedDense`) for every dense layer.

Architectures:

==================  ====================================================================
FourierFeatureMLP   Fourier features, then an MLP
PeriodicMLP         exact periodic embedding of the given axes, then an MLP
FactorizedMLP       an MLP whose layers are W = diag(exp(s)) V (Wang et al. 2022)
ModifiedMLP         U, V encoders gate every layer: h <- h ⊙ U + (1 - h) ⊙ V
                    (Wang, Teng & Perdikaris 2021)
PirateNet           gated residual blocks x <- α f(x) + (1 - α) x with α = 0 at init,
                    so the network starts linear in its embedding (Wang et al. 2024)
GatedMLP            SwiGLU-style layers h <- h + W_o [swish(W_g h) ⊙ (W_v h)] (C∞)
==================  ====================================================================

The Fourier scale σ is per unit of the scaled input and must suit the solution: on
``heat1d`` (u_t = 0.4 u_xx, a smooth solution; ``for_problem`` networks of width 32,
float32, 2000 Adam steps, 256 interior points, seed 0) the relative L2 errors were
MLP (two layers) 0.084, ModifiedMLP (depth 2) 0.066, GatedMLP (depth 2) 0.0069,
FourierFeatureMLP (16 features) 0.038 with σ = 0.1 but 0.79 with σ = 0.5 (0.77 with a
learned scale), PirateNet (one block) 0.0058 with σ = 0.1, 3.2 with σ = 0.5 and 0.26
without Fourier features. Large σ is for solutions with fine scales.

The fixed Fourier matrix is an :class:`nnx.Variable` that is not an :class:`nnx.Param`,
so split a model as ``graphdef, params, rest = nnx.split(model, nnx.Param, ...)`` and
rebuild it with ``nnx.merge(graphdef, params, rest)``: only ``params`` are trained.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Callable, Iterator, Mapping, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from flax import nnx

from pinn.activations import Activation, get_activation
from pinn.nn import DTYPES, dtype_name

#: Default (mean, std) of the log-scales s of random weight factorization (jaxpi's defaults).
RWF_DEFAULT = (1.0, 0.1)


class Buffer(nnx.Variable):
    """A fixed array carried by a network but never trained (e.g. a Fourier matrix B)."""


# ---------------------------------------------------------------------------- validation


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _nonnegative_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def _positive_float(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def _widths(hidden) -> tuple[int, ...]:
    if isinstance(hidden, (int, np.integer)) or not isinstance(hidden, Sequence):
        raise ValueError(f"hidden must be a sequence of widths such as (64,) * 4, got {hidden!r}")
    widths = tuple(_positive_int("hidden width", w) for w in hidden)
    if not widths:
        raise ValueError("hidden must name at least one layer width, got ()")
    return widths


def _check_bounds(bounds, dim):
    if bounds is None:
        return None
    try:
        lower, upper = (tuple(float(v) for v in np.ravel(b)) for b in bounds)
    except (TypeError, ValueError):
        raise ValueError(f"input_bounds must be (lower, upper) corners, got {bounds!r}") from None
    if len(lower) != dim or len(upper) != dim:
        raise ValueError(f"input_bounds must hold {dim} lower and {dim} upper values, got {bounds!r}")
    for lo, hi in zip(lower, upper):
        if not lo < hi:
            raise ValueError(f"input_bounds lower {lo} must be below upper {hi}")
    return lower, upper


def _check_periods(periods, dim) -> tuple[tuple[int, float], ...]:
    """``{axis: period}`` as a sorted tuple of pairs (hashable: it lives in the graphdef)."""
    if periods is None:
        return ()
    if not isinstance(periods, Mapping):
        raise ValueError(f"periods must be a mapping {{axis: period}}, e.g. {{0: 2.0}}, got {periods!r}")
    pairs = []
    for axis, period in periods.items():
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or not 0 <= axis < dim:
            raise ValueError(f"periodic axis {axis!r} is not an input axis; valid axes: 0..{dim - 1}")
        pairs.append((int(axis), _positive_float(f"period of axis {axis}", period)))
    return tuple(sorted(pairs))


def _check_factorized(factorized) -> tuple[float, float] | None:
    if factorized is False or factorized is None:
        return None
    if factorized is True:
        return RWF_DEFAULT
    if isinstance(factorized, Sequence) and len(factorized) == 2:
        mean, std = factorized
        number = isinstance(mean, (int, float, np.integer, np.floating)) and not isinstance(mean, bool)
        if number and math.isfinite(mean):
            return float(mean), _positive_float("factorization std", std)
    raise ValueError(f"factorized must be True, False or (mean, std) of the log-scales, got {factorized!r}")


def _seed_key(key):
    """(integer seed or None, jax key) from an int seed or a jax PRNG key."""
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        return int(key), jax.random.key(int(key))
    if isinstance(key, jax.Array):
        typed = jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key)
        if (typed and key.shape == ()) or (key.dtype == jnp.uint32 and key.shape == (2,)):
            return None, key
    raise ValueError(f"key must be an integer seed or a single jax.random key, got {key!r}")


# ----------------------------------------------------------------------------- layers


class FactorizedDense(nnx.Module):
    r"""Dense layer with random weight factorization (Wang et al. 2022, jaxpi).

    The weight of ``y = W x + b`` is stored as :math:`W = \operatorname{diag}(e^{s}) V`:
    at initialisation W0 is Glorot normal, :math:`s \sim N(\text{mean}, \text{std}^2)`
    per output unit and :math:`V = W_0 / e^{s}`, so the layer starts as the plain
    Glorot layer while gradient descent moves each unit's scale e^s and direction V
    separately. In the (in, out) kernel layout of :class:`nnx.Linear` the kernel is
    ``v * exp(s)`` with ``s`` broadcast over rows.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        mean: float = RWF_DEFAULT[0],
        std: float = RWF_DEFAULT[1],
        rngs: nnx.Rngs,
        param_dtype=jnp.float32,
    ):
        self.in_features = _positive_int("in_features", in_features)
        self.out_features = _positive_int("out_features", out_features)
        mean, std = _check_factorized((mean, std))
        s, v = _factorized_init(
            rngs.params(), rngs.params(), (self.in_features, self.out_features), jnp.dtype(param_dtype), mean, std
        )
        self.s = nnx.Param(s)
        self.v = nnx.Param(v)
        self.bias = nnx.Param(jnp.zeros((self.out_features,), param_dtype))

    @property
    def kernel(self) -> jax.Array:
        """The effective (in, out) kernel ``v * exp(s)``."""
        return self.v[...] * jnp.exp(self.s[...])

    def __call__(self, x: jax.Array) -> jax.Array:
        return x @ self.kernel + self.bias[...]


@functools.partial(jax.jit, static_argnums=(2, 3, 4, 5))
def _factorized_init(w_key, s_key, shape, dtype, mean, std):
    # One compiled function per layer shape rather than one small kernel per operation.
    w0 = nnx.initializers.glorot_normal()(w_key, shape, dtype)
    s = mean + std * jax.random.normal(s_key, shape[-1:], dtype)
    return s, w0 / jnp.exp(s)


def _dense(a: int, b: int, rngs: nnx.Rngs, param_dtype, factorized) -> nnx.Module:
    if factorized is not None:
        return FactorizedDense(a, b, mean=factorized[0], std=factorized[1], rngs=rngs, param_dtype=param_dtype)
    return nnx.Linear(
        a,
        b,
        kernel_init=nnx.initializers.glorot_normal(),
        bias_init=nnx.initializers.zeros_init(),
        param_dtype=param_dtype,
        rngs=rngs,
    )


class InputEmbedding(nnx.Module):
    r"""The shared front end: affine scaling, exact periodic embedding, Fourier features.

    For a point x (d,):

    * a non-periodic axis i becomes :math:`z_i = 2 (x_i - a_i)/(b_i - a_i) - 1` with
      ``input_bounds = (a, b)`` (x_i itself when ``input_bounds`` is None);
    * a periodic axis i with period L_i becomes the 2K values
      :math:`\cos(2\pi k x_i/L_i), \sin(2\pi k x_i/L_i)`, k = 1..K (``harmonics``),
      computed from the unscaled x_i so the period is the physical one;
    * with ``fourier_features = F > 0`` the result z (width w) is mapped to
      :math:`[\cos(2\pi B z), \sin(2\pi B z)]` (width 2F), :math:`B_{ij} \sim N(0, σ^2)`
      fixed; with ``trainable_scale`` the matrix used is :math:`e^{\lambda} B` with a
      learned λ (an :class:`nnx.Param`, 0 at init).

    ``out_dim`` is the width of the embedding.
    """

    def __init__(
        self,
        in_dim: int,
        *,
        input_bounds=None,
        periods: Mapping[int, float] | None = None,
        harmonics: int = 1,
        fourier_features: int = 0,
        fourier_scale: float = 1.0,
        trainable_scale: bool = False,
        rngs: nnx.Rngs,
        param_dtype=jnp.float32,
    ):
        self.in_dim = _positive_int("in_dim", in_dim)
        self.input_bounds = _check_bounds(input_bounds, self.in_dim)
        self.periods = _check_periods(periods, self.in_dim)
        self.harmonics = _positive_int("harmonics", harmonics)
        self.fourier_features = _nonnegative_int("fourier_features", fourier_features)
        self.fourier_scale = _positive_float("fourier_scale", fourier_scale)
        if not isinstance(trainable_scale, bool):
            raise ValueError(f"trainable_scale must be True or False, got {trainable_scale!r}")
        self.trainable_scale = trainable_scale
        n_periodic = len(self.periods)
        width = self.in_dim - n_periodic + 2 * self.harmonics * n_periodic
        if self.fourier_features:
            b = self.fourier_scale * jax.random.normal(rngs.params(), (self.fourier_features, width), param_dtype)
            self.B = Buffer(b)
            if self.trainable_scale:
                self.log_scale = nnx.Param(jnp.zeros((), param_dtype))
            width = 2 * self.fourier_features
        self.out_dim = width

    def __call__(self, x: jax.Array) -> jax.Array:
        if x.shape != (self.in_dim,):
            raise ValueError(f"a network acts on one point of shape ({self.in_dim},), got shape {x.shape}")
        z = x
        if self.input_bounds is not None:
            lower = jnp.asarray(self.input_bounds[0], dtype=x.dtype)
            upper = jnp.asarray(self.input_bounds[1], dtype=x.dtype)
            z = 2.0 * (x - lower) / (upper - lower) - 1.0
        if self.periods:
            period = dict(self.periods)
            k = jnp.arange(1, self.harmonics + 1, dtype=x.dtype)
            parts = []
            for i in range(self.in_dim):
                if i in period:
                    theta = (2.0 * np.pi / period[i]) * k * x[i]
                    parts += [jnp.cos(theta), jnp.sin(theta)]
                else:
                    parts.append(z[i : i + 1])
            z = jnp.concatenate(parts)
        if self.fourier_features:
            b = self.B[...]
            if self.trainable_scale:
                b = jnp.exp(self.log_scale[...]) * b
            proj = 2.0 * np.pi * (b @ z)
            z = jnp.concatenate([jnp.cos(proj), jnp.sin(proj)])
        return z


# --------------------------------------------------------------------------- networks


class PointNetwork(nnx.Module):
    """Common machinery of the networks here (not used directly).

    Attributes every network has (those :func:`pinn.solve` and saving read):
    ``in_dim``, ``out_dim``, ``activation``, ``dtype``, ``key`` (the integer seed or
    None), ``input_bounds``, ``output_transform``, ``hidden`` (the widths, for
    reports), ``n_params``, and :meth:`config` / :func:`network_from_config` to rebuild.
    """

    _options: tuple[str, ...] = ()

    def _setup(self, in_dim, out_dim, activation, key, dtype, output_transform, factorized) -> jax.Array:
        """Validate and store the common arguments; return the seed key (not kept on the
        module: it is no parameter and would not survive a split)."""
        self.in_dim = _positive_int("in_dim", in_dim)
        self.out_dim = _positive_int("out_dim", out_dim)
        self.activation = get_activation(activation)
        self.dtype = dtype_name(dtype)
        self.key, seed = _seed_key(key)
        if output_transform is not None and not callable(output_transform):
            raise ValueError(f"output_transform must be a function fn(x, y) -> y, got {output_transform!r}")
        self.output_transform = output_transform
        self.factorized = _check_factorized(factorized)
        return seed

    @contextlib.contextmanager
    def _building(self, seed) -> Iterator[tuple[nnx.Rngs, object]]:
        """Rngs and parameter dtype, with 64-bit mode on while float64 parameters are made."""
        with jax.enable_x64(self.dtype == "float64"):
            yield nnx.Rngs(params=seed), DTYPES[self.dtype]

    def _embedding(self, rngs, param_dtype, input_bounds, periods, harmonics, fourier_features, fourier_scale, trainable_scale):
        self.embedding = InputEmbedding(
            self.in_dim,
            input_bounds=input_bounds,
            periods=periods,
            harmonics=harmonics,
            fourier_features=fourier_features,
            fourier_scale=fourier_scale,
            trainable_scale=trainable_scale,
            rngs=rngs,
            param_dtype=param_dtype,
        )
        return self.embedding.out_dim

    def _dense(self, a, b, rngs, param_dtype):
        return _dense(a, b, rngs, param_dtype, self.factorized)

    def _activations(self, n: int, param_dtype) -> None:
        """One learned shape parameter per activation site when the activation has one."""
        self.n_activation_sites = n
        if self.activation.trainable:
            self.betas = nnx.Param(jnp.ones(n, dtype=param_dtype))

    def _phi(self, z, site: int):
        if self.activation.trainable:
            return self.activation(z, self.betas[site])
        return self.activation(z)

    @property
    def input_bounds(self):
        return self.embedding.input_bounds

    @property
    def n_params(self) -> int:
        return sum(int(np.prod(p.shape)) for p in jax.tree.leaves(nnx.state(self, nnx.Param)))

    def __call__(self, x: jax.Array) -> jax.Array:
        if self.dtype == "float64" and not jax.config.jax_enable_x64 and not isinstance(x, jax.core.Tracer):
            # Called directly (not under a trace) outside 64-bit mode: compute in the
            # network's own precision instead of truncating to float32, as pinn.MLP does.
            with jax.enable_x64(True):
                return self(jnp.asarray(np.asarray(x), dtype=jnp.float64))
        y = self.network(x)
        return y if self.output_transform is None else self.output_transform(x, y)

    def network(self, x: jax.Array) -> jax.Array:
        """The raw network output at ``x``, before any output transform."""
        out = self._forward(self.embedding(x))
        return out[0] if self.out_dim == 1 else out

    def _forward(self, z: jax.Array) -> jax.Array:
        raise NotImplementedError

    def config(self) -> dict:
        """JSON-ready constructor arguments (all but ``output_transform``), so that
        ``network_from_config(model.config())`` rebuilds the same network from its seed."""
        if self.key is None:
            raise ValueError("config() needs an integer seed; this network was built from a jax key")
        emb = self.embedding
        cfg = {
            "network": type(self).__name__,
            "in_dim": self.in_dim,
            "out_dim": self.out_dim,
            "activation": self.activation.name,
            "key": self.key,
            "dtype": self.dtype,
            "input_bounds": None if emb.input_bounds is None else [list(b) for b in emb.input_bounds],
            "periods": {str(a): p for a, p in emb.periods},
            "harmonics": emb.harmonics,
            "fourier_features": emb.fourier_features,
            "fourier_scale": emb.fourier_scale,
            "trainable_scale": emb.trainable_scale,
            "factorized": False if self.factorized is None else list(self.factorized),
        }
        cfg.update({name: _jsonable(getattr(self, name)) for name in self._options})
        return cfg

    @classmethod
    def for_problem(cls, problem, *args, **kwargs):
        """This network sized for ``problem``: its input and field counts, inputs scaled
        to its domain's bounding box and the problem's output transform built in."""
        lower, upper = problem.domain.bounds
        kwargs.setdefault("input_bounds", (tuple(lower), tuple(upper)))
        kwargs.setdefault("output_transform", problem.output_transform)
        return cls(problem.domain.dim, len(problem.fields), *args, **kwargs)


def _jsonable(value):
    return list(value) if isinstance(value, tuple) else value


_EMBEDDING_DOC = """
        periods: ``{axis: period}``: those axes enter through the exact periodic
            embedding (see :class:`InputEmbedding`); others are passed through.
        harmonics: number K of harmonics of each periodic axis.
        fourier_features: number F of random Fourier features (0: none).
        fourier_scale: standard deviation σ of the Fourier matrix B.
        trainable_scale: learn a log-scale multiplying B.
        factorized: ``True`` or ``(mean, std)``: random weight factorization of every
            dense layer (:class:`FactorizedDense`).
        key: integer seed or ``jax.random`` key.
        dtype: ``"float32"`` or ``"float64"`` (parameters made in 64-bit mode).
        input_bounds: ``(lower, upper)`` corners of the box mapped to [-1, 1]^d.
        output_transform: optional ``fn(x, y) -> y'`` applied to the raw output.
"""


class EmbeddedMLP(PointNetwork):
    """An MLP ``u = W_L φ(... φ(W_1 z + b_1) ...) + b_L`` on the embedding z of x.

    The general form of :class:`FourierFeatureMLP`, :class:`PeriodicMLP` and
    :class:`FactorizedMLP`, which only change its defaults.

    Args:
        in_dim: number d of input coordinates.
        out_dim: number m of fields (a scalar output when m = 1).
        hidden: widths of the hidden layers.
        activation: a registered activation name or an :class:`Activation`.
    """

    __doc__ += _EMBEDDING_DOC

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        hidden: Sequence[int] = (64, 64, 64, 64),
        activation: str | Activation = "tanh",
        *,
        periods: Mapping[int, float] | None = None,
        harmonics: int = 1,
        fourier_features: int = 0,
        fourier_scale: float = 1.0,
        trainable_scale: bool = False,
        factorized: bool | tuple[float, float] = False,
        key: int | jax.Array = 0,
        dtype: str = "float32",
        input_bounds=None,
        output_transform: Callable | None = None,
    ):
        seed = self._setup(in_dim, out_dim, activation, key, dtype, output_transform, factorized)
        self.hidden = _widths(hidden)
        with self._building(seed) as (rngs, param_dtype):
            width = self._embedding(
                rngs, param_dtype, input_bounds, periods, harmonics, fourier_features, fourier_scale, trainable_scale
            )
            widths = (width, *self.hidden, self.out_dim)
            self.layers = nnx.List([self._dense(a, b, rngs, param_dtype) for a, b in zip(widths[:-1], widths[1:])])
            self._activations(len(self.hidden), param_dtype)

    _options = ("hidden",)

    def _forward(self, z):
        h = z
        for i, layer in enumerate(self.layers[:-1]):
            h = self._phi(layer(h), i)
        return self.layers[-1](h)


class FourierFeatureMLP(EmbeddedMLP):
    r"""Random Fourier features :math:`[\cos(2\pi B z), \sin(2\pi B z)]`, B ~ N(0, σ²)
    of shape (F, d), then an MLP (Tancik et al. 2020; Wang, Wang & Perdikaris 2021).

    σ sets the frequencies the network represents easily: about σ cycles per unit of
    the scaled input. B is fixed (a :class:`Buffer`) unless ``trainable_scale``, which
    learns a scalar log-scale multiplying B. Same arguments as :class:`EmbeddedMLP`
    with ``fourier_features = 64`` by default (it must be positive).
    """

    def __init__(self, in_dim, out_dim, hidden=(64, 64, 64), activation="tanh", *, fourier_features=64, **kwargs):
        if _nonnegative_int("fourier_features", fourier_features) == 0:
            raise ValueError("a FourierFeatureMLP needs fourier_features >= 1, got 0")
        super().__init__(in_dim, out_dim, hidden, activation, fourier_features=fourier_features, **kwargs)


class PeriodicMLP(EmbeddedMLP):
    r"""An MLP exactly periodic in the axes of ``periods = {axis: L}``.

    Each periodic x_i enters as :math:`\cos(2\pi k x_i/L_i), \sin(2\pi k x_i/L_i)`,
    k = 1..``harmonics``, so :math:`u(x + L_i e_i) = u(x)` holds to rounding, and with
    it every derivative: periodic boundary conditions need no loss term. Same
    arguments as :class:`EmbeddedMLP`; ``periods`` must name at least one axis.

    Periods are in the coordinates the network receives: its own ``input_bounds``
    scaling leaves the periodic axes alone, but a trainer that rescales inputs before
    the network (``pinn.solve(..., scale_inputs=True)``) maps the bounding box to
    [-1, 1], where a period spanning the box is 2.
    """

    def __init__(self, in_dim, out_dim, hidden=(64, 64, 64, 64), activation="tanh", *, periods, **kwargs):
        if isinstance(periods, Mapping) and not periods:
            raise ValueError("a PeriodicMLP needs at least one periodic axis, got periods={}")
        if periods is None:
            raise ValueError("a PeriodicMLP needs periods={axis: period}, got None")
        super().__init__(in_dim, out_dim, hidden, activation, periods=periods, **kwargs)


class FactorizedMLP(EmbeddedMLP):
    """An MLP whose every dense layer is a :class:`FactorizedDense` (random weight
    factorization, Wang et al. 2022). ``factorized=(mean, std)`` sets the
    distribution of the log-scales (default ``(1.0, 0.1)``, jaxpi's)."""

    def __init__(self, in_dim, out_dim, hidden=(64, 64, 64, 64), activation="tanh", *, factorized=True, **kwargs):
        if _check_factorized(factorized) is None:
            raise ValueError(f"a FactorizedMLP needs factorized=True or (mean, std), got {factorized!r}")
        super().__init__(in_dim, out_dim, hidden, activation, factorized=factorized, **kwargs)


class ModifiedMLP(PointNetwork):
    r"""The modified MLP of Wang, Teng & Perdikaris (2021), as in jaxpi.

    .. math::
        U = φ(W_u z + b_u), \quad V = φ(W_v z + b_v), \qquad h_0 = z,

        h_{l+1} = g_l \odot U + (1 - g_l) \odot V, \quad g_l = φ(W_l h_l + b_l),
        \qquad u = W_o h_L + b_o.

    The two encoders carry the input into every layer multiplicatively, which the
    authors found to balance gradients and fit stiff solutions better.

    Args:
        in_dim, out_dim: as for :class:`EmbeddedMLP`.
        width: width of every hidden layer (U and V share it).
        depth: number of gated hidden layers.
        activation: activation φ.
    """

    __doc__ += _EMBEDDING_DOC

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        width: int = 64,
        depth: int = 4,
        activation: str | Activation = "tanh",
        *,
        periods=None,
        harmonics=1,
        fourier_features=0,
        fourier_scale=1.0,
        trainable_scale=False,
        factorized=False,
        key=0,
        dtype="float32",
        input_bounds=None,
        output_transform=None,
    ):
        seed = self._setup(in_dim, out_dim, activation, key, dtype, output_transform, factorized)
        self.width = _positive_int("width", width)
        self.depth = _positive_int("depth", depth)
        self.hidden = (self.width,) * self.depth
        with self._building(seed) as (rngs, param_dtype):
            emb = self._embedding(
                rngs, param_dtype, input_bounds, periods, harmonics, fourier_features, fourier_scale, trainable_scale
            )
            self.encoder_u = self._dense(emb, self.width, rngs, param_dtype)
            self.encoder_v = self._dense(emb, self.width, rngs, param_dtype)
            widths = (emb, *self.hidden)
            self.layers = nnx.List([self._dense(a, b, rngs, param_dtype) for a, b in zip(widths[:-1], widths[1:])])
            self.head = self._dense(self.width, self.out_dim, rngs, param_dtype)
            self._activations(2 + self.depth, param_dtype)

    _options = ("width", "depth")

    def _forward(self, z):
        u = self._phi(self.encoder_u(z), 0)
        v = self._phi(self.encoder_v(z), 1)
        h = z
        for i, layer in enumerate(self.layers):
            g = self._phi(layer(h), 2 + i)
            h = g * u + (1.0 - g) * v
        return self.head(h)


class PirateNet(PointNetwork):
    r"""Physics-informed residual adaptive network (Wang, Li, Chen & Perdikaris 2024).

    With the embedding z (width w), the gates :math:`U = φ(W_u z + b_u)`,
    :math:`V = φ(W_v z + b_v)` (width n) and :math:`x_0 = z`, each of the ``blocks``
    blocks is

    .. math::
        f = φ(W_1 x_l + b_1),\ f \leftarrow f \odot U + (1 - f) \odot V,\
        g = φ(W_2 f + b_2),\ g \leftarrow g \odot U + (1 - g) \odot V,\
        h = φ(W_3 g + b_3) \in R^w,

        x_{l+1} = α_l h + (1 - α_l) x_l,

    and :math:`u = W_o x_L + b_o`. Every α_l is a learned scalar that starts at 0, so
    at initialisation :math:`u = W_o z + b_o` exactly, a linear function of the
    embedding, and depth is switched on only as training needs it.

    Args:
        in_dim, out_dim: as for :class:`EmbeddedMLP`.
        width: width n of the gates and inner layers.
        blocks: number of residual blocks (3 dense layers each).
        activation: activation φ.
        fourier_features: defaults to ``width // 2``, so the embedding (and the
            residual stream) is ``width`` wide as in the paper; 0 uses the scaled
            coordinates (and any periodic embedding) directly.
    """

    __doc__ += _EMBEDDING_DOC

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        width: int = 64,
        blocks: int = 3,
        activation: str | Activation = "tanh",
        *,
        periods=None,
        harmonics=1,
        fourier_features: int | None = None,
        fourier_scale=1.0,
        trainable_scale=False,
        factorized=False,
        key=0,
        dtype="float32",
        input_bounds=None,
        output_transform=None,
    ):
        seed = self._setup(in_dim, out_dim, activation, key, dtype, output_transform, factorized)
        self.width = _positive_int("width", width)
        self.blocks = _positive_int("blocks", blocks)
        self.hidden = (self.width,) * (3 * self.blocks)
        if fourier_features is None:
            fourier_features = max(1, self.width // 2)
        with self._building(seed) as (rngs, param_dtype):
            emb = self._embedding(
                rngs, param_dtype, input_bounds, periods, harmonics, fourier_features, fourier_scale, trainable_scale
            )
            self.encoder_u = self._dense(emb, self.width, rngs, param_dtype)
            self.encoder_v = self._dense(emb, self.width, rngs, param_dtype)
            self.layers = nnx.List(
                [
                    nnx.List(
                        [
                            self._dense(emb, self.width, rngs, param_dtype),
                            self._dense(self.width, self.width, rngs, param_dtype),
                            self._dense(self.width, emb, rngs, param_dtype),
                        ]
                    )
                    for _ in range(self.blocks)
                ]
            )
            self.alpha = nnx.Param(jnp.zeros(self.blocks, dtype=param_dtype))
            self.head = self._dense(emb, self.out_dim, rngs, param_dtype)
            self._activations(2 + 3 * self.blocks, param_dtype)

    _options = ("width", "blocks")

    def _forward(self, z):
        u = self._phi(self.encoder_u(z), 0)
        v = self._phi(self.encoder_v(z), 1)
        x = z
        for b, (first, second, third) in enumerate(self.layers):
            site = 2 + 3 * b
            f = self._phi(first(x), site)
            f = f * u + (1.0 - f) * v
            g = self._phi(second(f), site + 1)
            g = g * u + (1.0 - g) * v
            h = self._phi(third(g), site + 2)
            alpha = self.alpha[b]
            x = alpha * h + (1.0 - alpha) * x
        return self.head(x)


class GatedMLP(PointNetwork):
    r"""SwiGLU-style gated network with a smooth gate (Shazeer 2020), C∞ for a C∞ φ.

    .. math::
        h_0 = W_{in} z + b_{in}, \qquad
        h_{l+1} = h_l + W_{o,l}\,[\,φ(W_{g,l} h_l + b_{g,l}) \odot (W_{v,l} h_l + b_{v,l})\,] + b_{o,l},
        \qquad u = W_{out} h_L + b_{out},

    with φ = swish by default. The product of a gate and a linear value makes each
    layer quadratic-like rather than saturating, and keeps every derivative smooth.
    The skip term h_l (as around the gated feed-forward blocks of transformers) is on
    by default because the product alone shrinks a small signal quadratically: without
    it a width-64 network has output std 2e-8 at depth 3 and exactly 0 at depth 6 at
    initialisation (measured on [-1, 1]²), so nothing trains; ``residual=False`` gives
    the plain composition :math:`h_{l+1} = W_{o,l}[\,φ(W_{g,l} h_l) \odot (W_{v,l} h_l)\,]`.

    Args:
        in_dim, out_dim: as for :class:`EmbeddedMLP`.
        width: width of h and of the gate/value pair.
        depth: number of gated layers.
        activation: the gate φ (default ``"swish"``).
        residual: add the skip term h_l to every layer (default True).
    """

    __doc__ += _EMBEDDING_DOC

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        width: int = 64,
        depth: int = 3,
        activation: str | Activation = "swish",
        *,
        residual: bool = True,
        periods=None,
        harmonics=1,
        fourier_features=0,
        fourier_scale=1.0,
        trainable_scale=False,
        factorized=False,
        key=0,
        dtype="float32",
        input_bounds=None,
        output_transform=None,
    ):
        seed = self._setup(in_dim, out_dim, activation, key, dtype, output_transform, factorized)
        self.width = _positive_int("width", width)
        self.depth = _positive_int("depth", depth)
        if not isinstance(residual, bool):
            raise ValueError(f"residual must be True or False, got {residual!r}")
        self.residual = residual
        self.hidden = (self.width,) * self.depth
        with self._building(seed) as (rngs, param_dtype):
            emb = self._embedding(
                rngs, param_dtype, input_bounds, periods, harmonics, fourier_features, fourier_scale, trainable_scale
            )
            self.lift = self._dense(emb, self.width, rngs, param_dtype)
            self.layers = nnx.List(
                [
                    nnx.List([self._dense(self.width, self.width, rngs, param_dtype) for _ in range(3)])
                    for _ in range(self.depth)
                ]
            )
            self.head = self._dense(self.width, self.out_dim, rngs, param_dtype)
            self._activations(self.depth, param_dtype)

    _options = ("width", "depth", "residual")

    def _forward(self, z):
        h = self.lift(z)
        for i, (gate, value, out) in enumerate(self.layers):
            update = out(self._phi(gate(h), i) * value(h))
            h = h + update if self.residual else update
        return self.head(h)


#: The networks by class name, for :func:`network_from_config`.
NETWORKS: dict[str, type[PointNetwork]] = {
    cls.__name__: cls
    for cls in (EmbeddedMLP, FourierFeatureMLP, PeriodicMLP, FactorizedMLP, ModifiedMLP, PirateNet, GatedMLP)
}


def network_from_config(config: Mapping, output_transform: Callable | None = None) -> PointNetwork:
    """Rebuild a network from :meth:`PointNetwork.config` (same seed: same parameters)."""
    cfg = dict(config)
    name = cfg.pop("network", None)
    if name not in NETWORKS:
        raise ValueError(f"unknown network {name!r}; valid networks: {', '.join(NETWORKS)}")
    cls = NETWORKS[name]
    in_dim, out_dim = cfg.pop("in_dim"), cfg.pop("out_dim")
    cfg["periods"] = {int(a): p for a, p in cfg.get("periods", {}).items()} or None
    if isinstance(cfg.get("factorized"), list):
        cfg["factorized"] = tuple(cfg["factorized"])
    if cfg.get("input_bounds") is not None:
        cfg["input_bounds"] = tuple(tuple(b) for b in cfg["input_bounds"])
    if "hidden" in cfg:
        cfg["hidden"] = tuple(cfg["hidden"])
    return cls(in_dim, out_dim, output_transform=output_transform, **cfg)
