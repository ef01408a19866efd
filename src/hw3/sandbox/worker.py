"""The trusted side's ``Worker``: one warm, sandboxed zygote, and ``run`` to execute one job in
a fresh child of it, with the time limits, the output caps and the restarts around it.

This module is long because the worker's life is one state machine: finding a bwrap that
starts, the startup handshake, collecting a job's frames under its clocks, and tearing down.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import selectors
import socket
import subprocess
import sys
import tempfile
import time
import weakref
from pathlib import Path
from typing import Any

from . import cgroups, resolve, userns
from .cleanup import wipe
from .control import Done, Kill, LimitHit, Quit, Run
from .frames import BEAT, FrameReader, ProtocolError, encode_frame
from .locate import ENV_VAR, bwrap_candidates, no_sandbox, requested_mode, short
from .outcome import End, RunOutcome
from .policy import bwrap_argv
from .spec import (
    ABORT_SECONDS,
    KILL_GRACE,
    SANDBOX_UID,
    STARTUP_SECONDS,
    Limits,
    Payload,
    SandboxError,
)
from .warm import kill_process

# The zygote imports this very package (installed, a checkout, or the copy in a Gradescope
# autograder's folder): -I ignores PYTHONPATH, so its import root comes first explicitly.
_PACKAGE = __name__.rpartition(".")[0]
_IMPORT_ROOT = str(Path(__file__).resolve().parents[_PACKAGE.count(".") + 1])
_ZYGOTE_CMD = (
    "import sys; sys.path.insert(0, sys.argv[2]); "
    f"from {_PACKAGE}.zygote import zygote_main; zygote_main(sys.argv[1])"
)


class Worker:
    """One warm, sandboxed zygote; ``run`` executes one job in a fresh forked child.

    Not thread-safe: use one Worker per thread. The sandbox dies with the thread that started it
    (``--die-with-parent`` is per thread); ``run`` restarts it transparently when needed.
    """

    def __init__(self, limits: Limits | None = None, isolation: str = "auto", *,
                 payload: Payload) -> None:
        self.limits = limits if limits is not None else Limits()
        self.payload = payload
        self.requested = requested_mode(isolation)
        from_env = isolation.strip().lower() == "auto" and self.requested != "auto"
        self._asked = f"{ENV_VAR}={self.requested}" if from_env else "asked for by name"
        self._mode: str | None = None  # "bubblewrap" | "unprivileged-user" | "none", once up
        self._bwraps: list[str] = []  # bwrap binaries still to try, best first
        self._bwrap_why = ""  # why the ones tried did not start
        self._isolation = ""
        self._cgroup: cgroups.Cgroup | None = None
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

    def run(self, job: dict[str, Any], *, deadline: float | None = None) -> RunOutcome:
        """Run one job in a fresh child of the zygote and collect what it sent.

        ``deadline`` is a ``time.monotonic()`` value after which the job is killed (default:
        ``limits.total_seconds`` from now). How the job ended is an ``End``.
        """
        t0 = time.monotonic()
        if deadline is None:
            deadline = t0 + self.limits.total_seconds
        frame = encode_frame(Run(job, dataclasses.asdict(self.limits)).to_wire())
        run = _Collecting(deadline)
        r = self._send_job(frame, run)
        if r is not None:
            run.isolation = self._isolation
            try:
                self._collect(r, run)
            finally:
                os.close(r)
        return run.outcome(time.monotonic() - t0)

    def close(self) -> None:
        """Stop the zygote and everything in its sandbox."""
        if self._ctl is not None:
            with contextlib.suppress(OSError):
                self._ctl.sendall(encode_frame(Quit().to_wire()))
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

    def _send_job(self, frame: bytes, run: _Collecting) -> int | None:
        """Send the job and the write end of a fresh pipe; the read end, or None if the sandbox
        could not be reached twice (a zygote that died between jobs is replaced once)."""
        for attempt in (1, 2):
            if self._proc is not None and self._proc.poll() is not None:
                self._teardown()
            self.start()
            assert self._ctl is not None
            r, w = os.pipe()
            try:
                self._ctl.sendall(frame)
                socket.send_fds(self._ctl, [b"F"], [w])
                return r
            except OSError as e:
                os.close(r)
                self._teardown()
                if attempt == 2:
                    run.stop(End.ZYGOTE_DIED, f"could not reach the sandbox: {e}")
            finally:
                os.close(w)
        return None

    def _collect(self, r: int, run: _Collecting) -> None:
        """Read the job's frames and the zygote's until the zygote says the job is done, under
        the step clock and the deadline; kill the job when a clock runs out."""
        assert self._ctl is not None
        sel = selectors.DefaultSelector()
        sel.register(r, selectors.EVENT_READ, "data")
        sel.register(self._ctl, selectors.EVENT_READ, "ctl")
        run.busy_since = time.monotonic()  # the step clock starts once the job is sent
        try:
            while run.done is None:
                timeout = self._check_clocks(run)
                if timeout is None:
                    return
                for key, _ in sel.select(min(timeout, 0.5) + 0.001):
                    if key.data == "data":
                        self._read_job(r, run, sel)
                    elif not self._read_zygote(run):
                        return
            if run.data_open:
                _drain(r, run, sel)
            self._job_done(run.done, run)
        finally:
            sel.close()

    def _check_clocks(self, run: _Collecting) -> float | None:
        """Seconds to wait for the next frame; starts the kill when a clock ran out. None: the
        sandbox did not answer a kill in time and was torn down."""
        now = time.monotonic()
        if run.aborting is None:
            step_limit = run.busy_since + self.limits.cell_seconds + KILL_GRACE
            if now >= run.deadline:
                run.abort(End.TOTAL_TIMEOUT, "the submission ran out of time")
            elif now >= step_limit and not run.busy:
                run.abort(End.STALLED, "the notebook stopped responding")
            elif now >= step_limit:
                run.abort(End.CELL_TIMEOUT, "a step ran past its time limit")
            if run.aborting is not None:
                self._send_kill()
                return 0.0
            return max(0.0, min(run.deadline, step_limit) - now)
        if now - run.abort_at > ABORT_SECONDS:
            self._teardown()
            run.detail += "; the sandbox did not respond and was restarted"
            return None
        return ABORT_SECONDS - (now - run.abort_at)

    def _read_job(self, r: int, run: _Collecting, sel: selectors.BaseSelector) -> None:
        """The job's pipe: its frames (heartbeats restart the step clock), or garbage."""
        chunk = os.read(r, 1 << 16)
        if not chunk:
            sel.unregister(r)
            run.data_open = False
            return
        if run.aborting is not None:
            return  # drain and drop: the job is being killed anyway
        try:
            new = run.reader.feed(chunk)
        except ProtocolError as e:
            # What came before the garbage (heartbeats are the worker's).
            run.messages.extend(m for m in e.messages if BEAT not in m)
            run.abort(End.OUTPUT_LIMIT if str(e) == "output_limit" else End.PROTOCOL_ERROR,
                      str(e))
            self._send_kill()
            return
        for msg in new:
            if BEAT in msg:  # the heartbeat is the worker's, not the caller's
                run.busy, run.busy_since = msg[BEAT] is True, time.monotonic()
            else:
                run.messages.append(msg)

    def _read_zygote(self, run: _Collecting) -> bool:
        """The zygote's socket: ``done``, or its watchdog's ``limit``. False: it died or sent
        garbage (the sandbox was torn down)."""
        assert self._ctl is not None and self._ctl_reader is not None
        try:
            chunk = self._ctl.recv(1 << 16)
        except OSError:
            chunk = b""
        if not chunk:
            self._teardown()
            run.stop(End.ZYGOTE_DIED, run.detail or "the sandbox died during the job")
            return False
        try:
            for msg in self._ctl_reader.feed(chunk):
                if msg.get("op") == "done":
                    run.done = msg
                elif msg.get("op") == "limit" and run.aborting is None:
                    run.stop(End.LIMIT, LimitHit.from_wire(msg).what)
        except ProtocolError:
            self._teardown()
            run.stop(End.ZYGOTE_DIED, "the sandbox sent garbage")
            return False
        return True

    def _job_done(self, done: dict[str, Any] | None, run: _Collecting) -> None:
        """The zygote's ``done``: the child's exit status, and whether to restart."""
        assert done is not None
        report = Done.from_wire(done)
        run.exit_code, run.signal = report.exit_code, report.signal
        if report.restart:
            # e.g. the scratch space could not be wiped: never reuse a dirty sandbox
            self._teardown()

    def _send_kill(self) -> None:
        assert self._ctl is not None
        try:
            self._ctl.sendall(encode_frame(Kill().to_wire()))
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
                    raise no_sandbox(self._bwrap_why or "no bwrap found")
                try:
                    self._spawn_bwrap(self._bwraps[0])
                    self._mode = "bubblewrap"
                    if self.starts > 0:
                        self._await_ready()  # it worked before: failures surface here
                    return
                except (OSError, SandboxError) as e:
                    self._teardown()
                    self._next_bwrap(short(e))
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
            raise no_sandbox(self._bwrap_why)

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
            "cgroup": self._cgroup.describe() if self._cgroup else cgroups.host().why,
            "seccomp": str(self.zygote_info.get("seccomp", "off")),
        }

    def _startup_failed(self, why: str) -> None:
        log = self._log_tail()
        self._teardown()
        detail = f"{why}: {log}" if log else why
        if self._mode == "bubblewrap" and self.starts == 0:
            # This bwrap did not work here: try the next one, else say why none did.
            self._next_bwrap(short(detail))
            if not self._bwraps:
                raise no_sandbox(self._bwrap_why)
            self._spawn()
            self._await_ready()
            return
        raise SandboxError(f"The sandbox failed to start ({short(detail)}).")

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
            **self._payload_cfg(),
        }
        env = resolve.sandbox_env(home, self.payload.env)
        env["PATH"] = os.environ.get("PATH", env["PATH"])
        ctl, zsock = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        # The zygote's log lives as long as the worker; close() closes it.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115
        try:
            cfg["ctl_fd"] = zsock.fileno()
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-c", _ZYGOTE_CMD, json.dumps(cfg), _IMPORT_ROOT],
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
            self._cgroup = cgroups.host().make()
            if self._cgroup is not None:
                weakref.finalize(self, self._cgroup.remove)
        if self._cgroup is not None and not self._cgroup.add(pid):
            self._cgroup.remove()
            self._cgroup = None

    def _payload_cfg(self) -> dict[str, Any]:
        p = self.payload
        return {"package": p.package, "preload": list(p.preload), "entry": p.entry}

    def _spawn_bwrap(self, bwrap: str) -> None:
        root = userns.can_map_two_uids()
        cfg: dict[str, Any] = {
            "mode": "bubblewrap",
            "workdir": "/tmp",
            "wipe": ["/tmp", "/dev/shm"],
            "child_uid": SANDBOX_UID if root else None,
            # RLIMIT_NPROC never applies to host uid 0: count processes instead.
            "nproc": "fixed" if root or os.geteuid() != 0 else "watchdog",
            "disk_watchdog": False,
            # Binds inside the scratch space outlive every job; the wipe keeps them.
            "keep": resolve.kept_in_scratch(self.payload),
            **self._payload_cfg(),
        }
        ctl, zsock = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        # The zygote's log lives as long as the worker; close() closes it.
        self._log = tempfile.TemporaryFile()  # noqa: SIM115
        data_fds: dict[str, int] = {}
        helper: subprocess.Popen[bytes] | None = None
        try:
            cfg["ctl_fd"] = zsock.fileno()
            for name, text in resolve.etc_files(root).items():
                rfd, wfd = os.pipe()
                os.write(wfd, text.encode())  # tiny: fits in the pipe buffer
                os.close(wfd)
                data_fds[name] = rfd
            command = (sys.executable, "-I", "-c", _ZYGOTE_CMD, json.dumps(cfg), _IMPORT_ROOT)
            policy = resolve.bubblewrap_policy(bwrap, self.payload, self.limits, root=root,
                                               data_fds=data_fds, command=command)
            helper_cfg = {"ipc": dict(policy.ipc_sysctls)}
            helper = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", userns.HELPER, json.dumps(helper_cfg),
                 *bwrap_argv(policy)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._log,
                pass_fds=[zsock.fileno(), *data_fds.values()],
                start_new_session=True,
            )
            self._proc = helper
            self._ctl, self._ctl_reader = ctl, FrameReader(max_total=1 << 62)
            self._arm_finalizer()
            assert helper.stdin is not None and helper.stdout is not None
            if helper.stdout.read(1) != b"k":
                raise SandboxError(f"could not create a user namespace ({self._log_tail()})")
            self._join_cgroup(helper.pid)  # before bwrap: everything in the sandbox is in it
            userns.write_id_maps(helper.pid, policy)
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
            for fd in data_fds.values():
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
def _kill_quietly(proc: Any, ctl: Any, log: Any, hostdir: str | None) -> None:
    if ctl is not None:
        with contextlib.suppress(OSError):
            ctl.close()
    kill_process(proc, group=True)  # its own session: bwrap, or the zygote
    if log is not None:
        with contextlib.suppress(OSError):
            log.close()
    if hostdir is not None:
        wipe(hostdir)
        with contextlib.suppress(OSError):
            os.rmdir(hostdir)


