"""The HTML pages: report.html for the instructor and one feedback page per submission, from
the Jinja2 templates in ``templates/`` (package data), with autoescape on for every page.

Submission ids come from file names chosen by students, and messages may echo what their code
printed: the templates escape every value, and each page also carries a Content Security
Policy that forbids scripts, should an escape ever be missed. The only markup passed in as is
are the hand-graded sections, which hw3.marking renders from its own autoescaped templates
and sanitised Markdown.
"""

from __future__ import annotations

import base64
import html
import math
from typing import Any

from jinja2 import Environment, PackageLoader
from markupsafe import Markup

from hw3.grading.results import CaseResult
from hw3.report import plots, stats, variants
from hw3.report.lms import lms_file_names
from hw3.report.model import EPS, ReportData, Sub
from hw3.report.roster import Matching
from hw3.report.text import clip, disp, pct, plural, when

TOP_MESSAGES = 5  # failure messages shown per case



def _escape(value: Any) -> Any:
    """Every ``{{ value }}`` of the templates: markup made safe elsewhere (macros' output, the
    hand-graded sections) as it is; anything else escaped with the standard library's
    ``html.escape`` (quotes included), whose spelling of entities the pages have always had.
    Autoescape stays on behind it, for anything this does not see."""
    if hasattr(value, "__html__"):
        return value
    return Markup(html.escape(str(value), quote=True))


_env = Environment(loader=PackageLoader("hw3.report", "templates"), autoescape=True,
                   finalize=_escape, trim_blocks=True, lstrip_blocks=True,
                   keep_trailing_newline=True)
_env.filters.update(disp=disp, pct=pct, clip=clip, when=when, plural=plural,
                    base64=lambda data: base64.b64encode(data).decode("ascii"))
_env.globals.update(lms_file_names=lms_file_names)


def discrimination_note(c: stats.CaseStats) -> tuple[str, str]:
    """How to read a case's discrimination: (CSS class, or "" for plain text; the words)."""
    if c.n == 0:
        return "muted", "no graded submission has this case"
    if c.n < stats.MIN_DISCRIMINATION_N:
        return "muted", f"too few submissions (under {stats.MIN_DISCRIMINATION_N})"
    if c.passing is not None and c.passing >= 1 - EPS:
        return "muted", "everyone passes: does not separate students"
    if c.passing is not None and c.passing <= EPS:
        return "warn", "nobody passes: check the case and the teaching"
    if c.discrimination is None:
        return "muted", "rest scores all equal"
    if c.n < stats.MIN_RELIABLE_N:
        return "muted", f"class too small to read (n = {c.n}, under {stats.MIN_RELIABLE_N})"
    if c.discrimination < 0:
        return "bad", "negative: check the case"
    if c.discrimination < 0.1:
        return "warn", "weak"
    if c.discrimination < 0.3:
        return "", "fair"
    return "ok", "good"


def item_notes(case_stats: list[stats.CaseStats]) -> list[str]:
    """Say when the class is too small, and what non-attempts would do to the figures."""
    notes = []
    n = max((c.n for c in case_stats), default=0)
    if 0 < n < stats.MIN_RELIABLE_N:
        notes.append(f"Only {plural(n, 'attempted submission')}: too few for item analysis to mean "
                     f"much (one student moves a correlation a lot); the table shows the "
                     f"figures, but they are not read below {stats.MIN_RELIABLE_N}.")
    reading = stats.reading
    changed = [c for c in case_stats if c.with_non_attempts is not None
               and reading(c.with_non_attempts) != reading(c.discrimination)]
    blank = [c for c in case_stats if c.with_non_attempts is not None]
    if blank:
        notes.append("Submissions that passed no case (blank or not run; listed under Needs "
                     "attention) are left out of passing shares and discrimination: they "
                     "would count as the weakest student in every case."
                     + (f" Counted in, {len(changed)} case(s) would read differently, e.g. "
                        f"{changed[0].case.id}: {reading(changed[0].with_non_attempts)} "
                        f"instead of {reading(changed[0].discrimination)}." if changed else ""))
    return notes


