"""Several processes, one run: ``jax.distributed`` for training past one machine.

Every process runs the same program (the same ``pinn solve`` command, or the same
script) with its own process id; process 0 also hosts the coordinator::

    pinn solve heat3d --processes 2 --process-id 0 --coordinator 10.0.0.1:4321 --out runs/h3
    pinn solve heat3d --processes 2 --process-id 1 --coordinator 10.0.0.1:4321 --out runs/h3

or, from Python, before anything else touches JAX::

    pinn.distributed.initialize(pinn.distributed.Cluster(processes=2, process_id=0,
                                                         coordinator="10.0.0.1:4321"))
    result = pinn.solve(problem, model, ...)          # the same call on every process

:func:`initialize` turns on JAX's CPU collectives (gloo) and starts the distributed
runtime; from then on ``jax.devices()`` lists the devices of every process and the
trainer's mesh spans them all (:mod:`pinn.train`): points sharded, state replicated.
Process 0 writes the run folder and the checkpoints; the others write nothing.

A process that dies (``kill -9``, a lost host) ends the run: the next collective of
the others fails at once when the connection drops, or the coordinator's heartbeat
(``heartbeat_seconds``) declares the process dead. :class:`PeerLost` says so; the
checkpoints on disk are complete (written atomically) and ``resume`` continues.

The launch settings come from arguments or, where those are not given, from the
environment variables ``JAX_COORDINATOR_ADDRESS``, ``JAX_NUM_PROCESSES`` and
``JAX_PROCESS_ID`` (:meth:`Cluster.from_env`).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Mapping

import jax
import numpy as np

from pinn.config import _check_int

ENVIRONMENT: dict[str, str] = {
    "coordinator": "JAX_COORDINATOR_ADDRESS",
    "processes": "JAX_NUM_PROCESSES",
    "process_id": "JAX_PROCESS_ID",
}


class PeerLost(RuntimeError):
    """Another process of the run stopped (killed, crashed, unreachable): the run cannot go on."""


def check_address(address) -> str:
    """``HOST:PORT`` (port 1 to 65535) or a ValueError naming the bad value."""
    host, sep, port = address.rpartition(":") if isinstance(address, str) else ("", "", "")
    if not (sep and host and port.isdigit() and 1 <= int(port) <= 65535):
        raise ValueError(f"coordinator must be HOST:PORT with a port from 1 to 65535 (e.g. 127.0.0.1:4321), got {address!r}")
    return address


@dataclasses.dataclass(frozen=True)
class Cluster:
    """The processes of one run and this process's place among them; validated at construction.

    Attributes:
        processes: how many processes train together (on one or several hosts).
        process_id: this process, 0 to ``processes - 1``; process 0 hosts the
            coordinator and writes the run folder.
        coordinator: ``HOST:PORT`` of process 0, the same for every process.
        heartbeat_seconds: a process silent this long is declared dead and the run stops.
        init_seconds: how long a process waits for all the others to connect.
    """

    processes: int
    process_id: int
    coordinator: str
    heartbeat_seconds: int = 20
    init_seconds: int = 300

    def __post_init__(self):
        _check_int("processes", self.processes, 1)
        _check_int("process_id", self.process_id, 0)
        if self.process_id >= self.processes:
            raise ValueError(
                f"process_id {self.process_id} is out of range for {self.processes} process(es); "
                f"valid process ids: 0 to {self.processes - 1}"
            )
        check_address(self.coordinator)
        _check_int("heartbeat_seconds", self.heartbeat_seconds, 1)
        _check_int("init_seconds", self.init_seconds, 1)

    @classmethod
    def from_env(
        cls,
        processes: int | None = None,
        process_id: int | None = None,
        coordinator: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> "Cluster | None":
        """The cluster named by the arguments, the environment variables filling the
        gaps (:data:`ENVIRONMENT`); ``None`` when neither names more than one process."""
        environ = os.environ if environ is None else environ
        given = {"processes": processes, "process_id": process_id, "coordinator": coordinator}
        for field, variable in ENVIRONMENT.items():
            if given[field] is None and environ.get(variable):
                text = environ[variable]
                if field == "coordinator":
                    given[field] = text
                else:
                    try:
                        given[field] = int(text)
                    except ValueError:
                        raise ValueError(f"{variable} must be an integer, got {text!r}") from None
        if given["processes"] is None or given["processes"] == 1 and given["coordinator"] is None:
            if given["process_id"] not in (None, 0):
                raise ValueError(
                    f"process_id {given['process_id']} is out of range for 1 process; valid process ids: 0 "
                    f"(set processes, --processes or {ENVIRONMENT['processes']}, for more)"
                )
            if given["processes"] is None and given["coordinator"] is not None:
                raise ValueError(f"a coordinator ({given['coordinator']!r}) needs the number of processes too")
            return None
        missing = [name for name in ("process_id", "coordinator") if given[name] is None]
        if missing:
            flags = {"process_id": "a process id (--process-id", "coordinator": "a coordinator HOST:PORT (--coordinator"}
            names = " and ".join(f"{flags[m]} or {ENVIRONMENT[m]})" for m in missing)
            raise ValueError(f"{given['processes']} processes need {names} as well")
        return cls(**given)


_STARTED: list[Cluster] = []


def initialize(cluster: Cluster) -> None:
    """Join the run's processes (``jax.distributed.initialize`` with CPU collectives).

    Call it once per process, before any JAX computation; calling it again with the
    same cluster does nothing.
    """
    if not isinstance(cluster, Cluster):
        raise ValueError(f"initialize takes a pinn.distributed.Cluster, got {cluster!r}")
    if _STARTED:
        if _STARTED[0] == cluster:
            return
        raise ValueError(f"this process already joined {_STARTED[0]}; it cannot join {cluster} as well")
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    try:
        jax.distributed.initialize(
            coordinator_address=cluster.coordinator,
            num_processes=cluster.processes,
            process_id=cluster.process_id,
            initialization_timeout=cluster.init_seconds,
            heartbeat_timeout_seconds=cluster.heartbeat_seconds,
            shutdown_timeout_seconds=cluster.heartbeat_seconds,
        )
    except RuntimeError as err:
        raise ValueError(
            f"cannot join {cluster.processes} processes at {cluster.coordinator} as process {cluster.process_id}: "
            f"{' '.join(str(err).split())[:300]} (initialize must come before any JAX computation)"
        ) from None
    _STARTED.append(cluster)


def is_main() -> bool:
    """Whether this process writes the run's files (process 0; always true on one process)."""
    return jax.process_index() == 0


