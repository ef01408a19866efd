"""Reading submissions: a notebook (any name) or the zip the export cell makes, never written.

Everything here treats the file as hostile: sizes are capped, nothing is extracted to disk, and a
file that is not a notebook becomes a message a student understands, not an exception.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from hw3.marking.collect import find_explanations

MAX_NOTEBOOK_BYTES = 32 * 2**20  # a notebook larger than this is not a homework
MAX_CELLS = 2000
SUFFIXES = (".ipynb", ".zip")

# Otter's init, check and export cells: a line that starts with `grader` or imports otter.
_OTTER_CELL = re.compile(r"^\s*(grader\b|import otter\b)", re.M)


_OTTER_NAMES = {"grader", "otter"}
_MAGIC = re.compile(r"^(\s*)[%!].*$", re.M)


def is_otter_cell(source: str) -> bool:
    """Whether a code cell holds Otter's machinery (an Otter line), whatever else it holds."""
    return bool(_OTTER_CELL.search(source))


def strip_otter(source: str) -> str:
    """The cell without its Otter lines (``import otter``, ``grader = otter.Notebook(...)``,
    ``grader.check(...)``, ``grader.export(...)``): each such statement becomes ``pass`` on the
    same lines, so the student's own code in the cell stays and so do its line numbers.

    Otter's calls would only fail under ``hw3 grade`` (no Otter in the sandbox)."""
    if "grader" not in source and "otter" not in source:
        return source
    # IPython's magics and shell lines are not Python: parse with them blanked (same lines).
    try:
        tree = ast.parse(_MAGIC.sub(lambda m: m.group(1) + "pass", source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _OTTER_CELL.sub(lambda m: m.group(0)[: len(m.group(0)) - len(m.group(0).lstrip())]
                               + "pass#", source)
    spans = [(n.lineno, n.col_offset, n.end_lineno or n.lineno, n.end_col_offset or 0)
             for n in ast.walk(tree) if isinstance(n, _SIMPLE) and _mentions_otter(n)]
    if not spans:
        return source
    lines = source.splitlines(keepends=True)
    for first, col, last, end_col in sorted(spans, reverse=True):
        if first > len(lines) or last > len(lines):
            continue
        head, tail = lines[first - 1][:col], lines[last - 1][end_col:]
        newline = "\n" if tail.endswith("\n") else ""
        # The statement's lines become one `pass` (and empty lines): numbering is unchanged.
        lines[first - 1 : last] = [head + "pass" + tail] + ["\n"] * (last - first)
        if newline and not lines[first - 1].endswith("\n"):
            lines[first - 1] += "\n"
    return "".join(lines)


_SIMPLE = (ast.Expr, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Import, ast.ImportFrom)


def _mentions_otter(node: ast.stmt) -> bool:
    if isinstance(node, ast.Import):
        return any(a.name.split(".")[0] == "otter" for a in node.names)
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").split(".")[0] == "otter"
    return any(isinstance(n, ast.Name) and n.id in _OTTER_NAMES for n in ast.walk(node))


@dataclass
class Submission:
    """One submission as read from disk: its cells' code, or why it could not be read."""

    path: Path
    id: str
    digest: str  # sha256 of the file's bytes: with the autograder's, the key of cached results
    cells: list[str] = field(default_factory=list)
    problem: str = ""  # non-empty: the submission could not be read, in a student's words
    notes: list[str] = field(default_factory=list)  # things worth saying that cost nothing
    explanations: dict = field(default_factory=dict)  # manual question -> answer (hw3.marking)

    @property
    def readable(self) -> bool:
        return not self.problem


def discover(paths: Iterable[Path], one: bool = False) -> list[Path]:
    """The submission files among ``paths``: files as given, folders searched for notebooks and
    zips (hidden folders and checkpoints skipped). Order: as given, then sorted.

    ``one``: the one submission a student uploaded into the folders ``paths`` (Gradescope's
    upload folder): a notebook preferred over a zip, and nothing where no folder is."""
    found: list[Path] = []
    for p in paths:
        if p.is_dir():
            found += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix in SUFFIXES
                            and not any(part.startswith(".") for part in
                                        f.relative_to(p).parts))
        elif not one:
            found.append(p)
    unique = list(dict.fromkeys(found))
    if one:
        notebooks = [f for f in unique if f.suffix == ".ipynb"]
        return notebooks[:1] or unique[:1]
    return unique


def assign_ids(paths: list[Path]) -> dict[Path, str]:
    """Each submission's id: its file name stem, made unique with its folder where stems clash."""
    stems: dict[str, int] = {}
    for p in paths:
        stems[p.stem] = stems.get(p.stem, 0) + 1
    ids: dict[Path, str] = {}
    for p in paths:
        ids[p] = p.stem if stems[p.stem] == 1 else f"{p.parent.name}-{p.stem}"
    return ids


def read(path: Path, sub_id: str) -> Submission:
    """Read one submission; never raises for a bad file."""
    try:
        size = path.stat().st_size
        if size > MAX_NOTEBOOK_BYTES * 4:
            return Submission(path, sub_id, "", problem=f"The file is {size // 2**20} MB: too "
                              "large to be a notebook.")
        blob = path.read_bytes()
    except OSError as e:
        return Submission(path, sub_id, "", problem=f"The file could not be opened "
                          f"({e.strerror or e}).")
    sub = Submission(path, sub_id, hashlib.sha256(blob).hexdigest())
    if zipfile.is_zipfile(path):
        return _from_zip(sub, path)
    return _from_notebook_bytes(sub, blob, path.name)


def _from_zip(sub: Submission, path: Path) -> Submission:
    try:
        with zipfile.ZipFile(path) as zf:
            notebooks = [i for i in zf.infolist() if i.filename.endswith(".ipynb")
                         and "__MACOSX" not in i.filename and ".ipynb_checkpoints" not in
                         i.filename]
            if not notebooks:
                sub.problem = "The zip file holds no notebook (.ipynb): export it again with " \
                              "the notebook's export cell."
                return sub
            # The export cell's zip holds the notebook at its top; prefer that, then the shortest.
            info = min(notebooks, key=lambda i: (i.filename.count("/"), len(i.filename)))
            if info.file_size > MAX_NOTEBOOK_BYTES:
                sub.problem = "The notebook in the zip file is too large."
                return sub
            with zf.open(info) as f:
                blob = f.read(MAX_NOTEBOOK_BYTES + 1)
            if len(notebooks) > 1:
                sub.notes.append(f"The zip holds {len(notebooks)} notebooks; graded "
                                 f"{info.filename[:200]}.")
            # .OTTER_LOG and any other file in the zip are ignored: they are never unpickled.
            return _from_notebook_bytes(sub, blob, info.filename)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as e:
        sub.problem = f"The zip file could not be read ({type(e).__name__}); export the " \
                      "notebook again."
        return sub


def _from_notebook_bytes(sub: Submission, blob: bytes, name: str) -> Submission:
    if len(blob) > MAX_NOTEBOOK_BYTES:
        sub.problem = "The notebook is too large."
        return sub
    try:
        nb = json.loads(blob.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        sub.problem = f"{name} is not a Jupyter notebook (it is not notebook JSON). Hand in " \
                      "the .ipynb file (File > Download) or the zip the export cell makes."
        return sub
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        if isinstance(nb, dict) and isinstance(nb.get("worksheets"), list):
            sub.problem = "This notebook is in an old format (nbformat 3): open and save it in " \
                          "a current Jupyter, then hand it in again."
        else:
            sub.problem = f"{name} is JSON but not a Jupyter notebook (it has no cells)."
        return sub
    code: list[str] = []
    for cell in cells[:MAX_CELLS]:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if isinstance(source, str):
            code.append(source)
    if len(cells) > MAX_CELLS:
        sub.notes.append(f"Only the first {MAX_CELLS} cells were graded.")
    if not code:
        sub.notes.append("The notebook has no code cells.")
    sub.cells = code
    sub.explanations = find_explanations(cells)
    return sub
