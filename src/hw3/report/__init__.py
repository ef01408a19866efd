"""What the instructor sees after grading: grade tables, LMS imports, a report page, feedback.

``hw3 grade ... --out DIR`` writes ``DIR/results.json`` and calls :func:`write_reports`;
``hw3 report DIR`` calls :func:`load_results` and :func:`write_reports` again without regrading.
Everything here is built from ``results.json`` alone, so the reports can be rebuilt at any time.

Files written into ``DIR`` (all UTF-8 text, no BOM):

- ``grades.csv``: one row per submission, in the order of ``results.json``: ``id``, ``status``,
  ``total``, ``possible`` and one column per question. Numbers are written so that
  ``float(cell)`` equals the JSON value exactly (whole numbers without ``.0``).
  Results with hand-graded questions (``"manual"``, see :mod:`hw3.marking`) add a column per
  such question (empty: not marked yet) and ``provisional``; ``total`` and ``possible``, and
  the LMS files' scores, include the marks given to :func:`write_reports`.
- with a roster only: ``canvas.csv``, ``gradescope.csv`` and ``unmatched.csv`` (see
  :func:`read_roster` for the roster format), and ``roster-used.csv``, a copy of the roster,
  which later runs on the folder without ``--roster`` use (:mod:`hw3.report.recorded_roster`).
  Without a roster, LMS files an earlier run left are never removed or changed.
- ``report.html``: one self-contained page (inline CSS, PNG plots as ``data:`` URLs, no
  scripts, no external URLs).
- ``feedback/<file>.html``: one page per submission, for the student. ``<file>`` is
  :func:`safe_file_name` of the submission id; pages of submissions no longer in the results
  are removed.

The package, one job a module: ``model`` (the class as the reports see it, file names),
``roster`` (reading and matching the roster), ``lms`` (the CSV files), ``stats`` (summary,
question and item statistics, what needs attention), ``plots`` (PNG figures), ``pages`` (HTML
from the Jinja2 templates in ``templates/``, autoescaped, with the CSS as ``report.css``) and
``text`` (numbers and dates for people). The results themselves are typed and checked in
:mod:`hw3.grading.results`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from hw3.grading.results import ClassResults, ResultsError, load_results
from hw3.layout import atomic_write_text, csv_cell  # noqa: F401 - csv_cell: its old home
from hw3.report import lms, pages
from hw3.report.model import ReportData, report_data, safe_file_name
from hw3.report.recorded_roster import record_roster
from hw3.report.roster import Matching, RosterEntry, match, read_roster, unmatched

__all__ = [
    "ReportError",
    "RosterEntry",
    "load_results",
    "read_roster",
    "safe_file_name",
    "unmatched",
    "write_reports",
]

ReportError = ResultsError  # the name the report's callers know; one class


def write_reports(
    results: ClassResults,
    out_dir: Path,
    roster: Path | None = None,
    *,
    canvas_column: str | None = None,
    marks: Mapping[str, Any] | None = None,
    say: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write every report for ``results`` into ``out_dir``; return the paths written.

    ``roster`` (see :func:`read_roster`) adds ``canvas.csv``, ``gradescope.csv`` and
    ``unmatched.csv``, and a copy of itself as ``roster-used.csv``; without it, LMS files already
    in ``out_dir`` are left as they are (the commands pick the roster with
    :func:`hw3.report.recorded_roster.choose_roster`). ``canvas_column`` is the header of the
    score column in ``canvas.csv``; by default the assignment name upper-cased (``HW3``), which
    Canvas imports as a new assignment. To fill an existing one, pass its name with its Canvas
    id as a gradebook export shows it, e.g. ``"HW3 (123456)"``.

    ``marks`` (``hw3.marking.store.Marks``) are the hand-graded marks of the results'
    ``"manual"`` questions: they add a column per question to ``grades.csv`` and count in
    every total; answers without a mark count 0 and make the grade provisional.

    While any hand-graded answer is unmarked, the Canvas and Gradescope files are named
    ``canvas-PROVISIONAL.csv`` and ``gradescope-PROVISIONAL.csv`` (:func:`lms.lms_file_names`);
    a file of the other pair left by an earlier run is out of date and removed, and ``say``
    (default: print to stderr) is told which and why.

    Raises ValueError for a bad roster, checked before anything is written."""
    from hw3.marking.merge import Manual

    data = report_data(results)
    data.manual = Manual.of(results, marks)  # type: ignore[arg-type]
    entries = read_roster(Path(roster)) if roster is not None else None
    out = _Out(Path(out_dir))
    out.write("grades.csv", lms.grades_csv(data))
    matching: Matching | None = None
    if entries is not None and roster is not None:
        matching = match(data.subs, entries)
        _write_lms(out, data, matching, canvas_column, say or _say)
        if (copy := record_roster(out.dir, Path(roster))) is not None:
            out.written.append(copy)
    out.write("report.html", pages.report_html(
        data, matching, similarity=(out.dir / "similarity.html").exists()))
    _write_feedback(out, data)
    return out.written


def _say(message: str) -> None:
    print(f"hw3: {message}", file=sys.stderr)


class _Out:
    """The report folder, and every file written into it, in order."""

    def __init__(self, folder: Path):
        self.dir = folder
        self.dir.mkdir(parents=True, exist_ok=True)
        self.written: list[Path] = []

    def write(self, name: str, text: str) -> None:
        self.written.append(atomic_write_text(self.dir / name, text))


def _write_lms(out: _Out, data: ReportData, matching: Matching, canvas_column: str | None,
               say: Callable[[str], None]) -> None:
    """canvas.csv, gradescope.csv (or their -PROVISIONAL pair) and unmatched.csv; the other
    pair, left by an earlier run, is out of date now: never left beside them."""
    column = canvas_column or data.assignment.upper()
    provisional = bool(data.manual and data.manual.provisional)
    canvas, gradescope = lms.lms_file_names(provisional)
    out.write(canvas, lms.canvas_csv(data, matching, column))
    out.write(gradescope, lms.gradescope_csv(data, matching))
    for old in lms.lms_file_names(not provisional):
        if (out.dir / old).is_file():
            (out.dir / old).unlink()
            why = ("some hand-graded answers are not marked" if provisional
                   else "every hand-graded answer is marked now")
            now = canvas if old.startswith("canvas") else gradescope
            say(f"removed {out.dir / old}, written by an earlier run: its grades are out "
                f"of date ({why}); the current ones are in {out.dir / now}")
    out.write("unmatched.csv", lms.unmatched_csv(matching))


def _write_feedback(out: _Out, data: ReportData) -> None:
    """A page per submission; pages of submissions no longer in the results are removed."""
    feedback_dir = out.dir / "feedback"
    feedback_dir.mkdir(exist_ok=True)
    keep = {f"{s.file}.html" for s in data.subs}
    for old in feedback_dir.glob("*.html"):
        if old.name not in keep:
            old.unlink()
    for s in data.subs:
        out.write(f"feedback/{s.file}.html", pages.feedback_html(data, s))
