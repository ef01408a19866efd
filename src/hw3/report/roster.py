"""The class roster: reading it (one sentence naming the line and column of a problem) and
matching its students with the submissions."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hw3.grading.results import ClassResults
from hw3.layout import RENAMED_MARK
from hw3.report.lms_names import lms_matches
from hw3.report.model import Sub, report_data

ROSTER_COLUMNS = ("submission", "name", "student_id", "email", "section")

PROBLEM_NOT_ON_ROSTER = "submission not on roster"
PROBLEM_NO_SUBMISSION = "no submission for roster entry"
PROBLEM_AMBIGUOUS = "several submissions have this id"


@dataclass(frozen=True)
class RosterEntry:
    """One student of the roster. ``line`` is where the row starts in the CSV file."""

    submission: str
    name: str
    student_id: str
    email: str
    section: str
    line: int = field(default=0, compare=False)


def read_roster(path: Path) -> list[RosterEntry]:
    """Read the class roster, a CSV file with this header (order free, case ignored)::

        submission,name,student_id,email,section

    - ``submission``: the submission id, i.e. the submission's file name without ``.ipynb``
      (``alice`` for ``subs/alice.ipynb``). Required, unique, compared exactly. Files named
      by an LMS's bulk download also match by the student they name (``lms_names``).
    - ``name``: the student's name as the LMS shows it (Canvas: "Last, First").
    - ``student_id``: the SIS user id (Canvas ``SIS User ID``, Gradescope ``SID``).
    - ``email``: the address the student uses on Gradescope (Gradescope matches on it).
    - ``section``: the section name, or empty.

    Extra columns are ignored; blank lines are skipped; a UTF-8 byte order mark (as Excel
    writes) is accepted. Raises ValueError naming the line and column of the first problem.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the roster as 'CSV UTF-8'"
        ) from None
    first_line = text.split("\n", 1)[0]
    # Excel in many locales saves "CSV" with semicolons; some tools write tabs.
    delimiter = next((d for d in (",", ";", "\t") if d in first_line), ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        where = _header_columns(path, header, first_line)
        entries = _roster_rows(path, reader, len(header or []), where)
    except csv.Error as exc:
        raise ValueError(f"{path}, line {reader.line_num}: {exc}") from None
    if not entries:
        raise ValueError(f"{path}: the roster has a header but no students")
    return entries


def _header_columns(path: Path, header: list[str] | None, first_line: str) -> dict[str, int]:
    """Each roster column's place in ``header``; ValueError for an empty file, a column twice
    or a column missing (with a hint when the file seems separated by something else)."""
    if header is None or not any(cell.strip() for cell in header):
        raise ValueError(f"{path}: empty file; expected the header {','.join(ROSTER_COLUMNS)}")
    names = [cell.strip().lower() for cell in header]
    for col in names:
        if col and names.count(col) > 1:
            raise ValueError(f"{path}, line 1: column {col!r} appears twice in the header")
    missing = [col for col in ROSTER_COLUMNS if col not in names]
    if missing:
        others = [d for d in ("|", ":", " ") if d in first_line.strip()]
        hint = (f" (the columns seem separated by {others[0]!r}: save the roster as CSV "
                "with commas, semicolons or tabs)") if len(names) == 1 and others else ""
        raise ValueError(
            f"{path}, line 1: the header lacks column(s) {', '.join(map(repr, missing))}; "
            f"expected {','.join(ROSTER_COLUMNS)}{hint}"
        )
    return {col: names.index(col) for col in ROSTER_COLUMNS}


def _roster_rows(path: Path, reader: Any, width: int, where: dict[str, int]
                 ) -> list[RosterEntry]:
    """The entries after the header; ValueError naming the line (and column) of a problem."""
    entries: list[RosterEntry] = []
    seen: dict[str, int] = {}
    line = reader.line_num + 1
    for row in reader:
        start, line = line, reader.line_num + 1  # a quoted cell may span several lines
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != width:
            raise ValueError(f"{path}, line {start}: {len(row)} fields, but the header has "
                             f"{width}")
        values = {col: row[i].strip() for col, i in where.items()}
        sub = values["submission"]
        if not sub:
            raise ValueError(f"{path}, line {start}, column 'submission': empty")
        if sub in seen:
            raise ValueError(
                f"{path}, line {start}, column 'submission': {sub!r} already on line "
                f"{seen[sub]}"
            )
        email = values["email"]
        if email and ("@" not in email or any(ch.isspace() for ch in email)):
            raise ValueError(
                f"{path}, line {start}, column 'email': {email!r} is not an email address"
            )
        seen[sub] = start
        entries.append(RosterEntry(**values, line=start))
    return entries


@dataclass
class Matching:
    pairs: list[tuple[RosterEntry, Sub | None]]  # every roster entry, in roster order
    not_on_roster: list[Sub]
    ambiguous: dict[str, list[Sub]]  # roster submission -> the several submissions with that id

    @property
    def missing(self) -> list[RosterEntry]:
        return [e for e, s in self.pairs if s is None and e.submission not in self.ambiguous]


def match(subs: Sequence[Sub], entries: Sequence[RosterEntry]) -> Matching:
    by_id: dict[str, list[Sub]] = {}
    for s in subs:
        by_id.setdefault(s.id, []).append(s)
    pairs: list[tuple[RosterEntry, Sub | None]] = []
    ambiguous: dict[str, list[Sub]] = {}
    # The same file name in two folders gets ids with the folder ("sec1-alice"): a roster
    # entry naming the file ("alice") has several submissions, not none. Files that would have
    # shared an id all got "id~N" (hw3.grading.submission.unique_ids): a roster entry with
    # that id has several submissions too, and is never paired with one of them.
    on_roster = {e.submission for e in entries}
    by_stem: dict[str, list[Sub]] = {}
    contested: dict[str, list[Sub]] = {}
    for s in subs:
        if s.id in on_roster:
            continue
        stem = Path(s.path).stem if s.path else s.id
        if stem != s.id:
            by_stem.setdefault(stem, []).append(s)
        was, mark, n = s.id.rpartition(RENAMED_MARK)
        if mark and was and n.isdigit():
            contested.setdefault(was, []).append(s)
    # Files named by an LMS's bulk download match the student their name names
    # (hw3.report.lms_names), for entries whose `submission` is no submission's id.
    by_lms = lms_matches(entries, [s for s in subs if s.id not in on_roster])
    for i, e in enumerate(entries):
        found = by_id.get(e.submission, [])
        if not found and e.submission in contested:
            found = contested[e.submission] + [s for s in by_stem.get(e.submission, [])
                                               if s not in contested[e.submission]]
            ambiguous[e.submission] = found
            pairs.append((e, None))
            continue
        found = found or by_stem.get(e.submission, []) or by_lms.get(i, [])
        if len(found) > 1:
            # Never guess which of two files counts: leave the score empty and say why.
            ambiguous[e.submission] = found
            pairs.append((e, None))
        else:
            pairs.append((e, found[0] if found else None))
    shared = {id(s) for found in ambiguous.values() for s in found}
    shared |= {id(s) for _, s in pairs if s is not None}
    not_on_roster = [s for s in subs if s.id not in on_roster and id(s) not in shared]
    return Matching(pairs, not_on_roster, ambiguous)


def unmatched(results: ClassResults, roster: Path) -> dict[str, list[str]]:
    """What could not be matched with the roster, by problem: submission ids (not on the
    roster) and roster entries (no submission; several submissions have this id)."""
    m = match(report_data(results).subs, read_roster(Path(roster)))
    return {PROBLEM_NOT_ON_ROSTER: [s.id for s in m.not_on_roster],
            PROBLEM_NO_SUBMISSION: [e.submission for e in m.missing],
            PROBLEM_AMBIGUOUS: list(m.ambiguous)}
