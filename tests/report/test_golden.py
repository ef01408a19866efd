"""Golden files of every product made from results: the report page, feedback pages, grades.csv,
the LMS files and Gradescope's results.json, from the fixed sample class of _report_sample.

They were made by the code before the report was split into modules and templates: a change of
the products shows here as a diff. Refresh with ``pytest tests/report --update-golden`` and
review the diff. Volatile parts (the plots' PNG bytes, which depend on matplotlib's version) are
replaced by a placeholder here, in the test, never in the product.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from hw3.grading.gradescope import Isolation, gradescope_results
from hw3.grading.results import ClassResults
from hw3.report import safe_file_name, write_reports
from tests.report._report_sample import make_results

_PNG = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]+")


def _stable(text: str) -> str:
    return _PNG.sub("data:image/png;base64,PNG", text)


@pytest.fixture(scope="module")
def sample() -> dict:
    return make_results(24)


@pytest.fixture(scope="module")
def written(sample, roster_path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("golden")
    write_reports(ClassResults.from_json(sample), out, roster=roster_path)
    return out


def test_report_page(written, golden):
    golden.check("report.html", _stable((written / "report.html").read_text(encoding="utf-8")))


@pytest.mark.parametrize("sub_id", ["alice", "<img src=x onerror=alert(1)>", "José Ruiz",
                                    "mystery"])
def test_feedback_page(sub_id, written, golden):
    page = written / "feedback" / f"{safe_file_name(sub_id)}.html"
    golden.check(f"feedback-{safe_file_name(sub_id)}.html",
                 _stable(page.read_text(encoding="utf-8")))


@pytest.mark.parametrize("name", ["grades.csv", "canvas.csv", "gradescope.csv", "unmatched.csv"])
def test_lms_files(name, written, golden):
    golden.check(name, (written / name).read_text(encoding="utf-8"))


ISOLATIONS = {
    "bubblewrap": Isolation("bubblewrap", "bubblewrap could make namespaces"),
    "unprivileged": Isolation("unprivileged-user", "no namespaces; ran as uid 65534"),
    "refused": Isolation(None, "no safe sandbox"),
}


@pytest.mark.parametrize("sub_id", ["alice", "mystery"])
@pytest.mark.parametrize("isolation", sorted(ISOLATIONS))
def test_gradescope_results(sub_id, isolation, sample, golden):
    entry = next(s for s in sample["submissions"] if s["id"] == sub_id)
    out = gradescope_results(entry, sample["questions"], {}, ISOLATIONS[isolation], 12.4)
    golden.check(f"gradescope-{sub_id}-{isolation}.json", json.dumps(out, indent=1) + "\n")


@pytest.mark.parametrize("config", [{}, {"show_hidden": True, "show_stdout": True},
                                    {"points_possible": 50}, {"score_threshold": 0.5},
                                    {"show_all_public": True, "force_public_test_summary": False,
                                     "show_hidden": True}])
def test_gradescope_config(config, sample, golden):
    entry = next(s for s in sample["submissions"] if s["id"] == "bob")
    out = gradescope_results(entry, sample["questions"], config)
    name = "-".join(f"{k}={v}" for k, v in sorted(config.items())) or "defaults"
    golden.check(f"gradescope-config-{name}.json", json.dumps(out, indent=1) + "\n")


def test_gradescope_no_upload(sample, golden):
    out = gradescope_results(None, sample["questions"], {})
    golden.check("gradescope-no-upload.json", json.dumps(out, indent=1) + "\n")


def test_hand_graded(sample, tmp_path, golden):
    """With hand-graded questions, some marked: the provisional banner, the manual sections and
    columns."""
    from hw3.marking.store import Mark

    results = json.loads(json.dumps(sample))
    results["manual"] = {"q3_5_explain": {"possible": 3.0, "prompt": "Explain **why** <b>."},
                         "q4_6_explain": {"possible": 2.0, "prompt": "Which adds more?"}}
    for s in results["submissions"]:
        if s["status"] == "graded":
            s["explanations"] = {"q3_5_explain": {"text": f"Because $z$ <i>{s['id']}</i>",
                                                  "found": True, "answered": True,
                                                  "truncated": False}}
    marks = {"alice": {"q3_5_explain": Mark(2.5, [("names the property", 2.5)], "good <b>"),
                       "q4_6_explain": Mark(1.0)},
             "bob": {"q3_5_explain": Mark(0.0, [], "")}}
    write_reports(ClassResults.from_json(results), tmp_path, marks=marks)
    golden.check("manual-report.html",
                 _stable((tmp_path / "report.html").read_text(encoding="utf-8")))
    golden.check("manual-feedback-alice.html",
                 (tmp_path / "feedback" / "alice.html").read_text(encoding="utf-8"))
    golden.check("manual-grades.csv", (tmp_path / "grades.csv").read_text(encoding="utf-8"))
    # The total at the top includes the marks, and the page says so, not "separately".
    alice = (tmp_path / "feedback" / "alice.html").read_text(encoding="utf-8")
    bob = (tmp_path / "feedback" / "bob.html").read_text(encoding="utf-8")
    for page in (alice, bob):
        assert "separately" not in page and "are included in the total above" in page
    assert "not marked yet counts 0" in bob and "not marked yet counts 0" not in alice
