"""Hidden cases of Part 1 (theory): whether each answer is right (the accepted answers and
rules). Trusted: never in the students' checks (``hw3.build``), never bound into the sandbox
(``hw3.grading.jail``); the probes are the public ones (``hw3.hidden.theory``). A problem with
an answer's form (a type, a symbol) is said in the hint, as the public form case says it: it is
no secret.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import sympy as sp

from hw3.cases import theory as form
from hw3.cases.case import Case
from hw3.cases.checking import (
    CANONICAL,
    Reject,
    answer_expr,
    answer_value,
    as_int,
    canonical,
    fmt,
    require,
    require_int,
    sym_equal,
    unknown_symbols,
    verdict_of,
)
from hw3.cases.theory import (
    Q3_1_SYMBOLS,
    Q4_6_SYMBOLS,
    probe_3_1,
    probe_3_5,
    probe_3_10,
    probe_4_4,
    probe_4_5,
    probe_4_6,
)


def _shown(f: Any) -> Any:
    """A form helper whose rejection is also the hint (hidden cases show hints only)."""

    def wrapped(*args: Any) -> Any:
        try:
            return f(*args)
        except Reject as r:
            raise Reject(r.message, " ".join(p for p in (r.message, r.hint) if p)) from None

    return wrapped


_answered = _shown(form._answered)
_formula = _shown(form._formula)
_relu_expr = _shown(form._relu_expr)
_params = _shown(form._params)
_int_list = _shown(form._int_list)
_pair = _shown(form._pair)
_require_int = _shown(require_int)


def _int_answer(got: dict[str, Any], name: str) -> int:
    return _require_int(answer_value(_answered(got, name)), f"`{name}`")


def _text_answer(got: dict[str, Any], name: str) -> Any:
    ans = _answered(got, name)
    _shown(require)(ans.get("kind") == "str", f"`{name}` should be a word in a string.")
    return answer_value(ans)


def _judge_formula(name: str, allowed: set[str], hints: Sequence[tuple[Any, str]] = ()):
    @verdict_of
    def judge(got: dict[str, Any], expected: dict[str, Any]) -> None:
        mine = _formula(got, name, allowed)
        # The template's symbols (with their assumptions): the slips below are built from them.
        ref = canonical(answer_expr(expected[name], name))
        if sym_equal(mine, ref):
            return
        message = f"`{name}` = {fmt(canonical(mine))} is not equivalent to the right formula."
        for wrong, hint in hints:
            if sym_equal(mine, wrong(ref)):
                raise Reject(message, hint)
        missing = sorted(s.name for s in canonical(ref).free_symbols - canonical(mine).free_symbols)
        # A fixed sentence: which symbols the right formula holds is the accepted answer's.
        raise Reject(message, "your formula leaves out a symbol that the right formula uses: "
                     "check for a copy-paste slip in the indices" if missing else "")

    return judge

def _words(answer: Any) -> list[str]:
    """The words of a short text answer, lower case, punctuation and spacing ignored."""
    return re.findall(r"[a-z]+", str(answer).lower())

@verdict_of
def judge_3_1_mapping(got: dict[str, Any], expected: Any) -> None:
    answer = _text_answer(got, "q3_1_mapping")
    words = _words(answer)
    # "affine" (or "linear", UDL's loose word for it), in any case and with any punctuation
    # ("Affine.", "an affine function"); not "piecewise linear" nor "non-linear".
    negated = {"piecewise", "non", "nonlinear", "not"} & set(words)
    require(bool({"affine", "linear"} & set(words)) and not negated, f"`q3_1_mapping` = "
            f"{str(answer)!r} does not name the kind of function the network computes.",
            "without a nonlinearity there are no joints: a weighted sum of affine functions is "
            "affine" if "piecewise" in words else "a composition of affine maps is affine")

_P = sp.Symbol("p", positive=True)

def _cases(expr: sp.Basic) -> dict[str, sp.Basic]:
    """The expression for z > 0, z < 0 and z = 0."""
    z = CANONICAL["z"]
    return {"z > 0": sp.simplify(expr.subs(z, _P)), "z < 0": sp.simplify(expr.subs(z, -_P)),
            "z = 0": sp.simplify(expr.subs(z, 0))}

@verdict_of
def judge_3_5_is_relu(got: dict[str, Any], expected: Any) -> None:
    f = _relu_expr(got, "of_z")
    extra = unknown_symbols(f, {"z"})
    require(not extra, f"relu_sym(z) should only involve z, but it has {', '.join(extra)}.")
    want = {"z > 0": _P, "z < 0": sp.Integer(0), "z = 0": sp.Integer(0)}
    for case, value in _cases(f).items():
        require(sym_equal(value, want[case]), f"relu_sym(z) for {case} gives {value}, "
                f"but ReLU gives {want[case]}.", "ReLU keeps positive inputs and zeroes the rest")

@verdict_of
def judge_3_5_homogeneous(got: dict[str, Any], expected: Any) -> None:
    f, g = _relu_expr(got, "of_z"), _relu_expr(got, "of_alpha_z")
    alpha = CANONICAL["alpha"]
    # Proof by cases on the sign of z, with alpha > 0: ReLU[alpha z] = alpha ReLU[z] in each.
    for (case, fz), (_, gz) in zip(_cases(f).items(), _cases(g).items()):
        require(sym_equal(gz, alpha * fz), f"for {case} and alpha > 0, relu_sym(alpha*z) = {gz} "
                f"but alpha*relu_sym(z) = {sp.simplify(alpha * fz)}.")

@verdict_of
def judge_3_5_counterexample(got: dict[str, Any], expected: Any) -> None:
    alpha, z = _pair(got)
    relu = lambda v: max(Fraction(0), v)  # noqa: E731
    require(alpha < 0, f"alpha = {fmt(float(alpha))} is not negative: for alpha >= 0 the "
            "property holds, so there is no counterexample there.")
    require(relu(alpha * z) != alpha * relu(z), f"with alpha = {fmt(float(alpha))} and z = "
            f"{fmt(float(z))} both sides equal {fmt(float(relu(alpha * z)))}: not a "
            "counterexample.", "try a z for which one side of the equation is zero and the "
            "other is not")

def linear_regions(params: Mapping[str, Fraction]) -> int:
    """Exact number of linear regions of y = phi0 + sum_d phi_d ReLU(theta_d0 + theta_d1 x).

    A unit with theta_d1 != 0 and phi_d != 0 has a joint at x = -theta_d0/theta_d1 where the slope
    changes by phi_d*|theta_d1|; joints that coincide add up and may cancel."""
    change: dict[Fraction, Fraction] = {}
    for d in (1, 2, 3):
        phi, t0, t1 = params[f"phi{d}"], params[f"theta{d}0"], params[f"theta{d}1"]
        if t1 != 0 and phi != 0:
            joint = -t0 / t1
            change[joint] = change.get(joint, Fraction(0)) + phi * abs(t1)
    return 1 + sum(1 for c in change.values() if c != 0)

@verdict_of
def judge_3_10_counts(got: dict[str, Any], expected: dict[str, Any]) -> None:
    for name, what in (("q3_10_max_regions", "most"), ("q3_10_min_regions", "fewest")):
        mine = _int_answer(got, name)
        right = as_int(answer_value(expected[name]))
        require(mine == right, f"`{name}` = {mine} is not the {what} linear regions this "
                "network can have.", "each hidden unit adds at most one joint, and the regions "
                "are one more than the joints" if what == "most" else "a network whose hidden "
                "units never switch is one straight line: one region")

@verdict_of
def judge_3_10_two_regions(got: dict[str, Any], expected: Any) -> None:
    n = linear_regions(_params(got))
    require(n == 2, f"with these parameters the output has {n} linear region(s), not 2.",
            "a joint only counts if the slope really changes there: check phi_d and theta_d1 "
            "are non-zero, and that joints at the same x do not cancel" if n < 2 else
            "units that switch at different inputs each add a region: make exactly one joint "
            "(the other units constant, or switching at the same input)")

def _same_ints(a: Any, b: Any) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_ints(x, y) for x, y in zip(a, b))
    return as_int(a) is not None and as_int(a) == as_int(b)

@verdict_of
def judge_4_4_shapes(got: dict[str, Any], expected: dict[str, Any]) -> None:
    mine = _int_list(got, "q4_4_weight_shapes", 4)
    right = answer_value(expected["q4_4_weight_shapes"])
    if _same_ints(mine, right):
        return
    transposed = [list(reversed(p)) if isinstance(p, list) else p for p in mine]
    hint = ("the shapes are transposed: Omega_k maps D_k inputs to D_{k+1} outputs, so it has "
            "D_{k+1} rows" if _same_ints(transposed, right) else "Omega_k has D_{k+1} rows and "
            "D_k columns")
    raise Reject(f"`q4_4_weight_shapes` = {fmt(mine)} is not right.", hint)

@verdict_of
def judge_4_4_biases(got: dict[str, Any], expected: dict[str, Any]) -> None:
    mine = _int_list(got, "q4_4_bias_sizes", 4)
    require(_same_ints(mine, answer_value(expected["q4_4_bias_sizes"])),
            f"`q4_4_bias_sizes` = {fmt(mine)} is not right.", "beta_k is added to Omega_k h_k: "
            "one bias per unit of the layer it feeds (D_{k+1})")

def _own_count(got: dict[str, Any]) -> tuple[int, int] | None:
    """(weights, biases) from the student's own shapes and sizes, if they are whole numbers."""
    try:
        shapes = answer_value(got["q4_4_weight_shapes"])
        sizes = answer_value(got["q4_4_bias_sizes"])
        pairs = [(as_int(r), as_int(c)) for r, c in shapes]
        biases = [as_int(v) for v in sizes]
    except (TypeError, ValueError, KeyError):
        return None
    weights = [r * c for r, c in pairs if r is not None and c is not None]
    counts = [v for v in biases if v is not None]
    if len(weights) != len(pairs) or len(counts) != len(biases):
        return None
    return sum(weights), sum(counts)

