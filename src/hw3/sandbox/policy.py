"""The bubblewrap sandbox as data: a ``Policy``, and the one pure function that turns it into
``bwrap``'s argv (no filesystem access, no process: ``resolve`` finds the host's facts first).

bwrap applies its mount operations in order, so ``Policy.mounts`` is an ordered list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# Mount operations, each bwrap's option of the same name. ``source``: what is bound (a host
# path), a symlink's target, or the file descriptor ``ro-bind-data`` reads.
OPS = ("ro-bind", "ro-bind-try", "bind", "symlink", "dir", "tmpfs", "proc", "dev",
       "remount-ro", "ro-bind-data")


@dataclass(frozen=True)
class Mount:
    op: str
    dest: str
    source: str = ""
    perms: str | None = None  # octal mode of what the operation makes (dir, tmpfs, dev...)
    size: int | None = None  # bytes of a tmpfs

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise ValueError(f"unknown mount operation {self.op!r}")


@dataclass(frozen=True)
class Policy:
    """Everything one bubblewrap sandbox is: namespaces, capabilities, mounts, environment,
    the command run inside, and the user namespace's id maps and IPC limits (written by the
    worker before bwrap starts, not bwrap options)."""

    bwrap: str
    command: tuple[str, ...]
    mounts: tuple[Mount, ...]
    env: Mapping[str, str] = field(default_factory=dict)  # the whole environment (--clearenv)
    unshare: tuple[str, ...] = ("pid", "net", "ipc", "uts", "cgroup-try")
    hostname: str = "sandbox"
    keep_caps: tuple[str, ...] = ()  # after --cap-drop ALL (kept by the zygote only)
    chdir: str = "/tmp"
    uid_map: str = ""  # /proc/<pid>/uid_map of the user namespace
    gid_map: str = ""
    setgroups: str = "deny"
    ipc_sysctls: Mapping[str, int] = field(default_factory=dict)  # kernel/<name> in its IPC ns


def bwrap_argv(policy: Policy) -> list[str]:
    """The argv that starts ``policy.command`` in the sandbox ``policy`` describes."""
    args = [policy.bwrap]
    args += [f"--unshare-{ns}" for ns in policy.unshare]
    args += ["--hostname", policy.hostname]
    args += ["--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    for cap in policy.keep_caps:
        args += ["--cap-add", cap]
    for m in policy.mounts:
        if m.perms is not None:
            args += ["--perms", m.perms]
        if m.size is not None:
            args += ["--size", str(m.size)]
        if m.op in ("ro-bind", "ro-bind-try", "bind", "symlink", "ro-bind-data"):
            args += [f"--{m.op}", m.source, m.dest]
        else:
            args += [f"--{m.op}", m.dest]
    args += ["--chdir", policy.chdir, "--clearenv"]
    for k, v in policy.env.items():
        args += ["--setenv", k, v]
    return [*args, "--", *policy.command]


def destinations(mounts: tuple[Mount, ...] | list[Mount]) -> list[str]:
    """Where binds and tmpfs land inside the sandbox, in order."""
    return [m.dest for m in mounts if m.op in ("ro-bind", "bind", "tmpfs")]


_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/dev")


def parent_dirs(dests: list[str]) -> list[Mount]:
    """``dir`` (mode 0755) for every missing ancestor of ``dests``, outermost first: bwrap makes
    them mode 0700, which students' uid could not traverse."""
    todo: set[str] = set()
    for dest in dests:
        parent = dest.rpartition("/")[0]
        while parent not in ("/", ""):
            if not any(parent == s or parent.startswith(s + "/") for s in _SYSTEM):
                todo.add(parent)
            parent = parent.rpartition("/")[0]
    todo -= set(dests)
    return [Mount("dir", d, perms="0755") for d in sorted(todo, key=lambda p: (p.count("/"), p))]
