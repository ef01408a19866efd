"""Finding and opening the files students gave, never through a link (trusted side).

A submissions folder is made of what students chose: an LMS export unzipped with its links, a
folder per student, an upload. Everything here reads it as files, not as a map to elsewhere:

- a folder is walked iteratively, each folder opened relative to its parent's descriptor with
  ``O_NOFOLLOW`` (``openat``), never by path: a folder swapped for a link between listing and
  opening is refused by the kernel, not followed (no time-of-check/time-of-use gap);
- a link found in a folder (to a file or to a folder) gets its own entry, refused with one
  sentence; nothing it points to is opened;
- a file is opened the same way, component by component below the folder given, and only a
  regular file is read (a pipe, a device or a socket is refused, and opening never blocks);
- a walk goes at most ``MAX_DEPTH`` folders deep: a deeper folder is one refused entry;
- hidden files and folders (``.DS_Store``, ``.ipynb_checkpoints``, ``.git``), macOS' resource
  folders (``__MACOSX``) and Windows' ``Thumbs.db`` / ``desktop.ini`` are not hand-ins and are
  skipped; every other file found gets an entry (a PDF beside a notebook is not lost).

A file named on the command line is opened with ``O_NOFOLLOW`` on its last component: the
folders above a file the instructor names are the instructor's.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MAX_DEPTH = 32  # folders below the folder given; an LMS export needs three at most
MAX_FOUND = 100_000  # entries from one folder given (hw3.grading.results.MAX_SUBMISSIONS)
SUFFIXES = (".ipynb", ".zip")
SKIPPED = frozenset({"__MACOSX", "Thumbs.db", "desktop.ini", "__pycache__"})

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


@dataclass(frozen=True)
class Found:
    """One file given or found. ``root``: the folder given it was found in (None: given
    itself); ``problem``: why it is refused unread (a link, too deep), in a student's words."""

    path: Path
    root: Path | None = None
    problem: str = ""

    @property
    def candidate(self) -> bool:
        """Whether it looks like a hand-in (a notebook or a zip), as opposed to a stray file."""
        return self.path.suffix in SUFFIXES


def skipped(name: str) -> bool:
    """Whether a name found in a folder is not a hand-in at all (hidden, OS litter)."""
    return name.startswith(".") or name in SKIPPED


def _link(path: Path) -> str:
    return (f"{path.name} is a link, not a file that was handed in; links are never followed: "
            "hand in the notebook itself.")


def _deep(path: Path) -> str:
    return (f"The folder {path.name} is nested more than {MAX_DEPTH} folders deep, so it was "
            "not searched; hand in the notebook itself.")


def _special(path: Path) -> str:
    return f"{path.name} is not a regular file (a pipe, device or socket), so it was not read."


def find(paths: Iterable[Path], one: bool = False) -> list[Found]:
    """Every file among ``paths``: files as given, folders walked (see the module). Order: as
    given, each folder's files sorted; each file once.

    ``one``: the one submission a student uploaded into the folders ``paths`` (Gradescope's
    upload folder): a notebook preferred over a zip, links included (they are refused when
    read), nothing where there is no folder or no notebook or zip."""
    found: list[Found] = []
    for p in paths:
        p = Path(p)
        if os.path.isdir(p):  # the folder given is the instructor's: it may be a link
            found += sorted(_walk(p), key=lambda f: f.path)
        elif not one:
            found.append(Found(p))
    unique = first_of_each(found)
    if one:
        # A file over a link, then a notebook over a zip: a stray link beside the notebook
        # costs nothing; a link alone is refused when read, with its sentence.
        picks = sorted((f for f in unique if f.candidate),
                       key=lambda f: (bool(f.problem), f.path.suffix != ".ipynb"))
        return picks[:1]
    return unique


def first_of_each(found: Iterable[Found]) -> list[Found]:
    """``found`` with each path once (its first occurrence), in order."""
    seen: set[Path] = set()
    out = []
    for f in found:
        if f.path not in seen:
            seen.add(f.path)
            out.append(f)
    return out


def _walk(root: Path) -> list[Found]:
    """The files under ``root``, iteratively, each folder opened below its parent without
    following links."""
    out: list[Found] = []
    try:
        top = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return out
    try:
        stack: list[tuple[str, ...]] = [()]
        while stack and len(out) < MAX_FOUND:
            parts = stack.pop()
            here = root.joinpath(*parts)
            try:
                fd = _open_dir(top, parts)
            except OSError as e:
                out.append(Found(here, root, _link(here) if e.errno in (errno.ELOOP, errno.ENOTDIR)
                                 else f"The folder {here.name} could not be read "
                                      f"({e.strerror or e})."))
                continue
            try:
                with os.scandir(fd) as entries:
                    listed = [(e.name, e.is_symlink(), e.is_dir(follow_symlinks=False),
                               e.is_file(follow_symlinks=False)) for e in entries]
            except OSError:
                listed = []
            finally:
                os.close(fd)
            for name, is_link, is_dir, is_file in sorted(listed):
                if skipped(name):
                    continue
                path = here / name
                if is_link:
                    out.append(Found(path, root, _link(path)))
                elif is_dir:
                    if len(parts) + 1 > MAX_DEPTH:
                        out.append(Found(path, root, _deep(path)))
                    else:
                        stack.append((*parts, name))
                elif is_file:
                    out.append(Found(path, root))
                else:
                    out.append(Found(path, root, _special(path)))
    finally:
        os.close(top)
    if stack:
        out.append(Found(root, root, f"The folder {root.name} holds more than {MAX_FOUND} "
                                     "files; the rest was not searched."))
    return out


def _open_dir(top: int, parts: tuple[str, ...]) -> int:
    """A descriptor of the folder ``parts`` below ``top``, each step ``O_NOFOLLOW``."""
    fd = os.dup(top)
    try:
        for part in parts:
            nxt = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = nxt
    except BaseException:
        os.close(fd)
        raise
    return fd


class Refused(Exception):
    """A file that is not read: the message is one sentence for the student."""


def open_found(found: Found) -> int:
    """A read-only descriptor of a regular file, reached without following any link below the
    folder given (Refused otherwise; OSError if it cannot be opened at all)."""
    if found.problem:
        raise Refused(found.problem)
    path = found.path
    try:
        if found.root is None:
            fd = os.open(path, _FILE_FLAGS)
        else:
            parts = path.relative_to(found.root).parts
            top = os.open(found.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                folder = _open_dir(top, parts[:-1])
            finally:
                os.close(top)
            try:
                fd = os.open(parts[-1], _FILE_FLAGS, dir_fd=folder)
            finally:
                os.close(folder)
    except OSError as e:
        if e.errno in (errno.ELOOP, errno.ENOTDIR):
            raise Refused(_link(path)) from None
        raise
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        os.close(fd)
        raise
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise Refused(_special(path) if not stat.S_ISDIR(mode) else
                      f"{path.name} is a folder, not a file.")
    return fd


def read_bounded(fd: int, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of ``fd`` (one more than allowed tells the caller it is too
    long), read in pieces."""
    chunks, left = [], limit + 1
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
