"""``hw3 report`` merges the hand-graded marks (a CSV file, or the app's database) into every
file it writes, and says the grade is provisional until every answer is marked."""

from __future__ import annotations

import csv
import re

import pytest

from hw3.cli import main
from hw3.marking.store import DB_NAME, Store
from tests.marking._marking_support import make_results

MANUAL = ["q3_1_explain", "q3_5_explain", "q3_10_explain", "q4_6_explain", "explore_explain"]
ROSTER = ("submission,name,student_id,email,section\n"
          "amy,Amy A,1,amy@x.org,A\nben,Ben B,2,ben@x.org,A\ncat,Cat C,3,cat@x.org,B\n"
          "dan,Dan D,4,dan@x.org,B\n")


def _rows(path):
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def folder(tmp_path):
    folder = make_results(tmp_path / "out")
    (tmp_path / "roster.csv").write_text(ROSTER)
    return folder


def _report(folder, *extra: str) -> int:
    return main(["report", str(folder), "--roster", str(folder.parent / "roster.csv"), *extra])


def test_csv_marks_reach_every_output(folder, tmp_path, capsys):
    marks = tmp_path / "marks.csv"
    full = {"amy": "2,2,2,2,3", "ben": "1,0,0,0.5,2", "cat": "0,0,0,0,0", "dan": "0,0,0,0,0"}
    marks.write_text("id," + ",".join(MANUAL) + "\n"
                     + "".join(f"{k},{v}\n" for k, v in full.items()))
    assert _report(folder, "--marks", str(marks)) == 0
    assert "provisional" not in capsys.readouterr().err

    grades = {r["id"]: r for r in _rows(folder / "grades.csv")}
    assert list(grades["amy"])[-6:] == [*MANUAL, "provisional"]
    assert grades["amy"]["total"] == "11" and grades["amy"]["possible"] == "111"
    assert grades["ben"]["total"] == "3.5" and grades["ben"]["q4_6_explain"] == "0.5"
    assert all(r["provisional"] == "" for r in grades.values())

    canvas = list(csv.reader((folder / "canvas.csv").open(encoding="utf-8")))
    assert canvas[1][-1] == "111"  # Points Possible: 100 auto-graded + 11 by hand
    assert {r[0]: r[-1] for r in canvas[2:]}["Ben B"] == "3.5"
    gradescope = {r["Name"]: r["Score"] for r in _rows(folder / "gradescope.csv")}
    assert gradescope == {"Amy A": "11", "Ben B": "3.5", "Cat C": "0", "Dan D": "0"}

    report = _plain((folder / "report.html").read_text(encoding="utf-8"))
    assert "Hand-graded explanations" in report and "Every answer is marked" in report
    assert "Provisional" not in report
    # per-question statistics: q4_6_explain marked 4 of 4, mean (2 + 0.5) / 4
    assert re.search(r"q4_6_explain 2 4 of 4 0\.62 25% 50%", report), report
    feedback = _plain((folder / "feedback" / "ben.html").read_text(encoding="utf-8"))
    assert "3.5 / 111" in feedback and "provisional" not in feedback.lower()
    assert "q4_6_explain : 0.5 / 2" in feedback


def test_partial_csv_is_provisional_everywhere(folder, tmp_path, capsys):
    marks = tmp_path / "marks.csv"
    marks.write_text("id,q3_1_explain\namy,2\nben,1\n")
    assert _report(folder, "--marks", str(marks)) == 0
    assert "provisional: 18 of 20 explanation answers are not marked" in capsys.readouterr().err
    grades = {r["id"]: r for r in _rows(folder / "grades.csv")}
    assert grades["amy"]["total"] == "2" and grades["amy"]["q3_5_explain"] == ""
    assert all(r["provisional"] == "yes" for r in grades.values())
    report = _plain((folder / "report.html").read_text(encoding="utf-8"))
    assert "Provisional grades: 18 of 20" in report
    assert re.search(r"q3_5_explain \(4\): amy ?, ben ?, cat ?, dan", report)
    feedback = _plain((folder / "feedback" / "amy.html").read_text(encoding="utf-8"))
    assert "2 / 111 (provisional)" in feedback and "not marked yet" in feedback


