"""Files named by Canvas', Moodle's and Blackboard's bulk downloads are matched to the roster
(hw3.report.lms_names), on sample file names of each LMS."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from hw3.grading.results import ClassResults
from hw3.report import write_reports
from hw3.report.lms_names import BLACKBOARD, CANVAS, MOODLE, LmsName, name_key, parse_lms_name


@pytest.mark.parametrize("path, who", [
    ("subs/liddellalice_40123_998877_hw3.ipynb", LmsName(CANVAS, "40123", "liddellalice")),
    ("liddellalice_LATE_40123_998878_hw3-1.ipynb",
     LmsName(CANVAS, "40123", "liddellalice", late=True)),
    ("obrienpat_40999_1000_hw3_2026_12_01T10_00_00.zip", LmsName(CANVAS, "40999", "obrienpat")),
    ("Alice Liddell_12345_assignsubmission_file_hw3.ipynb",
     LmsName(MOODLE, "12345", "Alice Liddell")),
    ("download/José Ruiz_777_assignsubmission_file_/hw3.ipynb",
     LmsName(MOODLE, "777", "José Ruiz")),
    ("Homework 3_jdoe7_attempt_2024-05-01-13-45-10_hw3.ipynb", LmsName(BLACKBOARD, "jdoe7")),
    ("HW_3 networks_a.b-c_attempt_2024-05-01-13-45-10_my notebook.ipynb",
     LmsName(BLACKBOARD, "a.b-c")),
])
def test_bulk_download_names_say_whose_they_are(path, who):
    assert parse_lms_name(path) == who


@pytest.mark.parametrize("path", ["subs/alice.ipynb", "hw3.ipynb", "bob smith.ipynb",
                                  "alice_hw3.ipynb", "Alice_12_hw3.ipynb"])
def test_other_names_are_no_lms_name(path):
    assert parse_lms_name(path) is None


def test_names_compare_without_case_accents_punctuation_or_order():
    assert name_key("Liddell, Alice") == name_key("alice  LIDDELL") == name_key("Alice Liddell")
    assert name_key("José Ruiz") == name_key("Ruiz, Jose")
    assert name_key("Alice Liddell") != name_key("Alice Liddel")


ROSTER = """submission,name,student_id,email,section
40123,"Liddell, Alice",S001,alice@example.edu,A
s002,"Ruiz, José",S002,jruiz@example.edu,A
s003,"Doe, Jane",S003,jdoe7@example.edu,B
s004,"O'Brien, Pat",S004,pat@example.edu,B
s005,"Never, Handed",S005,never@example.edu,B
"""

DOWNLOAD = [
    "canvas/liddellalice_LATE_40123_998878_hw3.ipynb",  # Canvas user id in `submission`
    "canvas/obrienpat_40999_1000_hw3.ipynb",  # no such id: matched on Canvas' lastfirst name
    "moodle/José Ruiz_777_assignsubmission_file_/hw3.ipynb",  # Moodle folder: the full name
    "blackboard/Homework 3_jdoe7_attempt_2024-05-01-13-45-10_hw3.ipynb",  # email's user
    "elsewhere/stranger.ipynb",
]


def test_a_bulk_download_is_matched_to_the_roster(fixtures, tmp_path):
    results = json.loads((fixtures / "results_small.json").read_text(encoding="utf-8"))
    template = results["submissions"][0]
    results["submissions"] = [
        {**template, "path": p, "id": Path(p).stem if "moodle" not in p else "hw3"}
        for p in DOWNLOAD]
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    write_reports(ClassResults.from_json(results), tmp_path / "out", roster=roster)
    with (tmp_path / "out" / "gradescope.csv").open(encoding="utf-8", newline="") as f:
        scores = {r["SID"]: r["Score"] for r in csv.DictReader(f)}
    score = str(template["score"]).removesuffix(".0")
    assert scores == {"S001": score, "S002": score, "S003": score, "S004": score, "S005": ""}
    with (tmp_path / "out" / "unmatched.csv").open(encoding="utf-8", newline="") as f:
        problems = {(r["problem"], r["submission"]) for r in csv.DictReader(f)}
    assert problems == {("submission not on roster", "stranger"),
                        ("no submission for roster entry", "s005")}


def test_a_name_two_students_share_is_never_guessed(fixtures, tmp_path):
    results = json.loads((fixtures / "results_small.json").read_text(encoding="utf-8"))
    template = results["submissions"][0]
    results["submissions"] = [{**template, "path": "Alice Liddell_9_assignsubmission_file_x"
                               ".ipynb", "id": "Alice Liddell_9_assignsubmission_file_x"}]
    roster = tmp_path / "roster.csv"
    roster.write_text("submission,name,student_id,email,section\n"
                      "a1,\"Liddell, Alice\",S1,a1@example.edu,\n"
                      "a2,Alice Liddell,S2,a2@example.edu,\n", encoding="utf-8")
    write_reports(ClassResults.from_json(results), tmp_path / "out", roster=roster)
    with (tmp_path / "out" / "gradescope.csv").open(encoding="utf-8", newline="") as f:
        assert {r["SID"]: r["Score"] for r in csv.DictReader(f)} == {"S1": "", "S2": ""}
