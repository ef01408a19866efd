"""`hw3 grade PATH... --json FILE`: the contract's JSON, one entry per submission, and a cache
that lets a second run (or an interrupted one) reuse what is done."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile

import pytest
from support import SOLUTION, TEMPLATE

from hw3.cases import QUESTIONS

pytestmark = pytest.mark.slow


def _grade(args, cache):
    env = {"XDG_CACHE_HOME": str(cache), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "hw3.cli", "grade", *map(str, args)],
                          capture_output=True, text=True, timeout=600, env=env)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    subs = tmp / "subs"
    (subs / "section-b").mkdir(parents=True)
    shutil.copy(SOLUTION, subs / "alice.ipynb")
    shutil.copy(TEMPLATE, subs / "section-b" / "bob.ipynb")
    with zipfile.ZipFile(subs / "carol.zip", "w") as zf:
        zf.write(SOLUTION, "hw3.ipynb")
    (subs / "notes.txt").write_text("not a submission: folders are searched for notebooks only")
    odd = tmp / "dan's homework (final).ipynb"
    shutil.copy(SOLUTION, odd)
    cache = tmp / "cache"
    first = _grade([subs, odd, "--json", tmp / "grades.json", "--out", tmp / "out"], cache)
    first_json = json.loads((tmp / "grades.json").read_text())
    second = _grade([subs, odd, "--json", tmp / "again.json"], cache)
    return {"tmp": tmp, "first": first, "json": first_json, "second": second,
            "again": json.loads((tmp / "again.json").read_text())}


def test_the_json_follows_the_contract(graded):
    assert graded["first"].returncode == 0, graded["first"].stderr[-2000:]
    data = graded["json"]
    assert data["assignment"] == "hw3"
    by_id = {s["id"]: s for s in data["submissions"]}
    assert set(by_id) == {"alice", "bob", "carol", "dan's homework (final)"}
    for entry in data["submissions"]:
        assert {"path", "status", "message", "score", "possible", "questions"} <= set(entry)
        assert set(entry["questions"]) == set(QUESTIONS)
        assert entry["possible"] == 100.0
        assert entry["score"] == sum(q["score"] for q in entry["questions"].values())
    assert by_id["alice"]["score"] == by_id["carol"]["score"] == 100.0
    assert by_id["bob"]["score"] == 0.0
    assert all(e["status"] == "graded" for e in data["submissions"])


def test_a_progress_bar_is_shown(graded):
    assert "grading" in graded["first"].stderr and "4/4" in graded["first"].stderr


def test_out_writes_results_and_reports(graded):
    out = graded["tmp"] / "out"
    assert json.loads((out / "results.json").read_text())["submissions"]
    assert (out / "grades.csv").is_file() and (out / "report.html").is_file()
    assert len(list((out / "feedback").glob("*.html"))) == 4


def test_a_second_run_reuses_cached_results(graded):
    assert graded["second"].returncode == 0
    again = graded["again"]["submissions"]
    assert all(e.get("cached") for e in again)
    # Identical files share one cache entry, and with it the time their grading took.
    strip = lambda e: {k: v for k, v in e.items() if k not in ("cached", "seconds")}  # noqa: E731
    assert [strip(e) for e in again] == [strip(e) for e in graded["json"]["submissions"]]


def test_missing_paths_are_reported_without_a_traceback(tmp_path):
    proc = _grade([tmp_path / "nope.ipynb", "--json", tmp_path / "g.json"], tmp_path)
    assert proc.returncode == 2 and "no such file" in proc.stderr
    assert "Traceback" not in proc.stderr
