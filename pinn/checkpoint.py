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


# ---------------------------------------------------------------------------------
# A folder of training checkpoints
# ---------------------------------------------------------------------------------
CHECKPOINT_PREFIX = "ckpt-"
CHECKPOINT_SUFFIX = ".npz"


def checkpoint_path(directory: str | os.PathLike, step: int) -> Path:
    """The file of the checkpoint at global ``step`` in ``directory``."""
    return Path(directory) / f"{CHECKPOINT_PREFIX}{step:09d}{CHECKPOINT_SUFFIX}"


def _checkpoint_step(name: str) -> int | None:
    if not (name.startswith(CHECKPOINT_PREFIX) and name.endswith(CHECKPOINT_SUFFIX)):
        return None
    digits = name[len(CHECKPOINT_PREFIX) : -len(CHECKPOINT_SUFFIX)]
    return int(digits) if digits.isdigit() else None


def _is_partial_write(name: str) -> bool:
    """A temporary file :func:`save_pytree` leaves behind when killed mid-write."""
    return name.startswith(f".{CHECKPOINT_PREFIX}") and name.endswith(".tmp")


def list_checkpoints(directory: str | os.PathLike) -> list[tuple[int, Path]]:
    """``(step, path)`` of every checkpoint file in ``directory``, oldest first."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [(_checkpoint_step(p.name), p) for p in directory.iterdir() if p.is_file()]
    return sorted((step, p) for step, p in found if step is not None)


def check_checkpoint_dir(directory: str | os.PathLike, resume: bool) -> Path:
    """Validate a checkpoint folder before training starts; returns it as a Path.

    The folder may be missing or empty, or hold this module's checkpoints (and the
    temporary files of a write that was killed). Anything else means it is not a
    checkpoint folder and nothing is written into it. Without ``resume``, existing
    checkpoints belong to an earlier run and are never written over; with it, there
    must be at least one to resume from.
    """
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ValueError(f"checkpoint_dir {str(directory)!r} is a file, not a folder")
    names = sorted(p.name for p in directory.iterdir()) if directory.is_dir() else []
    foreign = [n for n in names if _checkpoint_step(n) is None and not _is_partial_write(n)]
    if foreign:
        shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise ValueError(
            f"checkpoint_dir {str(directory)!r} holds files that are not checkpoints ({shown}); "
            f"use an empty folder or the checkpoint folder of a run"
        )
    has_checkpoints = any(_checkpoint_step(n) is not None for n in names)
    if has_checkpoints and not resume:
        raise ValueError(
            f"checkpoint_dir {str(directory)!r} already holds the checkpoints of a run; pass resume=True "
            f"(--resume) to continue it, or choose another folder"
        )
    if resume and not has_checkpoints:
        raise ValueError(f"resume=True but checkpoint_dir {str(directory)!r} holds no checkpoint to resume from")
    return directory


def remove_partial_writes(directory: str | os.PathLike) -> None:
    """Delete the temporary files of checkpoint writes that were killed half-way."""
    directory = Path(directory)
    if directory.is_dir():
        for p in directory.iterdir():
            if _is_partial_write(p.name):
                p.unlink(missing_ok=True)


def prune_checkpoints(directory: str | os.PathLike, keep: int) -> None:
    """Delete all but the newest ``keep`` checkpoints."""
    for _, path in list_checkpoints(directory)[:-keep] if keep > 0 else []:
        path.unlink(missing_ok=True)


def readable(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a complete checkpoint file (its zip index and header read)."""
    try:
        with np.load(path) as data:
            json.loads(bytes(data[META_KEY]).decode())
            for key in data.files:  # reading every array checks every member's CRC
                data[key]
        return True
    except Exception:  # a truncated or foreign file: any failure means "not usable"
        return False


def fingerprint_differences(saved: dict, current: dict, prefix: str = "") -> list[str]:
    """Human-readable differences between two nested fingerprint dicts (saved first)."""
    out = []
    for key in sorted(set(saved) | set(current)):
        name = f"{prefix}{key}"
        a, b = saved.get(key, "<absent>"), current.get(key, "<absent>")
        if isinstance(a, dict) and isinstance(b, dict):
            out.extend(fingerprint_differences(a, b, f"{name}."))
        elif a != b and not (a != a and b != b):  # NaN == NaN for this purpose
            out.append(f"{name} is {a!r} in the checkpoint but {b!r} now")
    return out
