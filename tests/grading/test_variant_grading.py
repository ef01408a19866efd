"""Grading against the student's own variant, judge by judge, in this process (quick); the
three grading paths end to end are in tests/student/test_variant_paths.py (slow)."""

from __future__ import annotations

import json

import pytest

from hw3.cases.checking import CANONICAL
from hw3.cases.variants import load_config, params
from hw3.grading.copying import BOOK, right_for_others
from hw3.grading.identity import declared_id, gradescope_id, resolve
from hw3.grading.registry import grader
from hw3.grading.variant_answers import VARIED, answers, expected_with

REGISTRY = grader()
CASES, judge, run_probes = REGISTRY.cases, REGISTRY.judge, REGISTRY.run_probes

CONFIG = load_config()
needs_variants = pytest.mark.skipif(not CONFIG.enabled, reason="variants are off in this build")
ALICE, BOB = "s1001", "s1002"
QUESTIONS = ("q4_4", "q4_5", "q4_6")


def namespace(student_id: str) -> dict:
    """A notebook answered right for ``student_id``'s numbers."""
    env = answers(params(student_id, CONFIG))
    env["q4_6_n_weights"] = env["q4_6_n_weights"].xreplace(
        {s: CANONICAL[s.name] for s in env["q4_6_n_weights"].free_symbols})
    return env


def failed(env: dict, graded_as: str, expected: dict) -> set[str]:
    ids = [c for c in CASES if c.split(".")[0] in QUESTIONS]
    probes = run_probes(ids, env)
    mine = expected_with(expected, graded_as, CONFIG)
    return {c for c in ids if not judge(CASES[c], probes[c], mine).ok}


@needs_variants
@pytest.mark.parametrize("sid", [ALICE, BOB, ""])
def test_answers_right_for_your_own_id_pass_every_case(sid: str, expected: dict) -> None:
    assert failed(namespace(sid), sid, expected) == set()


@needs_variants
def test_the_same_answers_under_another_id_lose_exactly_the_varied_cases(expected: dict
                                                                         ) -> None:
    alice, bob = answers(params(ALICE, CONFIG)), answers(params(BOB, CONFIG))
    lost = set(VARIED)
    if alice["q4_6_answer"] == bob["q4_6_answer"]:
        lost.discard("q4_6.answer")  # the same word is right for both
    assert failed(namespace(ALICE), BOB, expected) == lost
    # The book's published answers under a student's id lose the same.
    book_lost = set(VARIED) - ({"q4_6.answer"} if alice["q4_6_answer"] == "width" else set())
    assert failed(namespace(""), ALICE, expected) == book_lost


@needs_variants
def test_a_wrong_count_carried_from_your_own_shapes_keeps_its_credit(expected: dict) -> None:
    env = namespace(ALICE)
    sizes = params(ALICE, CONFIG)["q4_4"]["sizes"]
    env["q4_4_bias_sizes"] = sizes[:-1]  # a slip, on the student's own numbers
    env["q4_4_n_params"] = sum(r * c for r, c in env["q4_4_weight_shapes"]) + sum(sizes[:-1])
    assert failed(env, ALICE, expected) == {"q4_4.bias_sizes"}


@needs_variants
def test_the_judge_process_grades_the_variant_it_is_given() -> None:
    from hw3.grading.judging import Judges

    probe = REGISTRY.run_probes
    ids = [c for c in CASES if c.split(".")[0] in QUESTIONS]
    probes = probe(ids, namespace(ALICE))
    with Judges() as judges:
        own, _ = judges.judge_all(probes, ids, ALICE)
        other, _ = judges.judge_all(probes, ids, BOB)
    assert all(v.ok for v in own.values())
    assert {c for c, v in other.items() if not v.ok} >= set(VARIED) - {"q4_6.answer"}


@needs_variants
def test_answers_right_for_a_classmate_name_the_classmate() -> None:
    ids = [c for c in CASES if c.split(".")[0] in QUESTIONS]
    copied = run_probes(ids, namespace(BOB))
    found = right_for_others(copied, ALICE, [ALICE, BOB, "s1003"])
    assert [f["student_id"] for f in found] == [BOB]
    assert set(found[0]["questions"]) == set(QUESTIONS)
    assert right_for_others(run_probes(ids, namespace(ALICE)), ALICE, [ALICE, BOB]) == []
    book = right_for_others(run_probes(ids, namespace("")), ALICE, [BOB])
    assert [f["student_id"] for f in book] == [BOOK]


def test_the_notebooks_id_is_read_from_its_source_never_run() -> None:
    assert declared_id(['x = 1', 'STUDENT_ID = " s42 "  # mine\nsizes = f(STUDENT_ID)']) == "s42"
    assert declared_id(['STUDENT_ID = ""', 'STUDENT_ID = "s7"']) == "s7"  # the last one
    assert declared_id(['STUDENT_ID = input()', 'def f():\n    STUDENT_ID = "x"']) == ""
    assert declared_id(['STUDENT_ID = "' + "9" * 5000 + '"'])[:3] == "999"
    assert len(declared_id(['STUDENT_ID = "' + "9" * 5000 + '"'])) == 200
    assert declared_id(["this is not python ("]) == ""


def test_the_authoritative_id_is_the_rosters_then_gradescopes_then_the_notebooks() -> None:
    assert resolve("s1", "s2", "s3").to_json()["student_id"] == "s2"
    who = resolve("s1", None, "s3")
    assert (who.student_id, who.source, who.declared, who.mismatch) == ("s3", "gradescope",
                                                                       "s1", True)
    assert "s3" in who.note() and "s1" in who.note()
    who = resolve("s1")
    assert (who.source, who.mismatch, who.note()) == ("notebook", False, "")
    assert resolve("").to_json()["source"] == "none"
    assert not resolve("S1 ", "s1").mismatch  # case and space are no mismatch
    assert not resolve("", "s1").mismatch  # a blank id is no claim


def test_gradescope_metadata_gives_the_sid_or_the_email(tmp_path) -> None:
    meta = tmp_path / "submission_metadata.json"
    meta.write_text(json.dumps({"users": [{"email": "a@uni.edu", "sid": "s77", "name": "A"}]}))
    assert gradescope_id(meta) == "s77"
    assert gradescope_id(meta, "email") == "a@uni.edu"
    meta.write_text("{not json")
    assert gradescope_id(meta) is None
    assert gradescope_id(tmp_path / "absent.json") is None


def test_the_master_picks_which_gradescope_field_is_the_id() -> None:
    from hw3.cases.variants import Config, VariantError

    assert Config.from_json({"salt": "x", "gradescope_id": "email"}).gradescope_id == "email"
    assert Config.from_json({"salt": "x"}).gradescope_id == "sid"
    with pytest.raises(VariantError, match="sid or email"):
        Config.from_json({"salt": "x", "gradescope_id": "name"})