def _of_own_network(got: dict[str, Any], expected: dict[str, Any]) -> bool:
    """Whether every number in the student's shapes and bias sizes is one of the layer sizes
    of the network the student was given (the expected shapes hold all five)."""
    def numbers(value: Any) -> set[Any]:
        if isinstance(value, list):
            return set().union(*(numbers(v) for v in value)) if value else set()
        return {as_int(value)}

    try:
        sizes = numbers(answer_value(expected["q4_4_weight_shapes"]))
        mine = numbers(answer_value(got["q4_4_weight_shapes"])) | numbers(
            answer_value(got["q4_4_bias_sizes"]))
    except (TypeError, ValueError, KeyError):
        return False
    return mine <= sizes


@verdict_of
def judge_4_4_count(got: dict[str, Any], expected: dict[str, Any]) -> None:
    mine = _int_answer(got, "q4_4_n_params")
    right = as_int(answer_value(expected["q4_4_n_params"]))
    if mine == right:
        return
    own = _own_count(got)
    # A total that follows from the student's own (wrong) shapes or sizes is not a second
    # mistake: those cost points in their own cases. Only shapes of the student's own network
    # count (made of its sizes): a total carried from another variant's shapes is not.
    if own is not None and mine == sum(own) and _of_own_network(got, expected):
        return
    hint = "count the weights and the biases of all four layers"
    if own is not None and mine == own[0]:
        hint = "you counted the weights only: add the biases, one per unit of every layer"
    raise Reject(f"`q4_4_n_params` = {mine} is not the number of parameters.", hint)

