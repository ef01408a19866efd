"""Per-student variants on the three grading paths, end to end: a notebook answered right for
its own id gets full marks; the same answers under another id lose exactly the varied cases'
points. `hw3 grade` with a roster, the Gradescope entry with the id in its metadata, and
Otter's own `otter run -a` with the id in the notebook."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hw3.cases.variants import load_config, params
from hw3.grading.grade import Options, grade_paths
from hw3.grading.registry import grader
from hw3.grading.variant_answers import VARIED, answers
from tests._support import AUTOGRADER, SOLUTION, otter_run

CASES = grader().cases
QUESTIONS = grader().questions

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not load_config().enabled, reason="variants are off")]
ALICE, BOB = "s1001", "s1002"


def notebook(declared: str, answered_for: str | None = None) -> str:
    """The reference solution with ``STUDENT_ID = declared``, its answers computed for
    ``answered_for`` (default: the declared id)."""
    nb = json.loads(SOLUTION.read_text())
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code"
                and "".join(c["source"]).startswith('STUDENT_ID = ""'))
    src = "".join(cell["source"]).replace('STUDENT_ID = ""', f'STUDENT_ID = "{declared}"')
    if answered_for is not None:
        src += ("\nsizes, D_i_4_5, D_o_4_5, K_4_5, D_4_5, K_4_6, D_4_6 = "
                f'my_numbers("{answered_for}")')
    cell["source"] = src
    return json.dumps(nb)


def lost_under(graded_as: str, answered_for: str) -> dict[str, float]:
    """The points each question should lose: every varied case, but a 4.6 conclusion that is
    the same word for both ids."""
    same = answers(params(graded_as))["q4_6_answer"] == answers(params(answered_for))[
        "q4_6_answer"]
    lost: dict[str, float] = {}
    for case_id in VARIED:
        if case_id == "q4_6.answer" and same:
            continue
        case = CASES[case_id]
        lost[case.question] = lost.get(case.question, 0.0) + float(case.points)
    return lost


def check(scores: dict[str, dict[str, float]], lost: dict[str, float]) -> None:
    assert set(scores) == set(QUESTIONS)
    for q, s in scores.items():
        assert s["possible"] - s["score"] == pytest.approx(lost.get(q, 0.0)), (q, s)


def test_hw3_grade_with_a_roster(tmp_path):
    (tmp_path / "alice.ipynb").write_text(notebook(ALICE))
    (tmp_path / "copy.ipynb").write_text(notebook(ALICE))  # Alice's notebook, handed in by Bob
    results = grade_paths([tmp_path], Options(workers=2, cache_dir=None,
                                              roster_ids={"alice": ALICE, "copy": BOB})).to_json()
    by_id = {e["id"]: e for e in results["submissions"]}
    check(by_id["alice"]["questions"], {})
    check(by_id["copy"]["questions"], lost_under(BOB, ALICE))
    assert by_id["alice"]["variant"] | {"right_for_others": []} == by_id["alice"]["variant"]
    v = by_id["copy"]["variant"]
    assert (v["student_id"], v["source"], v["declared"], v["mismatch"]) == (BOB, "roster",
                                                                          ALICE, True)
    assert [o["student_id"] for o in v["right_for_others"]] == [ALICE]
    assert "graded with 's1002'" in by_id["copy"]["message"]


def _gradescope(tmp_path, name: str, nb: str, sid: str) -> dict:
    import zipfile

    root = tmp_path / name
    for folder in ("source", "submission", "results"):
        (root / folder).mkdir(parents=True)
    with zipfile.ZipFile(AUTOGRADER) as zf:
        zf.extractall(root / "source")
    (root / "submission" / "hw3.ipynb").write_text(nb)
    (root / "submission_metadata.json").write_text(json.dumps(
        {"users": [{"email": f"{sid}@uni.edu", "name": sid, "sid": sid}]}))
    proc = subprocess.run([sys.executable, str(root / "source" / "run_otter.py"), "--root",
                           str(root)], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    scores: dict[str, dict[str, float]] = {}
    for t in results["tests"]:
        name_ = t.get("name", "").split(" ")[0]
        if "max_score" in t and name_ in QUESTIONS:
            scores[name_] = {"score": t["score"], "possible": t["max_score"]}
    return scores


def test_the_gradescope_zip_with_the_sid_in_its_metadata(tmp_path):
    check(_gradescope(tmp_path, "own", notebook(ALICE), ALICE), {})
    check(_gradescope(tmp_path, "other", notebook(ALICE), BOB), lost_under(BOB, ALICE))


def test_otter_run_with_the_id_in_the_notebook(tmp_path):
    own, other = tmp_path / "own.ipynb", tmp_path / "other.ipynb"
    own.write_text(notebook(ALICE))
    other.write_text(notebook(BOB, answered_for=ALICE))  # Alice's answers, Bob's id
    check(otter_run(own, tmp_path / "own"), {})
    check(otter_run(other, tmp_path / "other"), lost_under(BOB, ALICE))
