"""Per-student variants: a pure function of (salt, id), fair, and rarely the same answer twice."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter

import pytest

from hw3.cases.variants import DEFAULT, Config, VariantError, load_config, params, variant_name
from hw3.grading.variant_answers import answers

CONFIG = Config(enabled=True, salt="test-salt")
IDS = [f"s{1000 + i}" for i in range(300)]


def _shared_pairs(values: list) -> float:
    """The share of pairs of ids whose values are equal."""
    counts = Counter(values)
    same = sum(n * (n - 1) // 2 for n in counts.values())
    return same / (len(values) * (len(values) - 1) // 2)


def rates(config: Config) -> dict[str, float]:
    everyone = [answers(params(i, config)) for i in IDS]
    return {"q4_4": _shared_pairs([a["q4_4_n_params"] for a in everyone]),
            "q4_6": _shared_pairs([(a["q4_6_extra_weights_depth"],
                                    a["q4_6_extra_weights_width"]) for a in everyone])}


@pytest.mark.parametrize("config", [CONFIG, load_config()], ids=["test salt", "course salt"])
def test_a_classmates_answer_is_rarely_yours_over_300_ids(config: Config) -> None:
    if not config.enabled:
        pytest.skip("variants are off in this build")
    measured = rates(config)
    assert measured["q4_4"] <= 0.02, measured
    assert measured["q4_6"] <= 0.02, measured


def test_the_blank_id_is_the_books_numbers_and_answers() -> None:
    for sid in ("", "   ", None):
        assert params(sid, CONFIG) == DEFAULT
    assert variant_name("", CONFIG) == "default"
    book = answers(DEFAULT)
    assert book["q4_4_n_params"] == 439
    assert (book["q4_5_depth"], book["q4_5_width"]) == (20, 30)
    assert (book["q4_6_extra_weights_depth"], book["q4_6_extra_weights_width"]) == (100, 191)
    assert book["q4_6_answer"] == "width"


def test_variants_off_give_everyone_the_books_numbers() -> None:
    assert params("s1234", Config(enabled=False, salt="x")) == DEFAULT


def test_a_variant_is_a_pure_function_of_salt_and_id() -> None:
    assert params("s1001", CONFIG) == params(" S1001 ", CONFIG)  # space and case ignored
    assert params("s1001", CONFIG) != params("s1002", CONFIG)
    assert params("s1001", CONFIG) != params("s1001", Config(enabled=True, salt="other"))
    # The same in a fresh interpreter (no hash seed, no state).
    code = ("from hw3.cases.variants import Config, params; import json; "
            "print(json.dumps(params('s1001', Config(enabled=True, salt='test-salt'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"PYTHONHASHSEED": "123"}).stdout
    assert json.loads(out) == params("s1001", CONFIG)


def test_every_variant_is_a_fair_problem_of_the_same_kind() -> None:
    answers_4_6 = Counter()
    for sid in IDS:
        p = params(sid, CONFIG)
        sizes = p["q4_4"]["sizes"]
        assert len(sizes) == 5 and len(set(sizes)) == 5
        assert all(2 <= v <= 40 for v in sizes)
        q5 = p["q4_5"]
        assert all(2 <= v <= 40 for v in q5.values()) and len(set(q5.values())) == 4
        a = answers(p)
        assert a["q4_6_extra_weights_depth"] != a["q4_6_extra_weights_width"]  # never a tie
        assert 2 <= p["q4_6"]["K"] <= 40 and 2 <= p["q4_6"]["D"] <= 40
        answers_4_6[a["q4_6_answer"]] += 1
    # Both answers occur, neither rarely.
    assert min(answers_4_6["depth"], answers_4_6["width"]) > 100, answers_4_6


@pytest.mark.parametrize("bad, said", [
    ({"enabled": True}, "salt"),
    ({"salt": "x", "ranges": {"q3_1.x": [2, 40]}}, "does not vary"),
    ({"salt": "x", "ranges": {"q4_6.K": [2, 3]}}, r"low \+ 5"),
    ({"salt": "x", "colour": 1}, "unknown key"),
])
def test_a_bad_declaration_is_one_sentence(bad: dict, said: str) -> None:
    with pytest.raises(VariantError, match=said):
        Config.from_json(bad)


def test_the_closed_form_extra_weights_are_the_formulas_differences() -> None:
    import sympy as sp

    from hw3.grading.variant_answers import N_WEIGHTS, extra_weights

    D, D_i, D_o, K = sorted(N_WEIGHTS.free_symbols, key=str)  # noqa: N806
    for k in range(2, 41, 7):
        for d in range(2, 41, 5):
            base = {D_i: 1, D_o: 1, K: k, D: d}
            depth = N_WEIGHTS.subs({**base, K: k + 1}) - N_WEIGHTS.subs(base)
            width = N_WEIGHTS.subs({**base, D: d + 1}) - N_WEIGHTS.subs(base)
            assert extra_weights(k, d) == (sp.Integer(depth), sp.Integer(width))
