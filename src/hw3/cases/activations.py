"""Part 2.3 and 2.4: the sigmoid and ReLU activations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..checking import fmt, is_number, require, require_array, require_close, verdict_of
from . import Case
from .probing import call_quietly, fn, plain, snapshot, unchanged

Env = Mapping[str, Any]

_STABLE_HINT = "for large negative z, exp(-z) overflows: compute with exp(-|z|) (two branches), " \
               "or use np.tanh or scipy.special.expit"

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
        require(np.isclose(value, float(right), rtol=1e-9, atol=0),
                f"sigmoid({z}) should be {fmt(float(right))}, got {fmt(value)}.",
                "sigmoid(z) = 1 / (1 + exp(-z)); check the sign in the exponent")


@verdict_of
def judge_sigmoid_array(got: Any, expected: Any) -> None:
    require_close(got, expected, "sigmoid of a 3x5 array", rtol=1e-9)


@verdict_of
def judge_sigmoid_scalar(got: Any, expected: Any) -> None:
    value = _number(got, "sigmoid(0.75)")
    require(np.isclose(value, float(expected), rtol=1e-9), "sigmoid of a Python float is wrong.")


@verdict_of
def judge_sigmoid_stable(got: Any, expected: Any) -> None:
    require(not got["warnings"], "sigmoid raised a warning for large |z|: "
            f"{'; '.join(got['warnings'][:1])}",
            _STABLE_HINT)
    out = require_array(got["out"], "sigmoid of an array with large |z|", expected["out"].shape)
    require(np.all(np.isfinite(out)), "sigmoid returned NaN or inf for large |z|.", _STABLE_HINT)
    # Tiny values may round to 0 (e.g. the tanh form at z = -50): compare absolutely there.
    require_close(out, expected["out"], "sigmoid for large |z|", rtol=1e-9, atol=1e-12)
    require(_number(got["low"], "sigmoid(-1e4)") == 0.0, "sigmoid(-1e4) should be exactly 0.0.",
            _STABLE_HINT)
    require(_number(got["high"], "sigmoid(1e4)") == 1.0, "sigmoid(1e4) should be exactly 1.0.")


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
    return {"unchanged": unchanged(before, (z,)), "result": plain(out)}


def probe_relu_types(env: Env) -> Any:
    out = fn(env, "relu")([[-1, 2], [3, -4]])
    return {"type": type(out).__module__.split(".")[0] + "." + type(out).__name__,
            "value": plain(out)}


@verdict_of
def judge_relu_values(got: Any, expected: Any) -> None:
    for key, what in (("number", "relu(-3.5)"), ("positive", "relu(2)")):
        require(np.isclose(_number(got[key], what), float(expected[key])),
                f"{what} should be {fmt(expected[key])}, got {fmt(got[key])}.")
    require_close(got["list"], expected["list"], "relu([-1, 0, 2.5])",
                  hint="convert the input with np.asarray first")
    require_close(got["array"], expected["array"], "relu of an array",
                  hint="relu(z) = max(0, z) elementwise: np.maximum, not np.max")


@verdict_of
def judge_relu_shape(got: Any, expected: Any) -> None:
    require_close(got, expected, "relu of a 4x3 array", hint="keep the input's shape")


@verdict_of
def judge_relu_types(got: Any, expected: Any) -> None:
    require(got["type"] == "numpy.ndarray", f"relu of a list should return a NumPy array, got a "
            f"{got['type']}.", "np.maximum(0, np.asarray(z)) works for numbers, lists and arrays")
    require_close(got["value"], expected["value"], "relu of a nested list")


@verdict_of
def judge_relu_unchanged(got: Any, expected: Any) -> None:
    require_array(got["result"], "relu of a 3x4 array", expected["result"].shape)
    require(got["unchanged"] is True, "relu changed the array it was given.",
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
         "numerically stable: no warning, no NaN, exact 0 and 1 at |z| = 1e4",
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
