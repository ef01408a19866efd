"""Python's folders opened to uid 65534 in a private mount namespace, so that the
``unprivileged-user`` worker (Gradescope's fallback when user namespaces are off) can start here.

Its jobs run as uid 65534 and import from Python's folders. Here Python lives in /root (mode
0700, as Miniforge does on Gradescope, where the autograder's entry runs chmod o+x on the
folders above it: ``hw3.grading.gradescope.open_python_path``). A test must not change the host
for that: this thread of the test process (pytest runs tests in the main thread, with or
without xdist) moves into a mount namespace of its own, where each closed folder is an overlay
whose changes stay in the namespace, and the same chmod o+x is made there. The workers this
thread starts, and restarts, inherit the namespace; the host, other processes and this
process's other threads see nothing of it. The only difference this thread sees afterwards:
those folders are traversable by others.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import shutil
import stat
import sys
import tempfile
import threading
from pathlib import Path

CLONE_NEWNS = 0x00020000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18

_opened: list[str] | None = None


def _needed() -> set[Path]:
    """Every folder uid 65534 must traverse to import what a job imports: Python's own files,
    its site-packages and hw3's package (the zygote checks the same before its first job)."""
    import hw3

    tops = {sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable)),
            os.path.dirname(os.__file__), os.path.dirname(hw3.__file__)}
    tops |= {p for p in sys.path if p.endswith("-packages") and os.path.isdir(p)}
    folders: set[Path] = set()
    for top in tops | {os.path.realpath(t) for t in tops}:
        path = Path(top)
        folders |= {path, *path.parents}
    return folders


def closed_folders() -> list[Path]:
    return sorted(f for f in _needed() if not f.stat().st_mode & stat.S_IXOTH)


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _overlays() -> set[str]:
    """Mount points of overlays in this thread's mount namespace."""
    points = set()
    for line in Path("/proc/thread-self/mountinfo").read_text().splitlines():
        fields, _, rest = line.partition(" - ")
        if rest.split(" ", 1)[0] == "overlay":
            points.add(fields.split(" ")[4].replace("\\040", " "))
    return points


def open_python_privately() -> list[str]:
    """Make Python's folders traversable by others in this thread's own mount namespace (once
    per process); returns the folders opened (none where all were open already). Raises
    OSError where it cannot (not root, no mount namespaces)."""
    global _opened
    if _opened is not None:
        return _opened
    closed = closed_folders()
    if not closed:
        _opened = []
        return _opened
    if threading.current_thread() is not threading.main_thread():
        raise OSError("a private mount namespace is made for the main thread only")
    libc = ctypes.CDLL(None, use_errno=True)
    _check(libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
    scratch = Path(tempfile.mkdtemp(prefix="hw3-test-private-root-"))
    atexit.register(shutil.rmtree, scratch, True)
    tops = [f for f in closed if not any(p in closed for p in f.parents)]
    for i, top in enumerate(tops):
        upper, work = scratch / f"{i}-upper", scratch / f"{i}-work"
        upper.mkdir()
        work.mkdir()
        options = f"lowerdir={top},upperdir={upper},workdir={work}"
        _check(libc.mount(b"overlay", str(top).encode(), b"overlay", 0, options.encode()),
               f"mount -t overlay overlay {top}")
    mounted = _overlays()
    for folder in closed:
        # Never on the host: only below an overlay of this namespace.
        assert any(str(t) in mounted and (folder == t or t in folder.parents) for t in tops)
        os.chmod(folder, stat.S_IMODE(folder.stat().st_mode) | stat.S_IXOTH)
    _opened = [str(f) for f in closed]
    return _opened
