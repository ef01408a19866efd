"""Part 2.1: the sigmoid and ReLU activations, their public cases and the judges they share
with the hidden ones (``hw3.hidden.activations``, which hold other inputs)."""

from __future__ import annotations

from typing import Any

import numpy as np

from hw3.cases.case import Case, Env
from hw3.cases.checking import fmt, is_number, require, require_array, require_close, verdict_of
from hw3.cases.probing import call_quietly, changed_args, fn, plain, snapshot

FLIPPED_HINT = "the sign in the exponent is flipped: sigmoid(z) = 1 / (1 + exp(-z))"
STABLE_HINT = "for large negative z, exp(-z) overflows: compute with exp(-|z|) (two branches), " \
               "or as 0.5 * (1 + np.tanh(z / 2))"

# ----------------------------------------------------------------------------- sigmoid


def probe_sigmoid_values(env: Env) -> Any:
    s = fn(env, "sigmoid")
    return [plain(s(v)) for v in (0, 2, -2)]


def stability_probe(z: np.ndarray) -> Any:
    """A probe of sigmoid on ``z`` and on the two numbers -1e4 and 1e4 the prompt names."""

    def probe(env: Env) -> Any:
        out, warns = call_quietly(fn(env, "sigmoid"), z.copy())
        low, warns_low = call_quietly(fn(env, "sigmoid"), -1e4)
        high, warns_high = call_quietly(fn(env, "sigmoid"), 1e4)
        return {"out": plain(out), "low": plain(low), "high": plain(high),
                "warnings": warns + warns_low + warns_high}

    return probe


# The prompt's own example: |z| up to 1e4, where a plain 1/(1 + exp(-z)) overflows.
probe_sigmoid_stable_public = stability_probe(np.array([-1e4, -800.0, -2.0, 0.0, 2.0, 800.0,
                                                        1e4]))


def require_number(v: Any, what: str) -> float:
    require(is_number(v) or (isinstance(v, np.ndarray) and v.size == 1),
            f"{what} should be a number, got {fmt(v)}.")
    return float(np.asarray(v, dtype=float).reshape(-1)[0])


@verdict_of
def judge_sigmoid_values(got: Any, expected: Any) -> None:
    for z, mine, right in zip((0, 2, -2), got, expected):
        value = require_number(mine, f"sigmoid({z})")
        flipped = np.isclose(value, 1 - float(right), rtol=1e-9)
        require(np.isclose(value, float(right), rtol=1e-9, atol=0),
                f"sigmoid({z}) should be {fmt(float(right))}, got {fmt(value)}.",
                "the sign in the exponent is flipped: sigmoid(z) = 1 / (1 + exp(-z)) grows with z"
                if flipped else "sigmoid(z) = 1 / (1 + exp(-z))")




_WHERE_HINT = "np.where(cond, A, B) computes A and B on every element, so the branch meant for " \
              "the other sign still overflows: compute e = exp(-|z|) once, or fill the two " \
              "halves separately through a mask"
_NAN_HINT = "exp(z) / (1 + exp(z)) is inf/inf = NaN for large positive z: use that form only " \
            "where z < 0"
_EXACT_HINT = "sigmoid(-1e4) must be exactly 0.0 and sigmoid(1e4) exactly 1.0: clipping z (to " \
              "+-500, say) hides the overflow but leaves a tiny non-zero number"


@verdict_of
def judge_sigmoid_stable(got: Any, expected: Any) -> None:
    warns, out = got["warnings"], got["out"]
    nan = isinstance(out, np.ndarray) and out.dtype.kind == "f" and bool(np.isnan(out).any())
    invalid = any("invalid value" in w for w in warns)
    # NaN in the result: the exp(z) form ran where z is large. Only a warning: both branches of
    # an np.where were computed (the wrong one's NaN was thrown away). Else plain overflow.
    hint = _NAN_HINT if nan else _WHERE_HINT if invalid else STABLE_HINT
    require(not warns, "sigmoid raised a warning for large |z|: "
            f"{'; '.join(warns[:2])}.", hint)
    out = require_array(out, "sigmoid of an array with large |z|", expected["out"].shape)
    require(np.all(np.isfinite(out)), "sigmoid returned NaN or inf for large |z|.", hint)
    # Tiny values may round to 0 (e.g. the tanh form at z = -50): compare absolutely there.
    require_close(out, expected["out"], "sigmoid for large |z|", rtol=1e-9, atol=1e-12,
                  hint=FLIPPED_HINT if out.shape == expected["out"].shape and
                  np.allclose(out, 1 - expected["out"], atol=1e-12) else "")
    low = require_number(got["low"], "sigmoid(-1e4)")
    high = require_number(got["high"], "sigmoid(1e4)")
    require(low == 0.0, f"sigmoid(-1e4) should be exactly 0.0, got {fmt(low)}.", _EXACT_HINT)
    require(high == 1.0, f"sigmoid(1e4) should be exactly 1.0, got {fmt(high)}.", _EXACT_HINT)


