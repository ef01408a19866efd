"""Ids built from names students choose (issue 18, item 4): unique after every step that builds
them, across the whole class, with one sentence on what was renamed; marks, answers and roster
matches key on them, so a file named after a classmate's id takes nothing of theirs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hw3.grading.grade import Options, grade_paths
from hw3.grading.results import ClassResults, ResultsError, load_results
from hw3.grading.submission import unique_ids
from hw3.report import write_reports
from hw3.report.model import report_data
from hw3.report.roster import PROBLEM_AMBIGUOUS, match, read_roster


def _lms_class(root: Path, extra: dict[str, str]) -> Path:
    """A folder per student (an LMS export), each with hw3.ipynb, plus ``extra`` files."""
    for student in ("alice", "bob"):
        (root / student).mkdir(parents=True)
        (root / student / "hw3.ipynb").write_text("My answers are in the PDF\n")
    for rel, text in extra.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_a_file_named_after_a_classmates_generated_id_does_not_take_it(tmp_path):
    subs = _lms_class(tmp_path / "subs", {"mallory/alice-hw3.ipynb": "x"})
    said: list[str] = []
    results = grade_paths([subs], Options(cache_dir=None), say=said.append).to_json()
    ids = [s["id"] for s in results["submissions"]]
    assert len(ids) == len(set(ids)) == 3
    assert "alice-hw3" not in ids  # contested: neither alice nor mallory keeps it
    assert "bob-hw3" in ids
    assert len(said) == 1 and "alice-hw3" in said[0] and said[0].count(".") >= 1
    by_path = {Path(s["path"]).relative_to(subs).as_posix(): s["id"]
               for s in results["submissions"]}
    assert by_path["alice/hw3.ipynb"] != by_path["mallory/alice-hw3.ipynb"]


@pytest.mark.parametrize("names", [
    ["a/x/s.ipynb", "b/x/s.ipynb"],  # two folders of one name: the folder does not separate
    ["sec1/alice.ipynb", "sec2/alice.ipynb", "sec1-alice.ipynb"],
    ["a/s.ipynb", "b/s.ipynb", "a-s~1.ipynb", "a-s~2.ipynb"],  # the renaming's own names
    ["x/bad\udcffname.ipynb", "y/bad\ufffdname.ipynb"],  # equal once made UTF-8
])
def test_ids_are_unique_whatever_the_names(tmp_path, names):
    paths = [tmp_path / n for n in names]
    ids = unique_ids(paths)
    assert len(set(ids.ids.values())) == len(paths)
    assert all("\udcff" not in i for i in ids.ids.values())


def test_a_roster_entry_with_a_contested_id_is_never_paired_with_one_of_them(tmp_path):
    subs = _lms_class(tmp_path / "subs", {"mallory/alice-hw3.ipynb": "x"})
    results = grade_paths([subs], Options(cache_dir=None)).to_json()
    roster = tmp_path / "roster.csv"
    roster.write_text("submission,name,student_id,email,section\n"
                      "alice-hw3,Alice,1,a@x.org,\nbob-hw3,Bob,2,b@x.org,\n")
    m = match(report_data(ClassResults.from_json(results)).subs, read_roster(roster))
    pairs = {e.submission: s for e, s in m.pairs}
    assert pairs["alice-hw3"] is None and pairs["bob-hw3"] is not None
    assert len(m.ambiguous["alice-hw3"]) == 2
    out = tmp_path / "out"
    write_reports(ClassResults.from_json(results), out, roster)
    unmatched = (out / "unmatched.csv").read_text()
    assert PROBLEM_AMBIGUOUS in unmatched


def test_a_results_file_with_two_entries_of_one_id_gets_one_sentence(tmp_path):
    subs = _lms_class(tmp_path / "subs", {})
    results = grade_paths([subs], Options(cache_dir=None)).to_json()
    results["submissions"][1]["id"] = results["submissions"][0]["id"]
    with pytest.raises(ResultsError, match="ids must be unique"):
        ClassResults.from_json(results)
    (tmp_path / "results.json").write_text(json.dumps(results))
    with pytest.raises(ResultsError, match=r"submissions\[1\] has the id"):
        load_results(tmp_path)
