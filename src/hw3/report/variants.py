"""The report's section on per-student variants, and the student's numbers on a feedback page.

From each result's ``variant`` (``hw3.grading.identity``): each varied question's mean score
per group of variants (are some variants harder?), the submissions whose notebook declares
another id than the roster's or Gradescope's, and those whose answers are right for another
student's variant (``hw3.grading.copying``), with that student's name where the roster has it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from hw3.report.model import ReportData, Sub

VARIED = ("q4_4", "q4_5", "q4_6")


def _variant(s: Sub) -> dict[str, Any]:
    v = s.result.variant
    return v if isinstance(v, dict) else {}


def group_means(data: ReportData) -> list[dict[str, Any]]:
    """Rows (question, group, n, mean, possible), for graded submissions that have a variant."""
    scores: dict[tuple[str, str], list[float]] = defaultdict(list)
    for s in data.graded:
        groups = _variant(s).get("groups")
        if not isinstance(groups, dict):
            continue
        for q in VARIED:
            score = s.question_score(q)
            if isinstance(groups.get(q), str) and score is not None:
                scores[(q, groups[q])].append(score)
    possible = {q.name: q.possible for q in data.questions}
    return [{"question": q, "group": g, "n": len(v), "mean": sum(v) / len(v),
             "possible": possible.get(q)} for (q, g), v in sorted(scores.items())]


def mismatches(data: ReportData) -> list[dict[str, Any]]:
    return [{"sub": s, "declared": v.get("declared"), "student_id": v.get("student_id"),
             "source": v.get("source")}
            for s in data.subs for v in [_variant(s)] if v.get("mismatch") is True]


def copies(data: ReportData, names: dict[str, str]) -> list[dict[str, Any]]:
    """Submissions right for another student's variant, naming the student (``names``: the
    roster's names by student id)."""
    rows = []
    for s in data.subs:
        v = _variant(s)
        for other in v.get("right_for_others") or []:
            if not isinstance(other, dict):
                continue
            sid = str(other.get("student_id", ""))
            rows.append({"sub": s, "student_id": v.get("student_id"), "other": sid,
                         "name": names.get(sid, ""),
                         "questions": [str(q) for q in other.get("questions") or []]})
    return rows


def report_section(env: Environment, data: ReportData, matching: Any = None
                   ) -> Markup | None:
    """The report's "Variants" section from ``env``'s templates (None when no result has a
    variant)."""
    if not any(_variant(s) for s in data.subs):
        return None
    _env = env
    names: dict[str, str] = {}
    if matching is not None:
        for entry, _ in matching.pairs:
            names[entry.student_id] = entry.name
    return Markup(_env.get_template("report_variants.html.j2").render(
        groups=group_means(data), mismatches=mismatches(data), copies=copies(data, names)))


def feedback_section(env: Environment, s: Sub) -> Markup | None:
    """The student's own numbers on their feedback page (never an answer)."""
    v = _variant(s)
    p = v.get("params")
    if not isinstance(p, dict):
        return None
    return Markup(env.get_template("feedback_variants.html.j2").render(v=v, p=p))