def report_html(data: ReportData, matching: Matching | None, similarity: bool = False) -> str:
    """The instructor's page; ``similarity``: link similarity.html (written beside it)."""
    graded = data.graded
    totals = [s.score for s in graded if math.isfinite(s.score)]
    possible = data.possible
    sections = [("attention", "Needs attention"), ("scores", "Scores"),
                ("questions", "Questions"), ("items", "Test cases"),
                ("failures", "Failure messages")]
    if matching is not None:
        sections.append(("roster", "Roster"))
    sections.append(("all", "All submissions"))
    banner = section = None
    if data.manual:
        from hw3.marking.merge import report_banner, report_section

        sections.insert(3, ("manual", "Explanations"))
        banner = report_banner(data.manual) if data.manual.provisional else None
        section = report_section(data.manual, {s.id: s.file for s in data.subs})
    variants_section = variants.report_section(_env, data, matching)
    if variants_section is not None:
        sections.insert(-1, ("variants", "Variants"))
    question_stats = stats.question_stats(data)
    case_stats = stats.case_stats(data)
    return _env.get_template("report.html.j2").render(
        title=f"{data.assignment.upper()} grading report", d=data,
        facts=_facts(data, totals),
        sections=sections, banner=banner, manual_section=section,
        variants_section=variants_section,
        attention=stats.attention(data),
        histogram=plots.histogram(totals, possible) if totals else None,
        questions=question_stats,
        question_plot=plots.question_plot(question_stats) if question_stats and graded else None,
        cases=[(c, *discrimination_note(c)) for c in case_stats],
        attempted=any(c.n for c in case_stats), min_n=stats.MIN_DISCRIMINATION_N,
        item_notes=item_notes(case_stats), item_plot=plots.item_plot(case_stats),
        failures=_failures(case_stats), top=TOP_MESSAGES, m=matching,
        matched=sum(1 for _, s in matching.pairs if s is not None) if matching else 0,
        missing=matching.missing if matching else [], similarity=similarity,
    )


def _facts(data: ReportData, totals: list[float]) -> list[tuple[str, str]]:
    """The page's first lines: counts, then the auto-graded scores' summary."""
    summ = stats.summary(totals)
    graded = len(data.graded)
    return [
        (str(len(data.subs)), "submissions"),
        (str(graded), "graded"),
        (str(len(data.subs) - graded), "not graded"),
        (disp(summ.mean), f"mean / {disp(data.possible)}"),
        (disp(summ.median), "median"),
        (disp(summ.std), "std. dev."),
        (f"{disp(summ.low)}–{disp(summ.high)}" if summ.n else "—", "min–max"),
    ]


def _failures(case_stats: list[stats.CaseStats]
              ) -> list[tuple[stats.CaseStats, list[tuple[str, int]], int, int]]:
    """Each failing case's commonest messages, how many other messages, and their count."""
    failures = []
    for c in case_stats:
        if c.failures:
            common = c.failures.most_common(TOP_MESSAGES)
            rest = sum(c.failures.values()) - sum(k for _, k in common)
            failures.append((c, common, len(c.failures) - len(common), rest))
    return failures


def feedback_html(data: ReportData, s: Sub) -> str:
    by_question: dict[str, list[CaseResult]] = {}
    order = {c.id: i for i, c in enumerate(data.case_defs())}
    for c in sorted(s.cases, key=lambda c: order.get(c.id, len(order))):
        by_question.setdefault(c.question, []).append(c)
    known = [q.name for q in data.questions]
    extra = [name for name in by_question if name not in known]
    questions: list[tuple[str, float | None, float | None, list[CaseResult]]] = []
    for name in [*known, *extra]:
        q_possible = next((q.possible for q in data.questions if q.name == name), None)
        questions.append((name, s.question_score(name), q_possible, by_question.get(name, [])))
    section: Any = None
    if data.manual and s.graded:
        from hw3.marking.merge import feedback_section

        section = feedback_section(data.manual, s.id)
    notes = [str(ev.get("message") or "").strip() for ev in s.events]
    return _env.get_template("feedback.html.j2").render(
        variants_section=variants.feedback_section(_env, s),
        title=f"{data.assignment.upper()} feedback: {s.id}", assignment=data.assignment.upper(),
        d=data, s=s, notes=[n for n in notes if n], questions=questions,
        manual_section=section)
