"""hw3 similarity on classes built for it (``hw3.similarity.synthetic``): honest students who
converge on short functions, copiers with every disguise, a group that copied one outside
source, partial copies. Nothing is executed; the whole file takes seconds.

The recall and precision of the default threshold are asserted on two classes; the figures are
printed (``pytest -s``) and the benchmark compares the ranking with copydetect's.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from hw3.cli import main
from hw3.similarity import analyse, synthetic
from hw3.similarity.answers import answers_of, value_key
from hw3.similarity.compare import THRESHOLD, weight
from hw3.similarity.fingerprints import kgram_hashes, winnow
from hw3.similarity.template import load_template
from hw3.similarity.tokens import normalise

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "student_template" / "hw3.ipynb"


def _texts(code: str) -> list[str]:
    return [t.text for t in normalise(code)]


# ----------------------------------------------------------------------------- the tokens


def test_renaming_reformatting_and_comments_change_no_token() -> None:
    a = "def f(x, W):\n    out = x @ W  # product\n    total += out\n    return out\n"
    b = ("def f(inputs,weights):\n    '''docstring'''\n    # a comment\n    res=inputs\\\n"
         "         @ weights\n    acc = acc + res\n    return res\n")
    assert _texts(a) == _texts(b)


def test_library_calls_and_attributes_stay_what_they_are() -> None:
    assert _texts("y = np.exp(-z)") == ["V", "=", "np", ".", "exp", "(", "-", "V", ")",
                                        "NEWLINE"]
    assert _texts("y = np.log(-z)") != _texts("y = np.exp(-z)")


def test_a_cell_that_does_not_tokenize_keeps_what_was_read() -> None:
    toks = _texts("x = 1\ny = (2 +\n")  # an open bracket at the end
    assert toks[:4] == ["V", "=", "N", "NEWLINE"]


def test_winnowing_finds_every_long_enough_match_in_any_order() -> None:
    body = "\n".join(f"v{i} = np.dot(a{i}, b{i}) + c{i}" for i in range(12))
    other = "w = 1\n" + body + "\nprint(w)\n"
    fa = {f.hash for f in winnow(kgram_hashes(normalise(body)))}
    fb = {f.hash for f in winnow(kgram_hashes(normalise(other)))}
    assert fa and fa <= fb | {f.hash for f in winnow(kgram_hashes(normalise(body)))}
    assert len(fa & fb) >= len(fa) - 2  # only the k-grams at the edges may differ


def test_weight_falls_with_the_share_of_the_class() -> None:
    assert weight(2, 2, 10) == 1.0
    assert 0 < weight(5, 2, 10) < 1
    assert weight(10, 2, 10) == 0.0


# ----------------------------------------------------------------------------- answers


@pytest.mark.parametrize(("a", "b"), [
    ("(20, 5)", "[20, 5]"), ("4.0", "4"), ("'Affine'", "'affine'"),
    ("D_i*D + (K-1)*D**2 + D*D_o", "'D*D_i + D**2*(K - 1) + D_o*D'"),
])
def test_answers_compare_by_value_not_by_spelling(a: str, b: str) -> None:
    import ast

    assert value_key(ast.parse(a, mode="eval").body) == value_key(ast.parse(b, mode="eval").body)


def test_an_unanswered_field_is_no_answer() -> None:
    assert answers_of(["q4_5_depth = ...\nq4_5_width = 30"]) == {"q4_5_width": ("30", "30")}


# ----------------------------------------------------------------------------- classes


@pytest.fixture(scope="module")
def template():
    return load_template(TEMPLATE)


def _run(tmp: Path, seed: int, template, **sizes) -> tuple[synthetic.SyntheticClass, object]:
    klass = synthetic.make_class(seed=seed, **sizes)
    paths = synthetic.write_class(klass, ROOT, tmp / f"class{seed}", seed)
    return klass, analyse([(p.stem, p) for p in paths], template=template)


def _figures(klass: synthetic.SyntheticClass, analysis) -> tuple[float, float, int, int]:
    ids = [s.id for s in klass.students]
    copied = {tuple(sorted((a, b))) for i, a in enumerate(ids) for b in ids[i + 1:]
              if klass.truth(a, b)}
    flagged = {tuple(sorted((p.a, p.b))) for p in analysis.flagged}
    judged = {f for f in flagged if klass.truth(*f) is not None}
    tp = len(judged & copied)
    return tp / len(copied), tp / max(1, len(judged)), len(copied), len(judged)


@pytest.fixture(scope="module")
def classes(tmp_path_factory, template):
    tmp = tmp_path_factory.mktemp("classes")
    return [_run(tmp, seed, template) for seed in (11, 12)]


def test_recall_and_precision_of_the_default_threshold(classes) -> None:
    recalls, precisions = [], []
    for klass, analysis in classes:
        recall, precision, n_copied, n_flagged = _figures(klass, analysis)
        print(f"\nclass of {len(klass.students)}: {n_copied} copied pairs, {n_flagged} flagged;"
              f" recall {recall:.2f}, precision {precision:.2f} at {THRESHOLD}")
        recalls.append(recall)
        precisions.append(precision)
    # The goal: at least 90% of the copied pairs flagged, at most 10% of flagged honest.
    assert min(recalls) >= 0.9
    assert min(precisions) >= 0.9


def test_every_whole_copy_and_the_group_are_flagged(classes) -> None:
    for klass, analysis in classes:
        flagged = {tuple(sorted((p.a, p.b))) for p in analysis.flagged}
        for s in klass.students:
            if s.kind == "copier" and klass.truth(s.id, s.source):
                assert tuple(sorted((s.id, s.source))) in flagged, s.id
        group = sorted(s.id for s in klass.students if s.kind == "group")
        cluster = next(c for c in analysis.clusters if group[0] in c)
        assert set(group) <= set(cluster)


def test_copied_wrong_answers_are_evidence_and_right_ones_are_not(classes) -> None:
    klass, analysis = classes[0]
    group = [p for p in analysis.pairs if p.a.startswith("g") and p.b.startswith("g")]
    assert any(s.field == "q4_4_n_params" and s.status == "wrong" for s in group[0].answers)
    right = {("q4_4_n_params", "439"), ("q4_5_depth", "20"), ("q3_10_max_regions", "4")}
    for p in analysis.pairs:
        assert not {(s.field, s.written) for s in p.answers} & right


# ----------------------------------------------------------------------------- the command


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("small")
    klass = synthetic.make_class(seed=5, n_honest=14, n_copiers=2, n_group=3, n_partial=1)
    synthetic.write_class(klass, ROOT, tmp / "subs", 5)
    (tmp / "subs" / "junk.ipynb").write_text("not a notebook")
    return tmp


def test_the_command_writes_the_csv_and_the_page(small: Path, tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("submission,name,student_id,email,section\n"
                      "g0000,Gina <b>Zed</b>,1,g@x.org,A\n")
    out = tmp_path / "out"
    assert main(["similarity", str(small / "subs"), "--out", str(out), "--roster", str(roster),
                 "--template", str(TEMPLATE)]) == 0
    rows = list(csv.DictReader((out / "similarity.csv").open()))
    assert rows and set(rows[0]) >= {"a", "b", "score", "flagged", "evidence"}
    scores = [float(r["score"]) for r in rows]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    assert {r["flagged"] for r in rows} <= {"true", "false"}
    assert any(r["flagged"] == "true" and r["a"].startswith("g") and r["b"].startswith("g")
               for r in rows)
    page = (out / "similarity.html").read_text()
    assert "Gina &lt;b&gt;Zed&lt;/b&gt;" in page and "<b>Zed</b>" not in page
    assert 'class="l match"' in page and 'class="l template"' in page
    assert "junk" in page  # the unreadable one is named, not compared


def test_the_threshold_changes_what_is_flagged(small: Path, tmp_path: Path) -> None:
    def flagged(t: str) -> int:
        out = tmp_path / t
        main(["similarity", str(small / "subs"), "--out", str(out), "--threshold", t,
              "--template", str(TEMPLATE)])
        return sum(r["flagged"] == "true" for r in csv.DictReader((out / "similarity.csv").open()))

    assert flagged("0.95") < flagged("0.3")


@pytest.mark.parametrize(("args", "says"), [
    (["--threshold", "2"], "between 0 and 1"),
    (["--roster", "/nonexistent.csv"], "nonexistent.csv"),
])
def test_bad_input_is_one_sentence_and_writes_nothing(small: Path, tmp_path: Path, capsys,
                                                      args: list[str], says: str) -> None:
    out = tmp_path / "out"
    code = main(["similarity", str(small / "subs"), "--out", str(out), *args])
    assert code != 0 and not out.exists()
    assert says in capsys.readouterr().err


def test_grading_results_hook_uses_their_ids_and_outcomes(small: Path, tmp_path: Path) -> None:
    from hw3.similarity import for_results

    subs = sorted((small / "subs").glob("g*.ipynb"))
    results = {"submissions": [
        {"id": f"student-{i}", "path": str(p), "status": "graded",
         "cases": [{"id": "q4_4.n_params", "question": "q4_4", "points": 1, "score": 0,
                    "passed": False, "hidden": True, "description": "", "message": ""}]}
        for i, p in enumerate(subs)] + [{"id": "gone", "path": str(tmp_path / "gone.ipynb")}]}
    out = tmp_path / "graded"
    written = for_results(results, out)
    assert [p.name for p in written] == ["similarity.csv", "similarity.html"]
    rows = list(csv.DictReader((out / "similarity.csv").open()))
    assert {r["a"] for r in rows} | {r["b"] for r in rows} <= {f"student-{i}" for i in range(3)}
    assert all(r["flagged"] == "true" for r in rows)


def test_report_links_the_similarity_page(tmp_path: Path) -> None:
    from hw3.report import load_results, write_reports

    sample = load_results(ROOT / "tests" / "report" / "fixtures" / "results_small.json")
    write_reports(sample, tmp_path)
    assert 'href="similarity.html"' not in (tmp_path / "report.html").read_text()
    (tmp_path / "similarity.html").write_text("")
    write_reports(sample, tmp_path)
    assert 'href="similarity.html"' in (tmp_path / "report.html").read_text()


def test_answers_right_for_a_classmates_numbers_name_the_classmate():
    """The grader's record that a submission fits another student's variant becomes a flagged
    pair with that student, whatever the code shares."""
    from hw3.similarity.compare import Pair
    from hw3.similarity.variants import add_variant_evidence, variant_fits

    results = {"submissions": [
        {"id": "ann", "variant": {"student_id": "S1", "right_for_others": [
            {"student_id": "s2", "questions": ["q4_4", "q4_6"]}]}},
        {"id": "ben", "variant": {"student_id": "S2", "right_for_others": []}},
        {"id": "cat", "variant": {"student_id": "S3"}},
    ]}
    fits = variant_fits(results)
    assert fits == {("ann", "ben"): ["q4_4", "q4_6"]}
    pairs = add_variant_evidence([Pair("ben", "cat", score=0.2)], fits, 0.5)
    top = pairs[0]
    assert {top.a, top.b} == {"ann", "ben"} and top.flagged and top.score >= 0.9
    assert "right for ben's numbers" in top.evidence()
    assert not pairs[1].flagged