def _judge_int(name: str, hint: str = "", carried: Any = None):
    """A whole-number answer; ``carried(got, expected)`` gives the value that follows from the
    student's own earlier answers, also accepted (their mistake is graded where it was made)."""

    @verdict_of
    def judge(got: dict[str, Any], expected: dict[str, Any]) -> None:
        mine = _int_answer(got, name)
        right = as_int(answer_value(expected[name]))
        if mine == right or (carried is not None and mine is not None and
                             mine == carried(got, expected)):
            return
        raise Reject(f"`{name}` = {mine} is not right.", hint(got, expected) if callable(hint)
                     else hint)

    return judge

def _hint_4_5(name: str, base: str):
    other = "q4_5_width" if name == "q4_5_depth" else "q4_5_depth"

    def hint(got: dict[str, Any], expected: dict[str, Any]) -> str:
        mine, theirs = (as_int(answer_value(got[n])) for n in (name, other))
        if mine == as_int(answer_value(expected[other])) and \
                theirs == as_int(answer_value(expected[name])):
            return "depth and width are swapped: depth counts the hidden layers, width the " \
                   "units in one of them"
        return base

    return hint

# Part 2 of 4.6 in the book: D_i = D_o = 1 and K = D = 10. A variant's K and D come with its
# expected data (``hw3.grading.variant_answers``).
Q4_6_BASE = {"D_i": 1, "D_o": 1, "K": 10, "D": 10}


