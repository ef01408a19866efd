"""What a caller hands the sandbox: the limits of a job, and the payload (which of its own code
goes in, what the zygote preloads, which function runs a job) -- data, so that this package
knows nothing of the assignment it runs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass
class Limits:
    cell_seconds: float = 30.0  # wall time for one step (a cell, a probe): see frames.BEAT
    total_seconds: float = 180.0  # wall time for a whole submission
    cpu_seconds: int = 300
    memory_bytes: int = 2 * 2**30  # on top of what the warm zygote already maps
    max_processes: int = 64
    max_file_bytes: int = 64 * 2**20
    disk_bytes: int = 256 * 2**20
    max_output_bytes: int = 256 * 2**10  # captured stdout/stderr per cell, rest dropped


@dataclass(frozen=True)
class Payload:
    """The caller's code in the sandbox.

    ``package`` is a folder bound read-only at its own path with only ``entries`` (names in it,
    files or folders) visible: anything added to it later stays out unless listed. Its parent
    goes first on the zygote's ``sys.path``. ``preload`` is imported in the zygote in order
    (``"module"``, or ``"module:function"`` to call it once all are imported). ``entry``
    (``"module:function"``) runs each job in a fresh child as ``f(job, send, beat=...,
    cell_seconds=..., max_output_bytes=..., workdir=...)``. ``env`` is added to the sandbox's
    environment (a value starting with ``~/`` is under the sandbox's home).
    """

    package: str
    entries: tuple[str, ...]
    entry: str
    preload: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)


class SandboxError(RuntimeError):
    """The sandbox could not be started (the message is one sentence saying what to do)."""


SANDBOX_UID = 65534  # host uid of students' code when this process is root ("nobody")
MAX_OPEN_FILES = 256  # per process of a job: bounds the pipes and sockets it can hold
KILL_GRACE = 2.0  # seconds past a step's limit before the child is killed from outside
STARTUP_SECONDS = 120.0  # importing torch on a cold, busy machine can be slow
ABORT_SECONDS = 5.0  # wait for the zygote to confirm a kill before tearing it down
SHM_BYTES = 64 * 2**20  # /dev/shm inside the sandbox, and the SysV shared memory of a job
