"""The grade files: grades.csv, and with a roster Canvas' and Gradescope's imports and the list
of what could not be matched. Every cell goes through ``csv_cell`` (no formulas)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from hw3.grading.results import csv_number
from hw3.layout import csv_cell
from hw3.report.model import ReportData
from hw3.report.roster import (
    PROBLEM_AMBIGUOUS,
    PROBLEM_NO_SUBMISSION,
    PROBLEM_NOT_ON_ROSTER,
    Matching,
)

CANVAS_FILE, GRADESCOPE_FILE = "canvas.csv", "gradescope.csv"
PROVISIONAL_SUFFIX = "-PROVISIONAL"  # in the LMS files' names while any answer is unmarked
CANVAS_FIXED_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
GRADESCOPE_COLUMNS = ("Email", "SID", "Name", "Score")
UNMATCHED_COLUMNS = ("problem", "submission", "path", "name", "student_id", "email", "section")


def lms_file_names(provisional: bool) -> tuple[str, str]:
    """The Canvas and Gradescope files' names: ``canvas-PROVISIONAL.csv`` and
    ``gradescope-PROVISIONAL.csv`` while hand-graded answers are unmarked (their scores count
    0), so that a file uploaded to an LMS says by its name that its grades are not final. Canvas
    reads every column after its own as an assignment, so a name rather than a column."""
    if not provisional:
        return CANVAS_FILE, GRADESCOPE_FILE
    return tuple(n.replace(".csv", f"{PROVISIONAL_SUFFIX}.csv")  # type: ignore[return-value]
                 for n in (CANVAS_FILE, GRADESCOPE_FILE))


def csv_text(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([csv_cell(c) for c in header])
    writer.writerows([csv_cell(c) for c in row] for row in rows)
    return buf.getvalue()


def grades_csv(data: ReportData) -> str:
    names = [q.name for q in data.questions]
    rows = []
    for s in data.subs:
        row = s.result.grades_row(names)
        if data.manual:  # hand-graded columns (empty: not marked yet), in the total
            row[2:4] = [csv_number(data.total(s)), csv_number(data.total_possible(s))]
            row += [csv_number(m.score) if (m := data.manual.mark(s.id, q)) else ""
                    for q in data.manual.names]
            row.append("yes" if data.manual.missing(s.id) else "")
        rows.append(row)
    extra = [*data.manual.names, "provisional"] if data.manual else []
    return csv_text(["id", "status", "total", "possible", *names, *extra], rows)


def canvas_csv(data: ReportData, m: Matching, column: str) -> str:
    # Canvas' gradebook import: the five identity columns, then one column per assignment.
    # The "Points Possible" row is the second row of Canvas' own exports; the ID column is
    # Canvas' internal user id, which the roster does not have, so students are matched on
    # "SIS User ID" (then on the name).
    rows = [["    Points Possible", "", "", "", "", csv_number(data.total_possible())]]
    for e, s in m.pairs:
        rows.append([e.name, "", e.student_id, "", e.section,
                     csv_number(data.total(s)) if s else ""])
    return csv_text([*CANVAS_FIXED_COLUMNS, column], rows)


def gradescope_csv(data: ReportData, m: Matching) -> str:
    rows = [[e.email, e.student_id, e.name, csv_number(data.total(s)) if s else ""]
            for e, s in m.pairs]
    return csv_text(GRADESCOPE_COLUMNS, rows)


def unmatched_csv(m: Matching) -> str:
    rows = [[PROBLEM_NOT_ON_ROSTER, s.id, s.path, "", "", "", ""] for s in m.not_on_roster]
    for e, _ in m.pairs:
        if e.submission in m.ambiguous:
            paths = "; ".join(s.path for s in m.ambiguous[e.submission])
            rows.append([PROBLEM_AMBIGUOUS, e.submission, paths, e.name, e.student_id, e.email,
                         e.section])
    for e in m.missing:
        rows.append([PROBLEM_NO_SUBMISSION, e.submission, "", e.name, e.student_id, e.email,
                     e.section])
    return csv_text(UNMATCHED_COLUMNS, rows)