def broadcast_json(value):
    """Process 0's ``value`` (plain JSON data) on every process; ``value`` itself on one process."""
    if jax.process_count() == 1:
        return value
    from jax.experimental import multihost_utils

    data = np.frombuffer(json.dumps(value).encode(), dtype=np.uint8) if is_main() else np.zeros(0, np.uint8)
    size = int(multihost_utils.broadcast_one_to_all(np.array([data.size], dtype=np.int32))[0])
    padded = np.zeros(size, np.uint8)
    padded[: data.size] = data
    out = np.asarray(multihost_utils.broadcast_one_to_all(padded), dtype=np.uint8)
    return json.loads(out.tobytes().decode())


def broadcast_tree(tree):
    """Process 0's pytree of host arrays on every process (the others pass a template of
    the same shapes and dtypes); ``tree`` itself on one process."""
    if jax.process_count() == 1:
        return tree
    from jax.experimental import multihost_utils

    return jax.tree.map(np.asarray, multihost_utils.broadcast_one_to_all(tree))


def on_main(check: Callable[[], object], fallback=None):
    """Run ``check`` on process 0 and share its ValueError with every process.

    Returns ``check()`` on process 0 and ``fallback`` elsewhere; if it raises a
    ValueError there, every process raises the same one, so no process goes on alone
    into a collective the others never reach.
    """
    if jax.process_count() == 1:
        return check()
    error, out = None, fallback
    if is_main():
        try:
            out = check()
        except ValueError as err:
            error = str(err)
    error = broadcast_json(error)
    if error is not None:
        raise ValueError(error)
    return out


def gather(tree):
    """The global values of a pytree of (possibly sharded) arrays, as host arrays on every process."""
    if jax.process_count() == 1:
        return jax.device_get(tree)
    from jax.experimental import multihost_utils

    return jax.tree.map(np.asarray, multihost_utils.process_allgather(tree, tiled=True))


def lost_peer(err: BaseException) -> PeerLost:
    """The :class:`PeerLost` for an error raised by a collective whose peer went away."""
    text = " ".join(str(err).split())
    # XLA nests the cause in layers of "Error dispatching computation: ..."; keep the cause.
    detail = text.rpartition("Error dispatching computation: ")[2] or text
    detail = detail[:240]
    return PeerLost(
        f"process {jax.process_index()} of {jax.process_count()}: another process of the run stopped "
        f"(a collective failed: {detail})"
    )


def is_peer_failure(err: BaseException) -> bool:
    """Whether ``err`` is a failed cross-process collective or a lost coordination service."""
    if jax.process_count() == 1:
        return False
    text = str(err)
    return any(s in text for s in ("Gloo", "gloo", "Connection closed", "heartbeat", "coordination service", "UNAVAILABLE"))
