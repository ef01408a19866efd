"""Hand-graded marks joined to the auto-graded results, for every file ``hw3 report`` writes.

The marks come from ``DIR/marks.sqlite`` (``hw3 mark``) or a CSV file (``--marks``). An answer
not marked yet counts 0 and makes its submission's grade *provisional*, which the report, the
feedback page, ``grades.csv`` and the command's output all say. A submission that could not be
read has no answers and nothing to wait for. The HTML parts are Jinja2 templates with
autoescape, placed into the report's pages.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from hw3.grading.results import ClassResults, SubmissionResult
from hw3.marking.render import render_markdown
from hw3.marking.store import Mark, Marks, load_marks, marks_from_csv
from hw3.report.text import disp, pct, plural


def manual_possible(results: ClassResults) -> dict[str, float]:
    return {q.name: q.possible for q in results.manual_questions()}


def find_marks(results: ClassResults, folder: Path, csv_path: Path | None) -> Marks | None:
    """The marks to merge: ``csv_path``'s if given, else the folder's database, else none."""
    possible = manual_possible(results)
    if not possible:
        return None
    if csv_path is not None:
        return marks_from_csv(csv_path, possible, [s.id for s in results.submissions])
    return load_marks(folder, possible)


@dataclass
class Manual:
    """The manual questions and every submission's marks, as the reports use them."""

    questions: list[tuple[str, float, str]]  # name, possible, prompt
    marks: Marks
    graded: set[str]  # ids of submissions with answers to mark
    answers: dict[str, SubmissionResult] = field(default_factory=dict)  # id -> its result

    @classmethod
    def of(cls, results: ClassResults, marks: Marks | None) -> Manual | None:
        questions = [(q.name, q.possible, q.prompt) for q in results.manual_questions()]
        if not questions:
            return None
        answers = {s.id: s for s in results.submissions if s.graded}
        return cls(questions, marks or {}, set(answers), answers)

    @property
    def names(self) -> list[str]:
        return [n for n, _, _ in self.questions]

    @property
    def possible(self) -> float:
        return sum(p for _, p, _ in self.questions)

    def mark(self, sub: str, question: str) -> Mark | None:
        m = self.marks.get(sub, {}).get(question)
        return m if m is not None and m.marked else None

    def score(self, sub: str) -> float:
        return sum(m.score or 0.0 for q in self.names if (m := self.mark(sub, q)))

    def missing(self, sub: str) -> list[str]:
        return [q for q in self.names if sub in self.graded and self.mark(sub, q) is None]

    def unmarked(self) -> list[tuple[str, str]]:
        return [(q, s) for q in self.names for s in sorted(self.graded)
                if self.mark(s, q) is None]

    @property
    def provisional(self) -> bool:
        return bool(self.unmarked())

    def stats(self) -> list[dict[str, Any]]:
        out = []
        for name, possible, _ in self.questions:
            scores = [m.score or 0.0 for s in self.graded if (m := self.mark(s, name))]
            out.append({
                "name": name, "possible": possible, "marked": len(scores),
                "total": len(self.graded),
                "mean": statistics.fmean(scores) if scores else None,
                "full": sum(x >= possible for x in scores) / len(scores) if scores else None,
                "zero": sum(x <= 0 for x in scores) / len(scores) if scores else None,
                "unmarked": sorted(s for s in self.graded if self.mark(s, name) is None),
            })
        return out


_env = Environment(loader=PackageLoader("hw3.marking", "templates"),
                   autoescape=select_autoescape(default=True, default_for_string=True))
_env.filters.update(num=disp, pct=pct, plural=plural)  # numbers as the report's pages show them


def report_banner(manual: Manual) -> Markup:
    return Markup(_env.get_template("report_banner.html").render(
        unmarked=len(manual.unmarked()),
        total=len(manual.graded) * len(manual.questions)))


def report_section(manual: Manual, feedback_file: Mapping[str, str]) -> Markup:
    """The report's section on the hand-graded questions (``feedback_file``: id -> page)."""
    return Markup(_env.get_template("report_manual.html").render(
        m=manual, stats=manual.stats(), files=feedback_file))


def feedback_section(manual: Manual, sub: str) -> Markup:
    """A student's hand-graded questions: score, rubric items applied, comment, answer."""
    rows = []
    for name, possible, prompt in manual.questions:
        text = manual.answers[sub].explanation(name).text if sub in manual.answers else ""
        rows.append({"name": name, "possible": possible, "mark": manual.mark(sub, name),
                     "prompt": Markup(render_markdown(prompt)),
                     "answer": Markup(render_markdown(text)) if text else None})
    return Markup(_env.get_template("feedback_manual.html").render(
        rows=rows, graded=sub in manual.graded, missing=manual.missing(sub)))


def say_provisional(results: ClassResults, marks: Marks | None,
                    out: Any = None) -> None:
    """One line on stderr while hand-graded answers are still unmarked."""
    manual = Manual.of(results, marks)
    if manual is None:
        return
    n = len(manual.unmarked())
    if n:
        total = plural(len(manual.graded) * len(manual.questions), "explanation answer")
        print(f"provisional: {n} of {total} {'is' if n == 1 else 'are'} not marked yet "
              "(hw3 mark DIR, or hw3 report DIR --marks FILE.csv); "
              "they count 0 until then", file=out or sys.stderr)