@pytest.mark.slow  # over 5 s here (--durations)
def test_lms_files_say_provisional_by_name_until_every_answer_is_marked(folder, tmp_path,
                                                                        capsys):
    partial = tmp_path / "partial.csv"
    partial.write_text("id,q3_1_explain\namy,2\nben,1\n")
    assert _report(folder, "--marks", str(partial)) == 0
    capsys.readouterr()
    assert (folder / "canvas-PROVISIONAL.csv").is_file()
    assert (folder / "gradescope-PROVISIONAL.csv").is_file()
    assert not (folder / "canvas.csv").exists() and not (folder / "gradescope.csv").exists()
    scores = {r["Name"]: r["Score"] for r in _rows(folder / "gradescope-PROVISIONAL.csv")}
    assert scores["Amy A"] == "2"  # unmarked answers count 0 until they are marked
    assert "canvas-PROVISIONAL.csv" in _plain((folder / "report.html").read_text("utf-8"))

    full = tmp_path / "full.csv"
    full.write_text("id," + ",".join(MANUAL) + "\n" + "".join(
        f"{k},2,2,2,2,3\n" for k in ("amy", "ben", "cat", "dan")))
    assert _report(folder, "--marks", str(full)) == 0
    err = capsys.readouterr().err
    assert (folder / "canvas.csv").is_file() and (folder / "gradescope.csv").is_file()
    for name in ("canvas-PROVISIONAL.csv", "gradescope-PROVISIONAL.csv"):
        assert not (folder / name).exists()
        assert f"removed {folder / name}, written by an earlier run: its grades are out of " \
               "date (every hand-graded answer is marked now)" in err


def test_bad_marks_file_changes_nothing(folder, tmp_path, capsys):
    assert _report(folder) == 0
    before = (folder / "grades.csv").read_bytes()
    marks = tmp_path / "marks.csv"
    marks.write_text("id,q3_1_explain\namy,7\n")
    assert _report(folder, "--marks", str(marks)) == 1
    err = capsys.readouterr().err
    assert "line 2, q3_1_explain: '7' is not between 0 and 2" in err
    assert (folder / "grades.csv").read_bytes() == before


def test_app_database_marks_items_and_comment_on_feedback(folder, capsys):
    with Store(folder / DB_NAME) as s:
        good = s.add_item("q3_1_explain", 2, "names the kind of function <affine>")
        vague = s.add_item("q3_1_explain", -0.5, "reason is vague")
        s.set_applied("amy", "q3_1_explain", good.id, True)
        s.set_applied("amy", "q3_1_explain", vague.id, True)
        s.set_comment("amy", "q3_1_explain", "Say <b>why</b> a sum of affine maps is affine.")
    assert _report(folder) == 0
    html = (folder / "feedback" / "amy.html").read_text(encoding="utf-8")
    assert "names the kind of function &lt;affine&gt;" in html
    assert "Say &lt;b&gt;why&lt;/b&gt; a sum" in html
    assert "<b>why</b>" not in html
    text = _plain(html)
    assert "q3_1_explain : 1.5 / 2" in text and "reason is vague -0.5" in text
    assert "1.5 / 111 (provisional)" in text
    # The student's own answer is on their page, escaped: cat's script is text there too.
    cat = (folder / "feedback" / "cat.html").read_text(encoding="utf-8")
    assert "<script>" not in cat and "&lt;script&gt;document.title" in cat
    assert {r["id"]: r["q3_1_explain"] for r in _rows(folder / "grades.csv")}["amy"] == "1.5"


def test_mark_refuses_a_folder_it_cannot_use(tmp_path, capsys):
    assert main(["mark", str(tmp_path)]) == 1
    assert "results.json not found" in capsys.readouterr().err
    (tmp_path / "results.json").write_text('{"questions": {}, "submissions": []}')
    assert main(["mark", str(tmp_path)]) == 1
    assert "has no hand-graded questions" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]  # nothing written
