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
  :func:`read_roster` for the roster format). Without a roster, these three files are removed
  if an earlier run left them, so a stale LMS import never sits next to new grades.
- ``report.html``: one self-contained page (inline CSS, PNG plots as ``data:`` URLs, no
  scripts, no external URLs).
- ``feedback/<file>.html``: one page per submission, for the student. ``<file>`` is
  :func:`safe_file_name` of the submission id; pages of submissions no longer in the results
  are removed.

Submission ids come from file names chosen by students, and messages may echo what their code
printed, so every such string is HTML-escaped, and each page also carries a Content Security
Policy that forbids scripts, should an escape ever be missed.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import io
import json
import math
import os
import re
import statistics
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "ReportError",
    "RosterEntry",
    "load_results",
    "read_roster",
    "safe_file_name",
    "unmatched",
    "write_reports",
]

ROSTER_COLUMNS = ("submission", "name", "student_id", "email", "section")
CANVAS_FIXED_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
GRADESCOPE_COLUMNS = ("Email", "SID", "Name", "Score")
UNMATCHED_COLUMNS = ("problem", "submission", "path", "name", "student_id", "email", "section")

# Isolation modes as strong as the reference sandbox; anything else is flagged for a look.
STRONG_ISOLATION = frozenset({"bubblewrap", "bwrap"})
MIN_DISCRIMINATION_N = 3  # a correlation over fewer submissions is always +-1 or undefined
# Below this many attempts a discrimination is shown but not read: one student moves it a lot.
MIN_RELIABLE_N = 10
TOP_MESSAGES = 5  # failure messages shown per case
MESSAGE_CHARS = 400  # longer messages are cut in the instructor page (feedback shows all)
_EPS = 1e-9

PROBLEM_NOT_ON_ROSTER = "submission not on roster"
PROBLEM_NO_SUBMISSION = "no submission for roster entry"
PROBLEM_AMBIGUOUS = "several submissions have this id"


class ReportError(ValueError):
    """``results.json`` (or the dict given) does not have the expected shape."""


@dataclass(frozen=True)
class RosterEntry:
    """One student of the roster. ``line`` is where the row starts in the CSV file."""

    submission: str
    name: str
    student_id: str
    email: str
    section: str
    line: int = field(default=0, compare=False)


# ----------------------------------------------------------------------------- input


def load_results(out_dir: Path) -> dict:
    """Read ``out_dir/results.json`` (``out_dir`` may also name the file itself).

    Raises FileNotFoundError if it is absent and ReportError (a ValueError) if it is not JSON
    or lacks the fields the reports need."""
    out_dir = Path(out_dir)
    path = out_dir if out_dir.suffix == ".json" and out_dir.is_file() else out_dir / "results.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found: grade first with `hw3 grade ... --out {out_dir}`"
        )
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ReportError(f"{path} is not UTF-8 text: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ReportError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"
        ) from None
    _normalize(results)  # fail here, with the field named, rather than half-way through writing
    return results


def read_roster(path: Path) -> list[RosterEntry]:
    """Read the class roster, a CSV file with this header (order free, case ignored)::

        submission,name,student_id,email,section

    - ``submission``: the submission id, i.e. the submission's file name without ``.ipynb``
      (``alice`` for ``subs/alice.ipynb``). Required, unique, compared exactly.
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
        where = {col: names.index(col) for col in ROSTER_COLUMNS}
        entries: list[RosterEntry] = []
        seen: dict[str, int] = {}
        line = reader.line_num + 1
        for row in reader:
            start, line = line, reader.line_num + 1  # a quoted cell may span several lines
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise ValueError(
                    f"{path}, line {start}: {len(row)} fields, but the header has {len(header)}"
                )
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
    except csv.Error as exc:
        raise ValueError(f"{path}, line {reader.line_num}: {exc}") from None
    if not entries:
        raise ValueError(f"{path}: the roster has a header but no students")
    return entries


# ----------------------------------------------------------------------------- the model


@dataclass
class _CaseDef:
    id: str
    question: str
    points: float
    hidden: bool
    description: str


@dataclass
class _Question:
    name: str
    possible: float
    cases: list[_CaseDef]


@dataclass
class _Sub:
    index: int
    id: str
    path: str
    status: str
    message: str
    score: float
    possible: float
    questions: dict[str, tuple[float | None, float | None]]
    cases: list[dict[str, Any]]
    events: list[dict[str, Any]]
    isolation: str | None
    seconds: float | None
    file: str = ""
    _by_id: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    @property
    def graded(self) -> bool:
        return self.status == "graded"

    def case(self, case_id: str) -> dict[str, Any] | None:
        if not self._by_id and self.cases:
            self._by_id = {str(c.get("id")): c for c in reversed(self.cases)}  # first one wins
        return self._by_id.get(case_id)


@dataclass
class _Data:
    assignment: str
    autograder: str
    generated: str
    questions: list[_Question]
    subs: list[_Sub]
    _case_defs: list[_CaseDef] | None = field(default=None, repr=False)
    manual: Any = None  # hw3.marking.merge.Manual: hand-graded questions and their marks

    def total(self, s: _Sub) -> float:
        """A submission's total: auto-graded score plus its hand-graded marks."""
        return s.score + (self.manual.score(s.id) if self.manual else 0.0)

    def total_possible(self, s: _Sub | None = None) -> float:
        base = s.possible if s is not None else self.possible
        return base + (self.manual.possible if self.manual else 0.0)

    @property
    def possible(self) -> float:
        # Every submission carries the same total possible; fall back on the questions' sum.
        counts = Counter(s.possible for s in self.subs)
        if counts:
            return counts.most_common(1)[0][0]
        return sum(q.possible for q in self.questions)

    @property
    def graded(self) -> list[_Sub]:
        return [s for s in self.subs if s.graded]

    def case_defs(self) -> list[_CaseDef]:
        """The cases of the question definitions, then any case only submissions know of."""
        if self._case_defs is None:
            self._case_defs = self._collect_case_defs()
        return self._case_defs

    def _collect_case_defs(self) -> list[_CaseDef]:
        defs = [c for q in self.questions for c in q.cases]
        known = {c.id for c in defs}
        for s in self.subs:
            for c in s.cases:
                cid = str(c.get("id", ""))
                if cid and cid not in known:
                    known.add(cid)
                    defs.append(_CaseDef(
                        cid, str(c.get("question", "")), _float(c.get("points")) or 0.0,
                        bool(c.get("hidden", False)), str(c.get("description", "")),
                    ))
        return defs


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _need_number(obj: Mapping[str, Any], key: str, where: str) -> float:
    value = _float(obj.get(key))
    if value is None:
        raise ReportError(f"results: {where}.{key} must be a number, got {obj.get(key)!r}")
    return value


