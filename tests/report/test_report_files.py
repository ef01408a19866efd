"""grades.csv, the LMS files, the roster and results.json: values, matching and errors."""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path

import pytest

from hw3.grading.results import ClassResults
from hw3.report import (
    ReportError,
    RosterEntry,
    load_results,
    read_roster,
    safe_file_name,
    write_reports,
)
from tests.report._report_sample import QUESTIONS, make_results


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def small(fixtures) -> dict:
    return json.loads((fixtures / "results_small.json").read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------- grades.csv


@pytest.mark.parametrize("make", ["small", "generated"])
def test_grades_csv_equals_json(make, small, tmp_path):
    results = small if make == "small" else make_results(30)
    write_reports(ClassResults.from_json(results), tmp_path)
    path = tmp_path / "grades.csv"
    with path.open(encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    assert header == ["id", "status", "total", "possible", *results["questions"]]
    assert list(results["questions"]) == QUESTIONS
    rows = _rows(path)
    assert len(rows) == len(results["submissions"])
    for row, sub in zip(rows, results["submissions"]):
        assert row["id"] == sub["id"]
        assert row["status"] == sub["status"]
        assert float(row["total"]) == sub["score"]
        assert float(row["possible"]) == sub["possible"]
        for q in results["questions"]:
            assert float(row[q]) == sub["questions"][q]["score"], (sub["id"], q)


def test_grades_csv_golden(small, fixtures, tmp_path):
    # Exact text: whole numbers without ".0", others as the shortest exact decimal.
    write_reports(ClassResults.from_json(small), tmp_path)
    assert (tmp_path / "grades.csv").read_text(encoding="utf-8") == (
        fixtures / "grades_small.csv").read_text(encoding="utf-8")
    assert "0.30000000000000004" in (tmp_path / "grades.csv").read_text(encoding="utf-8")


def test_id_defaults_to_path_stem(small, tmp_path):
    del small["submissions"][0]["id"]
    small["submissions"][0]["path"] = "some/dir/carla.ipynb"
    write_reports(ClassResults.from_json(small), tmp_path)
    assert _rows(tmp_path / "grades.csv")[0]["id"] == "carla"
    assert (tmp_path / "feedback" / "carla.html").is_file()


def test_returned_paths(small, fixtures, tmp_path):
    paths = write_reports(ClassResults.from_json(small), tmp_path / "new" / "dir",
                          roster=fixtures / "roster_small.csv")
    names = [p.relative_to(tmp_path / "new" / "dir").as_posix() for p in paths]
    assert names[:6] == ["grades.csv", "canvas.csv", "gradescope.csv", "unmatched.csv",
                         "roster-used.csv", "report.html"]
    assert sorted(names[6:]) == sorted(["feedback/alice.html", "feedback/Alice-2.html",
                                        f"feedback/{safe_file_name('bob smith')}.html",
                                        "feedback/zed.html"])
    assert all(p.is_file() for p in paths)
    assert not list((tmp_path / "new" / "dir").glob(".*.tmp"))  # no temporary files left


# ----------------------------------------------------------------------------- LMS files


@pytest.mark.parametrize("name", ["canvas", "gradescope", "unmatched"])
def test_lms_files_golden(name, small, fixtures, tmp_path):
    write_reports(ClassResults.from_json(small), tmp_path, roster=fixtures / "roster_small.csv")
    assert (tmp_path / f"{name}.csv").read_text(encoding="utf-8") == (
        fixtures / f"{name}_small.csv").read_text(encoding="utf-8")


def test_roster_matching_both_ways(fixtures, roster_path, tmp_path):
    results = make_results(40)
    write_reports(ClassResults.from_json(results), tmp_path, roster=roster_path)
    roster = read_roster(roster_path)
    scores = {s["id"]: s["score"] for s in results["submissions"]}

    gradescope = _rows(tmp_path / "gradescope.csv")
    assert [r["Email"] for r in gradescope] == [e.email for e in roster]  # every student, in order
    for row, entry in zip(gradescope, roster):
        if entry.submission in scores:
            assert float(row["Score"]) == scores[entry.submission]
        else:
            assert row["Score"] == ""  # no submission: empty, not 0

    with (tmp_path / "canvas.csv").open(encoding="utf-8", newline="") as f:
        canvas = list(csv.reader(f))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "HW3"]
    assert canvas[1] == ["    Points Possible", "", "", "", "", "100"]
    assert [r[2] for r in canvas[2:]] == [e.student_id for e in roster]
    assert canvas[2 + [e.submission for e in roster].index("ghost")][5] == ""

    unmatched = _rows(tmp_path / "unmatched.csv")
    problems = {(r["problem"], r["submission"]) for r in unmatched}
    assert problems == {
        ("submission not on roster", "bob"),
        ("submission not on roster", "<img src=x onerror=alert(1)>"),
        ("submission not on roster", "mystery"),
        ("no submission for roster entry", "ghost"),
    }
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Submissions not on the roster (3)" in page
    assert "Roster entries without a submission (1)" in page
    assert "O&quot;Neil, Ghost" in page


def test_duplicate_submission_ids_are_refused_with_one_sentence(small, fixtures, tmp_path):
    # hw3 grade makes ids unique (tests/grading/test_unique_ids.py); a results file with two
    # entries of one id (edited by hand, or from an older hw3) would share marks, answers and
    # roster matches between two students, so the reports refuse it and write nothing.
    twin = copy.deepcopy(small["submissions"][0])
    twin["path"] = "late/alice.ipynb"
    twin["score"] = 12.0
    small["submissions"].append(twin)
    with pytest.raises(ReportError, match=r"has the id 'alice' of submissions\[0\]; ids must "
                                          "be unique"):
        write_reports(ClassResults.from_json(small), tmp_path, roster=fixtures / "roster_small.csv")
    assert list(tmp_path.iterdir()) == []


def test_canvas_column_can_name_an_existing_assignment(small, fixtures, tmp_path):
    write_reports(ClassResults.from_json(small), tmp_path, roster=fixtures / "roster_small.csv",
                  canvas_column="Homework 3 (123456)")
    header = (tmp_path / "canvas.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "Student,ID,SIS User ID,SIS Login ID,Section,Homework 3 (123456)"


def test_stale_pages_are_removed_and_lms_files_kept(small, fixtures, tmp_path):
    write_reports(ClassResults.from_json(small), tmp_path, roster=fixtures / "roster_small.csv")
    before = {n: (tmp_path / n).read_bytes()
              for n in ("canvas.csv", "gradescope.csv", "unmatched.csv")}
    small["submissions"] = small["submissions"][:2]
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    # Regraded without roster: the LMS files are not touched.
    write_reports(ClassResults.from_json(small), tmp_path)
    for name, blob in before.items():
        assert (tmp_path / name).read_bytes() == blob
    assert sorted(p.name for p in (tmp_path / "feedback").iterdir()) == sorted(
        ["alice.html", f"{safe_file_name('bob smith')}.html"])
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_bad_roster_writes_nothing(small, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("submission,name\nalice,A\n", encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="email"):
        write_reports(ClassResults.from_json(small), out, roster=roster)
    assert not out.exists()


# ----------------------------------------------------------------------------- roster


def test_read_roster(tmp_path):
    path = tmp_path / "roster.csv"
    # Excel's BOM, another column order, header case, an extra column, a blank line and a
    # quoted name across two lines.
    path.write_text(
        "\ufeffEmail,Submission,Name,Section,Student_ID,notes\n"
        "a@x.org, alice ,\"Liddell,\nAlice\",A,S1,hi\n"
        "\n"
        "b@x.org,bob,Bob,,S2,\n",
        encoding="utf-8",
    )
    entries = read_roster(path)
    assert entries == [
        RosterEntry("alice", "Liddell,\nAlice", "S1", "a@x.org", "A"),
        RosterEntry("bob", "Bob", "S2", "b@x.org", ""),
    ]
    assert [e.line for e in entries] == [2, 5]


HEADER = "submission,name,student_id,email,section\n"


@pytest.mark.parametrize(("text", "match"), [
    ("", "empty file"),
    ("submission,name,student_id,email\nalice,A,S1,a@x.org\n",
     r"line 1: the header lacks column\(s\) 'section'"),
    ("submission,name,student_id,email,section,Name\n", r"line 1: column 'name' appears twice"),
    (HEADER, "no students"),
    (HEADER + "alice,A,S1,a@x.org,A\n,B,S2,b@x.org,A\n", r"line 3, column 'submission': empty"),
    (HEADER + "alice,A,S1,a@x.org,A\nbob,B,S2,b@x.org,A\nalice,C,S3,c@x.org,B\n",
     r"line 4, column 'submission': 'alice' already on line 2"),
    (HEADER + "alice,A,S1,a@x.org\n", "line 2: 4 fields, but the header has 5"),
    (HEADER + "alice,\"Doe, A\",S1,a@x.org,A,extra\n", "line 2: 6 fields, but the header has 5"),
    (HEADER + "alice,A,S1,not-an-address,A\n",
     r"line 2, column 'email': 'not-an-address' is not an email address"),
])
def test_read_roster_errors_name_line_and_column(text, match, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=match) as info:
        read_roster(path)
    assert str(path) in str(info.value)


def test_read_roster_rejects_non_utf8(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes((HEADER + "jos\xe9,Jos\xe9,S1,j@x.org,A\n").encode("latin-1"))
    with pytest.raises(ValueError, match="not UTF-8"):
        read_roster(path)


# ----------------------------------------------------------------------------- results.json


def test_load_results_round_trip(small, tmp_path):
    (tmp_path / "results.json").write_text(json.dumps(small), encoding="utf-8")
    assert load_results(tmp_path).to_json() == small
    assert load_results(tmp_path / "results.json").to_json() == small


def test_load_results_absent(tmp_path):
    with pytest.raises(FileNotFoundError, match="results.json not found"):
        load_results(tmp_path)


def test_load_results_not_json(tmp_path):
    (tmp_path / "results.json").write_text('{"questions": {}\n,,', encoding="utf-8")
    with pytest.raises(ReportError, match=r"not valid JSON \(line 2, column 2\)"):
        load_results(tmp_path)


@pytest.mark.parametrize(("edit", "match"), [
    (lambda r: r.pop("questions"), "'questions' must be an object"),
    (lambda r: r.update(submissions={}), "'submissions' must be a list"),
    (lambda r: r["submissions"][1].update(score="90"), r"submissions\[1\]\.score must be a number"),
    (lambda r: r["submissions"][2].pop("status"), r"submissions\[2\]\.status"),
    (lambda r: r["questions"]["relu"].pop("possible"), r"questions\.relu\.possible"),
    (lambda r: r["submissions"][0].update(events="oops"), r"submissions\[0\]\.events"),
])
def test_load_results_names_the_bad_field(edit, match, small, tmp_path):
    edit(small)
    (tmp_path / "results.json").write_text(json.dumps(small), encoding="utf-8")
    with pytest.raises(ReportError, match=match):
        load_results(tmp_path)
    with pytest.raises(ReportError, match=match):
        write_reports(ClassResults.from_json(small), tmp_path / "out")


# ----------------------------------------------------------------------------- file names


@pytest.mark.parametrize(("sub_id", "expected"), [
    ("alice", "alice"),
    ("a.b-c_d", "a.b-c_d"),
    ("bob smith", "bob_smith-"),
    ("José", "Jos_-"),
    ("../../etc/passwd", "_.._etc_passwd-"),
    ("<img src=x>", "_img_src_x_-"),
    ("CON", "CON-"),
    (".hidden", "hidden-"),
    ("...", "submission-"),
    ("x" * 200, "x" * 80 + "-"),
])
def test_safe_file_name(sub_id, expected):
    name = safe_file_name(sub_id)
    if expected.endswith("-"):
        assert name.startswith(expected) and len(name) == len(expected) + 8
    else:
        assert name == expected
    assert all(ch.isascii() and (ch.isalnum() or ch in "._-") for ch in name)
    assert not name.startswith(".")


def test_safe_file_names_differ_for_different_ids():
    ids = ["a b", "a_b", "a/b", "a\\b", "A b"]
    assert len({safe_file_name(i).casefold() for i in ids}) == len(ids)
