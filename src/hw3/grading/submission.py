"""Reading submissions: a notebook (any name) or the zip the export cell makes, never written.

Everything here treats the file as hostile: it is found and opened without following links
(``hw3.grading.tree``), sizes are capped, nothing is extracted to disk, text that UTF-8 cannot
hold is replaced, and a file that is not a notebook becomes a message a student understands,
not an exception. Ids are unique across the class, whatever names students chose.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import os
import re
import stat
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from hw3.grading.tree import Found, Refused, find, open_found, read_bounded
from hw3.layout import RENAMED_MARK, clean_json, clean_text
from hw3.marking.collect import find_explanations

MAX_NOTEBOOK_BYTES = 32 * 2**20  # a notebook larger than this is not a homework
MAX_CELLS = 2000
# Otter lines are found on the cell's syntax tree, which costs about a thousand times the
# source in memory: only cells up to this size are parsed (a few MB at most); longer ones,
# and the cells after this many characters parsed in one submission, use the line filter.
MAX_PARSE_CHARS = 64 * 1024
MAX_PARSE_TOTAL = 256 * 1024

# Otter's init, check and export cells: a line that starts with `grader` or imports otter.
# `[ \t]*`, not `\s*`: a run of blank lines must not be rescanned from every line (linear).
_OTTER_CELL = re.compile(r"^[ \t]*(grader\b|import otter\b)", re.M)


_OTTER_NAMES = {"grader", "otter"}
_MAGIC = re.compile(r"^([ \t]*)[%!].*$", re.M)


def strip_otter(source: str, parse: bool = True) -> str:
    """The cell without its Otter lines (``import otter``, ``grader = otter.Notebook(...)``,
    ``grader.check(...)``, ``grader.export(...)``): each such statement becomes ``pass`` on the
    same lines, so the student's own code in the cell stays and so do its line numbers.

    Otter's calls would only fail under ``hw3 grade`` (no Otter in the sandbox). The cell is
    parsed only if ``parse`` and it is at most ``MAX_PARSE_CHARS`` long (parsing costs about a
    thousand times the source in memory); otherwise, or if it does not parse, each line that
    starts with ``grader`` or ``import otter`` becomes a comment after ``pass``."""
    if "grader" not in source and "otter" not in source:
        return source
    if not parse or len(source) > MAX_PARSE_CHARS:
        return _strip_lines(source)
    # IPython's magics and shell lines are not Python: parse with them blanked (same lines).
    try:
        tree = ast.parse(_MAGIC.sub(lambda m: m.group(1) + "pass", source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _strip_lines(source)
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


def _strip_lines(source: str) -> str:
    """The line filter: linear in the source, whatever it holds."""
    return _OTTER_CELL.sub(lambda m: m.group(0)[: len(m.group(0)) - len(m.group(0).lstrip())]
                           + "pass#", source)


def strip_otter_cells(cells: Iterable[str]) -> list[str]:
    """``strip_otter`` of each cell, parsing at most ``MAX_PARSE_TOTAL`` characters in all (a
    notebook of many large cells that mention ``grader`` costs no more than one)."""
    out, parsed = [], 0
    for src in cells:
        wants = ("grader" in src or "otter" in src) and len(src) <= MAX_PARSE_CHARS
        parse = wants and parsed + len(src) <= MAX_PARSE_TOTAL
        parsed += len(src) if parse else 0
        out.append(strip_otter(src, parse=parse))
    return out


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
    """The files among ``paths`` (``hw3.grading.tree.find``): files as given, folders walked
    without following links, every file found but hidden files and OS litter. Order: as
    given, then sorted.

    ``one``: the one submission a student uploaded into the folders ``paths`` (Gradescope's
    upload folder): a notebook preferred over a zip, and nothing where no folder is."""
    return [f.path for f in find(paths, one)]


@dataclass(frozen=True)
class Ids:
    """Each file's id, and what was renamed: (file, the id it would have had, its id)."""

    ids: dict[Path, str]
    renamed: list[tuple[Path, str, str]] = field(default_factory=list)

    def sentence(self) -> str:
        """The renaming in one sentence (empty if nothing was renamed)."""
        if not self.renamed:
            return ""
        shown = "; ".join(f"{clean_text('/'.join(p.parts[-2:]))} is now {new!r}"
                          for p, _, new in self.renamed[:10])
        more = f" and {len(self.renamed) - 10} more" if len(self.renamed) > 10 else ""
        clashes = sorted({old for _, old, _ in self.renamed})
        return (f"{len(self.renamed)} submissions would have shared an id "
                f"({', '.join(map(repr, clashes[:5]))}{' ...' if len(clashes) > 5 else ''}), "
                f"so none of them keeps it: {shown}{more}.")


