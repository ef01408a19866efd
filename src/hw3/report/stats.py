"""The class's figures: score summary, per-question shares, item analysis (passing share and
point-biserial discrimination per case, with non-attempts left out) and the submissions an
instructor should look at."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from hw3.grading.results import CaseDef, QuestionDef
from hw3.report.model import EPS, ReportData, Sub
from hw3.report.text import disp

# Isolation modes as strong as the reference sandbox; anything else is flagged for a look.
STRONG_ISOLATION = frozenset({"bubblewrap", "bwrap"})
MIN_DISCRIMINATION_N = 3  # a correlation over fewer submissions is always +-1 or undefined
# Below this many attempts a discrimination is shown but not read: one student moves it a lot.
MIN_RELIABLE_N = 10


@dataclass
class Summary:
    n: int
    mean: float | None = None
    median: float | None = None
    std: float | None = None
    low: float | None = None
    high: float | None = None


def summary(values: Sequence[float]) -> Summary:
    vals = [v for v in values if math.isfinite(v)]
    if not vals:
        return Summary(0)
    return Summary(
        len(vals), statistics.fmean(vals), statistics.median(vals),
        statistics.pstdev(vals) if len(vals) > 1 else 0.0, min(vals), max(vals),
    )


@dataclass
class QuestionStats:
    question: QuestionDef
    n: int
    mean: float | None
    full: float | None  # share of submissions with full marks; None if 0 possible
    zero: float | None

    @property
    def mean_share(self) -> float | None:
        if self.mean is None or self.question.possible <= 0:
            return None
        return self.mean / self.question.possible


def question_stats(data: ReportData) -> list[QuestionStats]:
    out = []
    for q in data.questions:
        scores = [sc for s in data.graded
                  if (sc := s.question_score(q.name)) is not None and math.isfinite(sc)]
        n = len(scores)
        mean = statistics.fmean(scores) if scores else None
        full = zero = None
        if n and q.possible > 0:
            # With 0 points possible everyone has "full marks" and "zero": both meaningless.
            full = sum(sc >= q.possible - EPS for sc in scores) / n
            zero = sum(abs(sc) <= EPS for sc in scores) / n
        out.append(QuestionStats(q, n, mean, full, zero))
    return out


@dataclass
class CaseStats:
    case: CaseDef
    n: int  # attempts the passing share and the discrimination are computed over
    passing: float | None
    discrimination: float | None
    failures: Counter[str]
    with_non_attempts: float | None = None  # the discrimination if non-attempts counted


def non_attempt(s: Sub) -> bool:
    """A graded submission that passed no case: a blank template, or nothing of the work
    ran. It would count as the weakest student in every case's correlation."""
    if not s.graded or s.score > EPS:
        return False
    return not any(c.ok for c in s.cases)


def point_biserial(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r between a 0/1 item and a score; None when it is undefined."""
    if len(xs) < MIN_DISCRIMINATION_N:
        return None
    x, y = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    dx, dy = x - x.mean(), y - y.mean()
    sx, sy = math.sqrt(float(dx @ dx)), math.sqrt(float(dy @ dy))
    if sx < EPS or sy < EPS:  # everyone passes/fails, or all rest scores equal
        return None
    r = float(dx @ dy) / (sx * sy)
    return max(-1.0, min(1.0, r)) if math.isfinite(r) else None


def case_stats(data: ReportData) -> list[CaseStats]:
    """Per case, over the graded attempts (non-attempts left out: see ``non_attempt``)."""
    out = []
    graded = data.graded
    for cd in data.case_defs():
        xs: list[float] = []
        rest: list[float] = []
        blank = 0  # non-attempts with this case: each would add a (0, 0) point
        failures: Counter[str] = Counter()
        for s in graded:
            r = s.case(cd.id)
            if r is None:
                continue
            if non_attempt(s):
                blank += 1
                continue
            # Judged against the rubric's points for the case, as the item analysis reads it.
            ok = r.passed if r.passed is not None else (r.score or 0.0) >= cd.points - EPS
            xs.append(1.0 if ok else 0.0)
            # The rest score leaves this case out, so a case is not correlated with itself.
            rest.append(s.score - (r.score or 0.0))
            if not ok:
                failures[r.message.strip() or "(no message)"] += 1
        passing = sum(xs) / len(xs) if xs else None
        with_blank = point_biserial(xs + [0.0] * blank, rest + [0.0] * blank) if blank else None
        out.append(CaseStats(cd, len(xs), passing, point_biserial(xs, rest), failures,
                             with_blank))
    return out


def reading(r: float | None) -> str:
    """How a discrimination reads, in one word."""
    if r is None:
        return "undefined"
    return "negative" if r < 0 else "weak" if r < 0.1 else "fair" if r < 0.3 else "good"


def attention(data: ReportData) -> list[tuple[Sub, list[str]]]:
    """Submissions an instructor should look at, each with its reasons in words."""
    ids = Counter(s.id for s in data.subs)
    names = [q.name for q in data.questions]
    out = []
    for s in data.subs:
        reasons = []
        if not s.graded:
            reasons.append(f"status {s.status}" + (f": {s.message}" if s.message else ""))
        elif s.message:
            reasons.append(f"grader's note: {s.message}")
        for ev in s.events:
            kind = str(ev.get("kind") or "event")
            cell = ev.get("cell")
            where = f" (cell {cell})" if cell is not None else ""
            text = str(ev.get("message") or "").strip()
            reasons.append(f"{kind}{where}" + (f": {text}" if text else ""))
        # A submission that could not be read ran no code: its isolation does not matter.
        if s.graded:
            if s.isolation is None:
                reasons.append("isolation not recorded")
            elif not s.isolation.lower().startswith(tuple(STRONG_ISOLATION)):
                reasons.append(f"ran with isolation '{s.isolation}', weaker than bubblewrap")
        if ids[s.id] > 1:
            reasons.append(f"{ids[s.id]} submissions share the id '{s.id}'")
        if not math.isfinite(s.score) or s.score < -EPS or s.score > s.possible + EPS:
            reasons.append(f"total {disp(s.score)} is outside 0..{disp(s.possible)}")
        if non_attempt(s):
            reasons.append("no case passed: a blank notebook, or none of its work ran; left "
                           "out of the item analysis")
        absent = [n for n in names if s.question_score(n) is None]
        if absent:
            reasons.append("no score for " + ", ".join(absent))
        if reasons:
            out.append((s, reasons))
    out.sort(key=lambda item: (item[0].graded, item[0].index))
    return out
