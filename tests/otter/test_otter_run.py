"""Otter grades it: the reference solution gets full marks, the blank template none."""

from __future__ import annotations

import pytest
from support import SOLUTION, TEMPLATE, otter_run

from hw3.cases import QUESTIONS

pytestmark = pytest.mark.slow


def test_solution_gets_full_marks_on_every_question(tmp_path):
    scores = otter_run(SOLUTION, tmp_path)
    assert set(scores) == set(QUESTIONS)
    for question, s in scores.items():
        assert s["score"] == s["possible"] > 0, question


def test_blank_template_gets_zero_on_every_question(tmp_path):
    scores = otter_run(TEMPLATE, tmp_path)
    assert set(scores) == set(QUESTIONS)
    for question, s in scores.items():
        assert s["score"] == 0, question
