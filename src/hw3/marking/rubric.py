"""The hand-graded (Otter ``manual: true``) questions of the master: names, points and prompts.

``hw3 build`` records them from the master into ``hw3/marking/manual.json`` (:func:`manual_data`),
so grading and marking never need the master itself (:func:`load_manual`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

MANUAL_FILE = "manual.json"


@dataclass(frozen=True)
class ManualQuestion:
    name: str
    points: float
    prompt: str  # the prompt's Markdown, as the master (and so the template) has it


def _source(cell: Any) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def read_manual_questions(nb: Any) -> list[ManualQuestion]:
    """The master's manual questions in notebook order, each with the Markdown between its
    ``# BEGIN QUESTION`` cell and its solution (the prompt students see)."""
    cells = nb["cells"] if isinstance(nb, dict) else nb.cells
    found: list[ManualQuestion] = []
    for i, cell in enumerate(cells):
        text = _source(cell).strip()
        if cell.get("cell_type") != "raw" or not text.startswith("# BEGIN QUESTION"):
            continue
        config = yaml.safe_load(text.split("\n", 1)[1] if "\n" in text else "") or {}
        if not isinstance(config, dict) or not config.get("manual"):
            continue
        prompt = []
        for later in cells[i + 1:]:
            if later.get("cell_type") != "markdown":
                break
            prompt.append(_source(later).strip())
        found.append(ManualQuestion(str(config["name"]), float(config.get("points", 0)),
                                    "\n\n".join(prompt)))
    return found


def manual_data(nb: Any) -> bytes:
    """The recorded file's bytes: the same master always gives the same bytes."""
    questions = [{"name": q.name, "points": q.points, "prompt": q.prompt}
                 for q in read_manual_questions(nb)]
    return (json.dumps({"questions": questions}, indent=1, ensure_ascii=False) + "\n").encode()


@lru_cache(maxsize=1)
def load_manual() -> tuple[ManualQuestion, ...]:
    """The recorded manual questions (none if the build has not recorded any)."""
    try:
        text = resources.files("hw3.marking").joinpath(MANUAL_FILE).read_text("utf-8")
    except (FileNotFoundError, OSError):
        return ()
    return tuple(ManualQuestion(q["name"], float(q["points"]), q["prompt"])
                 for q in json.loads(text)["questions"])


def manual_summary(questions: tuple[ManualQuestion, ...] | None = None) -> dict[str, Any]:
    """The results' top-level ``"manual"`` key: each manual question's points and prompt."""
    qs = load_manual() if questions is None else questions
    return {q.name: {"possible": q.points, "prompt": q.prompt} for q in qs}
