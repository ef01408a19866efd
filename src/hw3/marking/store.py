"""The marks, in SQLite: rubric items per question, which items each answer has, comments.

One file, ``DIR/marks.sqlite`` beside ``results.json``. Every change is one short transaction
(``BEGIN IMMEDIATE`` ... ``COMMIT``) in WAL mode with ``synchronous=FULL``: a click is on disk
when the server answers it, a crash loses nothing acknowledged, and two TAs (two browser tabs,
two servers on the same folder) can mark at once; SQLite serialises their writes.

An answer's score is the sum of its applied items' points, kept within ``[0, possible]``; an
item edited later changes every answer it is applied to, because scores are computed from the
items on every read. A score imported from a CSV file stands until the answer's items change.
An answer is *marked* once it has an item or an imported score.
"""

from __future__ import annotations

import csv
import io
import math
import secrets
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

DB_NAME = "marks.sqlite"
MAX_TEXT = 300  # characters of an item's text
MAX_COMMENT = 4000
MAX_POINTS = 1000.0
MAX_CSV_BYTES = 2 * 2**20

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY, question TEXT NOT NULL, points REAL NOT NULL, text TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS marks (
    submission TEXT NOT NULL, question TEXT NOT NULL, comment TEXT NOT NULL DEFAULT '',
    imported REAL, updated TEXT NOT NULL, PRIMARY KEY (submission, question));
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS applied (
    submission TEXT NOT NULL, question TEXT NOT NULL,
    item INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    PRIMARY KEY (submission, question, item));
"""


class MarksError(ValueError):
    """Bad input to the store (a CSV file, a number): the message is one sentence."""


@dataclass(frozen=True)
class Item:
    id: int
    question: str
    points: float
    text: str


@dataclass
class Mark:
    """One answer's mark: the items applied (text, points), the comment, and the score."""

    score: float | None = None  # None: not marked
    items: list[tuple[str, float]] = field(default_factory=list)
    comment: str = ""

    @property
    def marked(self) -> bool:
        return self.score is not None


Marks = dict[str, dict[str, Mark]]  # submission id -> manual question -> mark


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _points(value: object) -> float:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise MarksError(f"points must be a number, not {str(value)[:40]!r}") from None
    if not math.isfinite(x) or abs(x) > MAX_POINTS:
        raise MarksError(f"points must be a number between -{MAX_POINTS:g} and {MAX_POINTS:g}")
    return round(x, 4)


