"""Part 1, theory: UDL problems 3.1, 3.5, 3.10, 4.4, 4.5 and 4.6: the public cases.

Public cases check only the form of each answer (types, allowed symbols, counts), so they need
no expected data: nothing here, nor in the students' checks, holds an answer. Whether the
answers are right is judged by the hidden cases (``hw3.hidden.theory``), grader-only.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sympy as sp

from hw3.cases.case import Case, Env
from hw3.cases.checking import (
    CANONICAL,
    Reject,
    answer_expr,
    answer_value,
    as_fraction,
    as_int,
    canonical,
    require,
    require_int,
    unknown_symbols,
    verdict_of,
)
from hw3.cases.probing import describe, fn


def answers(*names: str):
    """A probe that describes the named answer fields."""

    def probe(env: Env) -> dict[str, Any]:
        return {n: describe(env.get(n)) for n in names}

    return probe

def _answered(got: dict[str, Any], name: str) -> dict[str, Any]:
    ans = got[name]
    require(ans.get("kind") != "missing", f"`{name}` is not answered yet (it is still `...`).")
    return ans

Q3_1_SYMBOLS = {"x", "psi0", "psi1", *(f"phi{i}" for i in range(4)),
                *(f"theta{d}{j}" for d in (1, 2, 3) for j in (0, 1))}

def _formula(got: dict[str, Any], name: str, allowed: set[str]) -> sp.Basic:
    expr = answer_expr(_answered(got, name), f"`{name}`")
    extra = unknown_symbols(expr, allowed)
    require(not extra, f"`{name}` uses symbols that are not part of the problem: "
            f"{', '.join(extra)}.", "use the symbols defined at the top of the notebook")
    return expr

@verdict_of
def judge_3_1_form(got: dict[str, Any], expected: Any) -> None:
    _formula(got, "q3_1_y_linear", Q3_1_SYMBOLS)
    _formula(got, "q3_1_y_identity", Q3_1_SYMBOLS)
    mapping = _answered(got, "q3_1_mapping")
    require(mapping.get("kind") == "str", "`q3_1_mapping` should be a word in a string.")

def probe_3_5(env: Env) -> dict[str, Any]:
    z, alpha = CANONICAL["z"], CANONICAL["alpha"]
    out: dict[str, Any] = {"counterexample": describe(env.get("q3_5_counterexample"))}
    relu_sym = env.get("relu_sym")
    if relu_sym is None or relu_sym is Ellipsis:
        out["relu_sym"] = "missing"
        return out
    f = fn(env, "relu_sym")
    out["relu_sym"] = "callable"
    # An error in relu_sym costs its own cases only, not the counterexample's.
    try:
        out["of_z"] = describe(f(z), parse_strings=True)
        out["of_alpha_z"] = describe(f(alpha * z), parse_strings=True)
    except Exception as e:  # noqa: BLE001 - the student's error is data for the judges
        out["relu_sym"] = "error"
        out["error"] = {"type": type(e).__name__, "message": str(e)[:300]}
    return out

def _relu_expr(got: dict[str, Any], key: str) -> sp.Basic:
    if got.get("relu_sym") == "error":
        from hw3.cases.hints import hint_for

        error = got.get("error", {})
        kind, text = str(error.get("type", "Error")), str(error.get("message", ""))
        raise Reject(f"relu_sym(z) raised {kind}: {text}", hint_for(kind, text, "q3_5"))
    require(got.get("relu_sym") == "callable", "`relu_sym` is not defined as a function yet.")
    expr = answer_expr(got[key], "what `relu_sym` returns")
    return canonical(expr)

@verdict_of
def judge_3_5_form(got: dict[str, Any], expected: Any) -> None:
    _relu_expr(got, "of_z")
    _pair(got)


def _pair(got: dict[str, Any]) -> tuple[Fraction, Fraction]:
    """The counterexample (alpha, z) as exact numbers."""
    pair = got["counterexample"]
    require(pair.get("kind") == "seq" and len(pair["items"]) == 2,
            "`q3_5_counterexample` should be a pair (alpha, z).")
    values = [as_fraction(answer_value(i)) for i in pair["items"]]
    require(all(v is not None for v in values),
            "both entries of `q3_5_counterexample` should be numbers.")
    return values[0], values[1]  # type: ignore[return-value]

PARAM_NAMES = ["phi0", "phi1", "phi2", "phi3", "theta10", "theta11", "theta20", "theta21",
               "theta30", "theta31"]

def _params(got: dict[str, Any]) -> dict[str, Fraction]:
    ans = _answered(got, "q3_10_two_region_params")
    require(ans.get("kind") == "dict", "`q3_10_two_region_params` should be a dict.")
    items = ans["items"]
    missing = [n for n in PARAM_NAMES if n not in items]
    require(not missing, f"`q3_10_two_region_params` lacks {', '.join(missing)}.")
    params = {n: as_fraction(answer_value(items[n])) for n in PARAM_NAMES}
    bad = [n for n, v in params.items() if v is None]
    require(not bad, f"these parameters are not numbers: {', '.join(bad)}.")
    return params  # type: ignore[return-value]

@verdict_of
def judge_3_10_form(got: dict[str, Any], expected: Any) -> None:
    for name in ("q3_10_max_regions", "q3_10_min_regions"):
        require_int(answer_value(_answered(got, name)), f"`{name}`")
    _params(got)

def _int_list(got: dict[str, Any], name: str, n: int) -> list[Any]:
    ans = _answered(got, name)
    require(ans.get("kind") == "seq", f"`{name}` should be a list of {n} entries, got a "
            f"{ans.get('kind')}.")
    require(len(ans["items"]) == n, f"`{name}` should be a list of {n} entries, one per layer; "
            f"it has {len(ans['items'])}.", "four weight matrices join five layers: D_i to D_1, "
            "D_1 to D_2, D_2 to D_3 and D_3 to D_o")
    return [answer_value(i) for i in ans["items"]]

@verdict_of
def judge_4_4_form(got: dict[str, Any], expected: Any) -> None:
    for pair in _int_list(got, "q4_4_weight_shapes", 4):
        require(isinstance(pair, list) and len(pair) == 2 and all(as_int(v) is not None
                for v in pair), "each entry of `q4_4_weight_shapes` should be a pair "
                "(rows, cols) of whole numbers.")
    for v in _int_list(got, "q4_4_bias_sizes", 4):
        require_int(v, "each entry of `q4_4_bias_sizes`")
    require_int(answer_value(_answered(got, "q4_4_n_params")), "`q4_4_n_params`")

@verdict_of
def judge_4_5_form(got: dict[str, Any], expected: Any) -> None:
    for name in ("q4_5_depth", "q4_5_width"):
        require_int(answer_value(_answered(got, name)), f"`{name}`")

Q4_6_SYMBOLS = {"D_i", "D_o", "D", "K"}

@verdict_of
def judge_4_6_form(got: dict[str, Any], expected: Any) -> None:
    _formula(got, "q4_6_n_weights", Q4_6_SYMBOLS)
    for name in ("q4_6_extra_weights_depth", "q4_6_extra_weights_width"):
        require_int(answer_value(_answered(got, name)), f"`{name}`")
    require(_answered(got, "q4_6_answer").get("kind") == "str",
            "`q4_6_answer` should be a word in a string.")

probe_3_1 = answers("q3_1_y_linear", "q3_1_y_identity", "q3_1_mapping")

probe_3_10 = answers("q3_10_max_regions", "q3_10_min_regions", "q3_10_two_region_params")

probe_4_4 = answers("q4_4_weight_shapes", "q4_4_bias_sizes", "q4_4_n_params")

probe_4_5 = answers("q4_5_depth", "q4_5_width")

probe_4_6 = answers("q4_6_n_weights", "q4_6_extra_weights_depth", "q4_6_extra_weights_width",
               "q4_6_answer")


# The form cases compare with nothing: they record no expected data (uses_expected=False).
CASES = [
    Case(id="q3_1.form", points=1, hidden=False,
         description="the three answers are formulas in the problem's symbols and a word",
         probe=probe_3_1, judge=judge_3_1_form, uses_expected=False),
    Case(id="q3_5.form", points=1, hidden=False,
         description="relu_sym returns a SymPy expression and the counterexample is a pair of "
                     "numbers",
         probe=probe_3_5, judge=judge_3_5_form, uses_expected=False),
    Case(id="q3_10.form", points=1, hidden=False,
         description="the region counts are whole numbers and the parameters a dict of ten numbers",
         probe=probe_3_10, judge=judge_3_10_form, uses_expected=False),
    Case(id="q4_4.form", points=1, hidden=False,
         description="four (rows, cols) pairs, four bias sizes and a whole-number count",
         probe=probe_4_4, judge=judge_4_4_form, uses_expected=False),
    Case(id="q4_5.form", points=1, hidden=False,
         description="depth and width are whole numbers",
         probe=probe_4_5, judge=judge_4_5_form, uses_expected=False),
    Case(id="q4_6.form", points=1, hidden=False,
         description="a formula in D_i, D_o, D and K, two whole numbers and a word",
         probe=probe_4_6, judge=judge_4_6_form, uses_expected=False),
]
