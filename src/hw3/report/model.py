"""The class as the reports see it: the typed results, each submission with its place in the
results and its feedback page's file name, and the hand-graded marks joined in."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hw3.grading.results import (
    CaseDef,
    CaseResult,
    ClassResults,
    QuestionDef,
    QuestionScore,
    SubmissionResult,
)

if TYPE_CHECKING:
    from hw3.marking.merge import Manual

EPS = 1e-9


@dataclass
class Sub:
    """One submission: its typed result, where it is in the results, and its page's name."""

    index: int
    result: SubmissionResult
    file: str = ""
    _by_id: dict[str, CaseResult] = field(default_factory=dict, repr=False)

    @property
    def id(self) -> str:
        return self.result.id

    @property
    def path(self) -> str:
        return self.result.path

    @property
    def status(self) -> str:
        return self.result.status

    @property
    def message(self) -> str:
        return self.result.message

    @property
    def score(self) -> float:
        return self.result.score

    @property
    def possible(self) -> float:
        return self.result.possible

    @property
    def isolation(self) -> str | None:
        return self.result.isolation

    @property
    def seconds(self) -> float | None:
        return self.result.seconds

    @property
    def events(self) -> list[dict[str, Any]]:
        return self.result.events

    @property
    def cases(self) -> list[CaseResult]:
        return self.result.cases

    @property
    def graded(self) -> bool:
        return self.result.graded

    def question_score(self, name: str) -> float | None:
        """The question's score; None if the results hold none."""
        return self.result.questions.get(name, QuestionScore(None, None)).score

    def case(self, case_id: str) -> CaseResult | None:
        if not self._by_id and self.cases:
            self._by_id = {c.id: c for c in reversed(self.cases)}  # the first one wins
        return self._by_id.get(case_id)


@dataclass
class ReportData:
    assignment: str
    autograder: str
    generated: str
    questions: list[QuestionDef]
    subs: list[Sub]
    manual: Manual | None = None  # hand-graded questions and their marks
    _case_defs: list[CaseDef] | None = field(default=None, repr=False)

    def total(self, s: Sub) -> float:
        """A submission's total: auto-graded score plus its hand-graded marks."""
        return s.score + (self.manual.score(s.id) if self.manual else 0.0)

    def total_possible(self, s: Sub | None = None) -> float:
        base = s.possible if s is not None else self.possible
        return base + (self.manual.possible if self.manual else 0.0)

    @property
    def possible(self) -> float:
        # Every submission carries the same total possible; fall back on the questions' sum.
        counts = Counter(s.possible for s in self.subs)
        if counts:
            return counts.most_common(1)[0][0]
        return sum(q.possible for q in self.questions)

    @property
    def graded(self) -> list[Sub]:
        return [s for s in self.subs if s.graded]

    def case_defs(self) -> list[CaseDef]:
        """The cases of the question definitions, then any case only submissions know of."""
        if self._case_defs is None:
            defs = [c for q in self.questions for c in q.cases]
            known = {c.id for c in defs}
            for s in self.subs:
                for c in s.cases:
                    if c.id and c.id not in known:
                        known.add(c.id)
                        defs.append(CaseDef(c.id, c.question, c.points, c.hidden,
                                            c.description))
            self._case_defs = defs
        return self._case_defs


def report_data(typed: ClassResults) -> ReportData:
    """The reports' view of the results."""
    subs = [Sub(i, s) for i, s in enumerate(typed.submissions)]
    _assign_files(subs)
    return ReportData(typed.assignment or "assignment", typed.autograder or "",
                      typed.generated or "", typed.questions, subs)


# ----------------------------------------------------------------------------- file names

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{i}" for p in ("com", "lpt")
                                                     for i in range(1, 10)}
_MAX_NAME = 80


def safe_file_name(sub_id: str) -> str:
    """The file name stem used for a submission's feedback page.

    An id made only of ASCII letters, digits, ``.``, ``_`` and ``-`` (not starting or ending
    with ``.``, at most 80 characters, not a reserved Windows name) is used as is. Otherwise
    every other character becomes ``_`` and ``-`` plus 8 hex digits of the SHA-256 of the
    original id is appended, so that different ids do not share a page: ``"José Ruiz"`` gives
    ``"Jos__Ruiz-<hash>"``.
    """
    cleaned = _UNSAFE.sub("_", sub_id).strip(".")[:_MAX_NAME]
    if cleaned == sub_id and cleaned and cleaned.split(".")[0].lower() not in _WINDOWS_RESERVED:
        return cleaned
    digest = hashlib.sha256(sub_id.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{cleaned or 'submission'}-{digest}"


def _assign_files(subs: Sequence[Sub]) -> None:
    # Names must also differ ignoring case (macOS and Windows file systems), and duplicate ids
    # (the same file name in two folders) still need one page each: later ones get -2, -3...
    used: set[str] = set()
    for s in subs:
        base = name = safe_file_name(s.id)
        n = 1
        while name.casefold() in used:
            n += 1
            name = f"{base}-{n}"
        used.add(name.casefold())
        s.file = name
