"""Text and numbers a student or a forged file chose, on their way to the instructor's tools
(issue 18, item 7): results numbers bounded and finite when read, UTF-8 everywhere with lone
surrogates replaced, and no control character from a file name on the terminal, even where
stdout is strict UTF-8."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hw3.cli import main
from hw3.grading.grade import Options, grade_paths

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict:
    """A class of unreadable files (nothing to run: no sandbox needed)."""
    subs = tmp_path_factory.mktemp("subs")
    (subs / "alice.ipynb").write_text("My answers are in the PDF\n")
    return grade_paths([subs], Options(cache_dir=None)).to_json()


@pytest.mark.parametrize("number", ["1e400", "-1e400", "Infinity", "-Infinity", "NaN",
                                    "1" * 5000, "1" * 400, "1e13"])
def test_a_results_number_out_of_bounds_gets_one_sentence_from_hw3_report(
        tmp_path, results, number, capsys):
    text = json.dumps(results).replace('"score": 0.0', f'"score": {number}', 1)
    assert number in text
    (tmp_path / "results.json").write_text(text)
    assert main(["report", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("hw3 report: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert not (tmp_path / "grades.csv").exists()


def test_hw3_report_writes_utf8_pages_from_results_holding_lone_surrogates(tmp_path, results):
    forged = json.loads(json.dumps(results))
    entry = forged["submissions"][0]
    entry["id"], entry["path"] = "al\udcffice", "subs/al\udcffice.ipynb"
    entry["message"] = "Your notebook \ud800 could not be read."
    entry["cases"][0]["message"] = "\udfff"
    (tmp_path / "results.json").write_text(json.dumps(forged))
    assert main(["report", str(tmp_path)]) == 0
    for path in [tmp_path / "grades.csv", tmp_path / "report.html",
                 *(tmp_path / "feedback").glob("*.html")]:
        text = path.read_bytes().decode("utf-8")  # strict: raises on anything but UTF-8
        assert "\ufffd" in text or path.name == "report.html"


def test_hw3_grade_prints_its_summary_with_file_names_escaped_on_a_strict_utf8_stdout(
        tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "alice.ipynb").write_text("no notebook\n")
    # A name that clears the terminal line and writes a fake summary, and one not UTF-8.
    (subs / "x\x1b[2K\r100 submissions, 100 graded.ipynb").write_text("no\n")
    (subs / os.fsdecode(b"bad\xffname.ipynb")).write_text("no\n")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict", "LC_ALL": "C.UTF-8",
           "PYTHONUTF8": "0"}
    proc = subprocess.run([sys.executable, "-m", "hw3.cli", "grade", str(subs), "--json",
                           str(tmp_path / "out.json"), "--quiet"], capture_output=True,
                          env=env, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")[-2000:]
    out = proc.stdout.decode("utf-8")
    assert "\x1b" not in out and "\r" not in out
    assert "3 submissions, 0 graded" in out
    assert "\\x1b[2K\\x0d100 submissions" in out and "bad\ufffdname" in out
    written = json.loads((tmp_path / "out.json").read_text())
    assert "bad\ufffdname" in {s["id"] for s in written["submissions"]}
