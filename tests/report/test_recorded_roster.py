"""No run drops an instructor's LMS files unasked: `hw3 report DIR` after a `--roster` run
uses the roster that run kept, and says so; files it cannot update are kept and named."""

from __future__ import annotations

import csv
import json
import shutil

import pytest

from hw3.cli import main
from hw3.grading.results import ClassResults
from hw3.report import write_reports
from hw3.report.recorded_roster import LMS_FILES, ROSTER_COPY

pytestmark = pytest.mark.slow  # every test over 5 s here (--durations)


@pytest.fixture
def folder(fixtures, tmp_path):
    """A report folder made by a --roster run, the roster since moved away."""
    results = json.loads((fixtures / "results_small.json").read_text(encoding="utf-8"))
    out = tmp_path / "report"
    roster = tmp_path / "roster.csv"
    shutil.copy(fixtures / "roster_small.csv", roster)
    write_reports(ClassResults.from_json(results), out, roster=roster)
    (out / "results.json").write_text(json.dumps(results), encoding="utf-8")
    roster.unlink()
    return out


def _canvas_scores(path) -> dict[str, str]:
    with path.open(encoding="utf-8", newline="") as f:
        return {r["SIS User ID"]: r["HW3"] for r in csv.DictReader(f) if r["SIS User ID"]}


def test_report_without_roster_reuses_the_recorded_roster(folder, capsys):
    assert (folder / ROSTER_COPY).is_file()
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    results["submissions"][0]["score"] -= 1  # a regrade (or a mark) changes a total
    (folder / "results.json").write_text(json.dumps(results), encoding="utf-8")
    before = _canvas_scores(folder / "canvas.csv")
    assert main(["report", str(folder)]) == 0
    out, err = capsys.readouterr()
    for name in LMS_FILES:
        assert (folder / name).is_file() and str(folder / name) in out
    assert f"using the roster of the earlier --roster run ({folder / ROSTER_COPY})" in err
    assert "for the LMS files" in err
    after = _canvas_scores(folder / "canvas.csv")
    assert after != before and after.keys() == before.keys()


def test_lms_files_without_a_recorded_roster_are_kept_and_named(folder, capsys):
    (folder / ROSTER_COPY).unlink()  # a folder written before hw3 kept the roster
    before = {n: (folder / n).read_bytes() for n in LMS_FILES}
    assert main(["report", str(folder)]) == 0
    _, err = capsys.readouterr()
    assert {n: (folder / n).read_bytes() for n in LMS_FILES} == before
    assert ("kept canvas.csv, gradescope.csv, unmatched.csv from an earlier --roster run "
            "unchanged: they do NOT include this run's grades") in err


def test_a_new_roster_replaces_the_recorded_one(folder, fixtures, tmp_path, capsys):
    other = tmp_path / "other.csv"
    shutil.copy(fixtures / "roster_small.csv", other)
    with other.open("a", encoding="utf-8") as f:
        f.write("nobody,Nobody Here,s999,nobody@example.edu,\n")
    assert main(["report", str(folder), "--roster", str(other)]) == 0
    _, err = capsys.readouterr()
    assert "earlier" not in err
    assert (folder / ROSTER_COPY).read_bytes() == other.read_bytes()
