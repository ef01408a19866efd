"""Open the report and a feedback page in a real headless Chromium.

Needs Debian's ``chromium`` (``apt-get install -y chromium``) and Playwright for Python; the
browser Playwright would download is never used (the network is closed), so the test skips
when /usr/bin/chromium is absent. Screenshots go to ``test-artifacts/`` at the repository root.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hw3.grading.results import ClassResults
from hw3.report import write_reports
from tests._support import headless_chromium
from tests.report._report_sample import make_results

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def browser():
    yield from headless_chromium()


@pytest.fixture(scope="module")
def reports(tmp_path_factory, roster_path) -> Path:
    out = tmp_path_factory.mktemp("browser")
    write_reports(ClassResults.from_json(make_results(40)), out, roster=roster_path)
    return out


def _open(browser, path: Path, shot: str, width: int = 1200):
    # Scripts off: the pages must not need any (and an injected one must not run anyway).
    context = browser.new_context(java_script_enabled=False,
                                  viewport={"width": width, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri(), wait_until="load")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
    return context, page, problems, requests


def _images_loaded(page) -> list[dict]:
    return page.evaluate(
        "() => Array.from(document.images, i => "
        "({alt: i.alt, complete: i.complete, w: i.naturalWidth, h: i.naturalHeight}))"
    )


def test_report_page_renders(browser, reports):
    context, page, problems, requests = _open(browser, reports / "report.html", "report.png")
    try:
        assert page.title() == "HW3 grading report"
        assert page.locator("h1").inner_text() == "HW3 grading report"
        for anchor in ("attention", "scores", "questions", "items", "failures", "roster"):
            assert page.locator(f"#{anchor}").is_visible(), anchor
        images = _images_loaded(page)
        assert len(images) == 3  # histogram, questions, item analysis
        for img in images:
            assert img["complete"] and img["w"] > 0 and img["h"] > 0, img
        assert problems == []
        # Only the page itself was fetched: images are data: URLs, nothing else is loaded.
        assert all(u.startswith(("file:", "data:")) for u in requests), requests
        # The hostile id and message show as text, and did nothing.
        body = page.locator("body").inner_text()
        assert "<script>document.title='pwned'</script>" in body
        assert "<img src=x onerror=alert(1)>" in body
        # Tables are readable: the page is no wider than the window.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 1200
    finally:
        context.close()


def test_report_page_narrow_window(browser, reports):
    context, page, problems, _ = _open(browser, reports / "report.html", "report-narrow.png",
                                       width=700)
    try:
        assert problems == []
        assert all(i["w"] > 0 for i in _images_loaded(page))
        # Wide tables scroll inside their box; the page itself never scrolls sideways.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 700
    finally:
        context.close()


def test_feedback_page_renders(browser, reports):
    path = next((reports / "feedback").glob("_img_src*.html"))  # the hostile id's page
    context, page, problems, requests = _open(browser, path, "feedback.png")
    try:
        assert page.title() == "HW3 feedback: <img src=x onerror=alert(1)>"
        assert page.locator("h1").inner_text() == "HW3 feedback"
        assert "<script>document.title='pwned'</script>" in page.locator("body").inner_text()
        assert page.locator("script").count() == 0
        assert page.locator("img").count() == 0
        assert page.locator("table").count() == 15  # the summary and one per question
        assert problems == []
        assert all(u.startswith("file:") for u in requests), requests
    finally:
        context.close()


def test_feedback_page_of_invalid_submission(browser, reports):
    context, page, problems, _ = _open(browser, reports / "feedback" / "mystery.html",
                                       "feedback-invalid.png")
    try:
        assert "could not be graded" in page.locator(".note").inner_text()
        assert problems == []
    finally:
        context.close()
