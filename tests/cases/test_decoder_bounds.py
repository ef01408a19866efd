"""The trusted side's bounds on data from a submission: the decoder refuses what would cost
time or memory before doing the work, never evaluates, and the checks it feeds stay bounded."""

from __future__ import annotations

import json

import pytest
import sympy as sp

from hw3.cases import wire
from hw3.cases.checking import CANONICAL, sym_equal
from hw3.cases.hints import MAX_MESSAGE, explain_error, hint_for

D = sp.Symbol("D")


def _sym(node) -> str:
    return json.dumps({"$sym": node})


@pytest.mark.parametrize("text", [
    _sym(["Pow", ["Integer", "2"], ["Integer", str(10**398)]]),  # 399 digits
    _sym(["Pow", ["Integer", "2"], ["Integer", str(10**60)]]),  # few digits, huge value
    _sym(["Pow", ["Symbol", "D"], ["Integer", str(10**60)]]),
    _sym(["Pow", ["Pow", ["Integer", str(10**99)], ["Integer", "1000"]], ["Integer", "1000"]]),
    wire.encode(D ** (D ** (D**D))),  # a tower: huge once numbers are substituted
    wire.encode(sp.exp(sp.exp(sp.exp(D)))),
    _sym(["exp", ["Mul", ["Integer", str(10**50)], ["log", ["Integer", "2"]]]]),  # 2**(10**50)
    _sym(["Integer", "1" * 101]),
    _sym(["Rational", "1", "1" * 101]),
    _sym(["Symbol", "x" * 101]),
    _sym(["Add"]),
    _sym(["Max", *[["Symbol", f"x{i}"] for i in range(wire.MAX_CHOICES + 1)]]),
    _sym(["Pow", ["Integer", "2"]]),
    "1" + "0" * 200,  # a plain integer of 201 digits
    json.dumps("x" * (wire.MAX_STRING + 1)),
    json.dumps({"$dict": {"k" * (wire.MAX_STRING + 1): 1}}),
    "[" + "[]," * (wire.MAX_CONTAINERS + 1) + "[]]",  # a flood of empty lists
    "[" * (wire.MAX_CONTAINERS + 1) + "]" * (wire.MAX_CONTAINERS + 1),
    "[" + "0," * (wire.MAX_ITEMS + 1) + "0]",
    '{"$np": {"dtype": "int8", "value": 100000}}',
    '{"$nd": {"dtype": "uint8", "shape": [1], "data": [-1]}}',
])
def test_costly_data_is_refused_cheaply(text):
    with pytest.raises(wire.WireError):
        wire.decode(text)


def test_a_huge_power_built_without_evaluation_is_refused_not_computed():
    # Pow(2, 10**398, evaluate=False) once hung the decoder itself.
    with pytest.raises(wire.WireError, match="too large"):
        wire.decode(wire.encode(sp.Pow(2, 10**398, evaluate=False)))


def test_the_reference_data_and_ordinary_formulas_pass_the_bounds():
    from hw3.grading.registry import load_expected

    assert load_expected()  # decodes every recorded probe
    x = sp.Symbol("x")
    for expr in (3 * D**2 + D, sp.exp(-x), 1 / (1 + sp.exp(-x)), sp.Max(0, x), D**D,
                 (D + 1) ** 100, sp.sqrt(x), sp.Piecewise((x, x > 0), (0, True)),
                 x * sp.Heaviside(x), sp.Heaviside(x, 0), sp.Abs(x) + sp.sign(x),
                 sp.Rational(-7, 3) * x**-2):
        assert wire.decode(wire.encode(expr)) == expr


def test_decoded_expressions_are_never_evaluated():
    back = wire.decode(_sym(["Add", ["Integer", "1"], ["Integer", "2"]]))
    assert back.is_Add and back.doit() == 3


def test_numeric_checks_of_huge_powers_are_bounded():
    ref = CANONICAL["D_i"] * D + D * CANONICAL["D_o"]
    assert not sym_equal(sp.Pow(D, 10**30, evaluate=False), ref)
    assert not sym_equal(D ** (10**398), ref)
    assert sym_equal(sp.expand((D + 1) ** 3), (D + 1) ** 3)


def test_hints_match_only_the_start_of_a_huge_message():
    bomb = "shapes " * 1_000_000 + "not alignex"
    assert hint_for("ValueError", bomb) == ""
    assert hint_for("TypeError", "unsupported operand " * 300_000) == ""
    assert "np.asarray" in hint_for("TypeError", "unsupported operand type(s) for *: 'list'")
    message, _ = explain_error(_Case(), {"type": "E" * 10**6, "message": bomb})
    assert len(message) < MAX_MESSAGE


class _Case:
    question = "relu"
