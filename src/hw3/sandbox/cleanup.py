"""Finding and removing what a job left behind: its processes (in /proc), its files in the
scratch space (never following links; mounts inside it kept), and SysV IPC objects."""

from __future__ import annotations

import contextlib
import ctypes
import os
import stat

_IPC_RMID = 0


def is_below(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip("/") + "/")


def status_bytes(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


def pids() -> list[int]:
    return [int(n) for n in os.listdir("/proc") if n.isdigit()]


def descendants(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for pid in pids():
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


def count_user_tasks(uid: int) -> int:
    n = 0
    for pid in pids():
        try:
            if os.stat(f"/proc/{pid}").st_uid == uid:
                n += len(os.listdir(f"/proc/{pid}/task"))
        except OSError:
            continue
    return n


def reap() -> dict[int, int]:
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


def tree_bytes(path: str, cap: int) -> int:
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


def skeleton(path: str, mounts: frozenset[str]) -> frozenset[str]:
    """The directories strictly between ``path`` and the mounts below it."""
    dirs: set[str] = set()
    for m in mounts:
        if not is_below(m, path) or m == path:
            continue
        parent = os.path.dirname(m)
        while parent != path and is_below(parent, path):
            dirs.add(parent)
            parent = os.path.dirname(parent)
    return frozenset(dirs)


def skeleton_state(skeleton: frozenset[str]) -> dict[str, tuple[int, int, int] | None]:
    """Type, mode and owner of each skeleton directory (None: gone)."""
    state: dict[str, tuple[int, int, int] | None] = {}
    for d in skeleton:
        try:
            st = os.lstat(d)
            state[d] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_uid)
        except OSError:
            state[d] = None
    return state


def only_kept_left(path: str, mounts: frozenset[str], skeleton: frozenset[str]) -> bool:
    """True if below ``path`` there is nothing but the skeleton and the mounts on it."""
    for d in (path, *(k for k in skeleton if is_below(k, path))):
        try:
            names = os.listdir(d)
        except OSError:
            return False
        for name in names:
            p = os.path.join(d, name)
            if p not in skeleton and p not in mounts:
                return False
    return all(os.path.lexists(m) for m in mounts if is_below(m, path))


def wipe(path: str, mounts: frozenset[str] = frozenset(),
          skeleton: frozenset[str] = frozenset()) -> None:
    """Remove everything below ``path`` (not ``path`` itself); iterative, never follows links.

    ``mounts`` and ``skeleton`` (the directories leading to them, see ``skeleton``) stay.
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


def wipe_owned(folders: tuple[str, ...], uid: int) -> bool:
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
                wipe(p)
                with contextlib.suppress(OSError):
                    os.rmdir(p)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(p)
            ok = ok and not os.path.lexists(p)
    return ok


_SYSV_UID_COLUMN = {"shm": 7, "msg": 7, "sem": 4}


def clear_sysv_ipc(libc: ctypes.CDLL, uid: int | None = None) -> None:
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
