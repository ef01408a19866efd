"""PrairieLearn's results.json from the engine's entry (hw3.grading.prairielearn): the score as
a fraction, a test per question, `gradable: false` with one sentence for what is not a
notebook, and always under PrairieLearn's 1 MB, whatever the submission made the engine say."""

from __future__ import annotations

import json
from pathlib import Path

from hw3.cases.checking import Verdict
from hw3.grading.grade import questions_summary, scores
from hw3.grading.gradescope import Isolation, Upload
from hw3.grading.prairielearn import format_error, prairielearn_results
from hw3.grading.registry import grader
from tests.grading._prairielearn_schema import problems

CASES = grader().cases


def _upload(failing: set[str], message: str = "", **kw) -> Upload:
    verdicts = {c: (Verdict.fail(kw.get("why", "wrong value"), "hint") if c in failing
                    else Verdict.passed()) for c in CASES}
    entry = {"status": "graded", "message": message, "isolation": "bubblewrap",
             **scores(verdicts).to_json()}
    return Upload(entry, Isolation("bubblewrap", "bubblewrap"), questions_summary())


def test_full_marks_is_score_one_with_a_test_per_question():
    out = prairielearn_results(_upload(set()))
    assert problems(out) == [] and out["gradable"] is True and out["score"] == 1.0
    assert len(out["tests"]) == 14 and sum(t["max_points"] for t in out["tests"]) == 100
    assert all(t["points"] == t["max_points"] for t in out["tests"])


def test_a_failed_hidden_case_costs_its_points_and_says_only_its_property():
    hidden = next(c for c, case in CASES.items() if case.hidden)
    case = CASES[hidden]
    out = prairielearn_results(_upload({hidden}))
    assert problems(out) == []
    assert out["score"] == round((100 - case.points) / 100, 6)
    test = next(t for t in out["tests"] if t["name"] == case.question)
    assert test["points"] == test["max_points"] - case.points
    assert "1 of" in test["message"] and f"hidden test failed: {case.description}" in \
        test["output"]


def test_not_a_notebook_is_not_gradable_with_one_sentence():
    from hw3.grading.grade import unreadable
    from hw3.grading.submission import Submission

    sub = Submission(Path("hw3.ipynb"), "submission", "",
                     problem="hw3.ipynb is not a Jupyter notebook.")
    out = prairielearn_results(Upload(unreadable(sub).to_json(), None, questions_summary()))
    assert problems(out) == [] and out["gradable"] is False
    assert out["format_errors"] == ["Your submission could not be graded: hw3.ipynb is not a "
                                    "Jupyter notebook."]
    nothing = prairielearn_results(Upload(None, None, questions_summary()))
    assert nothing["gradable"] is False and "No notebook" in nothing["format_errors"][0]


def test_no_sandbox_means_not_graded_and_no_attempt_spent():
    out = prairielearn_results(Upload(None, Isolation(None, "bwrap could not start"),
                                      questions_summary()))
    assert problems(out) == [] and out["gradable"] is False
    assert "could not start its sandbox" in out["format_errors"][0]
    assert "bwrap" not in json.dumps(out)  # why is for the job's log, not the student


def test_results_stay_under_a_megabyte_whatever_the_messages():
    # The engine caps what a submission can make it say; this is the last guard.
    out = prairielearn_results(_upload(set(CASES), message="spam " * 400_000,
                                       why="eggs " * 50_000))
    assert problems(out) == []
    assert len(json.dumps(out).encode()) < 1_000_000
    assert out["score"] == 0.0 and len(out["tests"]) == 14


def test_format_error_shape():
    assert problems(format_error("one", "two")) == []
