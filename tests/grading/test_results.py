"""The typed results (hw3.grading.results): the JSON round trip is exact, key order included,
on the report's sample class and on a class really graded; bad input is refused with one
sentence naming the field; Gradescope's export and the CSV rows come from the objects."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest

from hw3.grading.results import (
    MAX_SUBMISSIONS,
    ClassResults,
    ResultsError,
    SubmissionResult,
    load_results,
)
from tests.report._report_sample import make_results

ROOT = Path(__file__).resolve().parents[2]


def _same(a: object, b: object) -> None:
    assert json.dumps(a) == json.dumps(b)  # equal, and in the same key order


def test_round_trip_of_the_sample_class():
    sample = make_results(24)
    typed = ClassResults.from_json(sample)
    _same(typed.to_json(), sample)
    assert ClassResults.from_json(typed.to_json()) == typed
    alice = typed.submissions[0]
    assert alice.id == "alice" and alice.graded and alice.cells is None
    assert alice.questions["sigmoid"].possible == 8.0
    assert all(c.passed is not None for c in alice.cases)


def test_round_trip_keeps_optional_fields_and_their_absence():
    sample = make_results(3, odd=False)
    sub = sample["submissions"][0]
    # In the grader's order: cells after the events, explanations and cached at the end.
    sample["submissions"][0] = {**{k: v for k, v in sub.items() if k not in ("isolation",
                                                                         "seconds")},
                                "cells": [{"index": 0, "status": "ok"}],
                                "isolation": sub["isolation"], "seconds": sub["seconds"],
                                "explanations": {"q": {"text": "t"}}, "cached": True}
    del sample["submissions"][1]["isolation"]
    sample["manual"], sample["sandbox"] = {"q": {"possible": 2.0, "prompt": "p"}}, {"mode": "b"}
    sample["interrupted"] = {"finished": 3, "total": 4, "not_graded": ["x.ipynb"]}
    typed = ClassResults.from_json(sample)
    assert typed.submissions[1].isolation is None
    # The top level in the grader's order: manual and sandbox before the submissions.
    want = {k: sample[k] for k in ("assignment", "autograder", "generated", "questions",
                                   "manual", "sandbox", "submissions", "interrupted")}
    _same(typed.to_json(), want)


def test_load_results_checks_and_returns_the_file_as_read(tmp_path):
    sample = make_results(5)
    (tmp_path / "results.json").write_text(json.dumps(sample, indent=1))
    assert load_results(tmp_path).to_json() == sample
    (tmp_path / "results.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ResultsError) as err:
        load_results(tmp_path)
    assert "\n" not in str(err.value)


BAD = [
    (lambda r: r.clear() or r.update(x=1), "'questions' must be an object"),
    (lambda r: r.__setitem__("submissions", {}), "'submissions' must be a list"),
    (lambda r: r["submissions"][1].__setitem__("score", "12"), r"submissions\[1\]\.score must"),
    (lambda r: r["submissions"][0].__setitem__("cases", [1]), r"submissions\[0\]\.cases must"),
    (lambda r: r["submissions"][0].__setitem__("events", "x"), r"submissions\[0\]\.events"),
    (lambda r: r["submissions"][2].update(id="", path=""), r"neither an 'id' nor a 'path'"),
    (lambda r: r["questions"]["relu"]["cases"].append({"points": 1}), r"questions\.relu\.cases"),
    (lambda r: r["submissions"].extend([r["submissions"][0]] * MAX_SUBMISSIONS),
     "more than 100000"),
]


@pytest.mark.parametrize("edit, match", BAD)
def test_bad_results_are_refused_with_one_sentence(edit, match):
    results = make_results(4)
    edit(results)
    with pytest.raises(ResultsError, match=match) as err:
        ClassResults.from_json(results)
    assert "\n" not in str(err.value) and len(str(err.value)) < 300


def test_a_top_level_that_is_not_an_object_is_refused():
    for value in ([], "results", None, 3):
        with pytest.raises(ResultsError, match="a JSON object at the top level"):
            ClassResults.from_json(value)


def test_the_grades_row_writes_numbers_exactly():
    sub = SubmissionResult.from_json(make_results(2, odd=False)["submissions"][0])
    names = list(sub.questions)
    row = sub.grades_row(names + ["absent"])
    assert row[:2] == [sub.id, "graded"] and float(row[2]) == sub.score
    assert row[-1] == "" and [float(x) for x in row[4:-1]] == [
        sub.questions[n].score for n in names]


def test_gradescope_results_come_from_the_typed_entry():
    from hw3.grading.gradescope import gradescope_results

    sample = make_results(3, odd=False)
    entry = sample["submissions"][0]
    out = gradescope_results(entry, sample["questions"], {"points_possible": 10})
    assert out["score"] == round(entry["score"] / entry["possible"] * 10, 5)
    assert [t["name"] for t in out["tests"]] == ["Public Tests", *sample["questions"]]
    broken = copy.deepcopy(entry)
    broken["score"] = None
    with pytest.raises(ResultsError, match="score must be a number"):
        gradescope_results(broken, sample["questions"], {})


@pytest.mark.slow
def test_round_trip_of_a_class_really_graded(tmp_path):
    """The solution, the blank template and a file that is no notebook, graded in the sandbox:
    every entry (graded, with cells and explanations; invalid) survives the round trip."""
    from hw3.grading.grade import Options, grade_paths

    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(ROOT / "solutions" / "hw3.ipynb", subs / "solution.ipynb")
    shutil.copy(ROOT / "student_template" / "hw3.ipynb", subs / "blank.ipynb")
    (subs / "broken.ipynb").write_text("not json")
    results = grade_paths([subs], Options(workers=1, cache_dir=None)).to_json()
    by_id = {s["id"]: s for s in results["submissions"]}
    assert by_id["solution"]["score"] == by_id["solution"]["possible"] > 0
    assert by_id["broken"]["status"] == "invalid" and "cells" not in by_id["broken"]
    assert "cells" in by_id["solution"] and "explanations" in by_id["solution"]
    text = json.dumps(results, indent=1)
    again = ClassResults.from_json(json.loads(text)).to_json()
    assert json.dumps(again, indent=1) == text
