"""Writing what the comparison found: ``similarity.csv`` (one row per pair worth showing) and
``similarity.html`` (flagged pairs and clusters, side by side), from a Jinja2 template with
autoescape. Every submission's text on the page is escaped; the page also forbids scripts.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, PackageLoader

from hw3.layout import atomic_write_text, csv_cell
from hw3.similarity.analysis import Analysis
from hw3.similarity.compare import EXPLANATION_WEIGHT, PER_PLACE, SHOW
from hw3.similarity.views import pair_view

COLUMNS = ["a", "b", "score", "flagged", "evidence", "code", "answers", "explanations",
           "cluster", "name_a", "name_b"]
MAX_PAIRS_SHOWN = 100  # flagged pairs shown side by side; the CSV has them all
NEAR_MISSES = 15  # the highest pairs under the threshold, listed

_env = Environment(loader=ChoiceLoader([PackageLoader("hw3.similarity", "templates"),
                                        PackageLoader("hw3.report", "templates")]),
                   autoescape=True, trim_blocks=True, lstrip_blocks=True)
_env.filters["pct"] = lambda x: f"{100 * x:.0f}%"
_env.filters["base64"] = lambda data: ""  # the report's macros need it; this page has no plots


def similarity_csv(analysis: Analysis, names: dict[str, str] | None = None) -> str:
    names = names or {}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for p in analysis.pairs:
        w.writerow([csv_cell(x) for x in (
            p.a, p.b, f"{p.score:.3f}", "true" if p.flagged else "false", p.evidence(),
            f"{p.code:.3f}", f"{p.answer_score:.3f}", f"{p.explanation_score:.3f}",
            p.cluster or "", names.get(p.a, ""), names.get(p.b, ""))])
    return buf.getvalue()


def similarity_html(analysis: Analysis, names: dict[str, str] | None = None) -> str:
    names = names or {}
    df: Counter = Counter()
    for d in analysis.docs:
        df.update(d.fingerprints.keys())
    _, hi = analysis.common
    docs = {d.id: d for d in analysis.docs}
    flagged = analysis.flagged
    views = [pair_view(p, n, docs[p.a], docs[p.b], df, hi, analysis.template.hashes, names)
             for n, p in enumerate(flagged[:MAX_PAIRS_SHOWN], 1)]
    near = [p for p in analysis.pairs if not p.flagged][:NEAR_MISSES]
    facts = [(str(len(analysis.docs)), "submissions compared"),
             (str(len(flagged)), "flagged pairs"),
             (str(len(analysis.clusters)), "clusters"),
             (f"{analysis.threshold:g}", "threshold")]
    return _env.get_template("similarity.html.j2").render(
        title="HW3 similarity report", a=analysis, facts=facts, views=views, near=near,
        names=names, shown=MAX_PAIRS_SHOWN, show=SHOW, per_place=PER_PLACE,
        explanation_weight=EXPLANATION_WEIGHT)


def write(analysis: Analysis, out: Path, names: dict[str, str] | None = None) -> list[Path]:
    """Write ``similarity.csv`` and ``similarity.html`` into ``out``; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    return [atomic_write_text(out / "similarity.csv", similarity_csv(analysis, names)),
            atomic_write_text(out / "similarity.html", similarity_html(analysis, names))]


def roster_names(roster: Path | None) -> dict[str, str]:
    """Submission id -> the student's name, from a roster (``hw3.report.read_roster``)."""
    if roster is None:
        return {}
    from hw3.report.roster import read_roster

    return {e.submission: e.name for e in read_roster(Path(roster)) if e.name}
