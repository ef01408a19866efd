"""Timeout defaults live in hw3.grading.timeouts; every hw3 default takes them from there."""

from __future__ import annotations

import inspect

from hw3.grading import gradescope, judging, timeouts
from hw3.grading.grade import Options


def test_hw3_grade_defaults():
    assert Options().timeout == timeouts.SUBMISSION_SECONDS == 300.0
    assert Options().cell_timeout == timeouts.CELL_SECONDS == 60.0


def test_the_judges_budget():
    budget = judging.Budget()
    assert (budget.case_seconds, budget.submission_seconds) == (
        timeouts.JUDGE_CASE_SECONDS, timeouts.JUDGE_SUBMISSION_SECONDS) == (60.0, 180.0)
    assert judging.STARTUP_SECONDS == timeouts.JUDGE_STARTUP_SECONDS


def test_gradescope_fits_its_ten_minutes():
    assert (gradescope.DEFAULT_TIMEOUT, gradescope.DEFAULT_DEADLINE) == (480.0, 570.0)
    judging_budget = gradescope.GRADESCOPE_JUDGING
    assert judging_budget.case_seconds == timeouts.GRADESCOPE_JUDGE_CASE_SECONDS
    assert (timeouts.GRADESCOPE_TIMEOUT + judging_budget.submission_seconds
            <= timeouts.GRADESCOPE_DEADLINE < 600.0)


def test_the_command_line_defaults(capsys):
    import pytest

    from hw3 import cli

    with pytest.raises(SystemExit):
        cli.main(["grade", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"(default {timeouts.SUBMISSION_SECONDS:g})" in text
    assert f"(default {timeouts.CELL_SECONDS:g})" in text


def test_the_timeouts_module_imports_nothing_of_hw3():
    assert "import hw3" not in inspect.getsource(timeouts)
    assert "from hw3" not in inspect.getsource(timeouts)
