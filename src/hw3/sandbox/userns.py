"""The user namespace of a bubblewrap sandbox, made before bwrap runs: a tiny helper process
unshares it, the worker writes its id maps (from the ``Policy``), then the helper sets small
SysV IPC limits in a fresh IPC namespace, forbids nested user namespaces and becomes bwrap."""

from __future__ import annotations

import os
from pathlib import Path

from .policy import Policy


def can_map_two_uids() -> bool:
    """Whether the sandbox's user namespace can map a second uid for students' code (writing
    such a map needs CAP_SETUID here, i.e. root); otherwise everything runs as our own uid."""
    return os.geteuid() == 0


def write_id_maps(pid: int, policy: Policy) -> None:
    Path(f"/proc/{pid}/uid_map").write_text(policy.uid_map)
    Path(f"/proc/{pid}/setgroups").write_text(policy.setgroups)
    Path(f"/proc/{pid}/gid_map").write_text(policy.gid_map)


# Runs as a tiny separate process: enters a new user namespace, lets the parent write its id
# maps, then (as root of that namespace) makes an IPC namespace whose SysV limits are small
# (SysV segments outlive processes and are not covered by RLIMIT_AS once detached), forbids
# nested user namespaces, and becomes bwrap (which then needs no --unshare-user).
HELPER = r"""
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
