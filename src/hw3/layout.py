"""The shared basics, each in one place: where the repository and the package are, the
assignment's name, the one-thread environment, atomic writes, and CSV cells safe to open.

Every package may import this module; it imports nothing of hw3 (the sandbox, which is generic,
does not use it).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ASSIGNMENT = "hw3"
PACKAGE_DIR = Path(__file__).resolve().parent  # src/hw3, or site-packages/hw3 when installed
MASTER = Path("assignment") / "hw3.ipynb"

# One thread per numeric library: two grading processes share two cores without fighting over
# them, and the executed solution comes out the same on every run.
SINGLE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class LayoutError(Exception):
    """The repository is not where a command needs it (one sentence, for the user)."""


def find_root(start: Path | None = None, needs: Iterable[str | Path] = (MASTER,),
              what: str | None = None) -> Path:
    """The repository root: the nearest folder at or above ``start`` (the working directory)
    that holds every path of ``needs``; else the checkout this package lives in, if it does."""
    needs = [Path(n) for n in needs]
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents, PACKAGE_DIR.parent.parent):
        if all((folder / n).exists() for n in needs):
            return folder
    wanted = what or " and ".join(n.as_posix() for n in needs)
    raise LayoutError(f"cannot find {wanted}: run this from the repository")


def single_thread_env(**extra: str) -> dict[str, str]:
    """This process's environment with ``SINGLE_THREAD`` (and ``extra``) on top."""
    return {**os.environ, **SINGLE_THREAD, **extra}


def atomic_write_bytes(path: Path, data: bytes, mode: int = 0o644) -> Path:
    """Write next to ``path`` and rename, so a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: Path, text: str, mode: int = 0o644) -> Path:
    """``atomic_write_bytes`` of UTF-8 text; lone surrogates (possible in JSON strings) cannot be
    encoded and become U+FFFD."""
    return atomic_write_bytes(path, text.encode("utf-8", errors="replace"), mode)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def csv_cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula (OWASP's rule for CSV
    injection): a cell that begins with =, +, -, @, a tab or a carriage return gets a leading
    single quote, except a plain number (a negative score stays a number)."""
    text = str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text
