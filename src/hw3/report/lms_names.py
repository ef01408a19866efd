"""Submissions named by an LMS's bulk download, matched to the roster.

An LMS's "download all submissions" names each file after its student, so the roster's
``submission`` column need not hold hw3's submission ids: a roster entry whose ``submission``
is no submission's id is matched by the student the file name names.

- **Canvas**: ``lastfirst_userid_submissionid_name.ipynb``, late ones
  ``lastfirst_LATE_userid_submissionid_name.ipynb`` (``userid``: the Canvas user id, the ``ID``
  column of a gradebook export; ``lastfirst``: the name, lower case, letters only). Matched
  on the user id (the roster's ``submission`` or ``student_id``), else on the name.
- **Moodle**: ``Full Name_12345_assignsubmission_file_name.ipynb``, or with "download
  submissions in folders" ``Full Name_12345_assignsubmission_file/name.ipynb``. Matched on
  the number (the roster's ``submission`` or ``student_id``), else on the full name.
- **Blackboard**: ``Assignment Name_username_attempt_2024-05-01-13-45-10_name.ipynb``.
  Matched on the username (the roster's ``submission``, ``student_id`` or the part of
  ``email`` before the ``@``).

Names are compared without case, accents, punctuation or word order: "Liddell, Alice",
"Alice Liddell" and Canvas' ``liddellalice`` are one name. A name is used only when exactly one
roster entry has it; an id always wins over a name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Protocol

CANVAS, MOODLE, BLACKBOARD = "Canvas", "Moodle", "Blackboard"

_CANVAS = re.compile(r"(?P<name>[a-z0-9]+)_(?P<late>LATE_)?(?P<user>\d+)_(?P<sub>\d+)_(?P<file>.+)")
_MOODLE = re.compile(r"(?P<name>.+?)_(?P<user>\d+)_assignsubmission_[a-z]+(?:_(?P<file>.*))?")
_BLACKBOARD = re.compile(r"(?P<assignment>.+)_(?P<user>[^_\s]+)_attempt_"
                         r"(?P<stamp>\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})(?:_(?P<file>.+))?")


@dataclass(frozen=True)
class LmsName:
    """Who a bulk-downloaded file belongs to, as its name says."""

    lms: str
    user: str  # Canvas user id, Moodle's number, Blackboard username
    name: str = ""  # the student's name, where the LMS writes it (Canvas, Moodle)
    late: bool = False  # Canvas marks late submissions in the name


def parse_lms_name(path: str) -> LmsName | None:
    """The student a bulk-download file name (or, for Moodle, its folder) names; None if the
    name follows none of the three patterns."""
    p = PurePath(path)
    stem = p.stem if p.suffix in (".ipynb", ".zip") else p.name
    if m := _CANVAS.fullmatch(stem):
        return LmsName(CANVAS, m["user"], m["name"], late=bool(m["late"]))
    if m := _BLACKBOARD.fullmatch(stem):
        return LmsName(BLACKBOARD, m["user"])
    for part in (stem, *reversed(p.parts[:-1])):  # the file, then its folders
        if m := _MOODLE.fullmatch(part):
            return LmsName(MOODLE, m["user"], m["name"])
    return None


def name_key(name: str) -> str:
    """A name without case, accents, punctuation or word order."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return "".join(sorted(re.findall(r"[a-z0-9]+", plain)))


def _canvas_key(name: str) -> str:
    """Canvas' ``lastfirst`` for a roster name ("Liddell, Alice" or "Alice Liddell")."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    if "," in plain:
        last, first = plain.split(",", 1)
        return re.sub(r"[^a-z0-9]", "", last + first)
    words = re.findall(r"[a-z0-9]+", plain)
    return "".join(words[-1:] + words[:-1])


class _Entry(Protocol):
    @property
    def submission(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def student_id(self) -> str: ...
    @property
    def email(self) -> str: ...


class _Sub(Protocol):
    @property
    def path(self) -> str: ...
    @property
    def id(self) -> str: ...


def _ids(e: _Entry) -> set[str]:
    ids = {e.submission.strip(), e.student_id.strip()}
    if "@" in e.email:
        ids.add(e.email.split("@", 1)[0].strip())
    return {i.casefold() for i in ids if i}


def _names(e: _Entry, lms: str) -> set[str]:
    if not e.name:
        return set()
    return {_canvas_key(e.name), name_key(e.name)} if lms == CANVAS else {name_key(e.name)}


def lms_matches(entries: Sequence[_Entry], subs: Sequence[_Sub]) -> dict[int, list[_Sub]]:
    """For each roster entry (by index) the submissions whose bulk-download names name its
    student: by id where the name's id is an entry's ``submission``, ``student_id`` or email
    user, else by name where exactly one entry has that name."""
    found: dict[int, list[_Sub]] = {}
    for s in subs:
        who = parse_lms_name(s.path or s.id)
        if who is None:
            continue
        user = who.user.casefold()
        hits = [i for i, e in enumerate(entries) if user in _ids(e)]
        if not hits and who.name:
            key = re.sub(r"[^a-z0-9]", "", who.name.lower()) if who.lms == CANVAS \
                else name_key(who.name)
            hits = [i for i, e in enumerate(entries) if key in _names(e, who.lms)]
        if len(hits) == 1:
            found.setdefault(hits[0], []).append(s)
    return found