def _base_4_6(expected: Any) -> dict[str, int]:
    variant = expected.get("variant") if isinstance(expected, dict) else None
    if isinstance(variant, dict):
        return {"D_i": 1, "D_o": 1, "K": int(variant["K"]), "D": int(variant["D"])}
    return Q4_6_BASE

def _own_extra(change: str):
    """The extra weights that follow from the student's own formula when ``change`` ("K" or
    "D") grows by one; None if the formula cannot be read or evaluated."""

    def carried(got: dict[str, Any], expected: Any) -> int | None:
        try:
            expr = canonical(answer_expr(got["q4_6_n_weights"], "q4_6_n_weights"))
            if unknown_symbols(expr, Q4_6_SYMBOLS):
                return None
            numbers = _base_4_6(expected)
            base = {CANONICAL[k]: v for k, v in numbers.items()}
            grown = {**base, CANONICAL[change]: numbers[change] + 1}
            return as_int(sp.simplify(expr.xreplace(grown) - expr.xreplace(base)))
        except (Reject, TypeError, ValueError, KeyError, AttributeError):
            return None

    return carried

def _own_count_ok(got: dict[str, Any], expected: dict[str, Any], name: str, mine: int,
                  change: str) -> bool:
    right = as_int(answer_value(expected[name])) if name in expected else None
    return mine == right or mine == _own_extra(change)(got, expected)


_CHANGES = {"depth": {"depth", "deeper", "deepen", "deepening"},
            "width": {"width", "wider", "widen", "widening"}}

def _change(answer: Any) -> str | None:
    """"depth" or "width" if the answer names exactly one of them (any case, punctuation or
    form: "Width.", "wider"), else None."""
    words = set(_words(answer))
    named = [change for change, forms in _CHANGES.items() if forms & words]
    return named[0] if len(named) == 1 else None

@verdict_of
def judge_4_6_answer(got: dict[str, Any], expected: dict[str, Any]) -> None:
    answer = _text_answer(got, "q4_6_answer")
    word = _change(answer) or str(answer).strip().lower()
    right = str(answer_value(expected["q4_6_answer"])).strip().lower()
    if word == right:
        return
    # The conclusion that follows from the student's own counts is not a second mistake, when
    # those counts are right or follow from the student's own formula (for the student's
    # numbers: counts of another variant carry nothing).
    depth, width = (as_int(answer_value(got[n])) for n in ("q4_6_extra_weights_depth",
                                                           "q4_6_extra_weights_width"))
    if depth is not None and width is not None and depth != width and \
            word == ("depth" if depth > width else "width") and \
            _own_count_ok(got, expected, "q4_6_extra_weights_depth", depth, "K") and \
            _own_count_ok(got, expected, "q4_6_extra_weights_width", width, "D"):
        return
    raise Reject(f"`q4_6_answer` = {word!r} is not right.",
                 "compare the two counts of extra weights you found")

# Wrong formulas students hand in, as functions of the right one: a recognised one gets a hint.
_3_1_HINTS = [
    (lambda ref: ref - CANONICAL["phi0"], "the output bias phi0 is missing"),
]

_3_1_LINEAR_HINTS = [
    *_3_1_HINTS,
    (lambda ref: ref.subs(CANONICAL["psi0"], 0), "the activation's offset psi0 is missing: "
     "a[z] = psi0 + psi1*z"),
    (lambda ref: CANONICAL["psi0"] + CANONICAL["psi1"] * ref.subs(
        {CANONICAL["psi0"]: 0, CANONICAL["psi1"]: 1}), "the activation acts on each hidden "
     "unit's input theta_d0 + theta_d1*x, not on the network's output"),
]

