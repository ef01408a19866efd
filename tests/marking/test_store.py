"""The marks database: scores from items, edits that reach every answer, two TAs at once, a
crash right after a click, and the marks CSV's checks."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest

from hw3.marking.store import (
    MarksError,
    Store,
    marks_csv,
    parse_marks_csv,
)

POSSIBLE = {"q3_1_explain": 2.0, "explore_explain": 3.0}
Q = "q3_1_explain"


@pytest.fixture
def db(tmp_path):
    return tmp_path / "marks.sqlite"


def test_scores_follow_the_items(db):
    with Store(db) as s:
        full = s.add_item(Q, 2, "full")
        minus = s.add_item(Q, -1, "no reason")
        s.set_applied("amy", Q, full.id, True)
        s.set_applied("ben", Q, full.id, True)
        s.set_applied("ben", Q, minus.id, True)
        s.set_applied("cat", Q, minus.id, True)  # deductions alone stop at 0
        s.set_comment("dan", Q, "see me")  # a comment alone is not a mark
        m = s.marks(POSSIBLE)
        assert (m["amy"][Q].score, m["ben"][Q].score, m["cat"][Q].score) == (2, 1, 0)
        assert not m["dan"][Q].marked and m["dan"][Q].comment == "see me"
        s.edit_item(full.id, 1.5, "most")
        s.edit_item(minus.id, -0.5, "no reason")
        m = s.marks(POSSIBLE)
        assert (m["amy"][Q].score, m["ben"][Q].score) == (1.5, 1)
        assert m["ben"][Q].items == [("most", 1.5), ("no reason", -0.5)]
        s.edit_item(full.id, 3, "full, generous")  # above possible: kept at 2
        assert s.marks(POSSIBLE)["amy"][Q].score == 2
        s.delete_item(minus.id)
        assert s.marks(POSSIBLE)["cat"][Q].items == []
        with pytest.raises(MarksError):
            s.set_applied("amy", "explore_explain", full.id, True)  # another question's item
        with pytest.raises(MarksError):
            s.add_item(Q, float("nan"), "x")


def test_imported_scores_stand_until_items_change(db):
    with Store(db) as s:
        item = s.add_item(Q, 1, "half")
        s.set_applied("amy", Q, item.id, True)
        s.import_scores({"amy": {Q: 1.75}, "ben": {"explore_explain": 3.0}})
        m = s.marks(POSSIBLE)
        assert m["amy"][Q].score == 1.75 and m["amy"][Q].items == []
        assert m["ben"]["explore_explain"].score == 3.0
        s.set_applied("amy", Q, item.id, True)
        assert s.marks(POSSIBLE)["amy"][Q].score == 1


def test_two_tas_at_once(db):
    # Two connections (two TAs' requests) applying items in parallel: nothing is lost.
    with Store(db) as s:
        items = [s.add_item(Q, 0.1, f"item {i}").id for i in range(20)]
    errors: list[BaseException] = []

    def ta(students: list[str]) -> None:
        try:
            with Store(db, create=False) as mine:
                for sub in students:
                    for item in items:
                        mine.set_applied(sub, Q, item, True)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=ta, args=([f"s{k}" for k in range(j, 12, 2)],))
               for j in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with Store(db) as s:
        m = s.marks(POSSIBLE)
    assert sorted(m) == sorted(f"s{k}" for k in range(12))
    assert all(len(m[sub][Q].items) == 20 for sub in m)


def test_a_click_survives_a_crash(db):
    with Store(db) as s:
        item = s.add_item(Q, 2, "full").id
    # Another process applies an item and dies at once, without closing anything.
    code = textwrap.dedent(f"""
        import os
        from hw3.marking.store import Store
        s = Store({str(db)!r}, create=False)
        s.set_applied("amy", {Q!r}, {item}, True)
        os._exit(9)
    """)
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 9
    with Store(db) as s:
        assert s.marks(POSSIBLE)["amy"][Q].score == 2
        assert s.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_csv_round_trip_and_errors(db):
    text = "id,q3_1_explain,explore_explain\namy,2,\nben,0.5,3\n"
    scores = parse_marks_csv("\ufeff" + text, POSSIBLE, ["amy", "ben", "cat"])
    assert scores == {"amy": {Q: 2.0}, "ben": {Q: 0.5, "explore_explain": 3.0}}
    with Store(db) as s:
        s.import_scores(scores)
        out = marks_csv(list(POSSIBLE), ["amy", "ben", "cat"], s.marks(POSSIBLE))
    assert out == "id,q3_1_explain,explore_explain\namy,2,\nben,0.5,3\ncat,,\n"
    for bad, why in [("nope,q3_1_explain\n", "first column"),
                     ("id,q9\n", "not manual questions"),
                     ("id,q3_1_explain\nzed,1\n", "no submission 'zed'"),
                     ("id,q3_1_explain\namy,1\namy,2\n", "twice"),
                     ("id,q3_1_explain\namy,2.5\n", "between 0 and 2"),
                     ("id,q3_1_explain\namy,lots\n", "not a number"),
                     ("id,q3_1_explain\namy,1,2\n", "3 fields")]:
        with pytest.raises(MarksError, match=why):
            parse_marks_csv(bad, POSSIBLE, ["amy", "ben"])


def test_a_formula_like_id_is_neutralised_in_the_csv_and_read_back(db):
    ids = ['=HYPERLINK("http:x","y")', "+cmd", "amy"]
    out = marks_csv([Q], ids, {})
    cells = [line.split(",")[0] for line in out.splitlines()[1:]]
    assert all(not c.lstrip('"').startswith(("=", "+")) for c in cells), out
    filled = "".join(line + ("1" if i else "") + "\n"
                     for i, line in enumerate(out.splitlines()))
    assert parse_marks_csv(filled, POSSIBLE, ids) == {i: {Q: 1.0} for i in ids}


def test_the_anonymous_order_secret_is_kept(db):
    with Store(db) as s:
        first = s.secret()
    with Store(db) as s:
        assert s.secret() == first and len(first) == 32