class Store:
    """The marks database of one results folder: one connection, used by one thread (the app
    opens one per request; connections are cheap and SQLite does the locking)."""

    def __init__(self, path: Path, create: bool = True):
        self.path = Path(path)
        self.db = sqlite3.connect(self.path, timeout=15, isolation_level=None)
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA foreign_keys=ON")
        if create:
            self.db.execute("PRAGMA journal_mode=WAL")  # persistent: set once, in the file
            self.db.executescript(_SCHEMA)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def _tx(self, read: bool = False) -> _Tx:
        return _Tx(self.db, read)

    def secret(self) -> str:
        """A random value kept in the database: the app's anonymous answer order and keys stay
        the same across restarts (and differ between classes)."""
        with self._tx() as c:
            c.execute("INSERT OR IGNORE INTO meta VALUES ('secret', ?)", (secrets.token_hex(16),))
            return str(c.execute("SELECT value FROM meta WHERE key = 'secret'").fetchone()[0])

    # -- rubric items
    def items(self, question: str | None = None) -> list[Item]:
        sql = "SELECT id, question, points, text FROM items"
        rows = (self.db.execute(sql + " WHERE question = ? ORDER BY id", (question,))
                if question is not None else self.db.execute(sql + " ORDER BY id"))
        return [Item(*r) for r in rows]

    def add_item(self, question: str, points: object, text: str) -> Item:
        p, t = _points(points), str(text).strip()[:MAX_TEXT]
        if not t:
            raise MarksError("a rubric item needs a short text")
        with self._tx() as c:
            cur = c.execute("INSERT INTO items (question, points, text) VALUES (?, ?, ?)",
                            (question, p, t))
        return Item(int(cur.lastrowid or 0), question, p, t)

    def edit_item(self, item_id: int, points: object, text: str) -> None:
        p, t = _points(points), str(text).strip()[:MAX_TEXT]
        if not t:
            raise MarksError("a rubric item needs a short text")
        with self._tx() as c:
            if c.execute("UPDATE items SET points = ?, text = ? WHERE id = ?",
                         (p, t, item_id)).rowcount != 1:
                raise MarksError(f"no rubric item {item_id}")

    def delete_item(self, item_id: int) -> None:
        with self._tx() as c:
            c.execute("DELETE FROM items WHERE id = ?", (item_id,))

    # -- marking one answer
    def _touch(self, c: sqlite3.Connection, submission: str, question: str,
               clear_import: bool) -> None:
        c.execute("INSERT INTO marks (submission, question, updated) VALUES (?, ?, ?) "
                  "ON CONFLICT (submission, question) DO UPDATE SET updated = excluded.updated"
                  + (", imported = NULL" if clear_import else ""),
                  (submission, question, _now()))

    def set_applied(self, submission: str, question: str, item_id: int, on: bool) -> None:
        """Apply (or remove) an item: the state asked for, so two TAs never undo each other's
        click by toggling at once."""
        with self._tx() as c:
            row = c.execute("SELECT question FROM items WHERE id = ?", (item_id,)).fetchone()
            if row is None or row[0] != question:
                raise MarksError(f"no rubric item {item_id} for {question}")
            if on:
                c.execute("INSERT OR IGNORE INTO applied VALUES (?, ?, ?)",
                          (submission, question, item_id))
            else:
                c.execute("DELETE FROM applied WHERE submission = ? AND question = ? AND "
                          "item = ?", (submission, question, item_id))
            self._touch(c, submission, question, clear_import=True)

    def set_comment(self, submission: str, question: str, comment: str) -> None:
        with self._tx() as c:
            self._touch(c, submission, question, clear_import=False)
            c.execute("UPDATE marks SET comment = ? WHERE submission = ? AND question = ?",
                      (str(comment)[:MAX_COMMENT], submission, question))

    def import_scores(self, scores: Mapping[str, Mapping[str, float]]) -> int:
        """Set imported scores (submission -> question -> points) in one transaction."""
        n = 0
        with self._tx() as c:
            for sub, per_q in scores.items():
                for q, value in per_q.items():
                    self._touch(c, sub, q, clear_import=False)
                    c.execute("UPDATE marks SET imported = ? WHERE submission = ? AND "
                              "question = ?", (value, sub, q))
                    c.execute("DELETE FROM applied WHERE submission = ? AND question = ?",
                              (sub, q))
                    n += 1
        return n

    # -- reading
    def marks(self, possible: Mapping[str, float]) -> Marks:
        """Every answer's mark; scores from the items as they are now."""
        out: Marks = {}
        # One snapshot of the database for the whole read (WAL: writers go on meanwhile).
        with self._tx(read=True) as c:
            items = {r[0]: (r[1], float(r[2]), r[3]) for r in
                     c.execute("SELECT id, question, points, text FROM items ORDER BY id")}
            for sub, q, comment, imported in c.execute(
                    "SELECT submission, question, comment, imported FROM marks"):
                out.setdefault(sub, {})[q] = Mark(imported, [], comment)
            for sub, q, item in c.execute(
                    "SELECT submission, question, item FROM applied ORDER BY item"):
                mark = out.setdefault(sub, {}).setdefault(q, Mark())
                _, pts, text = items[item]
                mark.items.append((text, pts))
        for per_q in out.values():
            for q, mark in per_q.items():
                if mark.items:
                    total = sum(p for _, p in mark.items)
                    mark.score = min(max(total, 0.0), possible.get(q, total))
        return out

    def applied(self, question: str) -> dict[str, list[int]]:
        rows = self.db.execute("SELECT submission, item FROM applied WHERE question = ? "
                               "ORDER BY item", (question,))
        out: dict[str, list[int]] = {}
        for sub, item in rows:
            out.setdefault(sub, []).append(item)
        return out


