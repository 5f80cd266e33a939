r"""Second derivatives in one forward pass: a "forward Laplacian" / forward Hessian.

:func:`second_order` propagates, through every operation of a function ``f`` of one
point, the value together with its first derivatives along r directions and a few
*collapsed* second-order quantities, each a fixed combination

.. math::  S_q = \sum_{(j, k, c) \in \text{channel } q} c\, \partial_j \partial_k f

(the Laplacian is ONE channel, :math:`\sum_k \partial_k \partial_k f`; the full Hessian
is one channel per pair j <= k). Through ``y = g(z)`` the rules are

.. math::  \nabla y = g'(z) \nabla z, \qquad
           S_q(y) = g'(z) S_q(z) + \sum_{(j,k,c)} c\, g''(z)[\partial_j z, \partial_k z],

so a linear layer maps the gradient and the Laplacian channel by the same matrix and
an activation adds ``g''(z) |∇z|²``. Compared with nested ``jax.jvp`` (one
second-order tangent per direction) the Laplacian costs 2 + d channels instead of
1 + 2d, and compared with ``jax.hessian`` (reverse over forward) nothing is stored
for a backward sweep, which is what makes a training step cheap.

It works on any JAX function, not only :class:`pinn.MLP`: the function is traced to a
jaxpr (values it closes over, e.g. parameters or a time coordinate, stay constants)
and each equation is pushed through one of three exact rules: linear in its varying
inputs (``dot_general`` with a constant matrix, ``add``, reshapes, slices, ...);
elementwise in one varying input (activations: ``g'``, ``g''`` from ``jax.jvp``); and
a general rule (nested ``jax.jvp`` of the primitive) for everything else. Calls
(``jit``, ...) are inlined; a ``custom_jvp_call`` goes through the general rule, so its
own derivative rule is used (e.g. softplus at exactly 0). The results equal ``jax.hessian`` to
rounding (tests/test_engines.py checks 1e-12 relative in float64).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.extend import core as jcore

#: A second-order channel: terms (j, k, c) meaning c * d2/(dv_j dv_k) along directions j, k.
Channel = tuple[tuple[int, int, float], ...]


class _Jet(NamedTuple):
    """A value that depends on the point: value, first derivatives (r, ...), channels (q, ...)."""

    v: jax.Array
    G: jax.Array
    S: jax.Array


# Primitives that are linear (affine) in their varying inputs when the conditions
# below hold (checked per equation): the same linear map acts on value, tangents and
# second-order channels, and no second-order term appears.
_LINEAR_ALWAYS = frozenset(
    {
        "neg", "add", "sub", "add_any", "reshape", "broadcast_in_dim", "squeeze", "expand_dims",
        "transpose", "slice", "concatenate", "reduce_sum", "convert_element_type", "copy", "copy_p",
        "rev", "cumsum", "real", "imag", "conj", "reduce_precision", "pad", "dynamic_update_slice",
    }
)
# Linear only in the listed operand positions (the others must not vary).
_LINEAR_IN = {
    "mul": None,  # bilinear: linear when exactly one operand varies
    "dot_general": None,
    "div": (0,),
    "dynamic_slice": (0,),
    "gather": (0,),
    "select_n": None,  # linear in the cases when the predicate (operand 0) is constant
}
# Elementwise primitives: with one varying operand shaped like the output they act as a
# scalar function g applied entrywise.
_ELEMENTWISE = frozenset(
    {
        "tanh", "sin", "cos", "tan", "exp", "exp2", "log", "log1p", "expm1", "logistic", "sqrt",
        "rsqrt", "cbrt", "integer_pow", "pow", "erf", "erfc", "erf_inv", "atan", "asin", "acos",
        "sinh", "cosh", "asinh", "acosh", "atanh", "abs", "sign", "square", "div", "mul", "max",
        "min", "atan2", "lgamma", "digamma", "sub", "add",
    }
)
# Calls whose body is inlined (their sub-jaxpr is interpreted equation by equation).
# Not custom_jvp_call: it goes through the general rule, which differentiates through its
# own rule; its body may be exact only away from a tie (logaddexp, behind softplus and
# mish, takes max and abs of z - 0 and read softplus''(0) = 0.18 instead of 1/4 when a
# pre-activation was exactly 0).
_CALLS = {
    "jit": "jaxpr",
    "pjit": "jaxpr",
    "closed_call": "call_jaxpr",
    "core_call": "call_jaxpr",
    "custom_vjp_call": "call_jaxpr",
    "custom_vjp_call_jaxpr": "fun_jaxpr",
    "checkpoint": "jaxpr",
    "remat": "jaxpr",
}


def laplacian_channel(dirs: Sequence[int]) -> Channel:
    """The Laplacian over direction indices ``dirs``: sum_k d2/dv_k^2."""
    return tuple((k, k, 1.0) for k in dirs)


def hessian_channels(r: int) -> tuple[Channel, ...]:
    """One channel per pair j <= k of r directions, in row-major upper-triangle order."""
    return tuple(((j, k, 1.0),) for j in range(r) for k in range(j, r))


def second_order(
    f: Callable[[jax.Array], jax.Array],
    x: jax.Array,
    channels: Sequence[Channel],
    directions: jax.Array | None = None,
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Value, first and collapsed second derivatives of ``f`` at one point ``x`` (d,).

    Args:
        f: function of one point returning an array (scalar or any shape ``s``).
        x: the point, shape (d,).
        channels: second-order channels (see :func:`laplacian_channel`,
            :func:`hessian_channels`); indices refer to ``directions``.
        directions: (r, d) directions v_1..v_r; default the coordinate axes (r = d).

    Returns:
        ``(f(x), G, S)`` with ``G[i] = Df(x) v_i`` (shape (r, *s)) and
        ``S[q] = sum c D2f(x)[v_j, v_k]`` over the terms of channel q (shape (q, *s)).
    """
    x = jnp.asarray(x)
    if x.ndim != 1:
        raise ValueError(f"second_order needs one point of shape (d,), got shape {x.shape}")
    d = x.shape[0]
    V = jnp.eye(d, dtype=x.dtype) if directions is None else jnp.asarray(directions, dtype=x.dtype)
    if V.ndim != 2 or V.shape[1] != d:
        raise ValueError(f"directions must have shape (r, {d}), got {V.shape}")
    channels = tuple(tuple((int(j), int(k), float(c)) for j, k, c in ch) for ch in channels)
    for ch in channels:
        for j, k, _ in ch:
            if not (0 <= j < V.shape[0] and 0 <= k < V.shape[0]):
                raise ValueError(f"channel term ({j}, {k}) refers to a direction outside 0..{V.shape[0] - 1}")
    closed = jax.make_jaxpr(f)(x)
    seed = _Jet(x, V, jnp.zeros((len(channels), d), x.dtype))
    (out,) = _eval_jaxpr(closed.jaxpr, closed.consts, [seed], channels)
    if isinstance(out, _Jet):
        return out.v, out.G, out.S
    out = jnp.asarray(out)
    zeros = jnp.zeros((V.shape[0], *out.shape), out.dtype)
    return out, zeros, jnp.zeros((len(channels), *out.shape), out.dtype)