class _Collecting:
    """One run's state while its frames are collected (``Worker._collect``'s steps share it)."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.reader = FrameReader()
        self.messages: list[dict[str, Any]] = []
        self.end = End.EXITED
        self.detail = ""
        self.exit_code: int | None = None
        self.signal: int | None = None
        self.isolation = ""
        self.busy_since = time.monotonic()  # the last heartbeat: a step's start, or idle time
        self.busy = False  # whether the last heartbeat started a step
        self.aborting: End | None = None  # why the job is being killed, once it is
        self.abort_at = 0.0
        self.data_open = True  # the job's pipe still has a writer
        self.done: dict[str, Any] | None = None  # the zygote's "done" frame

    def stop(self, end: End, detail: str) -> None:
        self.end, self.detail = end, detail

    def abort(self, end: End, detail: str) -> None:
        """The job is being killed for ``end``: later frames are dropped."""
        self.stop(end, detail)
        self.aborting, self.abort_at = end, time.monotonic()

    def outcome(self, seconds: float) -> RunOutcome:
        return RunOutcome(messages=self.messages, end=self.end, detail=self.detail,
                          exit_code=self.exit_code, signal=self.signal, seconds=seconds,
                          isolation=self.isolation)


def _drain(r: int, run: _Collecting, sel: selectors.BaseSelector) -> None:
    """The zygote has killed every process of the job: read what is left in the pipe (it has
    no writer left), for a second at most."""
    end_by = time.monotonic() + 1.0
    while time.monotonic() < end_by:
        if not sel.select(0.1):
            continue
        chunk = os.read(r, 1 << 16)
        if not chunk:
            break
        if run.aborting is None:
            try:
                run.messages.extend(m for m in run.reader.feed(chunk) if BEAT not in m)
            except ProtocolError as e:
                run.stop(End.PROTOCOL_ERROR, str(e))
                break