def _base_id(path: Path) -> str:
    return clean_text(path.stem) or "submission"


def unique_ids(paths: list[Path]) -> Ids:
    """Each submission's id, unique across the class: its file name stem; where stems clash,
    with its folder (``sec1-alice``); and where ids still clash (a file named after a
    classmate's folder-qualified id, two folders of the same name), none of the clashing
    files keeps the id: each gets ``id~N`` (N in discovery order, skipping any id in use), so
    marks, answers and roster matches never fall on the wrong student."""
    stems: dict[str, int] = {}
    for p in paths:
        stems[_base_id(p)] = stems.get(_base_id(p), 0) + 1
    wanted = {p: (_base_id(p) if stems[_base_id(p)] == 1
                  else f"{clean_text(p.parent.name)}-{_base_id(p)}") for p in paths}
    count: dict[str, int] = {}
    for w in wanted.values():
        count[w] = count.get(w, 0) + 1
    taken = {w for w, n in count.items() if n == 1}
    ids: dict[Path, str] = {}
    renamed: list[tuple[Path, str, str]] = []
    next_n: dict[str, int] = {}
    for p in paths:
        w = wanted[p]
        if count[w] == 1:
            ids[p] = w
            continue
        n = next_n.get(w, 1)
        while f"{w}{RENAMED_MARK}{n}" in taken:
            n += 1
        new = f"{w}{RENAMED_MARK}{n}"
        next_n[w] = n + 1
        taken.add(new)
        ids[p] = new
        renamed.append((p, w, new))
    return Ids(ids, renamed)


def assign_ids(paths: list[Path]) -> dict[Path, str]:
    """``unique_ids(paths).ids``."""
    return unique_ids(paths).ids


def read(path: Path | Found, sub_id: str) -> Submission:
    """Read one submission (a ``Found`` from ``hw3.grading.tree.find``, or a file named
    directly); never raises for a bad file, never follows a link."""
    found = path if isinstance(path, Found) else Found(Path(path))
    path = found.path
    try:
        fd = open_found(found)
    except Refused as e:
        return Submission(path, sub_id, "", problem=str(e))
    except OSError as e:
        return Submission(path, sub_id, "", problem=f"The file could not be opened "
                          f"({e.strerror or e}).")
    try:
        size = os.fstat(fd).st_size
        if size > MAX_NOTEBOOK_BYTES * 4:
            return Submission(path, sub_id, "", problem=f"The file is {size // 2**20} MB: too "
                              "large to be a notebook.")
        blob = read_bounded(fd, MAX_NOTEBOOK_BYTES * 4)
    except OSError as e:
        return Submission(path, sub_id, "", problem=f"The file could not be read "
                          f"({e.strerror or e}).")
    finally:
        os.close(fd)
    if len(blob) > MAX_NOTEBOOK_BYTES * 4:
        return Submission(path, sub_id, "", problem="The file is too large to be a notebook.")
    sub = Submission(path, sub_id, hashlib.sha256(blob).hexdigest())
    if blob[:4] == b"PK\x03\x04" or zipfile.is_zipfile(io.BytesIO(blob)):
        return _from_zip(sub, blob)
    return _from_notebook_bytes(sub, blob, clean_text(path.name))


def _is_link(info: zipfile.ZipInfo) -> bool:
    """A zip entry that unzip would make a symbolic link (its Unix mode says so)."""
    return stat.S_ISLNK(info.external_attr >> 16)


def _from_zip(sub: Submission, blob: bytes) -> Submission:
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:
            links = [i.filename for i in zf.infolist() if _is_link(i)]
            if links:
                sub.problem = (f"The zip file holds a link ({clean_text(links[0])[:100]}), not "
                               "only files; links are never followed: export the notebook again "
                               "with the notebook's export cell.")
                return sub
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
            name = clean_text(info.filename)
            if len(notebooks) > 1:
                sub.notes.append(f"The zip holds {len(notebooks)} notebooks; graded "
                                 f"{name[:200]}.")
            # .OTTER_LOG and any other file in the zip are ignored: they are never unpickled.
            return _from_notebook_bytes(sub, blob, name)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, ValueError,
            EOFError) as e:
        sub.problem = f"The zip file could not be read ({type(e).__name__}); export the " \
                      "notebook again."
        return sub


def _from_notebook_bytes(sub: Submission, blob: bytes, name: str) -> Submission:
    if len(blob) > MAX_NOTEBOOK_BYTES:
        sub.problem = "The notebook is too large."
        return sub
    try:
        nb = clean_json(json.loads(blob.decode("utf-8-sig")))
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
