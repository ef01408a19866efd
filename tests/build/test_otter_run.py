"""Otter grades it: the reference solution gets full marks, the blank template none, and
`hw3 grade` gives the same score on every question."""

from __future__ import annotations

import pytest

from hw3.grading.grade import Options, grade_paths
from hw3.grading.registry import grader
from tests._support import SOLUTION, TEMPLATE, otter_run

QUESTIONS = grader().questions

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def otter_scores(tmp_path_factory):
    return {name: otter_run(path, tmp_path_factory.mktemp(name))
            for name, path in (("solution", SOLUTION), ("template", TEMPLATE))}


@pytest.fixture(scope="module")
def hw3_scores():
    results = grade_paths([SOLUTION, TEMPLATE], Options(workers=2, cache_dir=None)).to_json()
    return {name: entry["questions"] for name, entry in
            zip(("solution", "template"), results["submissions"])}


def test_solution_gets_full_marks_on_every_question(otter_scores):
    scores = otter_scores["solution"]
    assert set(scores) == set(QUESTIONS)
    for question, s in scores.items():
        assert s["score"] == s["possible"] > 0, question


def test_blank_template_gets_zero_on_every_question(otter_scores):
    scores = otter_scores["template"]
    assert set(scores) == set(QUESTIONS)
    for question, s in scores.items():
        assert s["score"] == 0, question


@pytest.mark.parametrize("name", ["solution", "template"])
def test_hw3_grade_gives_the_same_scores_as_otter(otter_scores, hw3_scores, name):
    assert hw3_scores[name] == otter_scores[name]