def _normalize(results: Any) -> _Data:
    """Check the fields the reports use and turn them into plain objects."""
    if not isinstance(results, Mapping):
        raise ReportError("results: expected a JSON object at the top level")
    qs = results.get("questions")
    if not isinstance(qs, Mapping):
        raise ReportError("results: 'questions' must be an object mapping names to questions")
    questions: list[_Question] = []
    for name, q in qs.items():
        where = f"questions.{name}"
        if not isinstance(q, Mapping):
            raise ReportError(f"results: {where} must be an object")
        cases = q.get("cases", [])
        if not isinstance(cases, list):
            raise ReportError(f"results: {where}.cases must be a list")
        defs = []
        for i, c in enumerate(cases):
            if not isinstance(c, Mapping) or not isinstance(c.get("id"), str):
                raise ReportError(f"results: {where}.cases[{i}] must be an object with an 'id'")
            defs.append(_CaseDef(
                c["id"], str(name), _float(c.get("points")) or 0.0, bool(c.get("hidden", False)),
                str(c.get("description", "")),
            ))
        questions.append(_Question(str(name), _need_number(q, "possible", where), defs))
    subs_in = results.get("submissions")
    if not isinstance(subs_in, list):
        raise ReportError("results: 'submissions' must be a list")
    subs: list[_Sub] = []
    for i, s in enumerate(subs_in):
        where = f"submissions[{i}]"
        if not isinstance(s, Mapping):
            raise ReportError(f"results: {where} must be an object")
        path = str(s.get("path", ""))
        sub_id = s.get("id")
        if not isinstance(sub_id, str) or not sub_id:
            sub_id = Path(path).stem
        if not sub_id:
            raise ReportError(f"results: {where} has neither an 'id' nor a 'path'")
        status = s.get("status")
        if not isinstance(status, str) or not status:
            raise ReportError(f"results: {where}.status must be a non-empty string")
        sq = s.get("questions", {})
        if not isinstance(sq, Mapping):
            raise ReportError(f"results: {where}.questions must be an object")
        per_q: dict[str, tuple[float | None, float | None]] = {}
        for name, v in sq.items():
            if not isinstance(v, Mapping):
                raise ReportError(f"results: {where}.questions.{name} must be an object")
            per_q[str(name)] = (_float(v.get("score")), _float(v.get("possible")))
        cases = s.get("cases", []) or []
        events = s.get("events", []) or []
        if not isinstance(cases, list) or not all(isinstance(c, Mapping) for c in cases):
            raise ReportError(f"results: {where}.cases must be a list of objects")
        if not isinstance(events, list) or not all(isinstance(e, Mapping) for e in events):
            raise ReportError(f"results: {where}.events must be a list of objects")
        isolation = s.get("isolation")
        subs.append(_Sub(
            index=i, id=sub_id, path=path, status=status, message=str(s.get("message") or ""),
            score=_need_number(s, "score", where), possible=_need_number(s, "possible", where),
            questions=per_q, cases=[dict(c) for c in cases], events=[dict(e) for e in events],
            isolation=None if isolation is None else str(isolation),
            seconds=_float(s.get("seconds")),
        ))
    _assign_files(subs)
    return _Data(
        assignment=str(results.get("assignment") or "assignment"),
        autograder=str(results.get("autograder") or ""),
        generated=str(results.get("generated") or ""),
        questions=questions, subs=subs,
    )


# ----------------------------------------------------------------------------- file names

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{i}" for p in ("com", "lpt")
                                                     for i in range(1, 10)}
_MAX_NAME = 80


