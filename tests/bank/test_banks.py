"""The bank of mistakes and right answers (tests/fixtures): fair and sharp grading.

Every mistake must lose points on exactly the questions its docstring names, and every right
answer must get full marks, whichever runner grades them: ``hw3 grade``'s engine, Otter (slow),
or, on part of the bank, this process. What failing cases tell the student must be readable
and, for hidden cases, give nothing of the expected data away.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy as sp

from hw3 import bank
from hw3.grading.registry import grader

CASES = grader().cases
QUESTIONS = grader().questions


@pytest.fixture(scope="module")
def fixtures(root: Path) -> list[bank.Fixture]:
    return bank.load_fixtures(root / "tests" / "fixtures")


@pytest.fixture(scope="module")
def graded(fixtures, root, tmp_path_factory) -> tuple[list[bank.Outcome], bank.Rates]:
    # Without the ungraded plots and training demonstrations: they define nothing the cases
    # probe, and would more than double the time (`python -m hw3.bank --runner grade` keeps them).
    return bank.run("grade", fixtures, root, tmp_path_factory.mktemp("bank-grade"), jobs=2,
                    demos=False)


def _assert_perfect(rates: bank.Rates) -> None:
    assert rates.perfect, "\n" + rates.text()
    assert rates.catch_rate == 1.0 and rates.false_alarm_rate == 0.0


# ----------------------------------------------------------------------------- the bank itself


def test_bank_is_big_enough_and_covers_every_question(fixtures):
    mistakes = [f for f in fixtures if f.kind == "mistake"]
    right = [f for f in fixtures if f.kind == "right"]
    assert len(mistakes) >= 40 and len(right) >= 20
    per_question = Counter(q for f in mistakes for q in f.loses)
    assert {q: per_question[q] for q in QUESTIONS if per_question[q] < 2} == {}


def test_fixture_docstrings_say_what_and_what_it_loses(fixtures):
    for f in fixtures:
        assert len(f.description) > 15, f.name
        assert f.loses <= set(QUESTIONS), f.name
        assert bool(f.loses) == (f.kind == "mistake"), f.name


def test_each_fixture_goes_right_after_the_cell_defining_its_names(fixtures, root):
    import nbformat

    solution = nbformat.read(bank.solution_path(root), as_version=4)
    fx = next(f for f in fixtures if f.name == "mistakes/sigmoid_naive")
    nb = bank.fixture_notebook(solution, fx)
    i = next(i for i, c in enumerate(nb.cells) if c.source == fx.code)
    assert "def sigmoid" in nb.cells[i - 1].source
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    # The solution itself is untouched.
    assert sum(c.source == fx.code for c in solution.cells) == 0


def test_a_fixture_without_loses_line_is_refused(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text('"""A mistake without the questions it loses."""\nx_answer = 1\n')
    with pytest.raises(bank.BankError, match="loses"):
        bank.parse_fixture(path, "mistake")
    path.write_text('"""A mistake.\n\nloses: no_such_question\n"""\nx_answer = 1\n')
    with pytest.raises(bank.BankError, match="unknown"):
        bank.parse_fixture(path, "mistake")


# ----------------------------------------------------------------------------- the rates


# The whole bank is graded by hw3 grade's engine (the product's path: sandbox, wire, judges)
# and by Otter; the claims on what students are told are checked on hw3 grade's outcomes. The
# in-process runner (a quick tool for developers) gives the same verdicts by construction and is
# held to perfect rates on a quarter of the bank (test_verdicts_do_not_depend_on_the_slip_models)
# and through `hw3 bank` (test_main_reports_the_rates): a third full batch would repeat the
# first's claims.


@pytest.mark.slow
def test_hw3_grade_catches_every_mistake_and_passes_every_right_answer(graded):
    _assert_perfect(graded[1])


@pytest.mark.slow
def test_otter_catches_every_mistake_and_passes_every_right_answer(fixtures, root, tmp_path):
    # Two otter processes at a time, without the ungraded demonstrations (as for grade above),
    # and independent fixtures sharing notebooks (15 Otter runs rather than 80): each mistake
    # is still held to losing its own questions and no question that no other member owns.
    _, rates = bank.run("otter", fixtures, root, tmp_path, jobs=2, demos=False)
    _assert_perfect(rates)


@pytest.mark.slow
def test_public_cases_signal_at_least_90_percent_of_the_code_mistakes(graded):
    # What a student sees before hand-in: every requirement a prompt states has a public case,
    # so nearly every realistic code mistake fails one (the share is measured on this bank).
    signal = bank.public_signal(graded[0])
    assert signal.mistakes >= 40
    assert signal.share >= 0.9, "\n" + signal.text()


def test_independent_mistakes_share_notebooks_and_keep_their_own_verdicts(fixtures):
    groups = bank.group_right_answers(fixtures, mistakes_too=True)
    assert len(groups) < len(fixtures) / 4
    for group in groups:
        for a in group:
            for b in group:
                if a is not b:
                    assert not (a.loses & b.loses or a.names & b.names), (a.name, b.name)
    # A member is charged with any question lost that no other member owns.
    a, b = next(g for g in groups if len(g) > 1 and g[0].kind == "mistake")[:2]
    qa, qb = next(iter(a.loses)), next(iter(b.loses))
    spill = next(q for q in QUESTIONS if q not in a.loses | b.loses)
    scores = {q: (1.0, 2.0) if q in (qa, qb, spill) else (2.0, 2.0) for q in QUESTIONS}
    mine = bank.split_outcome(a, [a, b], scores, {}, "", 1.0)
    assert mine.lost == {qa, spill} and not mine.ok
    scores[spill] = (2.0, 2.0)
    assert bank.split_outcome(a, [a, b], scores, {}, "", 1.0).ok


@pytest.mark.slow  # over 5 s here (--durations)
def test_main_reports_the_rates(root, capsys):
    from hw3.commands.bank import main

    assert main(["--runner", "inprocess", "--root", str(root), "--only", "sigmoid"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"inprocess: catch rate \d+/\d+ = 100\.0%, false-alarm rate 0/\d+ = "
                     r"0\.0%", out)


# ----------------------------------------------------------------------------- the feedback


def _numbers(value: Any) -> list[float]:
    """Every number inside a case's expected data."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return []
    if isinstance(value, (int, float, np.integer, np.floating)):
        return [float(value)]
    if isinstance(value, np.ndarray):
        return [float(v) for v in value.ravel()] if value.dtype.kind in "biuf" else []
    if isinstance(value, sp.Basic):
        return [float(a) for a in value.atoms(sp.Number)]
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, (list, tuple)):
        return [n for v in value for n in _numbers(v)]
    return []