_D, _K, _DI, _DO = (CANONICAL[n] for n in ("D", "K", "D_i", "D_o"))

_4_6_HINTS = [
    (lambda ref: ref.subs(_K, _K + 1), "K hidden layers are joined by K-1 matrices of size D x D"),
    (lambda ref: ref + _K * _D + _DO, "count the weights only, not the biases"),
]


CASES = [
    Case(id="q3_1.y_linear", points=2, hidden=True,
         description="the output with a linear activation is right",
         probe=probe_3_1, judge=_judge_formula("q3_1_y_linear", Q3_1_SYMBOLS, _3_1_LINEAR_HINTS)),
    Case(id="q3_1.y_identity", points=2, hidden=True,
         description="the output with the identity activation is right",
         probe=probe_3_1, judge=_judge_formula("q3_1_y_identity", Q3_1_SYMBOLS, _3_1_HINTS)),
    Case(id="q3_1.mapping", points=1, hidden=True,
         description="the kind of mapping is named correctly",
         probe=probe_3_1, judge=judge_3_1_mapping),
    Case(id="q3_5.is_relu", points=2, hidden=True,
         description="relu_sym is ReLU for positive, negative and zero z",
         probe=probe_3_5, judge=judge_3_5_is_relu),
    Case(id="q3_5.homogeneous", points=1, hidden=True,
         description="relu_sym(alpha*z) equals alpha*relu_sym(z) for alpha > 0, proved by cases",
         probe=probe_3_5, judge=judge_3_5_homogeneous),
    Case(id="q3_5.counterexample", points=2, hidden=True,
         description="the counterexample really breaks the property",
         probe=probe_3_5, judge=judge_3_5_counterexample),
    Case(id="q3_10.counts", points=2, hidden=True,
         description="the largest and smallest numbers of regions",
         probe=probe_3_10, judge=judge_3_10_counts),
    Case(id="q3_10.two_regions", points=3, hidden=True,
         description="the parameters give exactly two linear regions",
         probe=probe_3_10, judge=judge_3_10_two_regions),
    Case(id="q4_4.weight_shapes", points=2, hidden=True,
         description="the weight matrices' shapes",
         probe=probe_4_4, judge=judge_4_4_shapes),
    Case(id="q4_4.bias_sizes", points=1, hidden=True,
         description="the bias vectors' sizes",
         probe=probe_4_4, judge=judge_4_4_biases),
    Case(id="q4_4.n_params", points=2, hidden=True,
         description="the total number of parameters",
         probe=probe_4_4, judge=judge_4_4_count),
    Case(id="q4_5.depth", points=1.5, hidden=True,
         description="the depth", probe=probe_4_5,
         judge=_judge_int("q4_5_depth", _hint_4_5("q4_5_depth", "depth counts the hidden layers "
                                                  "only (not the input or output layer)"))),
    Case(id="q4_5.width", points=1.5, hidden=True,
         description="the width", probe=probe_4_5,
         judge=_judge_int("q4_5_width", _hint_4_5("q4_5_width", "width counts the units of one "
                                                  "hidden layer, not of all of them"))),
    Case(id="q4_6.n_weights", points=3, hidden=True,
         description="the formula for the number of weights",
         probe=probe_4_6, judge=_judge_formula("q4_6_n_weights", Q4_6_SYMBOLS, _4_6_HINTS)),
    Case(id="q4_6.extra_depth", points=1, hidden=True,
         description="the extra weights of one more layer",
         probe=probe_4_6,
         judge=_judge_int("q4_6_extra_weights_depth",
                          "one more hidden layer adds a whole D x D matrix", _own_extra("K"))),
    Case(id="q4_6.extra_width", points=2, hidden=True,
         description="the extra weights of one more unit in every hidden layer",
         probe=probe_4_6,
         judge=_judge_int("q4_6_extra_weights_width", "count the new unit's incoming and outgoing "
                          "weights in every layer, and do not count the weight between two new "
                          "units twice", _own_extra("D"))),
    Case(id="q4_6.answer", points=1, hidden=True,
         description="which change adds more weights",
         probe=probe_4_6, judge=judge_4_6_answer),
]
