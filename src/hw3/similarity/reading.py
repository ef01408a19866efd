"""Reading a class for comparison: each submission's code cells and explanations, as ``hw3 grade``
reads them (``hw3.grading.submission``), and nothing executed.

Otter's lines (``grader.check``, the export) become ``pass`` first (``strip_otter``), so they
never count; a cell left with nothing but that is dropped. Each readable submission becomes a
:class:`Doc`: its tokens, its fingerprints less the template's, where each fingerprint lies (a
function's name or a cell), and the raw material of the answers and explanations evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hw3.grading.submission import Submission, assign_ids, discover, read, strip_otter
from hw3.similarity.fingerprints import kgram_hashes, winnow
from hw3.similarity.tokens import function_spans, normalise

_ONLY_PASS = re.compile(r"^(\s*(pass)?\s*(#.*)?\n?)*$")


@dataclass
class Doc:
    """One readable submission as the comparison sees it."""

    id: str
    path: Path
    cells: list[str]  # code cells unlike the template's, Otter's lines made `pass`
    explanations: dict[str, str]  # manual question -> the student's Markdown
    fingerprints: dict[int, int] = field(default_factory=dict)  # hash -> index into places
    places: list[str] = field(default_factory=list)  # "sigmoid", "code cell 12"
    template_hits: int = 0  # fingerprints dropped as the template's own
    numbers: list[int] = field(default_factory=list)  # each cell's number among code cells


def code_cells(sub: Submission) -> list[str]:
    """The student's code cells without Otter's machinery (cells of nothing else dropped)."""
    out = []
    for src in sub.cells:
        stripped = strip_otter(src)
        if not _ONLY_PASS.fullmatch(stripped):
            out.append(stripped)
    return out


def place_of(spans: Sequence[tuple[int, int, str]], index: int, line: int) -> str:
    """Where a line of cell ``index`` is, for a person: the function it is in (``spans``:
    ``tokens.function_spans``), else the cell."""
    for first, last, name in spans:
        if first <= line <= last:
            return name
    return f"code cell {index + 1}"


def make_doc(sub: Submission, template: frozenset[int],
             template_cells: frozenset[str] = frozenset()) -> Doc:
    """A readable submission's Doc: its fingerprints, less those in ``template``. A cell
    exactly as in the template (``template_cells``) is all template: it is not read again."""
    kept = [(n, c) for n, c in enumerate(code_cells(sub), 1) if c not in template_cells]
    cells = [c for _, c in kept]
    texts = {q: str(e.get("text") or "") for q, e in sub.explanations.items()
             if isinstance(e, dict) and e.get("answered")}
    doc = Doc(sub.id, sub.path, cells, texts, numbers=[n for n, _ in kept])
    place_index: dict[str, int] = {}
    for ci, cell in enumerate(cells):
        toks = normalise(cell)
        spans = function_spans(cell) if "def " in cell or "class " in cell else []
        for fp in winnow(kgram_hashes(toks)):
            if fp.hash in template:
                doc.template_hits += 1
                continue
            if fp.hash in doc.fingerprints:
                continue
            label = place_of(spans, doc.numbers[ci] - 1, toks[fp.start].line)
            doc.fingerprints[fp.hash] = place_index.setdefault(label, len(place_index))
    doc.places = list(place_index)
    return doc


@dataclass
class Class:
    """The class as read: the Docs, and the submissions that could not be read (and why)."""

    docs: list[Doc]
    unreadable: dict[str, str]  # id -> why
    missing: list[str] = field(default_factory=list)  # ids whose file is no longer there


PARALLEL_FROM = 200  # classes this large are read by WORKERS processes
WORKERS = 2


def read_class(files: Sequence[tuple[str, Path]], template: frozenset[int],
               template_cells: frozenset[str] = frozenset()) -> Class:
    """Read ``(id, path)`` pairs; a file gone or unreadable is listed, never fatal. A large
    class is read by two processes (reading and tokenizing is most of the time), in order."""
    if len(files) < PARALLEL_FROM:
        return _read_part(list(files), template, template_cells)
    from concurrent.futures import ProcessPoolExecutor

    size = -(-len(files) // (WORKERS * 4))
    parts = [list(files[i:i + size]) for i in range(0, len(files), size)]
    out = Class([], {}, [])
    with ProcessPoolExecutor(WORKERS) as pool:
        for part in pool.map(_read_part, parts, [template] * len(parts),
                             [template_cells] * len(parts)):
            out.docs += part.docs
            out.unreadable.update(part.unreadable)
            out.missing += part.missing
    return out


def _read_part(files: list[tuple[str, Path]], template: frozenset[int],
               template_cells: frozenset[str]) -> Class:
    docs, unreadable, missing = [], {}, []
    for sub_id, path in files:
        if not path.exists():
            missing.append(sub_id)
            continue
        sub = read(path, sub_id)
        if not sub.readable:
            unreadable[sub_id] = sub.problem
            continue
        docs.append(make_doc(sub, template, template_cells))
    return Class(docs, unreadable, missing)


def files_of_paths(paths: Iterable[Path]) -> list[tuple[str, Path]]:
    """``(id, path)`` of every submission under ``paths``, with the ids ``hw3 grade`` gives."""
    files = discover([Path(p) for p in paths])
    ids = assign_ids(files)
    return [(ids[f], f) for f in files]


def files_of_results(results: dict) -> list[tuple[str, Path]]:
    """``(id, path)`` of every submission in grading results (``results.json``)."""
    out = []
    for s in results.get("submissions", []):
        if isinstance(s, dict) and s.get("path"):
            out.append((str(s.get("id") or Path(str(s["path"])).stem), Path(str(s["path"]))))
    return out
