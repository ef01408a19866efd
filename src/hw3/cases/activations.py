"""Part 2.3 and 2.4: the sigmoid and ReLU activations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..checking import fmt, is_number, require, require_array, require_close, verdict_of
from . import Case
from .probing import call_quietly, changed_args, fn, plain, snapshot

Env = Mapping[str, Any]

_FLIPPED_HINT = "the sign in the exponent is flipped: sigmoid(z) = 1 / (1 + exp(-z))"
_STABLE_HINT = "for large negative z, exp(-z) overflows: compute with exp(-|z|) (two branches), " \
               "or as 0.5 * (1 + np.tanh(z / 2))"

# ----------------------------------------------------------------------------- sigmoid


def probe_sigmoid_values(env: Env) -> Any:
    s = fn(env, "sigmoid")
    return [plain(s(v)) for v in (0, 2, -2)]


def probe_sigmoid_array(env: Env) -> Any:
    z = np.random.default_rng(40).normal(0, 4, size=(3, 5))
    return plain(fn(env, "sigmoid")(z))


def probe_sigmoid_scalar(env: Env) -> Any:
    return plain(fn(env, "sigmoid")(0.75))


def probe_sigmoid_stable(env: Env) -> Any:
    z = np.array([-1e4, -1000.0, -50.0, -1e-3, 0.0, 1e-3, 50.0, 1000.0, 1e4])
    out, warns = call_quietly(fn(env, "sigmoid"), z)
    low, warns_low = call_quietly(fn(env, "sigmoid"), -1e4)
    high, warns_high = call_quietly(fn(env, "sigmoid"), 1e4)
    return {"out": plain(out), "low": plain(low), "high": plain(high),
            "warnings": warns + warns_low + warns_high}


def _number(v: Any, what: str) -> float:
    require(is_number(v) or (isinstance(v, np.ndarray) and v.size == 1),
            f"{what} should be a number, got {fmt(v)}.")
    return float(np.asarray(v, dtype=float).reshape(-1)[0])


@verdict_of
def judge_sigmoid_values(got: Any, expected: Any) -> None:
    for z, mine, right in zip((0, 2, -2), got, expected):
        value = _number(mine, f"sigmoid({z})")
        flipped = np.isclose(value, 1 - float(right), rtol=1e-9)
        require(np.isclose(value, float(right), rtol=1e-9, atol=0),
                f"sigmoid({z}) should be {fmt(float(right))}, got {fmt(value)}.",
                "the sign in the exponent is flipped: sigmoid(z) = 1 / (1 + exp(-z)) grows with z"
                if flipped else "sigmoid(z) = 1 / (1 + exp(-z))")


@verdict_of
def judge_sigmoid_array(got: Any, expected: Any) -> None:
    hint = ""
    if isinstance(got, np.ndarray) and got.shape == expected.shape and \
            np.allclose(got, 1 - expected, rtol=1e-9):
        hint = _FLIPPED_HINT
    require_close(got, expected, "sigmoid of a 3x5 array", rtol=1e-9,
                  hint=hint or "sigmoid works elementwise: use NumPy functions (np.exp), not math")


@verdict_of
def judge_sigmoid_scalar(got: Any, expected: Any) -> None:
    value = _number(got, "sigmoid(0.75)")
    require(np.isclose(value, float(expected), rtol=1e-9), f"sigmoid(0.75) should be "
            f"{fmt(float(expected))}, got {fmt(value)}.", _FLIPPED_HINT
            if np.isclose(value, 1 - float(expected), rtol=1e-9) else "")



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
    hint = _NAN_HINT if nan else _WHERE_HINT if invalid else _STABLE_HINT
    require(not warns, "sigmoid raised a warning for large |z|: "
            f"{'; '.join(warns[:2])}.", hint)
    out = require_array(out, "sigmoid of an array with large |z|", expected["out"].shape)
    require(np.all(np.isfinite(out)), "sigmoid returned NaN or inf for large |z|.", hint)
    # Tiny values may round to 0 (e.g. the tanh form at z = -50): compare absolutely there.
    require_close(out, expected["out"], "sigmoid for large |z|", rtol=1e-9, atol=1e-12,
                  hint=_FLIPPED_HINT if out.shape == expected["out"].shape and
                  np.allclose(out, 1 - expected["out"], atol=1e-12) else "")
    low, high = _number(got["low"], "sigmoid(-1e4)"), _number(got["high"], "sigmoid(1e4)")
    require(low == 0.0, f"sigmoid(-1e4) should be exactly 0.0, got {fmt(low)}.", _EXACT_HINT)
    require(high == 1.0, f"sigmoid(1e4) should be exactly 1.0, got {fmt(high)}.", _EXACT_HINT)


# ----------------------------------------------------------------------------- relu


def probe_relu_values(env: Env) -> Any:
    r = fn(env, "relu")
    return {"number": plain(r(-3.5)), "positive": plain(r(2)), "list": plain(r([-1, 0, 2.5])),
            "array": plain(r(np.array([-2.0, 0.5, 3.0, -0.1])))}


def probe_relu_shape(env: Env) -> Any:
    return plain(fn(env, "relu")(np.random.default_rng(41).standard_normal((4, 3))))


def probe_relu_no_mutation(env: Env) -> Any:
    z = np.random.default_rng(42).standard_normal((3, 4))
    before = snapshot(z)
    out = fn(env, "relu")(z)
    return {"changed": changed_args(before, (z,), ["z"]), "result": plain(out)}


def probe_relu_types(env: Env) -> Any:
    out = fn(env, "relu")([[-1, 2], [3, -4]])
    return {"type": type(out).__module__.split(".")[0] + "." + type(out).__name__,
            "value": plain(out)}


@verdict_of
def judge_relu_values(got: Any, expected: Any) -> None:
    for key, what in (("number", "relu(-3.5)"), ("positive", "relu(2)")):
        require(np.isclose(_number(got[key], what), float(expected[key])),
                f"{what} should be {fmt(expected[key])}, got {fmt(got[key])}.",
                _relu_hint(got[key], expected[key]))
    require_close(got["list"], expected["list"], "relu([-1, 0, 2.5])",
                  hint="convert the input with np.asarray first")
    require_close(got["array"], expected["array"], "relu of an array",
                  hint=lambda: _relu_hint(got["array"], expected["array"]))


def _relu_hint(mine: Any, right: Any) -> str:
    mine_a, right_a = np.asarray(mine), np.asarray(right, dtype=float)
    if mine_a.shape == right_a.shape and mine_a.dtype.kind in "biuf" and np.any(mine_a < 0):
        return "ReLU gives exactly 0 for negative z (no small slope as in leaky ReLU)"
    return "relu(z) = max(0, z) elementwise: np.maximum(0, z), not np.max"


@verdict_of
def judge_relu_shape(got: Any, expected: Any) -> None:
    hint = "keep the input's shape: work elementwise (np.maximum), without reshaping or " \
           "reducing" if np.shape(got) != expected.shape else _relu_hint(got, expected)
    require_close(got, expected, "relu of a 4x3 array", hint=hint)


@verdict_of
def judge_relu_types(got: Any, expected: Any) -> None:
    require(got["type"] == "numpy.ndarray", f"relu of a list should return a NumPy array, got a "
            f"{got['type']}.", "np.maximum(0, np.asarray(z)) works for numbers, lists and arrays")
    require_close(got["value"], expected["value"], "relu of a nested list",
                  hint=lambda: _relu_hint(got["value"], expected["value"]))


@verdict_of
def judge_relu_unchanged(got: Any, expected: Any) -> None:
    require_array(got["result"], "relu of a 3x4 array", expected["result"].shape)
    require(got.get("changed") == [], "relu changed the array it was given.",
            "z[z < 0] = 0 changes the caller's array: compute a new one (np.maximum(0, z))")


# ----------------------------------------------------------------------------- the cases

CASES = [
    Case("sigmoid.values", "sigmoid", 2, False, "sigmoid(0), sigmoid(2) and sigmoid(-2)",
         probe_sigmoid_values, judge_sigmoid_values),
    Case("sigmoid.array", "sigmoid", 2, True, "elementwise on a 2-D array, same shape back",
         probe_sigmoid_array, judge_sigmoid_array),
    Case("sigmoid.scalar", "sigmoid", 1, True, "works on a Python float", probe_sigmoid_scalar,
         judge_sigmoid_scalar),
    Case("sigmoid.stable", "sigmoid", 3, True,
         "numerically stable: no warning, no NaN, exactly 0 and 1 at z = -1e4 and 1e4",
         probe_sigmoid_stable, judge_sigmoid_stable),
    Case("relu.values", "relu", 2, False, "relu of a number, a list and an array",
         probe_relu_values, judge_relu_values),
    Case("relu.shape", "relu", 1, True, "keeps the shape of a 2-D array", probe_relu_shape,
         judge_relu_shape),
    Case("relu.types", "relu", 1, True, "returns a NumPy array for a nested list",
         probe_relu_types, judge_relu_types),
    Case("relu.no_mutation", "relu", 2, True, "does not change its argument",
         probe_relu_no_mutation, judge_relu_unchanged),
]