class _Tx:
    def __init__(self, db: sqlite3.Connection, read: bool = False):
        self.db, self.read = db, read

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN" if self.read else "BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind: object, *rest: object) -> None:
        self.db.execute("ROLLBACK" if kind is not None else "COMMIT")


# ----------------------------------------------------------------------------- CSV files


def marks_csv(questions: Sequence[str], ids: Iterable[str], marks: Marks) -> str:
    """``id`` plus one column per manual question; an empty cell is an answer not marked."""
    from hw3.layout import csv_cell  # ids are file names a student chose: no formulas

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", *questions])
    for sub in ids:
        row = [csv_cell(sub)]
        for q in questions:
            m = marks.get(sub, {}).get(q)
            row.append("" if m is None or m.score is None else f"{m.score:g}")
        w.writerow(row)
    return buf.getvalue()


def parse_marks_csv(text: str, possible: Mapping[str, float],
                    ids: Iterable[str]) -> dict[str, dict[str, float]]:
    """Scores from a marks CSV (see :func:`marks_csv`); raises MarksError with one sentence
    on anything wrong, before anything is used."""
    if len(text) > MAX_CSV_BYTES:
        raise MarksError("the marks file is too large")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        raise MarksError("the marks file is empty")
    header = [h.strip() for h in rows[0]]
    if not header or header[0] != "id":
        raise MarksError("the marks file's first column must be 'id'")
    unknown = [h for h in header[1:] if h not in possible]
    if unknown:
        raise MarksError(f"the marks file has column(s) that are not manual questions: "
                         f"{', '.join(repr(u[:40]) for u in unknown[:5])}")
    known = set(ids)
    out: dict[str, dict[str, float]] = {}
    for n, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise MarksError(f"line {n}: {len(row)} fields, but the header has {len(header)}")
        sub = row[0].strip()
        if sub not in known and sub.startswith("'") and sub[1:] in known:
            sub = sub[1:]  # written neutralised by marks_csv (a formula-like id)
        if sub not in known:
            raise MarksError(f"line {n}: no submission {sub[:60]!r} in the results")
        if sub in out:
            raise MarksError(f"line {n}: submission {sub[:60]!r} appears twice")
        out[sub] = {}
        for q, cell in zip(header[1:], row[1:]):
            if not cell.strip():
                continue
            try:
                x = float(cell)
            except ValueError:
                raise MarksError(f"line {n}, {q}: {cell[:20]!r} is not a number") from None
            if not math.isfinite(x) or not 0 <= x <= possible[q]:
                raise MarksError(f"line {n}, {q}: {cell[:20]!r} is not between 0 and "
                                 f"{possible[q]:g}")
            out[sub][q] = x
    return out


def load_marks(folder: Path, possible: Mapping[str, float]) -> Marks | None:
    """The marks of ``folder``'s database, or None if it has none."""
    path = Path(folder) / DB_NAME
    if not path.is_file():
        return None
    store = Store(path)
    try:
        return store.marks(possible)
    finally:
        store.close()


def marks_from_csv(path: Path, possible: Mapping[str, float], ids: Iterable[str]) -> Marks:
    try:
        text = Path(path).read_bytes()[:MAX_CSV_BYTES + 1].decode("utf-8")
    except UnicodeDecodeError:
        raise MarksError(f"{path} is not UTF-8 text") from None
    scores = parse_marks_csv(text, possible, ids)
    return {sub: {q: Mark(x) for q, x in per_q.items()} for sub, per_q in scores.items()}
