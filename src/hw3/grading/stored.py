"""What one submission's entry may keep, counted in the bytes results.json stores it in.

results.json is written with ``json.dumps`` (``ensure_ascii``): a character outside ASCII takes
6 bytes there, one outside the BMP 12. Caps on what students' code produced count in those bytes
(``hw3.layout.stored_size``): per cell and per notebook for outputs (``hw3.grading.execute``),
per answer for explanations (``hw3.marking.collect``), and per entry here, as the backstop, so
one student's excess costs that student's entry only, and a class always fits in
``hw3.grading.results.MAX_RESULTS_BYTES`` that ``hw3 mark`` and ``hw3 report`` read.
"""

from __future__ import annotations

import json
from typing import Any

from hw3.grading.results import SubmissionResult
from hw3.layout import cut_to_size, stored_size

# One submission's entry, as results.json stores it: an honest one takes about 50 kB, so a
# thousand entries at this cap still fit in MAX_RESULTS_BYTES. An entry over it loses, in this
# order, its outputs, long errors and messages, then its answers' length (``fit_entry``):
# its own excess costs its own entry only.
MAX_ENTRY_BYTES = 512 * 2**10


def fit_entry(entry: dict[str, Any], limit: int = MAX_ENTRY_BYTES) -> dict[str, Any]:
    """``entry`` (a submission's JSON) within ``limit`` stored bytes: what a student's code
    produced is cut, step by step, until it fits; scores and ids are never touched."""
    if stored_size(entry) <= limit:
        return entry
    entry = json.loads(json.dumps(entry))  # a copy: the caller's dict stays as it was
    note = "[cut: this submission's results were too large to keep whole]"
    cells: list[Any] = entry["cells"] if isinstance(entry.get("cells"), list) else []
    answers: dict[str, Any] = (entry["explanations"]
                               if isinstance(entry.get("explanations"), dict) else {})
    cases: list[Any] = entry["cases"] if isinstance(entry.get("cases"), list) else []
    events: list[Any] = entry["events"] if isinstance(entry.get("events"), list) else []

    def cut(items: list[Any], key: str, budget: int, say: str = note) -> None:
        for item in items:
            if isinstance(item, dict) and isinstance(item.get(key), str):
                kept = cut_to_size(item[key], budget)
                if kept != item[key]:
                    item[key] = f"{kept} {say}".strip()
                    if key == "text":
                        item["truncated"] = True

    steps = [
        lambda: cut(cells, "output", 0),
        lambda: cut(cells, "error", 400),
        lambda: cut(cases, "message", 400),
        lambda: cut(events, "message", 400),
        lambda: entry.update(message=cut_to_size(str(entry.get("message", "")), 4000)),
        lambda: cut(list(answers.values()), "text",
                    max(1000, (limit // 2) // max(1, len(answers))), ""),
        lambda: entry.update(cells=[], events=events[:100]),
    ]
    for step in steps:
        step()
        if stored_size(entry) <= limit:
            break
    return entry


def fit(result: SubmissionResult, limit: int = MAX_ENTRY_BYTES) -> SubmissionResult:
    """``fit_entry`` for a typed result: the same result if it fits, else its cut copy."""
    entry = result.to_json()
    fitted = fit_entry(entry, limit)
    return result if fitted is entry else SubmissionResult.from_json(fitted)
