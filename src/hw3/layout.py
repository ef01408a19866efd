"""The shared basics, each in one place: where the repository and the package are, the
assignment's name, the one-thread environment, atomic writes, and CSV cells safe to open.

Every package may import this module; it imports nothing of hw3 (the sandbox, which is generic,
does not use it).
"""

from __future__ import annotations

import json
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
    paths = [Path(n) for n in needs]
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents, PACKAGE_DIR.parent.parent):
        if all((folder / n).exists() for n in paths):
            return folder
    wanted = what or " and ".join(n.as_posix() for n in paths)
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


# Ids that files would have shared are made unique as ``id~N`` (hw3.grading.submission);
# the roster matching reads the mark back, so a contested id is never paired with one of them.
RENAMED_MARK = "~"

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
# Where a spreadsheet may start a new cell inside ours: after any delimiter people use (commas,
# semicolons, tabs, pipes) or a line break, whatever delimiter this file was written with.
_FORMULA_INSIDE = re.compile(r"[,;\t|\r\n] *(?=[=+\-@])")


def csv_cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula (OWASP's rule for CSV
    injection), whatever delimiter it splits on: a cell that begins (after spaces) with =, +,
    -, @, a tab or a carriage return gets a leading single quote, except a plain number (a
    negative score stays a number), and so does each piece of it that follows a comma,
    semicolon, tab, pipe or line break: ``a;=1+1;`` becomes ``a;'=1+1;``. Lone surrogates
    become U+FFFD."""
    text = clean_text(str(value))
    if _NUMBER.fullmatch(text):
        return text
    if text.startswith(_FORMULA_START) or text.lstrip(" ").startswith(_FORMULA_START[:4]):
        text = "'" + text
    return _FORMULA_INSIDE.sub(lambda m: m.group(0) + "'", text)


# ----------------------------------------------------------------------------- student text

_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 and C1 controls, DEL, and the format characters that reorder or hide text on a terminal
# (bidirectional overrides and isolates, zero-width characters, the BOM).
_TERMINAL_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e"
                              "\u2060-\u2069\ufeff\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` that UTF-8 can encode: each lone surrogate (a file name that is not UTF-8, a
    ``"\\ud800"`` in a notebook's JSON) becomes U+FFFD."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def clean_json(value: Any) -> Any:
    """``value`` (JSON data as ``json.loads`` gives it) with ``clean_text`` applied to every
    string, keys included; iterative, so any depth costs no recursion."""
    if isinstance(value, str):
        return clean_text(value)
    if not isinstance(value, (dict, list)):
        return value
    root: list[Any] = [value]
    stack: list[tuple[Any, Any, Any]] = [(root, 0, value)]
    while stack:
        parent, key, node = stack.pop()
        if isinstance(node, dict):
            if any(isinstance(k, str) and _SURROGATE.search(k) for k in node):
                node = {clean_text(k) if isinstance(k, str) else k: v for k, v in node.items()}
                parent[key] = node
            for k, v in node.items():
                if isinstance(v, str):
                    if _SURROGATE.search(v):
                        node[k] = clean_text(v)
                elif isinstance(v, (dict, list)):
                    stack.append((node, k, v))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                if isinstance(v, str):
                    if _SURROGATE.search(v):
                        node[i] = clean_text(v)
                elif isinstance(v, (dict, list)):
                    stack.append((node, i, v))
    return root[0]


def terminal_text(text: str) -> str:
    """``text`` safe to print on a terminal: control and reordering characters (escape
    sequences, carriage returns, bidirectional overrides) shown as ``\\xNN`` / ``\\uNNNN``
    escapes, lone surrogates as U+FFFD; so a file name cannot rewrite the line it is on."""
    def escape(m: re.Match[str]) -> str:
        ch = m.group(0)
        if "\ud800" <= ch <= "\udfff":
            return "\ufffd"
        return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"

    return _TERMINAL_UNSAFE.sub(escape, text)


# ----------------------------------------------------------------------------- stored sizes


def stored_size(value: Any) -> int:
    """Bytes ``value`` takes in a results file as ``json.dumps`` writes it (``ensure_ascii``:
    a character outside ASCII costs 6 bytes, one outside the BMP 12, a control character up to
    6), the unit caps on stored text count in."""
    return len(json.dumps(value, indent=1))


def cut_to_size(text: str, budget: int) -> str:
    """The longest start of ``text`` whose stored size is at most ``budget`` bytes (``text``
    itself if it fits); a binary search, a few ``json.dumps`` of the text."""
    if stored_size(text) <= budget:
        return text
    lo, hi = 0, min(len(text), budget)  # every character costs at least one byte
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if stored_size(text[:mid]) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo]
