"""The zygote: the process inside the sandbox that preloads the payload once, then forks a fresh
child per job, waits for it (obeying "kill" from the worker, watching limits where no kernel
mechanism does), kills every process the job started and wipes the scratch space.

The child locks itself down (its session, rlimits, uid, keyrings, seccomp) and runs the
payload's entry, which streams frames straight to the worker over a pipe made for that job.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import json
import os
import platform
import selectors
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from . import cleanup, seccomp
from .control import Done, LimitHit, Ready
from .frames import FATAL, FrameReader, encode_frame, make_beat, make_sender, recv_frame
from .spec import MAX_OPEN_FILES, Limits

_PR_SET_PDEATHSIG = 1
_PR_SET_DUMPABLE = 4
_PR_SET_CHILD_SUBREAPER = 36
_KEYCTL_JOIN_SESSION_KEYRING = 1
_KEYCTL_CLEAR = 7
_KEY_SPEC_USER_KEYRING = -4
_KEY_SPEC_USER_SESSION_KEYRING = -5
_KEYCTL_SYSCALL = {"x86_64": 250, "aarch64": 219}


class _Zygote:
    """Runs inside the sandbox: forks one child per job and cleans up after it."""

    def __init__(self, cfg: dict[str, Any]) -> None:
        self.cfg = cfg
        self.mode: str = cfg["mode"]
        self.workdir: str = cfg["workdir"]
        self.child_uid: int | None = cfg.get("child_uid")
        self.ctl = socket.socket(fileno=cfg["ctl_fd"])
        self.libc = seccomp.open_libc()
        self.reaped: dict[int, int] = {}  # exit statuses collected while killing a job
        # Mounts inside the scratch space (Python or the repository under /tmp) and the folders
        # leading to them: the wipe keeps both, and their state before any job (see _wipe_all).
        self.mounts = frozenset(cfg.get("keep", ()))
        self.skeleton = frozenset().union(*(cleanup.skeleton(d, self.mounts) for d in cfg["wipe"]))
        self.skeleton_state: dict[str, tuple[int, int, int] | None] | None = None
        self.seccomp: bytes | None = None  # the filter every job's child installs

    # -- lifetime ------------------------------------------------------------------------------

    def serve(self) -> None:
        self.libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)  # no ptrace, no /proc/<pid>/mem
        self.libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # orphans of a job come back here
        sys.dont_write_bytecode = True
        os.makedirs(self.workdir, exist_ok=True)
        os.chdir(self.workdir)
        self.seccomp, seccomp_state = seccomp.check(self.mode)
        unreadable = []
        if self.mode == "unprivileged-user":
            unreadable = _unreadable_as(self.child_uid, self.cfg["package"])
        preload_errors = _preload(list(self.cfg.get("preload", ())))
        # Start every job from the same empty scratch space (preloading may have written there).
        os.chdir("/")
        self._wipe_all()
        import gc

        gc.collect()
        gc.freeze()  # children then do not touch (and copy) the preloaded objects' pages
        self._send(Ready(os.getpid(), self.mode, self.child_uid, preload_errors,
                         cleanup.status_bytes("VmRSS"), seccomp_state, unreadable).to_wire())
        while True:
            msg = recv_frame(self.ctl)
            if msg is None or msg.get("op") == "quit":
                break
            if msg.get("op") == "run":
                got = socket.recv_fds(self.ctl, 1, 1)
                fds = got[1]
                if len(fds) != 1:
                    self._send(Done(None, None, restart=True).to_wire())
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
        self._send(Done(exit_code=code if code is not None and code >= 0 else None,
                        signal=-code if code is not None and code < 0 else None,
                        restart=not clean,
                        cleanup_seconds=round(time.monotonic() - t0, 4)).to_wire())
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
                        self._send(LimitHit(what).to_wire())
                        self._kill_all(pid)
        finally:
            sel.close()
            os.close(pidfd)

    def _over_limit(self, pid: int, limits: Limits) -> str | None:
        if self.cfg.get("nproc") == "watchdog":
            if len(cleanup.descendants(os.getpid())) > limits.max_processes:
                return f"more than {limits.max_processes} processes"
        if self.cfg.get("disk_watchdog"):
            if cleanup.tree_bytes(self.workdir, limits.disk_bytes) > limits.disk_bytes:
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
                left = [p for p in cleanup.pids() if p not in (1, os.getpid())]
            else:
                left = cleanup.descendants(os.getpid())
                for p in left:
                    with contextlib.suppress(OSError):
                        os.kill(p, signal.SIGKILL)
            self.reaped.update(cleanup.reap())
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
            self.skeleton_state = cleanup.skeleton_state(self.skeleton)
        for d in self.cfg["wipe"]:  # first what the zygote itself wrote (preloading)
            if os.path.isdir(d):
                cleanup.wipe(d, self.mounts, self.skeleton)
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
                    cleanup.wipe(d, self.mounts, self.skeleton)
                    ok = ok and cleanup.only_kept_left(d, self.mounts, self.skeleton)
            ok = ok and cleanup.skeleton_state(self.skeleton) == self.skeleton_state
            if self.mode == "bubblewrap":
                # Our own IPC namespace: everything in it is the job's.
                cleanup.clear_sysv_ipc(self.libc)
            elif self.mode == "unprivileged-user" and self.child_uid is not None:
                # The host's shared folders and IPC: whatever the job's uid left there goes.
                ok = cleanup.wipe_owned(("/tmp", "/var/tmp", "/dev/shm"), self.child_uid) and ok
                cleanup.clear_sysv_ipc(self.libc, self.child_uid)
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
    cfg = json.loads(cfg_json)
    root = os.path.dirname(cfg["package"])  # the payload's package imports from its parent
    if root not in sys.path:
        sys.path.insert(0, root)
    _Zygote(cfg).serve()


def _preload(names: list[str]) -> list[str]:
    """Import once what every job needs (``module``, in order), then call each ``module:function``;
    a failure here is reported, not fatal (a job imports what it needs again)."""
    errors: list[str] = []
    calls = []
    for name in names:
        module, _, function = name.partition(":")
        try:
            loaded = importlib.import_module(module)
            if function:
                calls.append((name, getattr(loaded, function)))
        except Exception as e:  # noqa: BLE001 - report and carry on
            errors.append(f"{name}: {type(e).__name__}: {e}")
    for name, fn in calls:
        try:
            fn()
        except Exception as e:  # noqa: BLE001
            errors.append(f"{name}: {type(e).__name__}: {e}")
    return errors


def _entry(name: str) -> Any:
    module, _, function = name.partition(":")
    return getattr(importlib.import_module(module), function)


def _child_main(z: _Zygote, job: dict[str, Any], limits: Limits, fd: int, zygote_pid: int) -> None:
    """The forked child: lock itself down, then run the job. Never returns."""
    _detach(z, zygote_pid)
    _set_limits(z, limits)
    _drop_privileges(z)
    if z.seccomp is not None and not seccomp.install(z.libc, z.seccomp):
        os._exit(73)  # promised at startup: never run a job without it
    _enter_workdir(z.workdir)
    _run_entry(z, job, limits, make_sender(fd))


def _detach(z: _Zygote, zygote_pid: int) -> None:
    """Its own session, dies with the zygote, no stdio, no control socket, default signals."""
    os.setsid()
    z.libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
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


def _set_limits(z: _Zygote, limits: Limits) -> None:
    """The job's rlimits, and first in line for the OOM killer."""
    import resource as rl

    vm = cleanup.status_bytes("VmSize")
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


