"""Otter's lines are removed from a student's cell line by line (the student's code beside them
stays), and CSV cells never start a spreadsheet formula."""

from __future__ import annotations

import pytest

from hw3.grading.submission import strip_otter
from hw3.report import csv_cell


@pytest.mark.parametrize("source, kept", [
    ('def sigmoid(z):\n    return z\ngrader.check("sigmoid")',
     "def sigmoid(z):\n    return z\npass"),
    ('import otter\ngrader = otter.Notebook("hw3.ipynb")', "pass\npass"),
    ('x = 1; grader.check("q")  # c\ny = 2\n', "x = 1; pass  # c\ny = 2\n"),
    ('for q in ["a"]:\n    grader.check(q)\nprint(1)\n', 'for q in ["a"]:\n    pass\nprint(1)\n'),
    ("grader.export(pdf=False,\n    run_tests=True)\nz = 3\n", "pass\n\nz = 3\n"),
    ('%matplotlib inline\ngrader.check("x")\nz = 1\n', "%matplotlib inline\npass\nz = 1\n"),
    ("graders = 3\nprint(graders)\n", "graders = 3\nprint(graders)\n"),
])
def test_otter_lines_become_pass_and_the_rest_stays(source, kept):
    out = strip_otter(source)
    assert out == kept
    assert out.count("\n") == source.count("\n")  # line numbers in messages stay right


def test_a_cell_that_does_not_parse_keeps_its_other_lines():
    out = strip_otter('def f(:\n  grader.check("x")\ny = 1\n')
    assert "y = 1" in out and "grader.check(" not in out.replace("pass#", "")


@pytest.mark.parametrize("value, shown", [
    ('=HYPERLINK("http:x","y")', '\'=HYPERLINK("http:x","y")'),
    ("+1+cmd", "'+1+cmd"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("-3", "-3"), ("-0.5", "-0.5"), ("+4e-3", "+4e-3"), ("93.5", "93.5"), ("alice", "alice"),
    ("    Points Possible", "    Points Possible"), ("", ""),
])
def test_csv_cells_that_would_be_formulas_are_quoted(value, shown):
    assert csv_cell(value) == shown
