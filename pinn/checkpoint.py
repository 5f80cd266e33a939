"""Pytrees on disk: atomic ``.npz`` files with a JSON header.

A file holds the leaves of a pytree keyed by their tree path plus a metadata dict.
Loading needs a *template* pytree of the same structure (a freshly built model's
parameters, an optimizer's initial state): every path, shape and dtype is checked,
and a mismatch names what differs instead of failing deep inside JAX.

Writes go to a temporary file in the same folder, flushed and fsynced, then
``os.replace``-d over the target, so a crash never leaves a half-written file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import jax
import numpy as np

META_KEY = "__meta__"


def _flat(tree) -> dict[str, np.ndarray]:
    leaves, _ = jax.tree_util.tree_flatten_with_path(tree)
    out = {}
    for path, leaf in leaves:
        key = jax.tree_util.keystr(path)
        is_key = hasattr(leaf, "dtype") and jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key)
        out[key] = np.asarray(jax.random.key_data(leaf) if is_key else leaf)
    return out


def save_pytree(path: str | os.PathLike, tree, meta: dict | None = None) -> Path:
    """Write ``tree`` and ``meta`` to ``path`` atomically; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = _flat(tree)
    arrays[META_KEY] = np.frombuffer(json.dumps(meta or {}).encode(), dtype=np.uint8)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def read_meta(path: str | os.PathLike) -> dict:
    with np.load(path) as data:
        return json.loads(bytes(data[META_KEY]).decode())


def load_pytree(path: str | os.PathLike, template) -> tuple:
    """Read ``path`` into the structure of ``template``; returns (tree, meta).

    Raises ValueError naming the first path whose presence, shape or dtype differs.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no checkpoint file at {path}")
    want = _flat(template)
    with np.load(path) as data:
        meta = json.loads(bytes(data[META_KEY]).decode())
        have = {k: data[k] for k in data.files if k != META_KEY}
    missing = sorted(set(want) - set(have))
    extra = sorted(set(have) - set(want))
    if missing or extra:
        raise ValueError(
            f"checkpoint {path} does not match the expected structure: "
            f"missing {missing[:3]}{'...' if len(missing) > 3 else ''}, unexpected {extra[:3]}{'...' if len(extra) > 3 else ''}"
        )
    for key, ref in want.items():
        if have[key].shape != ref.shape:
            raise ValueError(f"checkpoint {path}: {key} has shape {have[key].shape}, expected {ref.shape}")
        if have[key].dtype != ref.dtype:
            raise ValueError(f"checkpoint {path}: {key} has dtype {have[key].dtype}, expected {ref.dtype}")
    leaves, treedef = jax.tree_util.tree_flatten_with_path(template)
    restored = []
    for p, leaf in leaves:
        arr = have[jax.tree_util.keystr(p)]
        is_key = hasattr(leaf, "dtype") and jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key)
        # numpy leaves keep their dtype; JAX converts them in the caller's x64 context.
        restored.append(jax.random.wrap_key_data(arr) if is_key else arr)
    return jax.tree_util.tree_unflatten(treedef, restored), meta