def _drop_privileges(z: _Zygote) -> None:
    """The students' uid with no capability (when there is one), and fresh keyrings."""
    libc = z.libc
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


def _enter_workdir(workdir: str) -> None:
    os.makedirs(workdir, exist_ok=True)
    os.chdir(workdir)
    os.environ["HOME"] = os.environ["TMPDIR"] = workdir
    tempfile.tempdir = workdir  # may have been cached by a preloaded module


def _run_entry(z: _Zygote, job: dict[str, Any], limits: Limits,
               send: Callable[[dict[str, Any]], None]) -> None:
    """The payload's entry on the job; a ``fatal`` frame if the entry itself broke. Never
    returns."""
    try:
        entry = _entry(z.cfg["entry"])
        entry(
            job,
            send,
            beat=make_beat(send),
            cell_seconds=limits.cell_seconds,
            max_output_bytes=limits.max_output_bytes,
            workdir=z.workdir,
        )
    except BaseException as e:  # noqa: BLE001 - report whatever broke the runner itself
        with contextlib.suppress(BaseException):
            send({FATAL: f"{type(e).__name__}: {str(e)[:500]}"})
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


def _unreadable_as(uid: int | None, package: str) -> list[str]:
    """Python's folders (stdlib, site-packages, the payload's package) that ``uid`` cannot list,
    found by a throwaway child that becomes ``uid``: jobs import lazily from them."""
    if uid is None:
        return []
    folders = [os.path.dirname(os.__file__), package]
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
        return cleanup.count_user_tasks(z.child_uid) + limits.max_processes
    if z.mode == "bubblewrap":
        return limits.max_processes + 3  # shares the uid with bwrap (x2) and the zygote
    # No namespace: the limit counts all processes (threads) of this user on the host.
    return cleanup.count_user_tasks(os.getuid()) + limits.max_processes

