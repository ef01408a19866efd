"""The host's facts a ``Policy`` needs, looked up here: which system folders exist or are links,
where this Python lives, which of the payload's entries exist; and the synthetic /etc files,
the environment and the id maps of the sandbox."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from .cleanup import is_below
from .policy import Mount, Policy, destinations, parent_dirs
from .spec import SANDBOX_UID, SHM_BYTES, Limits, Payload

CAP_NAMES = ("CAP_SETUID", "CAP_SETGID", "CAP_KILL")  # the zygote's, when this process is root


def system_mounts() -> list[Mount]:
    mounts = [Mount("ro-bind", "/usr", "/usr")]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            mounts.append(Mount("symlink", top, os.readlink(top)))
        elif os.path.isdir(top):
            mounts.append(Mount("ro-bind", top, top))
    for name in ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "fonts", "mime.types"):
        mounts.append(Mount("ro-bind-try", f"/etc/{name}", f"/etc/{name}"))
    return mounts


def python_mounts() -> list[Mount]:
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
    return [Mount("ro-bind", p, p) for p in paths]


def payload_mounts(payload: Payload) -> list[Mount]:
    """The payload's package at its own path, with only its ``entries`` in it: a tmpfs over the
    folder, then each entry that exists bound back read-only."""
    d = Path(payload.package)
    mounts = [Mount("tmpfs", str(d), perms="0755")]
    for entry in sorted(d.iterdir()):
        if entry.name in payload.entries:
            mounts.append(Mount("ro-bind", str(entry), str(entry)))
    return [*mounts, Mount("remount-ro", str(d))]


def visible_paths(payload: Payload) -> list[str]:
    """Host folders the bubblewrap sandbox binds (read-only) for the code it runs."""
    out = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", payload.package]
    out += [os.path.realpath(m.source) for m in python_mounts()]
    return sorted(set(out))


def etc_files(root: bool) -> dict[str, str]:
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


def sandbox_env(home: str, extra: Mapping[str, str] = {}) -> dict[str, str]:
    """The sandbox's whole environment: nothing of the grader's, ``extra`` (the payload's)
    on top, ``~/`` in its values meaning ``home``."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": home,
        "USER": "student",
        "LOGNAME": "student",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
    }
    for k, v in extra.items():
        env[k] = os.path.join(home, v[2:]) if v.startswith("~/") else v
    return env


def id_maps(root: bool) -> tuple[str, str, str]:
    """(uid_map, gid_map, setgroups) of the sandbox's user namespace. As root: ns-root = host
    root (bwrap's setup, the zygote) and SANDBOX_UID = students; else only our own ids."""
    if root:
        m = f"0 0 1\n{SANDBOX_UID} {SANDBOX_UID} 1\n"
        return m, m, "allow"
    return f"0 {os.geteuid()} 1\n", f"0 {os.getegid()} 1\n", "deny"


def bubblewrap_policy(bwrap: str, payload: Payload, limits: Limits, *, root: bool,
                      data_fds: Mapping[str, int], command: tuple[str, ...]) -> Policy:
    """The policy of one worker's sandbox. ``data_fds``: /etc file name -> a readable fd
    holding its text (see ``etc_files``); ``root``: map a second uid for students' code."""
    mounts = system_mounts()
    binds = python_mounts() + payload_mounts(payload)
    mounts += [Mount("proc", "/proc"), Mount("ro-bind", "/proc/sys", "/proc/sys")]
    mounts += [Mount("dev", "/dev"), Mount("tmpfs", "/dev/shm", perms="1777", size=SHM_BYTES)]
    mounts += [Mount("remount-ro", "/dev")]
    mounts += [Mount("tmpfs", "/tmp", perms="1777", size=max(limits.disk_bytes, 1 << 20))]
    # After the /tmp tmpfs: Python or the package may live under /tmp (a clone with its .venv).
    mounts += parent_dirs(["/etc/passwd", *destinations(binds)])
    mounts += [Mount("ro-bind-data", f"/etc/{name}", str(fd)) for name, fd in data_fds.items()]
    mounts += [*binds, Mount("remount-ro", "/")]
    uid_map, gid_map, setgroups = id_maps(root)
    page = os.sysconf("SC_PAGE_SIZE")
    return Policy(
        bwrap=bwrap,
        command=command,
        mounts=tuple(mounts),
        env=sandbox_env("/tmp", payload.env),
        keep_caps=CAP_NAMES if root else (),
        uid_map=uid_map,
        gid_map=gid_map,
        setgroups=setgroups,
        ipc_sysctls={"shmmax": SHM_BYTES, "shmall": SHM_BYTES // page, "shmmni": 32, "msgmni": 32},
    )


def kept_in_scratch(payload: Payload, scratch: str = "/tmp") -> list[str]:
    """Binds inside the scratch space (Python or the package under /tmp): they outlive every
    job, so the wipe keeps them."""
    binds = python_mounts() + payload_mounts(payload)
    return [d for d in destinations(binds) if is_below(d, scratch)]