def _revealing(numbers: list[float]) -> set[str]:
    """How the telling numbers would be written: whole numbers from 10 up and decimals with at
    least three significant digits (0, 1, 2 or 0.5 say nothing)."""
    forms = set()
    for v in numbers:
        if not math.isfinite(v):
            continue
        if v.is_integer():
            if abs(v) >= 10:
                forms.add(str(int(v)))
        elif len(f"{abs(v):.3g}".replace("0.", "").lstrip("0")) >= 3:
            forms |= {f"{v:.3g}", f"{v:.4g}"} | ({f"{v:.4f}"} if abs(v) >= 1e-3 else set())
    return forms


def _check_messages(outcomes: list[bank.Outcome], expected: dict[str, Any]) -> list[str]:
    problems = []
    for o in outcomes:
        for case_id, text in o.messages.items():
            where = f"{o.fixture.name} {case_id}"
            if not text.strip():
                problems.append(f"{where}: empty message")
            if "Traceback" in text or 'File "' in text:
                problems.append(f"{where}: shows a traceback: {text}")
            if CASES[case_id].hidden:
                if not text.startswith(("Hidden test failed: ", "Hidden test crashed (",
                                        "Hidden test could not run (", "Hidden test stopped (")):
                    problems.append(f"{where}: a hidden case says more than its property")
                shown = [n for n in _revealing(_numbers(expected[case_id]))
                         if re.search(rf"(?<![\w.]){re.escape(n)}(?![\w])", text)]
                if shown:
                    problems.append(f"{where}: reveals {shown}: {text}")
    return problems


@pytest.mark.slow
def test_failing_cases_explain_themselves_without_giving_hidden_data_away(graded, expected):
    outcomes = graded[0]
    mistakes = [o for o in outcomes if o.fixture.kind == "mistake"]
    assert all(o.messages for o in mistakes)
    assert _check_messages(outcomes, expected) == []


@pytest.mark.slow
def test_recognisable_mistakes_get_their_hint(graded):
    by_name = {o.fixture.name: o for o in graded[0]}
    hints = {
        "mistakes/fp_zeros_row": ("forward_propagation.bias", "must be ONES"),
        "mistakes/sigmoid_naive": ("sigmoid.stable", "overflows"),
        "mistakes/sigmoid_where_both_branches": ("sigmoid.stable", "np.where"),
        "mistakes/relu_in_place": ("relu.no_mutation", "z[z < 0] = 0"),
        "mistakes/model_xavier": ("build_model.he_init", "Xavier"),
        "mistakes/model_fan_out": ("build_model.he_init", "fan_out"),
        "mistakes/train_mean_loss": ("train.losses", "SUM"),
        "mistakes/train_no_zero_grad": ("train.losses", "zero_grad"),
        "mistakes/train_scheduler_per_batch": ("train.model", "once per epoch"),
        "mistakes/q4_4_no_biases": ("q4_4.n_params", "biases"),
        "mistakes/q4_4_transposed": ("q4_4.weight_shapes", "transposed"),
        "mistakes/q4_6_k_matrices": ("q4_6.n_weights", "K-1"),
        "mistakes/q3_1_missing_phi0": ("q3_1.y_linear", "phi0"),
        "mistakes/init_uniform": ("init_weights.normal", "np.random.rand"),
    }
    for name, (case_id, words) in hints.items():
        assert words in by_name[name].messages.get(case_id, ""), (name, by_name[name].messages)


# ----------------------------------------------------------------------------- the slip models


def test_slip_models_stay_with_the_grader():
    # hw3.grading.slips recomputes answers with a twist: the students' checks must not carry it.
    from hw3.build import package_files

    shipped = {name.rpartition("/")[2] for name, _ in package_files(student=True, data={})}
    assert "slips.py" not in shipped and "bank.py" not in shipped


@pytest.mark.slow  # over 5 s here (--durations)
def test_verdicts_do_not_depend_on_the_slip_models(fixtures, root, monkeypatch):
    # Where hw3.grading.slips is missing (a student's grader.check), only the hints get plainer.
    from hw3.cases import numpy_net, torch_train

    for module in (numpy_net, torch_train):
        monkeypatch.setattr(module, "slip_models", lambda: None)
    chosen = [f for f in fixtures if f.name.split("/")[1].startswith(
        ("ff_", "predict_", "fp_", "train_"))]
    outcomes = bank.run_inprocess(chosen, root)
    assert bank.rates("inprocess", outcomes).perfect
    assert all(o.messages for o in outcomes if o.fixture.kind == "mistake")
