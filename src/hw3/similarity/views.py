"""What the page shows of a pair: each side's code with the shared fragments marked and the
template's code greyed, the answers they share, and their explanations with the shared words
marked. Made only for the pairs the page shows, from the cells again (positions are not kept for
the whole class).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hw3.similarity.compare import EXPLANATION_FROM, Pair
from hw3.similarity.explanations import stem, trigrams, words
from hw3.similarity.fingerprints import K, kgram_hashes, winnow
from hw3.similarity.reading import Doc
from hw3.similarity.tokens import function_spans, normalise

MAX_LINES = 120  # of one cell, on the page
MAX_CELLS = 12  # of one side


@dataclass
class Line:
    number: int
    text: str
    kind: str  # "match", "template" or ""


@dataclass
class CellView:
    title: str
    lines: list[Line]
    cut: int = 0  # lines left out
    places: tuple[str, ...] = ()  # the functions defined in it


@dataclass
class PairView:
    pair: Pair
    number: int
    name_a: str
    name_b: str
    rows: list[tuple[str, CellView | None, CellView | None]] = field(default_factory=list)
    explanations: list[tuple[str, float, list[tuple[str, bool]], list[tuple[str, bool]]]] = \
        field(default_factory=list)


def _marks(cell: str, shared: set[int], template: frozenset[int]) -> tuple[set[int], set[int]]:
    toks = normalise(cell)
    hashes = kgram_hashes(toks)
    match: set[int] = set()
    for fp in winnow(hashes):
        if fp.hash in shared:
            match.update(range(toks[fp.start].line, toks[fp.start + K - 1].line + 1))
    grey: set[int] = set()
    for i, h in enumerate(hashes):
        if h in template:
            grey.update(range(toks[i].line, toks[i + K - 1].line + 1))
    return match, grey


def code_view(doc: Doc, shared: set[int], template: frozenset[int]) -> list[CellView]:
    """The cells of ``doc`` that hold shared fragments, each line marked."""
    out = []
    for ci, cell in enumerate(doc.cells):
        match, grey = _marks(cell, shared, template)
        if not match:
            continue
        lines = cell.split("\n")
        shown = [Line(n, text, "match" if n in match else "template" if n in grey else "")
                 for n, text in enumerate(lines[:MAX_LINES], 1)]
        places = tuple(name for _, _, name in function_spans(cell)) or \
            (f"code cell {doc.numbers[ci]}",)
        out.append(CellView(f"code cell {doc.numbers[ci]}", shown,
                            max(0, len(lines) - MAX_LINES), places))
        if len(out) >= MAX_CELLS:
            break
    return out


def aligned(cells_a: list[CellView], cells_b: list[CellView],
            order: list[str]) -> list[tuple[str, CellView | None, CellView | None]]:
    """Rows of the side-by-side view: the cell of each side that holds the same function (most
    shared first), each cell once; then what is left."""
    rows: list[tuple[str, CellView | None, CellView | None]] = []
    used_a: set[int] = set()
    used_b: set[int] = set()

    def take(cells: list[CellView], used: set[int], place: str) -> CellView | None:
        for i, c in enumerate(cells):
            if place in c.places and i not in used:
                used.add(i)
                return c
        return None

    for place in order:
        ca, cb = take(cells_a, used_a, place), take(cells_b, used_b, place)
        if ca or cb:
            rows.append((place, ca, cb))
    rest_a = [c for i, c in enumerate(cells_a) if i not in used_a]
    rest_b = [c for i, c in enumerate(cells_b) if i not in used_b]
    for k in range(max(len(rest_a), len(rest_b))):
        rows.append(("", rest_a[k] if k < len(rest_a) else None,
                     rest_b[k] if k < len(rest_b) else None))
    return rows


def _marked_words(text: str, common: set[str]) -> list[tuple[str, bool]]:
    """The text in pieces, each a word in a shared run (True) or anything else."""
    out: list[tuple[str, bool]] = []
    for piece in re.split(r"(\W+)", text[:5000]):
        if piece:
            out.append((piece, stem(piece.lower()) in common))
    return out


def explanation_views(pair: Pair, a: Doc, b: Doc) -> list:
    out = []
    for q, sim in sorted(pair.explanations.items(), key=lambda kv: -kv[1]):
        if sim < EXPLANATION_FROM:
            continue
        ta, tb = a.explanations.get(q, ""), b.explanations.get(q, "")
        shared = trigrams(words(ta)) & trigrams(words(tb))
        common = {w for t in shared for w in t}
        out.append((q, sim, _marked_words(ta, common), _marked_words(tb, common)))
    return out


def pair_view(pair: Pair, number: int, a: Doc, b: Doc, df: dict[int, int], hi: int,
              template: frozenset[int], names: dict[str, str]) -> PairView:
    shared = {h for h in a.fingerprints.keys() & b.fingerprints.keys() if df.get(h, 0) < hi}
    view = PairView(pair, number, names.get(a.id, ""), names.get(b.id, ""))
    view.rows = aligned(code_view(a, shared, template), code_view(b, shared, template),
                        pair.places_a)
    view.explanations = explanation_views(pair, a, b)
    return view