# -- the interpreter --------------------------------------------------------------------


def _eval_jaxpr(jaxpr, consts, args, channels):
    env = {}

    def read(a):
        return a.val if isinstance(a, jcore.Literal) else env[a]

    for var, val in zip(jaxpr.constvars, consts):
        env[var] = val
    for var, val in zip(jaxpr.invars, args):
        env[var] = val
    for eqn in jaxpr.eqns:
        outs = _apply(eqn, [read(a) for a in eqn.invars], channels)
        for var, val in zip(eqn.outvars, outs):
            if not isinstance(var, jcore.DropVar):
                env[var] = val
    return [read(v) for v in jaxpr.outvars]


def _bind(eqn, values):
    # get_bind_params as in jax.core.eval_jaxpr: calls such as custom_jvp_call bind
    # with functions rebuilt from their recorded parameters.
    out = eqn.primitive.bind(*values, **eqn.primitive.get_bind_params(eqn.params))
    return list(out) if eqn.primitive.multiple_results else [out]


def _apply(eqn, ins, channels):
    varying = [i for i, a in enumerate(ins) if isinstance(a, _Jet)]
    primals = [a.v if isinstance(a, _Jet) else a for a in ins]
    if not varying:
        return _bind(eqn, primals)
    name = eqn.primitive.name
    if name in _CALLS and _CALLS[name] in eqn.params:
        sub = eqn.params[_CALLS[name]]
        jaxpr, consts = (sub.jaxpr, sub.consts) if isinstance(sub, jcore.ClosedJaxpr) else (sub, ())
        # Calls without a forward rule of their own (jit, custom_vjp, ...): the body is
        # differentiated as written.
        return _eval_jaxpr(jaxpr, list(consts), ins, channels)
    if not all(jnp.issubdtype(v.aval.dtype, jnp.inexact) for v in eqn.outvars):
        return _bind(eqn, primals)  # integer/boolean results carry no derivative

    def g(*vary):
        vals = list(primals)
        for i, v in zip(varying, vary):
            vals[i] = v
        return _bind(eqn, vals)

    jets = [ins[i] for i in varying]
    if _is_linear(name, varying, len(ins)):
        return _linear_rule(g, primals, varying, jets)
    out_shapes = [v.aval.shape for v in eqn.outvars]
    if name in _ELEMENTWISE and len(jets) == 1 and out_shapes == [jnp.shape(jets[0].v)]:
        return [_elementwise_rule(name if len(ins) == 1 else "", g, jets[0], channels)]
    return _general_rule(g, jets, channels)


