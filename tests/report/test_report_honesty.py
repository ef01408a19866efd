"""The class report tells the truth about small classes and blank submissions.

A blank notebook (graded, nothing passed) counts as the weakest student in every case's
correlation: with it in, almost every case looks discriminating. Item analysis leaves such
non-attempts out, says so and how many it used (n), lists them under Needs attention, and
reads no discrimination of a class too small for one.
"""

from __future__ import annotations

import io
import random

import numpy as np
import pytest

from hw3 import report
from hw3.grading.results import ClassResults
from hw3.report.model import report_data
from hw3.report.plots import item_figure, item_plot
from hw3.report.stats import attention, case_stats
from tests.report._report_sample import make_results, make_submission, with_submissions


def _with_blank(n: int, seed: int = 5) -> dict:
    results = make_results(n, seed=seed, odd=False)
    rng = random.Random(seed)
    return with_submissions(results, [*results["submissions"],
                                      make_submission("blank", {}, rng=rng)])


def test_discrimination_leaves_non_attempts_out_and_says_what_they_would_do():
    results = _with_blank(12)
    data = report_data(ClassResults.from_json(results))
    stats = {c.case.id: c for c in case_stats(data)}
    attempts = [s for s in results["submissions"] if s["id"] != "blank"]
    gains = []
    for cid, c in stats.items():
        assert c.n == len(attempts)  # the blank one is not counted
        passed = np.array([next(x["passed"] for x in s["cases"] if x["id"] == cid)
                           for s in attempts], dtype=float)
        rest = np.array([s["score"] - next(x["score"] for x in s["cases"] if x["id"] == cid)
                         for s in attempts])
        if passed.std() and rest.std():
            assert c.discrimination == pytest.approx(np.corrcoef(passed, rest)[0, 1])
            assert c.with_non_attempts is not None
            gains.append(c.with_non_attempts - c.discrimination)
    # With the blank one in (a (0, 0) point), the cases look more discriminating than they are.
    assert gains and np.median(gains) > 0


def test_a_blank_submission_is_listed_under_attention(tmp_path):
    results = _with_blank(12)
    data = report_data(ClassResults.from_json(results))
    items = dict((s.id, reasons) for s, reasons in attention(data))
    assert any("no case passed" in r for r in items["blank"])
    report.write_reports(ClassResults.from_json(results), tmp_path)
    text = (tmp_path / "report.html").read_text()
    assert "left out of passing shares and discrimination" in text


@pytest.mark.slow  # over 5 s here (--durations)
def test_a_small_class_is_said_to_be_too_small(tmp_path):
    results = make_results(6, seed=2, odd=False)
    report.write_reports(ClassResults.from_json(results), tmp_path)
    text = (tmp_path / "report.html").read_text()
    assert "too few for item analysis to mean much" in text
    assert "class too small to read (n = 6" in text
    assert '<span class="ok">good</span>' not in text  # nothing is read as good
    big = make_results(40, seed=2, odd=False)
    report.write_reports(ClassResults.from_json(big), tmp_path / "big")
    assert "too few for item analysis" not in (tmp_path / "big" / "report.html").read_text()


def test_public_and_hidden_cases_on_one_spot_both_show(tmp_path):
    # Every public case has a hidden twin passed by exactly the same students.
    results = make_results(30, seed=4, odd=False)
    for s in results["submissions"]:
        by_q: dict[str, bool] = {}
        for c in s["cases"]:
            if not c["hidden"]:
                by_q[c["question"]] = c["passed"]
        for c in s["cases"]:
            if c["hidden"] and c["question"] in by_q:
                c["passed"] = by_q[c["question"]]
    data = report_data(ClassResults.from_json(results))
    stats = case_stats(data)
    png = item_plot(stats).png
    from matplotlib import image

    pixels = (image.imread(io.BytesIO(png), format="png")[..., :3] * 255).astype(int)

    def count(hex_color: str) -> int:
        rgb = np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)])
        return int((np.abs(pixels - rgb).sum(axis=-1) < 40).sum())

    assert count("#3b6ea5") > 200 and count("#e08a2c") > 100  # blue rings and orange dots


def test_negative_case_labels_never_pile_up():
    """Several negative cases on one spot and others close by: each case is named once, in
    labels that do not overlap one another or leave the figure."""
    import dataclasses

    stats = case_stats(report_data(ClassResults.from_json(make_results(30))))
    spots = [(0.5, -0.21)] * 3 + [(0.52, -0.22), (0.8, -0.4), (0.81, -0.41), (0.1, -0.05),
                                  (0.95, -0.6)]
    stats = [dataclasses.replace(c, passing=p, discrimination=d)
             for c, (p, d) in zip(stats, spots)] + [
        dataclasses.replace(c, discrimination=abs(c.discrimination))
        for c in stats[len(spots):] if c.discrimination is not None]
    fig = item_figure(stats)
    fig.canvas.draw()  # places the annotations' text
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    labels = [t for t in ax.texts if t.get_text()]
    from matplotlib.text import Text

    boxes = [Text.get_window_extent(t, renderer) for t in labels]  # the words, not the lines
    named = " ".join(t.get_text() for t in labels)
    # The three on one spot share one label ("a, b +1"); the others have their own.
    assert len(labels) == 5 and "+1" in named
    for case in ("q3_1.mapping", "q3_5.counterexample", "q3_5.homogeneous"):
        assert named.count(case) == 1, case
    for i, a in enumerate(boxes):
        assert a.x0 >= 0 and a.x1 <= fig.bbox.x1  # inside the figure
        for b in boxes[i + 1:]:
            assert not a.overlaps(b), (a, b)
