"""The seccomp filter every job's child installs: system calls this homework never needs are
denied (classic BPF, built here by hand: no libseccomp needed)."""

from __future__ import annotations

import ctypes
import os
import platform
import struct


def open_libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


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


def program_for(mode: str) -> bytes | None:
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


def install(libc: ctypes.CDLL, program: bytes) -> bool:
    """Install ``program`` on this thread's process (and everything it starts)."""
    buf = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buf, ctypes.c_void_p))
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return False
    return libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) == 0


def check(mode: str) -> tuple[bytes | None, str]:
    """The filter for jobs, if this kernel takes it: tried once in a throwaway child."""
    program = program_for(mode)
    if program is None:
        return None, f"off (no syscall table for {platform.machine()})"
    pid = os.fork()
    if pid == 0:
        libc = open_libc()
        ok = install(libc, program)
        # keyctl(KEYCTL_GET_KEYRING_ID, 0): EINVAL normally, EPERM once denied.
        denied = ok and libc.syscall(_DENIED_X86_64["keyctl"], 0, 0, 0) == -1
        os._exit(0 if denied and ctypes.get_errno() == 1 else 1)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        return None, "off (the kernel refused the filter)"
    return program, f"on ({len(_DENIED_X86_64)} system calls denied)"

