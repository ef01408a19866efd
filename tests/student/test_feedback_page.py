"""The student's feedback page: every case's points (hidden ones too, without their ids), a word
that the explanations are graded by hand, and for an invalid submission its one message only."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from hw3.grading.registry import grader
from hw3.grading.results import ClassResults
from hw3.report import write_reports

CASES = grader().cases
QUESTIONS = grader().questions


def _results() -> dict:
    questions = {q: {"possible": float(sum(c.points for c in cs)), "cases": [
        {"id": c.id, "points": c.points, "hidden": c.hidden, "description": c.description}
        for c in cs]} for q, cs in QUESTIONS.items()}
    cases = [{"id": c.id, "question": c.question, "points": c.points, "hidden": c.hidden,
              "description": c.description, "passed": not c.hidden, "score":
              0.0 if c.hidden else float(c.points),
              "message": "Hidden test failed: x." if c.hidden else ""} for c in CASES.values()]
    graded = {"id": "ann", "path": "ann.ipynb", "status": "graded", "message": "",
              "score": 40.0, "possible": 100.0, "cases": cases,
              "questions": {q: {"score": 1.0, "possible": v["possible"]}
                            for q, v in questions.items()}}
    invalid = {"id": "ben", "path": "ben.ipynb", "status": "invalid",
               "message": "ben.ipynb is not a notebook: hand in the .ipynb file.", "score": 0.0,
               "possible": 100.0, "cases": [dict(c, passed=False, score=0.0,
                                                  message="not graded") for c in cases],
               "questions": {q: {"score": 0.0, "possible": v["possible"]}
                             for q, v in questions.items()}}
    return {"assignment": "hw3", "questions": questions, "submissions": [graded, invalid]}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _text(html: str) -> str:
    p = _Text()
    p.feed(html)
    return " ".join(" ".join(p.parts).split())


def test_feedback_shows_every_hidden_cases_points_and_the_hand_graded_explanations(tmp_path):
    write_reports(ClassResults.from_json(_results()), tmp_path)
    html = (tmp_path / "feedback" / "ann.html").read_text(encoding="utf-8")
    text = _text(html)
    assert "graded by hand" in text
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    hidden_rows = [r for r in rows if "hidden test" in r]
    assert len(hidden_rows) == sum(c.hidden for c in CASES.values())
    in_order = [c for cs in QUESTIONS.values() for c in cs if c.hidden]
    for case, row in zip(in_order, map(_text, hidden_rows)):
        assert case.description in row and f"0 / {case.points:g}" in row, (case.id, row)
        assert not re.search(rf"{re.escape(case.id)}(?!\w)", html), case.id


def test_an_invalid_submission_shows_its_one_message(tmp_path):
    write_reports(ClassResults.from_json(_results()), tmp_path)
    text = _text((tmp_path / "feedback" / "ben.html").read_text(encoding="utf-8"))
    assert "could not be graded" in text and "is not a notebook" in text
    assert "not graded" not in text and "hidden test" not in text
