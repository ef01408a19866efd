"""The report's figures, drawn with matplotlib's object-oriented API and returned as PNG bytes
(the pages embed them as ``data:`` URLs)."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hw3.report.model import EPS
from hw3.report.stats import CaseStats, QuestionStats, summary
from hw3.report.text import disp

_BLUE, _GREEN, _RED, _GREY = "#3b6ea5", "#4c9a5b", "#c0504d", "#7f7f7f"
_CSS_PX_PER_INCH = 96
_RENDER_DPI = 2 * _CSS_PX_PER_INCH  # twice the shown size: sharp on high-density screens


def _figure(width: float, height: float) -> Any:
    # The object-oriented API on an Agg canvas, not pyplot: no global backend state, no GUI,
    # whatever backend the caller's matplotlib is configured with. Imported late: only pages
    # with plots pay for it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    fig.set_facecolor("white")
    return fig


def _style(ax: Any) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=9)


@dataclass(frozen=True)
class Plot:
    """A figure as PNG bytes, with the size (CSS pixels) and the words a page shows it with."""

    png: bytes
    width: int
    height: int
    alt: str


def _png(fig: Any, alt: str) -> Plot:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_RENDER_DPI, metadata={"Software": None})
    w, h = fig.get_size_inches()
    return Plot(buf.getvalue(), round(w * _CSS_PX_PER_INCH), round(h * _CSS_PX_PER_INCH), alt)


def _nice_step(span: float, max_bins: int = 25) -> float:
    raw = span / max_bins
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * magnitude >= raw:
            return factor * magnitude
    return 10 * magnitude


def histogram(totals: Sequence[float], possible: float) -> Plot:
    from matplotlib.ticker import MaxNLocator

    hi = max([possible, *totals]) if totals else possible
    lo = min([0.0, *totals])
    if hi - lo <= 0:
        hi = lo + 1
    step = _nice_step(hi - lo)
    edges = np.arange(math.floor(lo / step) * step, hi + step - EPS, step)
    if len(edges) < 2 or edges[-1] < hi - EPS:
        edges = np.append(edges, edges[-1] + step)
    fig = _figure(7.5, 2.9)
    ax = fig.add_subplot()
    ax.hist(totals, bins=edges, color=_BLUE, edgecolor="white", linewidth=0.8)
    s = summary(totals)
    if s.mean is not None:
        ax.axvline(s.mean, color=_RED, linewidth=1.5, label=f"mean {disp(s.mean)}")
        ax.axvline(s.median, color=_GREY, linewidth=1.5, linestyle="--",
                   label=f"median {disp(s.median)}")
        # Above the axes, so it never hides a bar.
        ax.legend(fontsize=8, frameon=False, ncols=2, loc="lower right",
                  bbox_to_anchor=(1.0, 1.0), borderaxespad=0.2)
    ax.set_xlim(edges[0], edges[-1])
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(f"total score (out of {disp(possible)})", fontsize=9)
    ax.set_ylabel("submissions", fontsize=9)
    _style(ax)
    fig.tight_layout()
    return _png(fig, "Histogram of total scores")


def question_plot(stats: Sequence[QuestionStats]) -> Plot:
    # Three small panels sharing the question axis read more easily than grouped bars.
    labels = [q.question.name + ("" if q.question.possible > 0 else " (0 pts)") for q in stats]
    y = np.arange(len(stats))
    panels = [
        ("mean score\n% of the question's points", [q.mean_share for q in stats], _BLUE),
        ("full marks\n% of graded submissions", [q.full for q in stats], _GREEN),
        ("zero\n% of graded submissions", [q.zero for q in stats], _RED),
    ]
    fig = _figure(7.5, 0.27 * len(stats) + 1.0)
    axes = fig.subplots(1, len(panels), sharey=True)
    for ax, (title, values, color) in zip(axes, panels):
        vals = [100 * v if v is not None else 0.0 for v in values]
        ax.barh(y, vals, height=0.7, color=color)
        for yi, v in zip(y, values):
            if v is not None:
                ax.text(100 * v + 2, yi, f"{100 * v:.0f}", va="center", fontsize=7,
                        color="#444444")
        ax.set_xlim(0, 115)
        ax.set_xticks([0, 50, 100])
        ax.set_title(title, fontsize=9)
        ax.grid(axis="x", color="#e3e3e3", linewidth=0.6)
        ax.set_axisbelow(True)
        _style(ax)
    axes[0].set_yticks(y, labels, fontsize=9)
    axes[0].invert_yaxis()  # first question on top, as in the table
    fig.tight_layout(w_pad=1.0)
    return _png(fig, "Per question: mean score, share of full marks and share of zeros")


_LABEL_COLUMN = 0.27  # share of the item plot's width kept for the case labels
_LABEL_GROUPS = 8  # at most this many labels; the report's table lists every negative case
_LABEL_POINTS = 7  # the labels' font size


def _label_groups(points: Sequence[CaseStats]) -> list[tuple[float, float, list[str]]]:
    """The negative cases, most negative first, with cases on (almost) the same spot in one
    group: (x in %, y, case ids)."""
    negative = sorted((c for c in points if c.discrimination < 0),
                      key=lambda c: c.discrimination)
    groups: list[tuple[float, float, list[str]]] = []
    for c in negative:
        x, y = 100 * c.passing, c.discrimination
        near = next((g for g in groups if abs(g[0] - x) < 1.5 and abs(g[1] - y) < 0.015), None)
        if near:
            near[2].append(c.case.id)
        else:
            groups.append((x, y, [c.case.id]))
    return groups


def _label_negative(fig: Any, ax: Any, points: Sequence[CaseStats]) -> None:
    """Name the negative cases in a column right of the axes, top to bottom in the order of
    their dots, never on top of each other, each with a thin line to its dot."""
    groups = _label_groups(points)
    shown, rest = groups[:_LABEL_GROUPS], sum(len(g[2]) for g in groups[_LABEL_GROUPS:])
    if not shown:
        return
    texts = [", ".join(ids) if len(ids) <= 2 else f"{ids[0]}, {ids[1]} +{len(ids) - 2}"
             for _, _, ids in shown]
    if rest:
        texts[-1] += f" (+{rest} more)"
    lo, hi = ax.get_ylim()
    height_pt = ax.get_position().height * fig.get_size_inches()[1] * 72
    step = 1.45 * _LABEL_POINTS * (hi - lo) / height_pt  # one line of text, in data units
    order = sorted(range(len(shown)), key=lambda i: -shown[i][1])  # top first
    ys: list[float] = []
    for i in order:  # each label at its dot's height, or just below the one above it
        ys.append(min(shown[i][1], ys[-1] - step) if ys else min(shown[i][1], hi - step))
    overflow = (lo + step / 2) - ys[-1]
    if overflow > 0:  # pushed below the axes: move the column up
        ys = [y + overflow for y in ys]
    for i, y in zip(order, ys):
        x, dot_y, _ = shown[i]
        ax.annotate(texts[i], (x, dot_y), xytext=(1.02, y), textcoords=("axes fraction", "data"),
                    fontsize=_LABEL_POINTS, va="center", annotation_clip=False,
                    arrowprops=dict(arrowstyle="-", color="#9a9a9a", linewidth=0.5,
                                    shrinkA=1, shrinkB=3))


def item_plot(stats: Sequence[CaseStats]) -> Plot | None:
    fig = item_figure(stats)
    if fig is None:
        return None
    return _png(fig, "Item analysis: share passing against discrimination, one dot per case")


def item_figure(stats: Sequence[CaseStats]) -> Any:
    """The item plot's figure (None without a case to show)."""
    points = [c for c in stats if c.passing is not None and c.discrimination is not None]
    if not points:
        return None
    fig = _figure(7.5, 3.4)
    ax = fig.add_subplot()
    # Public cases as rings, hidden ones as dots: a public and a hidden case of one question
    # often sit on the same spot, and then the dot shows inside the ring.
    sel = [c for c in points if not c.case.hidden]
    if sel:
        ax.scatter([100 * c.passing for c in sel], [c.discrimination for c in sel], s=70,
                   facecolors="none", edgecolors=_BLUE, linewidths=1.6, label="public case",
                   zorder=3)
    sel = [c for c in points if c.case.hidden]
    if sel:
        ax.scatter([100 * c.passing for c in sel], [c.discrimination for c in sel], s=16,
                   color="#e08a2c", label="hidden case", edgecolors="none", zorder=4)
    ax.axhspan(-1, 0.1, color=_RED, alpha=0.06, linewidth=0)
    ax.axhline(0, color=_GREY, linewidth=0.8)
    ax.set_xlim(-3, 103)
    ax.set_ylim(min(-0.3, min(c.discrimination for c in points) - 0.1), 1.0)
    ax.set_xlabel("% of graded submissions passing the case", fontsize=9)
    ax.set_ylabel("discrimination (r)", fontsize=9)
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    _style(ax)
    # The labels of the negative cases go in a column right of the plot, so none hides a dot.
    fig.tight_layout(rect=(0, 0, 1 - _LABEL_COLUMN, 1))
    _label_negative(fig, ax, points)
    return fig