# ----------------------------------------------------------------------------- relu


def probe_relu_values(env: Env) -> Any:
    r = fn(env, "relu")
    return {"number": plain(r(-3.5)), "positive": plain(r(2)), "list": plain(r([-1, 0, 2.5])),
            "array": plain(r(np.array([-2.0, 0.5, 3.0, -0.1])))}


def relu_mutation_probe(z: np.ndarray) -> Any:
    """A probe: relu on ``z``, and whether ``z`` changed."""

    def probe(env: Env) -> Any:
        arg = z.copy()
        before = snapshot(arg)
        out = fn(env, "relu")(arg)
        return {"changed": changed_args(before, (arg,), ["z"]), "result": plain(out)}

    return probe


probe_relu_unchanged_public = relu_mutation_probe(np.array([[-1.5, 2.0], [0.25, -3.0]]))


@verdict_of
def judge_relu_values(got: Any, expected: Any) -> None:
    for key, what in (("number", "relu(-3.5)"), ("positive", "relu(2)")):
        value = require_number(got[key], what)
        require(np.isclose(value, float(expected[key])),
                f"{what} should be {fmt(expected[key])}, got {fmt(value)}.",
                relu_hint(got[key], expected[key]))
    require_close(got["list"], expected["list"], "relu([-1, 0, 2.5])",
                  hint="convert the input with np.asarray first")
    require_close(got["array"], expected["array"], "relu of an array",
                  hint=lambda: relu_hint(got["array"], expected["array"]))


def relu_hint(mine: Any, right: Any) -> str:
    if mine is None:  # a stub or a missing `return`: the message says so, the hint gives nothing
        return ""
    mine_a, right_a = np.asarray(mine), np.asarray(right, dtype=float)
    if mine_a.shape == right_a.shape and mine_a.dtype.kind in "biuf" and np.any(mine_a < 0):
        return "ReLU gives exactly 0 for negative z (no small slope as in leaky ReLU)"
    return "relu(z) = max(0, z) elementwise: np.maximum(0, z), not np.max"


@verdict_of
def judge_relu_unchanged(got: Any, expected: Any) -> None:
    # Only a relu that does its job earns this: a stub changes nothing either.
    require(got.get("changed") == [], "relu changed the array it was given.",
            "z[z < 0] = 0 changes the caller's array: compute a new one (np.maximum(0, z))")
    require_close(got["result"], expected["result"], "relu of a 2-D array",
                  hint=lambda: relu_hint(got["result"], expected["result"]))


# ----------------------------------------------------------------------------- the cases

CASES = [
    Case(id="sigmoid.values", points=2, hidden=False,
         description="sigmoid(0), sigmoid(2) and sigmoid(-2)",
         probe=probe_sigmoid_values, judge=judge_sigmoid_values),
    Case(id="sigmoid.stable_example", points=2, hidden=False,
         description="numerically stable for |z| up to 1e4: no warning, no NaN, sigmoid(-1e4) == "
                     "0.0 and sigmoid(1e4) == 1.0",
         probe=probe_sigmoid_stable_public, judge=judge_sigmoid_stable),
    Case(id="relu.values", points=2, hidden=False,
         description="relu of a number, a list and an array",
         probe=probe_relu_values, judge=judge_relu_values),
    Case(id="relu.unchanged_example", points=1, hidden=False,
         description="leaves the array it is given unchanged (and returns the right values)",
         probe=probe_relu_unchanged_public, judge=judge_relu_unchanged),
]
