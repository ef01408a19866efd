"""Caps count what is stored, in the unit it is stored in (issue 18, item 5): text that
results.json escapes (up to 12 bytes a character) is capped in those bytes, per cell, per
submission and per entry, so one student's excess costs that student's entry only and the
class stays within what `hw3 mark` and `hw3 report` read."""

from __future__ import annotations

import dataclasses
import json

from child_messages import OneRun, cells_printing

from hw3.grading.execute import MAX_CELL_OUTPUT_BYTES, MAX_OUTPUTS_BYTES, execute_submission
from hw3.grading.grade import scores
from hw3.grading.results import MAX_RESULTS_BYTES
from hw3.grading.stored import MAX_ENTRY_BYTES, fit_entry
from hw3.layout import cut_to_size, stored_size
from hw3.marking.collect import MAX_ANSWER_BYTES, find_explanations
from hw3.marking.rubric import load_manual
from hw3.runner.messages import MAX_OUTPUT_CHARS

EMOJI = "\U0001f600"  # 1 character, 12 bytes in results.json: "\ud83d\ude00"


def _run(outputs: list[str]) -> dict:
    run = execute_submission(OneRun(cells_printing(outputs)), ["x"] * len(outputs), [])
    return dataclasses.asdict(run)


def test_one_cell_of_escaped_characters_is_capped_in_stored_bytes():
    res = _run([EMOJI * MAX_OUTPUT_CHARS])
    (cell,) = res["cells"]
    assert stored_size(cell["output"]) <= MAX_CELL_OUTPUT_BYTES  # before: 196 kB for 16 000
    assert "cut" in cell["output"]


def test_ascii_output_an_honest_cell_prints_is_kept_whole():
    text = "epoch 10: loss 0.123\n" * 700  # 14 700 characters, under the child's cap
    (cell,) = _run([text])["cells"]
    assert cell["output"] == text


def test_a_whole_notebook_of_escaped_output_is_capped_in_stored_bytes():
    res = _run(["\u20ac" * MAX_OUTPUT_CHARS] * 100)
    kept = sum(stored_size(c["output"]) for c in res["cells"])
    assert kept <= MAX_OUTPUTS_BYTES + 100 * 200  # before: 100 cells x 16 000 x 6 = 9.6 MB


def test_an_entry_full_of_student_text_fits_its_cap_with_scores_untouched():
    entry = {"path": "mallory.ipynb", "id": "mallory", "status": "graded",
             "message": EMOJI * 20_000, **scores({}).to_json(),
             "events": [{"kind": "cell_error", "cell": i, "message": EMOJI * 1000}
                        for i in range(50)],
             "cells": [{"index": i, "status": "error", "error": EMOJI * 1000,
                        "output": EMOJI * 2000} for i in range(2000)],
             "explanations": {q.name: {"text": EMOJI * 20_000, "found": True,
                                       "answered": True, "truncated": False}
                              for q in load_manual()}}
    assert stored_size(entry) > 50 * 2**20  # what one upload could add before
    fitted = fit_entry(entry)
    assert stored_size(fitted) <= MAX_ENTRY_BYTES
    for key in ("id", "status", "score", "possible", "questions", "cases"):
        assert fitted[key] == entry[key]
    assert all(a["truncated"] for a in fitted["explanations"].values())
    # A class of a thousand such entries is still one that `hw3 mark` and `hw3 report` read.
    assert 1000 * MAX_ENTRY_BYTES <= MAX_RESULTS_BYTES


def test_an_honest_entry_is_left_as_it_is():
    entry = {"path": "a.ipynb", "id": "a", "status": "graded", "message": "",
             **scores({}).to_json(),
             "events": [], "cells": [{"index": 0, "status": "ok", "error": "",
                                      "output": "done\n"}]}
    assert fit_entry(entry) is entry


def test_an_answer_of_escaped_characters_is_capped_in_stored_bytes():
    (q, *_) = load_manual()
    cells = [{"cell_type": "markdown", "source": q.prompt},
             {"cell_type": "markdown", "source": EMOJI * 19_000}]
    answer = find_explanations(cells, [q])[q.name]
    assert stored_size(answer["text"]) <= MAX_ANSWER_BYTES and answer["truncated"]


def test_cut_to_size_keeps_the_longest_start_that_fits():
    text = "a" * 10 + EMOJI * 10
    kept = cut_to_size(text, 40)
    assert text.startswith(kept) and stored_size(kept) <= 40
    assert stored_size(text[: len(kept) + 1]) > 40
    assert json.loads(json.dumps(kept)) == kept
