"""The zygote's control protocol: every message on the control socket between a ``Worker`` and
its zygote, as a frozen dataclass, grouped by direction. Each is one frame (``frames``), a JSON
object whose ``op`` names it. The zygote is started by the worker and trusted with what it is
asked; what it reports is read typed (it shares the sandbox with students' code)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# ---------------------------------------------------------------------- the worker -> the zygote


@dataclass(frozen=True)
class Run:
    """Run one job in a fresh child; the job's pipe follows as a passed file descriptor."""

    job: dict[str, Any]  # the payload's job, passed to its entry as is
    limits: dict[str, Any]  # ``Limits`` as a dict (unknown keys are ignored)

    def to_wire(self) -> dict[str, Any]:
        return {"op": "run", "job": self.job, "limits": self.limits}


@dataclass(frozen=True)
class Kill:
    """Kill the running job's every process now (a stray one, after the job, is ignored)."""

    def to_wire(self) -> dict[str, Any]:
        return {"op": "kill"}


@dataclass(frozen=True)
class Quit:
    """Kill everything and exit."""

    def to_wire(self) -> dict[str, Any]:
        return {"op": "quit"}


# ---------------------------------------------------------------------- the zygote -> the worker


@dataclass(frozen=True)
class Ready:
    """The zygote has preloaded the payload and waits for jobs (kept as ``Worker.zygote_info``)."""

    pid: int  # the zygote's pid (in its pid namespace under bubblewrap)
    mode: str  # the isolation mode it runs in
    child_uid: int | None  # the uid jobs run as, or None (the zygote's own)
    preload_errors: list[str] = field(default_factory=list)  # preloads that failed, in words
    rss_bytes: int = 0  # its resident memory once warm (the cgroup's bound counts it)
    seccomp: str = "off"  # the seccomp filter jobs get, in words
    unreadable: list[str] = field(default_factory=list)  # Python folders the jobs cannot list

    def to_wire(self) -> dict[str, Any]:
        return {"op": "ready", "pid": self.pid, "mode": self.mode, "child_uid": self.child_uid,
                "preload_errors": self.preload_errors, "rss_bytes": self.rss_bytes,
                "seccomp": self.seccomp, "unreadable": self.unreadable}


@dataclass(frozen=True)
class Done:
    """The job is over: every process of it killed, the scratch space wiped."""

    exit_code: int | None  # the child's exit status, if it exited
    signal: int | None  # the signal that killed the child, if one did
    restart: bool  # the sandbox could not be emptied: it must not be reused
    cleanup_seconds: float = 0.0  # how long killing and wiping took

    def to_wire(self) -> dict[str, Any]:
        return {"op": "done", "exit_code": self.exit_code, "signal": self.signal,
                "cleanup_seconds": self.cleanup_seconds, "restart": self.restart}

    @classmethod
    def from_wire(cls, msg: Mapping[str, Any]) -> Done:
        code, sig = msg.get("exit_code"), msg.get("signal")
        return cls(code if isinstance(code, int) else None, sig if isinstance(sig, int) else None,
                   bool(msg.get("restart")))


@dataclass(frozen=True)
class LimitHit:
    """The zygote's watchdog found the job over a limit and kills it."""

    what: str  # which limit, in words (capped when read)

    def to_wire(self) -> dict[str, Any]:
        return {"op": "limit", "what": self.what}

    @classmethod
    def from_wire(cls, msg: Mapping[str, Any]) -> LimitHit:
        return cls(str(msg.get("what", ""))[:200])
