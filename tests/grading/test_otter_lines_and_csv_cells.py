"""Otter's lines are removed from a student's cell line by line (the student's code beside them
stays), within a bound in time and memory whatever the cell holds; and CSV cells never start a
spreadsheet formula, whatever delimiter the spreadsheet splits on."""

from __future__ import annotations

import csv
import io
import time
import tracemalloc

import pytest

from hw3.grading.submission import (
    MAX_PARSE_CHARS,
    MAX_PARSE_TOTAL,
    strip_otter,
    strip_otter_cells,
)
from hw3.report import csv_cell

# Parsing costs about a thousand times the source: 300 kB took 140 MB and 10 s before the
# bound; the line filter takes a few MB. Wide margins for a loaded machine.
MAX_STRIP_BYTES = 48 * 2**20


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


def _grader_bomb(chars: int) -> str:
    """A cell that mentions `grader` and parses into a huge tree (a list of many items)."""
    return 'grader.check("q")\nx = [' + "1," * (chars // 2) + "]\n"


def test_a_large_cell_mentioning_grader_is_not_parsed_in_the_grader():
    source = _grader_bomb(300_000)
    tracemalloc.start()
    try:
        out = strip_otter(source)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < MAX_STRIP_BYTES, peak / 2**20
    assert out.startswith("pass#") and out.count("\n") == source.count("\n")
    assert out.endswith(source.split("\n", 1)[1])  # the student's code stays


def test_many_cells_mentioning_grader_cost_no_more_than_the_total_parse_budget(monkeypatch):
    import ast

    parsed: list[int] = []
    real = ast.parse
    monkeypatch.setattr(ast, "parse", lambda src, *a, **k: parsed.append(len(src))
                        or real(src, *a, **k))
    cells = [_grader_bomb(MAX_PARSE_CHARS - 100)] * 40  # each small enough to be parsed alone
    out = strip_otter_cells(cells)
    # Before the bound all 40 were parsed (2.6 MB of source, about 30 s here).
    assert sum(parsed) <= MAX_PARSE_TOTAL, sum(parsed)
    assert all(o.startswith("pass") for o in out)
    assert strip_otter_cells(['grader.check(\n    "q")\n'])[0] == "pass\n\n"  # still parsed


def test_a_run_of_blank_lines_is_not_rescanned_from_every_line():
    source = "\n" * 200_000 + "x = 1  # grader\n"
    start = time.monotonic()
    assert strip_otter(source, parse=False) == source
    assert time.monotonic() - start < 10  # linear: milliseconds; quadratic: minutes


@pytest.mark.parametrize("value, shown", [
    ("a;=1+1;", "a;'=1+1;"), ("a,=1+1", "a,'=1+1"), ("a\t=1+1", "a\t'=1+1"),
    ("a; @SUM(A1)", "a; '@SUM(A1)"), ("x|-2+3", "x|'-2+3"), ("a\n+1", "a\n'+1"),
    (" =1+1", "' =1+1"), ("bad\udcffname", "bad\ufffdname"),
])
def test_csv_cells_are_neutral_for_every_delimiter(value, shown):
    assert csv_cell(value) == shown


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_no_piece_of_a_written_cell_starts_a_formula_whatever_the_split(delimiter):
    hostile = ["a;=1+1;", "b,=2+2", "c\t@SUM(A1)", "d|-3+cmd", "=e", "f; +1"]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([[csv_cell(v)] for v in hostile])
    for line in buf.getvalue().splitlines():
        for piece in line.replace('"', "").split(delimiter):
            assert not piece.lstrip(" ").startswith(("=", "+", "-", "@")), (line, piece)


@pytest.mark.parametrize("value, shown", [
    ('=HYPERLINK("http:x","y")', '\'=HYPERLINK("http:x","y")'),
    ("+1+cmd", "'+1+cmd"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("-3", "-3"), ("-0.5", "-0.5"), ("+4e-3", "+4e-3"), ("93.5", "93.5"), ("alice", "alice"),
    ("    Points Possible", "    Points Possible"), ("", ""),
])
def test_csv_cells_that_would_be_formulas_are_quoted(value, shown):
    assert csv_cell(value) == shown
