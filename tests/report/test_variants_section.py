"""The report's Variants section and the student's numbers on a feedback page."""

from __future__ import annotations

import html

import pytest

from hw3.cases.variants import Config
from hw3.grading.identity import resolve
from hw3.grading.results import ClassResults
from hw3.report import write_reports
from tests.report._report_sample import make_results


@pytest.mark.slow  # over 5 s here (--durations)
def test_the_report_lists_mismatches_and_answers_right_for_a_named_classmate(
        tmp_path, roster_path, monkeypatch):
    import hw3.grading.identity as identity

    config = Config(enabled=True, salt="report-test")
    monkeypatch.setattr(identity, "params", lambda sid: __import__(
        "hw3.cases.variants", fromlist=["params"]).params(sid, config))
    results = make_results(4, odd=False)
    alice, bob = results["submissions"][0], results["submissions"][1]
    alice["variant"] = {**resolve("S1000", "S1000").to_json(), "right_for_others": []}
    bob["variant"] = {**resolve("S1002", "S1001").to_json(),
                      "right_for_others": [{"student_id": "S1002", "questions": ["q4_4"]}]}
    write_reports(ClassResults.from_json(results), tmp_path, roster_path)
    page = html.unescape((tmp_path / "report.html").read_text())
    assert 'id="variants"' in page and "Id mismatches" in page
    section = page.split('id="variants"', 1)[1]
    assert "S1001" in section and "S1002" in section and "Carol, Test" in section
    assert "mean score per group" in section or "Mean" in section
    feedback = html.unescape((tmp_path / "feedback" / "alice.html").read_text())
    sizes = identity.params("S1000")["q4_4"]["sizes"]
    assert f"sizes = {sizes}" in feedback
    assert "graded with the numbers of" in html.unescape(
        (tmp_path / "feedback" / "bob.html").read_text())


@pytest.mark.slow  # over 5 s here (--durations)
def test_results_without_variants_have_no_variants_section(tmp_path):
    write_reports(ClassResults.from_json(make_results(3, odd=False)), tmp_path)
    assert 'id="variants"' not in (tmp_path / "report.html").read_text()