def safe_file_name(sub_id: str) -> str:
    """The file name stem used for a submission's feedback page.

    An id made only of ASCII letters, digits, ``.``, ``_`` and ``-`` (not starting or ending
    with ``.``, at most 80 characters, not a reserved Windows name) is used as is. Otherwise
    every other character becomes ``_`` and ``-`` plus 8 hex digits of the SHA-256 of the
    original id is appended, so that different ids do not share a page: ``"José Ruiz"`` gives
    ``"Jos__Ruiz-<hash>"``.
    """
    cleaned = _UNSAFE.sub("_", sub_id).strip(".")[:_MAX_NAME]
    if cleaned == sub_id and cleaned and cleaned.split(".")[0].lower() not in _WINDOWS_RESERVED:
        return cleaned
    digest = hashlib.sha256(sub_id.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{cleaned or 'submission'}-{digest}"


def _assign_files(subs: Sequence[_Sub]) -> None:
    # Names must also differ ignoring case (macOS and Windows file systems), and duplicate ids
    # (the same file name in two folders) still need one page each: later ones get -2, -3...
    used: set[str] = set()
    for s in subs:
        base = name = safe_file_name(s.id)
        n = 1
        while name.casefold() in used:
            n += 1
            name = f"{base}-{n}"
        used.add(name.casefold())
        s.file = name


# ----------------------------------------------------------------------------- formatting


def _num(x: float | None) -> str:
    """A number for CSV files: exact (``float(text) == x``), whole numbers without ``.0``."""
    if x is None:
        return ""
    if math.isfinite(x) and x == int(x) and abs(x) < 2**53:
        return str(int(x))
    return repr(float(x))


def _disp(x: float | None, digits: int = 2) -> str:
    """A number for people: at most ``digits`` decimals, no trailing zeros, '—' if undefined."""
    if x is None or not math.isfinite(x):
        return "—"
    text = f"{x:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _pct(x: float | None) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{100 * x:.0f}%"


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _clip(text: str, limit: int = MESSAGE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _when(stamp: str) -> str:
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    return moment.strftime("%Y-%m-%d %H:%M")


# ----------------------------------------------------------------------------- writing


def _write_text(path: Path, text: str) -> Path:
    # Write next to the target and rename, so a reader never sees half a file. Lone surrogates
    # (possible in JSON strings) cannot be encoded and become U+FFFD.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="replace", newline="") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def csv_cell(value: Any) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula (OWASP's rule for CSV
    injection): a cell that begins with =, +, -, @, a tab or a carriage return gets a leading
    single quote, except a plain number (a negative score stays a number)."""
    text = str(value)
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def _csv_text(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([csv_cell(c) for c in header])
    writer.writerows([csv_cell(c) for c in row] for row in rows)
    return buf.getvalue()


def write_reports(
    results: dict,
    out_dir: Path,
    roster: Path | None = None,
    *,
    canvas_column: str | None = None,
    marks: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Write every report for ``results`` into ``out_dir``; return the paths written.

    ``roster`` (see :func:`read_roster`) adds ``canvas.csv``, ``gradescope.csv`` and
    ``unmatched.csv``. ``canvas_column`` is the header of the score column in ``canvas.csv``;
    by default the assignment name upper-cased (``HW3``), which Canvas imports as a new
    assignment. To fill an existing one, pass its name with its Canvas id as a gradebook export
    shows it, e.g. ``"HW3 (123456)"``.

    ``marks`` (``hw3.marking.store.Marks``) are the hand-graded marks of the results'
    ``"manual"`` questions: they add a column per question to ``grades.csv`` and count in
    every total; answers without a mark count 0 and make the grade provisional.

    Raises ReportError if ``results`` lacks needed fields and ValueError for a bad roster;
    both are checked before anything is written."""
    from hw3.marking.merge import Manual

    data = _normalize(results)
    data.manual = Manual.of(results, marks)  # type: ignore[arg-type]
    entries = read_roster(Path(roster)) if roster is not None else None
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    written = [_write_text(out_dir / "grades.csv", _grades_csv(data))]
    matching: _Matching | None = None
    if entries is not None:
        matching = _match(data.subs, entries)
        column = canvas_column or data.assignment.upper()
        written.append(_write_text(out_dir / "canvas.csv", _canvas_csv(data, matching, column)))
        written.append(_write_text(out_dir / "gradescope.csv", _gradescope_csv(data, matching)))
        written.append(_write_text(out_dir / "unmatched.csv", _unmatched_csv(matching)))
    else:
        for name in ("canvas.csv", "gradescope.csv", "unmatched.csv"):
            (out_dir / name).unlink(missing_ok=True)

    written.append(_write_text(out_dir / "report.html", _report_html(data, matching)))

    feedback_dir = out_dir / "feedback"
    feedback_dir.mkdir(exist_ok=True)
    keep = {f"{s.file}.html" for s in data.subs}
    for old in feedback_dir.glob("*.html"):
        if old.name not in keep:
            old.unlink()
    for s in data.subs:
        written.append(_write_text(feedback_dir / f"{s.file}.html", _feedback_html(data, s)))
    return written


# ----------------------------------------------------------------------------- CSV files


def _grades_csv(data: _Data) -> str:
    names = [q.name for q in data.questions]
    rows = []
    for s in data.subs:
        row = [s.id, s.status, _num(s.score), _num(s.possible)]
        row += [_num(s.questions.get(n, (None, None))[0]) for n in names]
        if data.manual:  # hand-graded columns (empty: not marked yet), in the total
            row[2:4] = [_num(data.total(s)), _num(data.total_possible(s))]
            row += [_num(m.score) if (m := data.manual.mark(s.id, q)) else ""
                    for q in data.manual.names]
            row.append("yes" if data.manual.missing(s.id) else "")
        rows.append(row)
    extra = [*data.manual.names, "provisional"] if data.manual else []
    return _csv_text(["id", "status", "total", "possible", *names, *extra], rows)


@dataclass
class _Matching:
    pairs: list[tuple[RosterEntry, _Sub | None]]  # every roster entry, in roster order
    not_on_roster: list[_Sub]
    ambiguous: dict[str, list[_Sub]]  # roster submission -> the several submissions with that id

    @property
    def missing(self) -> list[RosterEntry]:
        return [e for e, s in self.pairs if s is None and e.submission not in self.ambiguous]


def _match(subs: Sequence[_Sub], entries: Sequence[RosterEntry]) -> _Matching:
    by_id: dict[str, list[_Sub]] = {}
    for s in subs:
        by_id.setdefault(s.id, []).append(s)
    pairs: list[tuple[RosterEntry, _Sub | None]] = []
    ambiguous: dict[str, list[_Sub]] = {}
    # The same file name in two folders gets ids with the folder ("sec1-alice"): a roster
    # entry naming the file ("alice") has several submissions, not none.
    on_roster = {e.submission for e in entries}
    by_stem: dict[str, list[_Sub]] = {}
    for s in subs:
        stem = Path(s.path).stem if s.path else s.id
        if s.id not in on_roster and stem != s.id:
            by_stem.setdefault(stem, []).append(s)
    for e in entries:
        found = by_id.get(e.submission, []) or by_stem.get(e.submission, [])
        if len(found) > 1:
            # Never guess which of two files counts: leave the score empty and say why.
            ambiguous[e.submission] = found
            pairs.append((e, None))
        else:
            pairs.append((e, found[0] if found else None))
    shared = {id(s) for found in ambiguous.values() for s in found}
    not_on_roster = [s for s in subs if s.id not in on_roster and id(s) not in shared]
    return _Matching(pairs, not_on_roster, ambiguous)


def unmatched(results: dict, roster: Path) -> dict[str, list[str]]:
    """What could not be matched with the roster, by problem: submission ids (not on the
    roster) and roster entries (no submission; several submissions have this id)."""
    data = _normalize(results)
    m = _match(data.subs, read_roster(Path(roster)))
    return {PROBLEM_NOT_ON_ROSTER: [s.id for s in m.not_on_roster],
            PROBLEM_NO_SUBMISSION: [e.submission for e in m.missing],
            PROBLEM_AMBIGUOUS: list(m.ambiguous)}


def _canvas_csv(data: _Data, m: _Matching, column: str) -> str:
    # Canvas' gradebook import: the five identity columns, then one column per assignment.
    # The "Points Possible" row is the second row of Canvas' own exports; the ID column is
    # Canvas' internal user id, which the roster does not have, so students are matched on
    # "SIS User ID" (then on the name).
    rows = [["    Points Possible", "", "", "", "", _num(data.total_possible())]]
    for e, s in m.pairs:
        rows.append([e.name, "", e.student_id, "", e.section, _num(data.total(s)) if s else ""])
    return _csv_text([*CANVAS_FIXED_COLUMNS, column], rows)


def _gradescope_csv(data: _Data, m: _Matching) -> str:
    rows = [[e.email, e.student_id, e.name, _num(data.total(s)) if s else ""]
            for e, s in m.pairs]
    return _csv_text(GRADESCOPE_COLUMNS, rows)


def _unmatched_csv(m: _Matching) -> str:
    rows = [[PROBLEM_NOT_ON_ROSTER, s.id, s.path, "", "", "", ""] for s in m.not_on_roster]
    for e, _ in m.pairs:
        if e.submission in m.ambiguous:
            paths = "; ".join(s.path for s in m.ambiguous[e.submission])
            rows.append([PROBLEM_AMBIGUOUS, e.submission, paths, e.name, e.student_id, e.email,
                         e.section])
    for e in m.missing:
        rows.append([PROBLEM_NO_SUBMISSION, e.submission, "", e.name, e.student_id, e.email,
                     e.section])
    return _csv_text(UNMATCHED_COLUMNS, rows)


# ----------------------------------------------------------------------------- statistics


@dataclass
class _Summary:
    n: int
    mean: float | None = None
    median: float | None = None
    std: float | None = None
    low: float | None = None
    high: float | None = None


def _summary(values: Sequence[float]) -> _Summary:
    vals = [v for v in values if math.isfinite(v)]
    if not vals:
        return _Summary(0)
    return _Summary(
        len(vals), statistics.fmean(vals), statistics.median(vals),
        statistics.pstdev(vals) if len(vals) > 1 else 0.0, min(vals), max(vals),
    )


@dataclass
class _QuestionStats:
    question: _Question
    n: int
    mean: float | None
    full: float | None  # share of submissions with full marks; None if 0 possible
    zero: float | None

    @property
    def mean_share(self) -> float | None:
        if self.mean is None or self.question.possible <= 0:
            return None
        return self.mean / self.question.possible


def _question_stats(data: _Data) -> list[_QuestionStats]:
    out = []
    for q in data.questions:
        scores = [sc for s in data.graded
                  if (sc := s.questions.get(q.name, (None, None))[0]) is not None
                  and math.isfinite(sc)]
        n = len(scores)
        mean = statistics.fmean(scores) if scores else None
        full = zero = None
        if n and q.possible > 0:
            # With 0 points possible everyone has "full marks" and "zero": both meaningless.
            full = sum(sc >= q.possible - _EPS for sc in scores) / n
            zero = sum(abs(sc) <= _EPS for sc in scores) / n
        out.append(_QuestionStats(q, n, mean, full, zero))
    return out


@dataclass
class _CaseStats:
    case: _CaseDef
    n: int  # attempts the passing share and the discrimination are computed over
    passing: float | None
    discrimination: float | None
    failures: Counter[str]
    with_non_attempts: float | None = None  # the discrimination if non-attempts counted


def _non_attempt(s: _Sub) -> bool:
    """A graded submission that passed no case: a blank template, or nothing of the work
    ran. It would count as the weakest student in every case's correlation."""
    if not s.graded or s.score > _EPS:
        return False
    return not any(_passed(c, _float(c.get("points")) or 0.0) for c in s.cases)


def _passed(result: Mapping[str, Any], points: float) -> bool:
    if isinstance(result.get("passed"), bool):
        return result["passed"]
    score = _float(result.get("score")) or 0.0
    return score >= points - _EPS


def _point_biserial(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r between a 0/1 item and a score; None when it is undefined."""
    if len(xs) < MIN_DISCRIMINATION_N:
        return None
    x, y = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    dx, dy = x - x.mean(), y - y.mean()
    sx, sy = math.sqrt(float(dx @ dx)), math.sqrt(float(dy @ dy))
    if sx < _EPS or sy < _EPS:  # everyone passes/fails, or all rest scores equal
        return None
    r = float(dx @ dy) / (sx * sy)
    return max(-1.0, min(1.0, r)) if math.isfinite(r) else None


def _case_stats(data: _Data) -> list[_CaseStats]:
    """Per case, over the graded attempts (non-attempts left out: see ``_non_attempt``)."""
    out = []
    graded = data.graded
    for cd in data.case_defs():
        xs: list[float] = []
        rest: list[float] = []
        blank = 0  # non-attempts with this case: each would add a (0, 0) point
        failures: Counter[str] = Counter()
        for s in graded:
            r = s.case(cd.id)
            if r is None:
                continue
            if _non_attempt(s):
                blank += 1
                continue
            ok = _passed(r, cd.points)
            xs.append(1.0 if ok else 0.0)
            # The rest score leaves this case out, so a case is not correlated with itself.
            rest.append(s.score - (_float(r.get("score")) or 0.0))
            if not ok:
                failures[str(r.get("message") or "").strip() or "(no message)"] += 1
        passing = sum(xs) / len(xs) if xs else None
        with_blank = _point_biserial(xs + [0.0] * blank, rest + [0.0] * blank) if blank else None
        out.append(_CaseStats(cd, len(xs), passing, _point_biserial(xs, rest), failures,
                              with_blank))
    return out


def _attention(data: _Data) -> list[tuple[_Sub, list[str]]]:
    """Submissions an instructor should look at, each with its reasons in words."""
    ids = Counter(s.id for s in data.subs)
    names = [q.name for q in data.questions]
    out = []
    for s in data.subs:
        reasons = []
        if not s.graded:
            reasons.append(f"status {s.status}" + (f": {s.message}" if s.message else ""))
        elif s.message:
            reasons.append(f"grader's note: {s.message}")
        for ev in s.events:
            kind = str(ev.get("kind") or "event")
            cell = ev.get("cell")
            where = f" (cell {cell})" if cell is not None else ""
            text = str(ev.get("message") or "").strip()
            reasons.append(f"{kind}{where}" + (f": {text}" if text else ""))
        # A submission that could not be read ran no code: its isolation does not matter.
        if not s.graded:
            pass
        elif s.isolation is None:
            reasons.append("isolation not recorded")
        elif not s.isolation.lower().startswith(tuple(STRONG_ISOLATION)):
            reasons.append(f"ran with isolation '{s.isolation}', weaker than bubblewrap")
        if ids[s.id] > 1:
            reasons.append(f"{ids[s.id]} submissions share the id '{s.id}'")
        if not math.isfinite(s.score) or s.score < -_EPS or s.score > s.possible + _EPS:
            reasons.append(f"total {_disp(s.score)} is outside 0..{_disp(s.possible)}")
        if _non_attempt(s):
            reasons.append("no case passed: a blank notebook, or none of its work ran; left "
                           "out of the item analysis")
        absent = [n for n in names if s.questions.get(n, (None, None))[0] is None]
        if absent:
            reasons.append("no score for " + ", ".join(absent))
        if reasons:
            out.append((s, reasons))
    out.sort(key=lambda item: (item[0].graded, item[0].index))
    return out


# ----------------------------------------------------------------------------- plots

_BLUE, _GREEN, _RED, _GREY = "#3b6ea5", "#4c9a5b", "#c0504d", "#7f7f7f"
_CSS_PX_PER_INCH = 96
_RENDER_DPI = 2 * _CSS_PX_PER_INCH  # twice the shown size: sharp on high-density screens


def _figure(width: float, height: float) -> Any:
    # The object-oriented API on an Agg canvas, not pyplot: no global backend state, no GUI,
    # whatever backend the caller's matplotlib is configured with. Imported late: only pages
    # with plots pay for it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    fig.set_facecolor("white")
    return fig


def _style(ax: Any) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=9)


def _png(fig: Any, alt: str) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_RENDER_DPI, metadata={"Software": None})
    w, h = fig.get_size_inches()
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (f'<img class="plot" alt="{_e(alt)}" width="{round(w * _CSS_PX_PER_INCH)}" '
            f'height="{round(h * _CSS_PX_PER_INCH)}" src="data:image/png;base64,{data}">')


def _nice_step(span: float, max_bins: int = 25) -> float:
    raw = span / max_bins
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * magnitude >= raw:
            return factor * magnitude
    return 10 * magnitude


def _histogram(totals: Sequence[float], possible: float) -> str:
    from matplotlib.ticker import MaxNLocator

    hi = max([possible, *totals]) if totals else possible
    lo = min([0.0, *totals])
    if hi - lo <= 0:
        hi = lo + 1
    step = _nice_step(hi - lo)
    edges = np.arange(math.floor(lo / step) * step, hi + step - _EPS, step)
    if len(edges) < 2 or edges[-1] < hi - _EPS:
        edges = np.append(edges, edges[-1] + step)
    fig = _figure(7.5, 2.9)
    ax = fig.add_subplot()
    ax.hist(totals, bins=edges, color=_BLUE, edgecolor="white", linewidth=0.8)
    s = _summary(totals)
    if s.mean is not None:
        ax.axvline(s.mean, color=_RED, linewidth=1.5, label=f"mean {_disp(s.mean)}")
        ax.axvline(s.median, color=_GREY, linewidth=1.5, linestyle="--",
                   label=f"median {_disp(s.median)}")
        # Above the axes, so it never hides a bar.
        ax.legend(fontsize=8, frameon=False, ncols=2, loc="lower right",
                  bbox_to_anchor=(1.0, 1.0), borderaxespad=0.2)
    ax.set_xlim(edges[0], edges[-1])
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(f"total score (out of {_disp(possible)})", fontsize=9)
    ax.set_ylabel("submissions", fontsize=9)
    _style(ax)
    fig.tight_layout()
    return _png(fig, "Histogram of total scores")


def _question_plot(stats: Sequence[_QuestionStats]) -> str:
    # Three small panels sharing the question axis read more easily than grouped bars.
    labels = [q.question.name + ("" if q.question.possible > 0 else " (0 pts)") for q in stats]
    y = np.arange(len(stats))
    panels = [
        ("mean score\n% of the question's points", [q.mean_share for q in stats], _BLUE),
        ("full marks\n% of graded submissions", [q.full for q in stats], _GREEN),
        ("zero\n% of graded submissions", [q.zero for q in stats], _RED),
    ]
    fig = _figure(7.5, 0.27 * len(stats) + 1.0)
    axes = fig.subplots(1, len(panels), sharey=True)
    for ax, (title, values, color) in zip(axes, panels):
        vals = [100 * v if v is not None else 0.0 for v in values]
        ax.barh(y, vals, height=0.7, color=color)
        for yi, v in zip(y, values):
            if v is not None:
                ax.text(100 * v + 2, yi, f"{100 * v:.0f}", va="center", fontsize=7,
                        color="#444444")
        ax.set_xlim(0, 115)
        ax.set_xticks([0, 50, 100])
        ax.set_title(title, fontsize=9)
        ax.grid(axis="x", color="#e3e3e3", linewidth=0.6)
        ax.set_axisbelow(True)
        _style(ax)
    axes[0].set_yticks(y, labels, fontsize=9)
    axes[0].invert_yaxis()  # first question on top, as in the table
    fig.tight_layout(w_pad=1.0)
    return _png(fig, "Per question: mean score, share of full marks and share of zeros")


def _item_plot(stats: Sequence[_CaseStats]) -> str | None:
    points = [c for c in stats if c.passing is not None and c.discrimination is not None]
    if not points:
        return None
    fig = _figure(7.5, 3.4)
    ax = fig.add_subplot()
    # Public cases as rings, hidden ones as dots: a public and a hidden case of one question
    # often sit on the same spot, and then the dot shows inside the ring.
    sel = [c for c in points if not c.case.hidden]
    if sel:
        ax.scatter([100 * c.passing for c in sel], [c.discrimination for c in sel], s=70,
                   facecolors="none", edgecolors=_BLUE, linewidths=1.6, label="public case",
                   zorder=3)
    sel = [c for c in points if c.case.hidden]
    if sel:
        ax.scatter([100 * c.passing for c in sel], [c.discrimination for c in sel], s=16,
                   color="#e08a2c", label="hidden case", edgecolors="none", zorder=4)
    ax.axhspan(-1, 0.1, color=_RED, alpha=0.06, linewidth=0)
    ax.axhline(0, color=_GREY, linewidth=0.8)
    # Name the few most negative cases only: more labels would pile up unreadably.
    negative = sorted((c for c in points if c.discrimination < 0), key=lambda c: c.discrimination)
    for c in negative[:5]:
        ax.annotate(c.case.id, (100 * c.passing, c.discrimination), fontsize=7,
                    xytext=(4, -3), textcoords="offset points")
    ax.set_xlim(-3, 103)
    ax.set_ylim(min(-0.3, min(c.discrimination for c in points) - 0.1), 1.0)
    ax.set_xlabel("% of graded submissions passing the case", fontsize=9)
    ax.set_ylabel("discrimination (r)", fontsize=9)
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    _style(ax)
    fig.tight_layout()
    return _png(fig, "Item analysis: share passing against discrimination, one dot per case")


# ----------------------------------------------------------------------------- HTML pages

_CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; "
        "form-action 'none'")

_CSS = """
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: #1f2328; background: #f6f7f9; margin: 0; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 28px 48px; background: #fff;
       min-height: 100vh; box-sizing: border-box; }
h1 { font-size: 1.6em; margin: 0 0 4px; }
h2 { font-size: 1.25em; margin: 36px 0 8px; padding-bottom: 4px; border-bottom: 1px solid #d8dee4; }
h3 { font-size: 1.05em; margin: 20px 0 6px; }
p { margin: 6px 0 10px; }
.sub { color: #57606a; margin: 0 0 14px; }
.facts { display: flex; flex-wrap: wrap; gap: 10px; margin: 14px 0 6px; }
.fact { background: #f6f8fa; border: 1px solid #d8dee4; border-radius: 6px; padding: 8px 14px;
        min-width: 92px; }
.fact b { display: block; font-size: 1.35em; font-variant-numeric: tabular-nums; }
.fact span { color: #57606a; font-size: .85em; }
nav { font-size: .9em; margin: 12px 0 0; color: #57606a; }
nav a { margin-right: 14px; }
a { color: #0969da; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: .9em; width: 100%; }
th, td { border-bottom: 1px solid #e1e4e8; padding: 5px 8px; text-align: left;
         vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; border-bottom: 2px solid #d0d7de; }
tbody tr:nth-child(even) td { background: #fbfcfd; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code, .msg { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
             font-size: .88em; }
.msg, .pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; }
.note ul { margin: 4px 0 0; padding-left: 20px; }
.muted { color: #57606a; }
.small { font-size: .85em; }
.plot { display: block; max-width: 100%; height: auto; margin: 8px 0; }
.tw { overflow-x: auto; }
.share { display: flex; align-items: center; gap: 6px; }
.share > span { font-variant-numeric: tabular-nums; min-width: 3.2em; text-align: right; }
.bar { position: relative; background: #eef1f4; border-radius: 3px; height: 10px; flex: 1;
       min-width: 50px; }
.bar > i { position: absolute; left: 0; top: 0; bottom: 0; background: #6f9fd8;
           border-radius: 3px; }
table.fixed { table-layout: fixed; min-width: 820px; }
table.fixed.narrow { min-width: 560px; }
table.compact { width: auto; min-width: 320px; }
td code { overflow-wrap: anywhere; }
.tag { display: inline-block; font-size: .78em; padding: 0 6px; border-radius: 9px;
       border: 1px solid #d0d7de; color: #57606a; white-space: nowrap; }
.ok { color: #1a7f37; font-weight: 600; }
.bad { color: #cf222e; font-weight: 600; }
.warn { color: #9a6700; }
ul.reasons { margin: 0; padding-left: 18px; }
.note { background: #fff8c5; border: 1px solid #eac54f; border-radius: 6px; padding: 8px 12px;
        margin: 12px 0; }
details { margin: 8px 0; }
summary { cursor: pointer; color: #0969da; }
table.inner { margin: 0; width: 100%; font-size: 1em; }
table.inner td { border: none; padding: 1px 4px; background: none !important; }
table.inner tr + tr td { border-top: 1px dashed #e1e4e8; }
.score { font-size: 2em; font-weight: 700; font-variant-numeric: tabular-nums; }
"""


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{_CSP}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"referrer\" content=\"no-referrer\">\n"
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        f"{body}\n</main>\n</body>\n</html>\n"
    )


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], num: Sequence[int] = (),
           widths: Sequence[str] = (), cls: str = "") -> str:
    """A table from cells that are already HTML; columns in ``num`` are right-aligned.

    The wrapper scrolls sideways on a narrow window instead of widening the page."""
    cols = "".join(f'<col style="width:{w}">' if w else "<col>" for w in widths)
    head = "".join(f'<th class="num">{h}</th>' if i in num else f"<th>{h}</th>"
                   for i, h in enumerate(header))
    body = []
    for row in rows:
        cells = "".join(f'<td class="num">{c}</td>' if i in num else f"<td>{c}</td>"
                        for i, c in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    attr = f' class="{cls}"' if cls else ""
    return (f'<div class="tw"><table{attr}>' + (f"<colgroup>{cols}</colgroup>" if cols else "")
            + f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")


def _bar(share: float | None) -> str:
    if share is None:
        return "—"
    width = f"{100 * share:.1f}%"
    return (f'<div class="share"><div class="bar"><i style="width:{width}"></i></div>'
            f"<span>{_pct(share)}</span></div>")


def _discrimination_note(c: _CaseStats) -> str:
    if c.n == 0:
        return '<span class="muted">no graded submission has this case</span>'
    if c.n < MIN_DISCRIMINATION_N:
        return f'<span class="muted">too few submissions (under {MIN_DISCRIMINATION_N})</span>'
    if c.passing is not None and c.passing >= 1 - _EPS:
        return '<span class="muted">everyone passes: does not separate students</span>'
    if c.passing is not None and c.passing <= _EPS:
        return '<span class="warn">nobody passes: check the case and the teaching</span>'
    if c.discrimination is None:
        if c.n < MIN_DISCRIMINATION_N:
            return f'<span class="muted">too few submissions (under {MIN_DISCRIMINATION_N})</span>'
        return '<span class="muted">rest scores all equal</span>'
    if c.n < MIN_RELIABLE_N:
        return (f'<span class="muted">class too small to read (n = {c.n}, under '
                f"{MIN_RELIABLE_N})</span>")
    if c.discrimination < 0:
        return '<span class="bad">negative: check the case</span>'
    if c.discrimination < 0.1:
        return '<span class="warn">weak</span>'
    if c.discrimination < 0.3:
        return "fair"
    return '<span class="ok">good</span>'


def _report_html(data: _Data, matching: _Matching | None) -> str:
    graded = data.graded
    totals = [s.score for s in graded if math.isfinite(s.score)]
    summ = _summary(totals)
    possible = data.possible
    title = f"{data.assignment.upper()} grading report"
    parts = [f"<h1>{_e(title)}</h1>"]
    sub = []
    if data.generated:
        sub.append(f"graded {_e(_when(data.generated))}")
    if data.autograder:
        sub.append(f'autograder <code title="{_e(data.autograder)}">{_e(data.autograder[:12])}'
                   "</code>")
    parts.append(f'<p class="sub">{" · ".join(sub)}</p>')
    others = len(data.subs) - len(graded)
    facts = [
        (str(len(data.subs)), "submissions"),
        (str(len(graded)), "graded"),
        (str(others), "not graded"),
        (_disp(summ.mean), f"mean / {_disp(possible)}"),
        (_disp(summ.median), "median"),
        (_disp(summ.std), "std. dev."),
        (f"{_disp(summ.low)}–{_disp(summ.high)}" if summ.n else "—", "min–max"),
    ]
    parts.append('<div class="facts">' + "".join(
        f'<div class="fact"><b>{v}</b><span>{_e(label)}</span></div>' for v, label in facts
    ) + "</div>")
    sections = [("attention", "Needs attention"), ("scores", "Scores"),
                ("questions", "Questions"), ("items", "Test cases"),
                ("failures", "Failure messages")]
    if matching is not None:
        sections.append(("roster", "Roster"))
    sections.append(("all", "All submissions"))
    if data.manual:
        sections.insert(3, ("manual", "Explanations"))
    parts.append("<nav>" + "".join(f'<a href="#{a}">{t}</a>' for a, t in sections) + "</nav>")
    if data.manual and data.manual.provisional:
        from hw3.marking.merge import report_banner

        parts.append(report_banner(data.manual))
    parts.append(
        '<p class="muted small">Statistics use the graded submissions only; submissions that '
        "could not be graded count 0 in the grade files and are listed under Needs attention."
        "</p>"
    )
    parts += _attention_section(data)
    parts += _scores_section(totals, possible)
    parts += _questions_section(data)
    if data.manual:
        from hw3.marking.merge import report_section

        parts.append(report_section(data.manual, {s.id: s.file for s in data.subs}))
    case_stats = _case_stats(data)
    parts += _items_section(case_stats)
    parts += _failures_section(case_stats)
    if matching is not None:
        parts += _roster_section(matching)
    parts += _all_section(data)
    return _page(title, "\n".join(parts))


def _feedback_link(s: _Sub, text: str) -> str:
    return f'<a href="feedback/{_e(s.file)}.html">{_e(text)}</a>'


def _attention_section(data: _Data) -> list[str]:
    out = ['<h2 id="attention">Needs attention</h2>']
    items = _attention(data)
    if not items:
        out.append("<p>Nothing to look at: every submission was graded, no cell was stopped or "
                    "crashed, no sandbox event, and every run was isolated by bubblewrap.</p>")
        return out
    out.append(f"<p>{len(items)} submission(s): not graded, stopped or crashed cells, sandbox "
               "events, or isolation weaker than bubblewrap.</p>")
    rows = []
    for s, reasons in items:
        status = _e(s.status) if s.graded else f'<span class="bad">{_e(s.status)}</span>'
        rows.append([
            _feedback_link(s, s.id), status, _disp(s.score),
            '<ul class="reasons">' + "".join(
                f'<li><span class="msg">{_e(_clip(r))}</span></li>' for r in reasons
            ) + "</ul>",
        ])
    out.append(_table(["Submission", "Status", "Total", "Reasons"], rows, num=(2,)))
    return out


def _scores_section(totals: Sequence[float], possible: float) -> list[str]:
    out = ['<h2 id="scores">Scores</h2>']
    if not totals:
        out.append("<p>No graded submission, so no distribution to show.</p>")
        return out
    out.append(_histogram(totals, possible))
    return out


def _questions_section(data: _Data) -> list[str]:
    out = ['<h2 id="questions">Questions</h2>']
    stats = _question_stats(data)
    if not stats:
        out.append("<p>The results define no questions.</p>")
        return out
    out.append('<p class="muted small">Mean over graded submissions; "full marks" and "zero" '
               "are shares of graded submissions. Questions worth 0 points have no shares.</p>")
    rows = [[
        f"<code>{_e(q.question.name)}</code>", _disp(q.question.possible), _disp(q.mean),
        _pct(q.mean_share), _pct(q.full), _pct(q.zero), str(len(q.question.cases)),
    ] for q in stats]
    out.append(_table(["Question", "Possible", "Mean", "Mean %", "Full marks", "Zero", "Cases"],
                      rows, num=(1, 2, 3, 4, 5, 6)))
    if data.graded:
        out.append(_question_plot(stats))
    return out


def _items_section(stats: Sequence[_CaseStats]) -> list[str]:
    out = ['<h2 id="items">Test cases (item analysis)</h2>']
    if not stats:
        out.append("<p>The results define no test cases.</p>")
        return out
    if not any(c.n for c in stats):
        out.append("<p>No graded submission has test results, so there is nothing to analyse."
                   "</p>")
        return out
    out.append(
        "<p><b>Passing</b> is the share of attempted submissions (graded, and passing at "
        "least one case) that pass the case; <b>n</b> is how many there are. "
        "<b>Discrimination</b> is the point-biserial correlation (Pearson's r) between passing "
        "the case (1/0) and the total score <i>without that case</i>. It ranges from −1 to 1: "
        "around 0.3 or more, students who pass the case also do well overall; near 0, the case "
        "does not tell stronger from weaker students; below 0, stronger students fail it more "
        "often, which usually means the case or its reference answer deserves a look. It is "
        f"undefined (—) when everyone passes, nobody passes, or fewer than "
        f"{MIN_DISCRIMINATION_N} submissions were graded; with few submissions, read it as a "
        "rough hint.</p>"
    )
    out += _item_notes(stats)
    plot = _item_plot(stats)
    if plot:
        out.append(plot)
    rows = [[
        f"<code>{_e(c.case.id)}</code>", _disp(c.case.points),
        '<span class="tag">hidden</span>' if c.case.hidden else '<span class="tag">public</span>',
        _e(c.case.description), str(c.n), _bar(c.passing), _disp(c.discrimination),
        _discrimination_note(c),
    ] for c in stats]
    out.append(_table(["Case", "Points", "Kind", "Checks", "n", "Passing", "Discr.", "Reading"],
                      rows, num=(1, 4, 6),
                      widths=("21%", "7%", "8%", "23%", "5%", "14%", "7%", "15%"), cls="fixed"))
    return out


def _reading(r: float | None) -> str:
    if r is None:
        return "undefined"
    return "negative" if r < 0 else "weak" if r < 0.1 else "fair" if r < 0.3 else "good"


def _item_notes(stats: Sequence[_CaseStats]) -> list[str]:
    """Say when the class is too small, and what non-attempts would do to the figures."""
    notes = []
    n = max((c.n for c in stats), default=0)
    if 0 < n < MIN_RELIABLE_N:
        notes.append(f"Only {n} attempted submission(s): too few for item analysis to mean "
                     f"much (one student moves a correlation a lot); the table shows the "
                     f"figures, but they are not read below {MIN_RELIABLE_N}.")
    changed = [c for c in stats if c.with_non_attempts is not None
               and _reading(c.with_non_attempts) != _reading(c.discrimination)]
    blank = [c for c in stats if c.with_non_attempts is not None]
    if blank:
        notes.append("Submissions that passed no case (blank or not run; listed under Needs "
                     "attention) are left out of passing shares and discrimination: they "
                     "would count as the weakest student in every case."
                     + (f" Counted in, {len(changed)} case(s) would read differently, e.g. "
                        f"{changed[0].case.id}: {_reading(changed[0].with_non_attempts)} "
                        f"instead of {_reading(changed[0].discrimination)}." if changed else ""))
    return [f'<p class="note">{_e(text)}</p>' for text in notes]


def _failures_section(case_stats: Sequence[_CaseStats]) -> list[str]:
    out = ['<h2 id="failures">Most frequent failure messages</h2>']
    stats = [c for c in case_stats if c.failures]
    if not stats:
        out.append("<p>No failed case among the graded submissions.</p>")
        return out
    out.append(f"<p class=\"muted small\">Per case, the {TOP_MESSAGES} most frequent messages of "
               "graded submissions that failed it, with how many submissions got each. Long "
               "messages are cut.</p>")
    rows = []
    for c in stats:
        common = c.failures.most_common(TOP_MESSAGES)
        rest = sum(c.failures.values()) - sum(k for _, k in common)
        lines = [f'<tr><td><span class="msg">{_e(_clip(msg))}</span></td>'
                 f'<td class="num">{k}</td></tr>' for msg, k in common]
        if rest:
            others = len(c.failures) - len(common)
            lines.append(f'<tr><td class="muted">{others} other message(s)</td>'
                         f'<td class="num">{rest}</td></tr>')
        rows.append([
            f"<code>{_e(c.case.id)}</code><br><span class=\"muted small\">"
            f"{_e(c.case.description)}</span>",
            str(sum(c.failures.values())),
            '<table class="inner"><tbody>' + "".join(lines) + "</tbody></table>",
        ])
    out.append(_table(["Case", "Failed", "Messages (count)"], rows, num=(1,),
                      widths=("28%", "8%", "64%"), cls="fixed"))
    return out


def _roster_section(m: _Matching) -> list[str]:
    out = ['<h2 id="roster">Roster</h2>']
    matched = sum(1 for _, s in m.pairs if s is not None)
    out.append(f"<p>{matched} of {len(m.pairs)} roster entries matched a submission. Also in "
               "<code>unmatched.csv</code>; students without a submission get an empty score in "
               "<code>canvas.csv</code> and <code>gradescope.csv</code>.</p>")
    if m.not_on_roster:
        out.append(f"<h3>Submissions not on the roster ({len(m.not_on_roster)})</h3>")
        out.append("<p class=\"muted small\">Not in the LMS files: add them to the roster "
                   "(column <code>submission</code>) and run <code>hw3 report</code> again.</p>")
        out.append(_table(["Submission", "File", "Status", "Total"], [
            [_feedback_link(s, s.id), _e(s.path), _e(s.status), _disp(s.score)]
            for s in m.not_on_roster], num=(3,)))
    if m.ambiguous:
        out.append(f"<h3>Roster entries with several submissions ({len(m.ambiguous)})</h3>")
        out.append(_table(["Submission id", "Files"], [
            [_e(k), "<br>".join(_e(s.path) for s in v)] for k, v in m.ambiguous.items()]))
    missing = m.missing
    if missing:
        out.append(f"<h3>Roster entries without a submission ({len(missing)})</h3>")
        out.append(_table(["Submission id", "Name", "Student id", "Email", "Section"], [
            [_e(e.submission), _e(e.name), _e(e.student_id), _e(e.email), _e(e.section)]
            for e in missing]))
    if not (m.not_on_roster or m.ambiguous or missing):
        out.append("<p>Every submission matched exactly one roster entry and vice versa.</p>")
    return out


def _all_section(data: _Data) -> list[str]:
    out = ['<h2 id="all">All submissions</h2>']
    if not data.subs:
        out.append("<p>No submissions.</p>")
        return out
    rows = [[_feedback_link(s, s.id), _e(s.status), _disp(data.total(s)),
             _disp(data.total_possible(s)), _disp(s.seconds, 1), _e(s.isolation or "—")]
            for s in data.subs]
    out.append(f"<details><summary>Show the {len(data.subs)} submissions, with links to their "
               "feedback pages</summary>")
    out.append(_table(["Submission", "Status", "Total", "Possible", "Seconds", "Isolation"], rows,
                      num=(2, 3, 4)))
    out.append("</details>")
    return out


# ----------------------------------------------------------------------------- feedback


def _feedback_html(data: _Data, s: _Sub) -> str:
    title = f"{data.assignment.upper()} feedback: {s.id}"
    parts = [f"<h1>{_e(data.assignment.upper())} feedback</h1>"]
    sub = [f"submission <code>{_e(s.id)}</code>"]
    if data.generated:
        sub.append(f"graded {_e(_when(data.generated))}")
    parts.append(f'<p class="sub">{" · ".join(sub)}</p>')
    if data.manual:
        provisional = " (provisional)" if data.manual.missing(s.id) else ""
        parts.append(f'<p class="score">{_disp(data.total(s))} / '
                     f"{_disp(data.total_possible(s))}{provisional}</p>")
        parts.append(f'<p class="muted">{_disp(s.score)} / {_disp(s.possible)} auto-graded, '
                     f"{_disp(data.manual.score(s.id))} / {_disp(data.manual.possible)} "
                     "hand-graded</p>")
    else:
        parts.append(f'<p class="score">{_disp(s.score)} / {_disp(s.possible)}</p>')
    if not s.graded:
        # One message says it all: no table of cases that were never run.
        parts.append(f'<div class="note"><b>Your submission could not be graded</b> '
                     f'({_e(s.status)}). <span class="pre">{_e(s.message)}</span></div>')
        return _page(title, "\n".join(parts))
    parts.append('<p class="muted">These are the auto-graded points. Your written '
                 "explanations (the <i>Explain</i> cells) are graded by hand, separately.</p>")
    if s.message:
        parts.append(f'<div class="note"><span class="pre">{_e(s.message)}</span></div>')
    notes = [str(ev.get("message") or "").strip() for ev in s.events]
    notes = [n for n in notes if n]
    if notes:
        parts.append('<div class="note"><b>Notes from the grader</b><ul>' + "".join(
            f'<li><span class="pre">{_e(n)}</span></li>' for n in notes) + "</ul></div>")

    parts.append(_table(["Question", "Score", "Possible"], [
        [f'<a href="#q-{_e(q.name)}"><code>{_e(q.name)}</code></a>',
         _disp(s.questions.get(q.name, (None, None))[0]), _disp(q.possible)]
        for q in data.questions], num=(1, 2), cls="compact"))

    by_question: dict[str, list[dict[str, Any]]] = {}
    order = {c.id: i for i, c in enumerate(data.case_defs())}
    for c in sorted(s.cases, key=lambda c: order.get(str(c.get("id")), len(order))):
        by_question.setdefault(str(c.get("question", "")), []).append(c)
    known = [q.name for q in data.questions]
    extra = [name for name in by_question if name not in known]
    for name in [*known, *extra]:
        score, _ = s.questions.get(name, (None, None))
        q_possible = next((q.possible for q in data.questions if q.name == name), None)
        parts.append(f'<h2 id="q-{_e(name)}"><code>{_e(name)}</code>: {_disp(score)} / '
                     f"{_disp(q_possible)}</h2>")
        cases = by_question.get(name, [])
        if not cases:
            parts.append('<p class="muted">No test results for this question.</p>')
            continue
        parts.append(_table(["Test", "Result", "Points", "Message"],
                            [_feedback_case_row(c) for c in cases], num=(2,),
                            widths=("42%", "10%", "10%", "38%"), cls="fixed narrow"))
    if data.manual:
        from hw3.marking.merge import feedback_section

        parts.append(feedback_section(data.manual, s.id))
    return _page(title, "\n".join(parts))


def _feedback_case_row(c: Mapping[str, Any]) -> list[str]:
    points = _float(c.get("points")) or 0.0
    ok = _passed(c, points)
    result = '<span class="ok">passed</span>' if ok else '<span class="bad">failed</span>'
    message = str(c.get("message") or "")
    msg = f'<span class="msg">{_e(message)}</span>' if message else ""
    description = _e(c.get("description") or "")
    score = _float(c.get("score"))
    if c.get("hidden"):
        # Hidden cases: the description, pass/fail, the points and the message exactly as the
        # grader made it safe; not the case id.
        return [f'{description} <span class="tag">hidden test</span>', result,
                f"{_disp(score)} / {_disp(points)}", msg]
    test = f'{description}<br><code class="muted small">{_e(c.get("id", ""))}</code>'
    return [test, result, f"{_disp(score)} / {_disp(points)}", msg]
