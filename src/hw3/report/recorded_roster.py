"""Which roster a report run uses, so that no run drops an instructor's LMS files unasked.

A run with ``--roster FILE`` keeps a copy of the roster it used in the report folder
(``roster-used.csv``). A later run on the same folder without ``--roster`` (``hw3 report DIR``
after marking, or a regrade) uses that copy, so ``canvas.csv``, ``gradescope.csv`` and
``unmatched.csv`` are brought up to date with the new grades and marks instead of being
deleted or left stale; it says so in one line. If LMS files are there but no copy (a folder
written by an older hw3), they are kept untouched and the line says they are from an earlier
run and were not updated.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROSTER_COPY = "roster-used.csv"
LMS_FILES = ("canvas.csv", "gradescope.csv", "unmatched.csv")
# Their names while hand-graded answers are unmarked (hw3.report.lms.lms_file_names).
PROVISIONAL_FILES = ("canvas-PROVISIONAL.csv", "gradescope-PROVISIONAL.csv")


@dataclass(frozen=True)
class RosterChoice:
    """The roster a run uses (None: no LMS files are written), and what to tell the user."""

    path: Path | None
    note: str = ""


def choose_roster(out_dir: Path, roster: Path | None) -> RosterChoice:
    """The roster for a run writing into ``out_dir``: ``roster`` if given, else the copy an
    earlier ``--roster`` run kept there, else none (with a note if LMS files are there)."""
    if roster is not None:
        return RosterChoice(Path(roster))
    out_dir = Path(out_dir)
    copy = out_dir / ROSTER_COPY
    if copy.is_file():
        return RosterChoice(copy, f"using the roster of the earlier --roster run ({copy}) "
                                  "for the LMS files; give --roster FILE to use another")
    kept = [name for name in LMS_FILES + PROVISIONAL_FILES if (out_dir / name).is_file()]
    if kept:
        return RosterChoice(None, f"kept {', '.join(kept)} from an earlier --roster run "
                                  "unchanged: they do NOT include this run's grades; give "
                                  "--roster FILE to update them")
    return RosterChoice(None)


def record_roster(out_dir: Path, roster: Path) -> Path | None:
    """Keep a copy of ``roster`` in ``out_dir`` for later runs; None if it is that copy."""
    copy = Path(out_dir) / ROSTER_COPY
    if copy.exists() and copy.resolve() == Path(roster).resolve():
        return None
    from hw3.layout import atomic_write_bytes

    return atomic_write_bytes(copy, Path(roster).read_bytes())
