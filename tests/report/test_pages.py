"""The pages' templates escape every value the results carry, not only ids and messages: each
string field of a results file, made hostile, stays text."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from markupsafe import Markup

from hw3.grading.results import ClassResults, ResultsError
from hw3.report import write_reports
from hw3.report.pages import _env, _escape
from tests.report._report_sample import make_results

EVIL = '<evil x="1">\'&'


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs.update(name for name, _ in attrs)


def test_every_string_field_is_escaped(tmp_path):
    results = make_results(6)
    results.update(assignment=EVIL, autograder=EVIL, generated=EVIL)
    for q in results["questions"].values():
        for c in q["cases"]:
            c["description"] = EVIL
    for s in results["submissions"]:
        # status is a closed vocabulary now: a hostile one never reaches a page (below).
        s.update(path=EVIL, isolation=EVIL, message=EVIL)
        s["events"].append({"kind": EVIL, "cell": EVIL, "message": EVIL})
        for c in s["cases"]:
            c.update(description=EVIL, message=EVIL)
    write_reports(ClassResults.from_json(results), tmp_path)
    pages = [tmp_path / "report.html", *(tmp_path / "feedback").glob("*.html")]
    assert len(pages) == 1 + len(results["submissions"])
    for page in pages:
        raw = page.read_text(encoding="utf-8")
        parser = _Tags()
        parser.feed(raw)
        assert "evil" not in parser.tags and "x" not in parser.attrs, page.name
        assert "&lt;evil x=&quot;1&quot;&gt;&#x27;&amp;" in raw, page.name


def test_a_status_outside_the_vocabulary_is_refused_in_one_sentence():
    results = make_results(2)
    results["submissions"][0]["status"] += EVIL
    with pytest.raises(ResultsError, match=r"submissions\[0\]\.status must be one of") as err:
        ClassResults.from_json(results)
    assert "\n" not in str(err.value)


def test_the_environment_escapes_and_keeps_safe_markup_as_it_is():
    assert _env.autoescape is True
    assert _escape(EVIL) == "&lt;evil x=&quot;1&quot;&gt;&#x27;&amp;"
    fragment = Markup("<b>made safe elsewhere</b>")
    assert _escape(fragment) is fragment
    assert _env.from_string("{{ v }}").render(v=EVIL) == _escape(EVIL)
