"""Finding a submission's explanation cells: what the student wrote for each manual question.

The template marks each manual question the way Otter Assign does: a locked Markdown cell that
starts with ``<!-- BEGIN QUESTION -->`` and holds the prompt, the answer cell(s) (tagged
``otter_answer_cell``), and ``<!-- END QUESTION -->`` at the top of the next cell. Students
edit notebooks in many tools, so each piece is a hint, not a requirement:

1. the prompt cell is the first Markdown cell (after the previous question's) that holds the
   recorded prompt, compared with whitespace collapsed; failing that, its first line; failing
   that, its bold label (``**Explain (2.4).**``), so a prompt reworded after students got the
   template still finds their answers;
2. the answer is every Markdown cell after it up to the END marker or the next BEGIN marker
   (found within ``WINDOW`` cells); without a marker, the one cell right after the prompt;
3. Otter's placeholder text is not an answer; text a student typed into the prompt cell itself
   (below the prompt) is.

Everything is hostile: only the first ``MAX_CELLS`` cells are looked at, each cell's text is cut
to ``MAX_CELL_CHARS`` before any comparison, and an answer to ``MAX_ANSWER_CHARS`` and to
``MAX_ANSWER_BYTES`` as results.json stores it (a character can take 12 bytes there).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from hw3.layout import cut_to_size
from hw3.marking.rubric import ManualQuestion, load_manual

MAX_CELLS = 2000
MAX_CELL_CHARS = 100_000
MAX_ANSWER_CHARS = 20_000
MAX_ANSWER_BYTES = 40 * 1024  # 20 000 characters of ASCII (and LaTeX's backslashes) fit
WINDOW = 12  # cells after a prompt searched for the END marker
PLACEHOLDER = "_Type your answer here, replacing this text._"
BEGIN = "<!-- BEGIN QUESTION -->"
END = "<!-- END QUESTION -->"
_SPACE = re.compile(r"\s+")
_LABEL = re.compile(r"\*\*[^*\n]{4,80}\*\*")  # a prompt's bold label: **Explain (2.4).**


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _cells(raw: Sequence[Any]) -> list[tuple[str, str, bool]]:
    """(type, text, tagged as an answer cell) for each cell, capped; junk becomes empty."""
    out = []
    for cell in raw[:MAX_CELLS]:
        if not isinstance(cell, dict):
            out.append(("", "", False))
            continue
        src = cell.get("source", "")
        if isinstance(src, list):
            src = "".join(s for s in src[:MAX_CELL_CHARS] if isinstance(s, str))
        text = src[:MAX_CELL_CHARS] if isinstance(src, str) else ""
        meta = cell.get("metadata")
        tags = meta.get("tags") if isinstance(meta, dict) else None
        tagged = isinstance(tags, list) and "otter_answer_cell" in tags
        kind = cell.get("cell_type")
        out.append((kind if isinstance(kind, str) else "", text, tagged))
    return out


def _clean(text: str) -> str:
    return text.replace(PLACEHOLDER, "").strip()


def find_explanations(raw_cells: Sequence[Any],
                      questions: Sequence[ManualQuestion] | None = None) -> dict[str, Any]:
    """Each manual question's answer: ``{"text", "found", "answered", "truncated"}``.

    ``found`` is whether the question's prompt was found; ``text`` is the student's Markdown
    (LaTeX included) as written, cut to ``MAX_ANSWER_CHARS`` (then ``truncated``)."""
    qs = list(load_manual() if questions is None else questions)
    cells = _cells(raw_cells)
    where = _prompt_cells(qs, cells)
    out: dict[str, Any] = {}
    for qi, q in enumerate(qs):
        entry = {"text": "", "found": qi in where, "answered": False, "truncated": False}
        out[q.name] = entry
        if qi not in where:
            continue
        parts = _answer_parts(cells, where[qi], set(where.values()), q.prompt.strip())
        text = "\n\n".join(c for c in (_clean(x) for x in parts) if c)
        entry["answered"] = bool(text)
        if len(text) > MAX_ANSWER_CHARS:
            text, entry["truncated"] = text[:MAX_ANSWER_CHARS], True
        kept = cut_to_size(text, MAX_ANSWER_BYTES)
        if kept != text:
            text, entry["truncated"] = kept, True
        entry["text"] = text
    return out


def _prompt_cells(qs: Sequence[ManualQuestion], cells: list[tuple[str, str, bool]]
                  ) -> dict[int, int]:
    """Each question's prompt cell (question index -> cell index), found in order: by the
    whole prompt, else its first line, else its bold label."""
    norm = [_norm(t) if k == "markdown" else "" for k, t, _ in cells]
    prompts = [_norm(q.prompt) for q in qs]
    firsts = [_norm(q.prompt.strip().split("\n", 1)[0]) for q in qs]
    labels = [_norm(m.group(0)) if (m := _LABEL.match(q.prompt.strip())) else "" for q in qs]
    where: dict[int, int] = {}
    start = 0
    for qi, (full, first, label) in enumerate(zip(prompts, firsts, labels)):
        hit = None
        for needle in (full, first, label):
            if not needle:
                continue
            hit = next((i for i in range(start, len(cells)) if needle in norm[i]), None)
            if hit is not None:
                break
        if hit is not None:
            where[qi] = hit
            start = hit + 1
    return where


def _answer_parts(cells: list[tuple[str, str, bool]], p: int, prompt_cells: set[int],
                  prompt: str) -> list[str]:
    """The Markdown written for the question whose prompt is cell ``p``: between the answer
    markers, else the cell right after the prompt; and any text typed below the prompt."""
    parts: list[str] = []
    end = None
    for j in range(p + 1, min(len(cells), p + 1 + WINDOW)):
        kind, text, _ = cells[j]
        if j in prompt_cells:
            break  # another question's prompt, but no marker: fall back on position
        if BEGIN in text:
            end = j
            break
        if END in text:
            before = text.split(END, 1)[0]  # a student may type above the marker
            if kind == "markdown" and _clean(before):
                parts.append(before)
            end = j
            break
        if kind == "markdown":
            parts.append(text)
    if end is None:  # no marker: the answer is the cell right after the prompt
        nxt = cells[p + 1] if p + 1 < len(cells) else ("", "", False)
        parts = [nxt[1]] if nxt[0] == "markdown" and (nxt[2] or not
                                                      nxt[1].lstrip().startswith("#")) else []
    # text typed into the prompt cell itself, below the prompt
    own = cells[p][1]
    tail = own.split(prompt, 1)[1] if prompt in own else ""
    if _clean(tail.replace(END, "")):
        parts.insert(0, tail.split(END, 1)[0])
    return parts
