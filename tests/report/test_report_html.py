"""report.html and the feedback pages: escaping, self-containment, statistics, edge cases."""

from __future__ import annotations

import base64
import copy
import json
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from hw3 import report
from hw3.grading.results import ClassResults
from hw3.report import safe_file_name, write_reports
from hw3.report.model import report_data
from hw3.report.stats import attention, case_stats
from hw3.report.text import disp
from tests.report._report_sample import BAD_CASE, make_results, make_submission, with_submissions

HOSTILE_ID = "<img src=x onerror=alert(1)>"
HOSTILE_MSG = "printed <script>document.title='pwned'</script> & \"quotes\""


class _Tags(HTMLParser):
    """Collects tags with their attributes, and the text outside <style>."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if not self._in_style:
            self.text.append(data)


def _parse(path: Path) -> _Tags:
    parser = _Tags()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _text(path: Path) -> str:
    return " ".join(_parse(path).text)


@pytest.fixture(scope="module")
def sample(tmp_path_factory, roster_path):
    out = tmp_path_factory.mktemp("sample")
    results = make_results(40)
    write_reports(ClassResults.from_json(results), out, roster=roster_path)
    return results, out


def _pages(out: Path) -> list[Path]:
    return [out / "report.html", *sorted((out / "feedback").glob("*.html"))]


# ----------------------------------------------------------------------------- safety


def test_no_script_and_hostile_text_is_escaped(sample):
    results, out = sample
    for page in _pages(out):
        raw = page.read_text(encoding="utf-8")
        tags = {t for t, _ in _parse(page).tags}
        assert "script" not in tags, page.name
        assert "<script" not in raw.lower(), page.name
        assert "Content-Security-Policy" in raw and "default-src 'none'" in raw
        # The hostile id must never become a real <img> or attribute.
        assert not any(a.get("onerror") for _, a in _parse(page).tags), page.name
    hostile_page = out / "feedback" / f"{safe_file_name(HOSTILE_ID)}.html"
    raw = hostile_page.read_text(encoding="utf-8")
    escaped = ("&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt; "
               "&amp; &quot;quotes&quot;")
    assert escaped in raw
    assert HOSTILE_MSG in _text(hostile_page)
    assert HOSTILE_ID in _text(hostile_page)
    assert HOSTILE_MSG in _text(out / "report.html")  # in the failure messages


def test_pages_are_self_contained(sample):
    _, out = sample
    for page in _pages(out):
        for tag, attrs in _parse(page).tags:
            for key in ("src", "href"):
                value = attrs.get(key)
                if value is None:
                    continue
                if tag == "img":
                    assert value.startswith("data:image/png;base64,"), value[:40]
                    png = base64.b64decode(value.split(",", 1)[1], validate=True)
                    assert png.startswith(b"\x89PNG\r\n\x1a\n")
                else:  # links stay in the page or go to a sibling feedback page
                    assert value.startswith("#") or (
                        page.name == "report.html" and re.fullmatch(r"feedback/[\w.-]+\.html",
                                                                    value)), value
            assert tag not in ("link", "iframe", "object", "embed", "base", "form")
        raw = page.read_text(encoding="utf-8")
        assert not re.search(r"https?://|//[a-z]", re.sub(r"data:image/png;base64,[^\"]+", "",
                                                          raw)), page.name


def test_feedback_links_exist(sample):
    _, out = sample
    for _, attrs in _parse(out / "report.html").tags:
        href = attrs.get("href") or ""
        if href.startswith("feedback/"):
            assert (out / href).is_file(), href


def test_feedback_hidden_cases_show_description_result_and_message_only(sample):
    results, out = sample
    sub = results["submissions"][1]
    page = out / "feedback" / f"{sub['id']}.html"
    text = _text(page)
    for case in sub["cases"]:
        assert case["description"] in text
        if case["message"]:
            assert case["message"] in text  # hidden ones too, exactly as given
        if case["hidden"]:
            assert case["id"] not in text, case["id"]
        else:
            assert case["id"] in text
    assert sub["isolation"] not in text  # grader internals stay out of students' pages
    # Passed/failed per case, in the cases' order.
    results_text = re.findall(r'class="(ok|bad)">(passed|failed)<',
                              page.read_text(encoding="utf-8"))
    assert [w for _, w in results_text] == ["passed" if c["passed"] else "failed"
                                            for c in sub["cases"]]


def test_feedback_shows_grader_notes_and_invalid_reason(sample):
    results, out = sample
    alice = _text(out / "feedback" / "alice.html")
    assert "Cell 7 ran longer than 30 s and was stopped" in alice
    mystery = _text(out / "feedback" / "mystery.html")
    assert "could not be graded" in mystery and "JSON error at line 1" in mystery


# ----------------------------------------------------------------------------- content


def test_report_header_and_sections(sample):
    results, out = sample
    text = _text(out / "report.html")
    graded = [s["score"] for s in results["submissions"] if s["status"] == "graded"]
    assert "HW3 grading report" in text
    assert "2026-11-26 10:00 UTC" in text
    assert f"{len(results['submissions'])} submissions" in text
    assert disp(float(np.mean(graded))) in text
    assert disp(float(np.median(graded))) in text
    assert "point-biserial" in text
    assert len([t for t, _ in _parse(out / "report.html").tags if t == "img"]) == 3


def test_attention_lists_every_reason(sample):
    results, out = sample
    data = report_data(ClassResults.from_json(results))
    items = dict((s.id, reasons) for s, reasons in attention(data))
    assert set(items) == {"mystery", "alice", "carol"}
    assert items["mystery"] == ["status invalid: not a notebook: JSON error at line 1, column 1"]
    assert any(r.startswith("cell_timeout (cell 7)") for r in items["alice"])
    assert any("sandbox (cell 3)" in r for r in items["carol"])
    assert any("isolation 'none', weaker than bubblewrap" in r for r in items["carol"])
    text = _text(out / "report.html")
    assert "3 submissions:" in text


def test_item_analysis_matches_numpy():
    results = make_results(200, seed=11, odd=False)
    data = report_data(ClassResults.from_json(results))
    stats = {c.case.id: c for c in case_stats(data)}
    for cid, c in stats.items():
        passed = np.array([next(x["passed"] for x in s["cases"] if x["id"] == cid)
                           for s in results["submissions"]], dtype=float)
        case_score = np.array([next(x["score"] for x in s["cases"] if x["id"] == cid)
                               for s in results["submissions"]])
        rest = np.array([s["score"] for s in results["submissions"]]) - case_score
        assert c.passing == pytest.approx(passed.mean())
        if passed.std() == 0:
            assert c.discrimination is None
        else:
            assert c.discrimination == pytest.approx(np.corrcoef(passed, rest)[0, 1])
    assert stats[BAD_CASE].discrimination < 0  # the planted bad item is found
    assert stats["sigmoid.values"].discrimination is None  # everyone passes
    good = [c.discrimination for k, c in stats.items() if k != BAD_CASE and c.discrimination]
    assert np.median(good) > 0.3


def test_failure_messages_are_counted(sample):
    results, _ = sample
    data = report_data(ClassResults.from_json(results))
    stats = {c.case.id: c for c in case_stats(data)}
    expected: Counter[str] = Counter()
    for s in results["submissions"]:
        if s["status"] != "graded":
            continue
        for c in s["cases"]:
            if c["id"] == "train.accuracy" and not c["passed"]:
                expected[c["message"]] += 1
    assert stats["train.accuracy"].failures == expected


# ----------------------------------------------------------------------------- edge cases


def _edge_results(kind: str) -> dict:
    import random

    base = make_results(3, odd=False)
    rng = random.Random(0)
    all_pass = {c["id"]: True for q in base["questions"].values() for c in q["cases"]}
    if kind == "none":
        return with_submissions(base, [])
    if kind == "one":
        return with_submissions(base, base["submissions"][:1])
    if kind == "equal":
        return with_submissions(base, [make_submission(f"s{i}", all_pass, rng=rng)
                                       for i in range(5)])
    if kind == "all_zero":
        return with_submissions(base, [make_submission(f"s{i}", {}, rng=rng) for i in range(4)])
    if kind == "only_invalid":
        return with_submissions(base, [make_submission("x", {}, rng=rng, status="invalid",
                                                       message="empty file")])
    if kind == "zero_possible":
        out = copy.deepcopy(base)
        out["questions"]["q3_1"] = {"possible": 0.0, "cases": []}
        for s in out["submissions"]:
            s["score"] -= s["questions"]["q3_1"]["score"]
            s["possible"] -= 6.0
            s["questions"]["q3_1"] = {"score": 0.0, "possible": 0.0}
            s["cases"] = [c for c in s["cases"] if c["question"] != "q3_1"]
        return out
    if kind == "no_questions":
        out = with_submissions(base, [])
        out["questions"] = {}
        return out
    raise AssertionError(kind)


EDGE_KINDS = ["none", "one", "equal", "all_zero", "only_invalid", "zero_possible",
              "no_questions"]


@pytest.mark.parametrize("kind", EDGE_KINDS)
def test_edge_cases_render_without_nan(kind, tmp_path):
    results = _edge_results(kind)
    write_reports(ClassResults.from_json(results), tmp_path)
    page = tmp_path / "report.html"
    text = _text(page)
    assert not re.search(r"\b(nan|NaN|inf|None)\b", text), kind
    assert "HW3 grading report" in text
    for tag, attrs in _parse(page).tags:
        if tag == "img":
            assert len(attrs["src"]) > 1000  # a real picture, not an empty figure
    assert len(list((tmp_path / "feedback").glob("*.html"))) == len(results["submissions"])
    for fb in (tmp_path / "feedback").glob("*.html"):
        assert not re.search(r"\b(nan|NaN|inf|None)\b", _text(fb)), fb.name


@pytest.mark.slow  # over 5 s here (--durations)
def test_edge_case_details(tmp_path):
    write_reports(ClassResults.from_json(_edge_results("none")), tmp_path / "none")
    assert "No graded submission" in _text(tmp_path / "none" / "report.html")
    assert (tmp_path / "none" / "grades.csv").read_text(encoding="utf-8").count("\n") == 1

    write_reports(ClassResults.from_json(_edge_results("equal")), tmp_path / "equal")
    text = _text(tmp_path / "equal" / "report.html")
    assert "everyone passes" in text and "Nothing to look at" in text

    write_reports(ClassResults.from_json(_edge_results("zero_possible")), tmp_path / "zp")
    row = re.search(r"<code>q3_1</code></td>(.*?)</tr>",
                    (tmp_path / "zp" / "report.html").read_text(encoding="utf-8"))
    assert row and row.group(1).count("—") == 3  # mean %, full marks, zero: undefined

    import random

    rng = random.Random(0)
    two = with_submissions(_edge_results("none"), [
        make_submission("a", {"relu.zero": True}, rng=rng), make_submission("b", {}, rng=rng)])
    write_reports(ClassResults.from_json(two), tmp_path / "two")
    assert "too few submissions (under 3)" in _text(tmp_path / "two" / "report.html")


@pytest.mark.slow  # over 5 s here (--durations)
def test_report_rebuilds_from_results_json(tmp_path, fixtures):
    # What `hw3 report DIR` does: load results.json and write again; same bytes.
    results = json.loads((fixtures / "results_small.json").read_text(encoding="utf-8"))
    write_reports(ClassResults.from_json(results), tmp_path)
    first = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    (tmp_path / "results.json").write_text(json.dumps(results), encoding="utf-8")
    write_reports(report.load_results(tmp_path), tmp_path)
    for p, content in first.items():
        assert p.read_bytes() == content, p.name