def _is_linear(name, varying, n_in):
    if name in _LINEAR_ALWAYS:
        return True
    if name not in _LINEAR_IN:
        return False
    if name in ("mul", "dot_general"):
        return len(varying) == 1
    if name == "select_n":
        return 0 not in varying
    return set(varying) <= set(_LINEAR_IN[name])


def _tangent_map(g, vs):
    """t -> Dg(vs)[t], one tangent per varying input; the primal part is dead code XLA drops."""
    f = lambda *a: tuple(g(*a))  # noqa: E731
    return lambda *ts: jax.jvp(f, vs, ts)[1]


def _linear_rule(g, primals, varying, jets):
    vs = tuple(j.v for j in jets)
    values = g(*vs)
    tangent = _tangent_map(g, vs)
    G = jax.vmap(tangent)(*(j.G for j in jets))
    S = jax.vmap(tangent)(*(j.S for j in jets))
    return [_Jet(v, Gi, Si) for v, Gi, Si in zip(values, G, S)]


def _quadratic(G, channels):
    """Q_q = sum_(j,k,c) c * G_j * G_k for each channel (elementwise products)."""
    out = []
    for ch in channels:
        total = None
        for j, k, c in ch:
            term = G[j] * G[j] if j == k else G[j] * G[k]
            term = term if c == 1.0 else c * term
            total = term if total is None else total + term
        out.append(total if total is not None else jnp.zeros_like(G[0]))
    return jnp.stack(out) if out else jnp.zeros((0, *G.shape[1:]), G.dtype)


# g' and g'' from the value g(z) (or z) for the common activations: cheaper to train
# through than the generic nested jvp, and the same numbers.
_KNOWN_DERIVATIVES = {
    "tanh": lambda z, t: (1 - t * t, -2 * t * (1 - t * t)),
    "logistic": lambda z, s: (s * (1 - s), s * (1 - s) * (1 - 2 * s)),
    "sin": lambda z, s: (jnp.cos(z), -s),
    "cos": lambda z, c: (-jnp.sin(z), -c),
    "exp": lambda z, e: (e, e),
}


def _elementwise_rule(name, g, jet, channels):
    g1 = lambda v: g(v)[0]  # noqa: E731
    if name in _KNOWN_DERIVATIVES:
        value = g1(jet.v)
        d1, d2 = _KNOWN_DERIVATIVES[name](jet.v, value)
    else:
        ones = jnp.ones_like(jet.v)
        dg = lambda v: jax.jvp(g1, (v,), (ones,))[1]  # noqa: E731  entrywise g'
        value, d1 = jax.jvp(g1, (jet.v,), (ones,))
        d2 = jax.jvp(dg, (jet.v,), (ones,))[1]
    G = d1 * jet.G
    S = d1 * jet.S + d2 * _quadratic(jet.G, channels)
    return _Jet(value, G, S)


def _general_rule(g, jets, channels):
    vs = tuple(j.v for j in jets)
    values = g(*vs)
    tangent = _tangent_map(g, vs)
    G = jax.vmap(tangent)(*(j.G for j in jets))
    S = list(jax.vmap(tangent)(*(j.S for j in jets)))

    def second(j, k):
        inner = lambda *a: tuple(jax.jvp(lambda *b: tuple(g(*b)), a, tuple(x.G[j] for x in jets))[1])  # noqa: E731
        return jax.jvp(inner, vs, tuple(x.G[k] for x in jets))[1]

    cache = {}
    for q, ch in enumerate(channels):
        for j, k, c in ch:
            key = (min(j, k), max(j, k))
            if key not in cache:
                cache[key] = second(*key)
            S = [s.at[q].add(c * t) for s, t in zip(S, cache[key])]
    return [_Jet(v, Gi, Si) for v, Gi, Si in zip(values, G, S)]


def hessian_from_channels(S: jax.Array, r: int) -> jax.Array:
    """(q, *s) channels of :func:`hessian_channels` -> the symmetric Hessian (*s, r, r)."""
    index = np.zeros((r, r), dtype=int)
    q = 0
    for j in range(r):
        for k in range(j, r):
            index[j, k] = index[k, j] = q
            q += 1
    H = S[index.reshape(-1)].reshape(r, r, *S.shape[1:])
    return jnp.moveaxis(jnp.moveaxis(H, 0, -1), 0, -1)
