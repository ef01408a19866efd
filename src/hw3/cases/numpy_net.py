"""Part 2.1 and 2.2: a small network in NumPy (init_weights, feedforward, predict) and the
bias trick (forward_propagation)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..checking import Reject, fmt, require, require_array, require_close, verdict_of
from . import Case
from .probing import call_quietly, fn, plain, snapshot, unchanged

Env = Mapping[str, Any]


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # The probes' own activation: tests of feedforward must not depend on the student's sigmoid.
    return 0.5 * (1.0 + np.tanh(0.5 * z))


# ----------------------------------------------------------------------------- init_weights


def probe_init_shapes(env: Env) -> Any:
    np.random.seed(0)
    return plain(fn(env, "init_weights")(4, 6, 3))


def probe_init_sample(env: Env) -> Any:
    np.random.seed(1)
    init = fn(env, "init_weights")
    return {"first": plain(init(50, 40, 30)), "second": plain(init(50, 40, 30))}


def _three_arrays(got: Any, what: str) -> list[np.ndarray]:
    require(got is not None, f"{what} returned None: did you forget a `return`?")
    require(isinstance(got, (list, tuple)) and len(got) == 3,
            f"{what} should return three arrays (W0, W1, W2).")
    return [require_array(w, f"W{i}") for i, w in enumerate(got)]


@verdict_of
def judge_init_shapes(got: Any, expected: Any) -> None:
    ws = _three_arrays(got, "init_weights(4, 6, 3)")
    for i, (w, e) in enumerate(zip(ws, expected)):
        require(w.shape == e.shape, f"init_weights(4, 6, 3): W{i} has shape {w.shape}, expected "
                f"{e.shape}.", "W0 is (n_inputs, n_hidden), W1 (n_hidden, n_hidden), W2 "
                "(n_hidden, n_output)")


@verdict_of
def judge_init_normal(got: Any, expected: Any) -> None:
    ws = _three_arrays(got["first"], "init_weights")
    values = np.concatenate([w.ravel().astype(float) for w in ws])
    # 4800 draws: the bounds below sit 5 to 7 standard errors from a standard normal's values.
    mean, std = values.mean(), values.std()
    inside = np.mean(np.abs(values) < 1)
    require(abs(mean) < 0.08, f"the weights' mean is {fmt(mean)}, not about 0.",
            "draw from a standard normal (np.random.randn), not a uniform distribution")
    require(0.93 < std < 1.07, f"the weights' standard deviation is {fmt(std)}, not about 1.",
            "entries should be standard normal, without scaling")
    require(abs(inside - 0.6827) < 0.04, f"{inside:.0%} of the weights lie in (-1, 1); a "
            "standard normal puts about 68% there.", "use a normal distribution")


@verdict_of
def judge_init_fresh(got: Any, expected: Any) -> None:
    a = _three_arrays(got["first"], "init_weights")
    b = _three_arrays(got["second"], "init_weights")
    require(not any(np.array_equal(x, y) for x, y in zip(a, b)),
            "two calls of init_weights returned the same values.",
            "do not reset the random seed inside init_weights")


# ----------------------------------------------------------------------------- feedforward


def _ff_inputs(seed: int, n: int, d_in: int, d_h: int, d_out: int, scale: float = 1.0):
    rng = _rng(seed)
    x = rng.standard_normal((n, d_in))
    ws = [scale * rng.standard_normal(s) for s in ((d_in, d_h), (d_h, d_h), (d_h, d_out))]
    return x, *ws


def _ff_result(out: Any) -> Any:
    return plain(out)


def probe_ff_example(env: Env) -> Any:
    x, w0, w1, w2 = _ff_inputs(10, 3, 4, 5, 2)
    return _ff_result(fn(env, "feedforward")(x, w0, w1, w2, _sigmoid))


def probe_ff_activations(env: Env) -> Any:
    ff = fn(env, "feedforward")
    x, w0, w1, w2 = _ff_inputs(11, 1, 3, 4, 2)
    out = {"identity_one_sample": _ff_result(ff(x, w0, w1, w2, lambda v: v))}
    x, w0, w1, w2 = _ff_inputs(12, 6, 3, 4, 2)
    out["relu"] = _ff_result(ff(x, w0, w1, w2, lambda v: np.maximum(0, v)))
    return out


def probe_ff_values(env: Env) -> Any:
    x, w0, w1, w2 = _ff_inputs(13, 40, 7, 9, 4)
    return _ff_result(fn(env, "feedforward")(x, w0, w1, w2, np.tanh))


def probe_ff_no_mutation(env: Env) -> Any:
    args = _ff_inputs(14, 5, 3, 4, 2)
    before = snapshot(*args)
    out = fn(env, "feedforward")(*args, _sigmoid)
    return {"unchanged": unchanged(before, args), "result": _ff_result(out)}


def _check_ff(got: Any, expected: Any, what: str) -> None:
    require(got is not None, f"{what} returned None: did you forget a `return`?")
    require(isinstance(got, (list, tuple)) and len(got) == 2
            and all(isinstance(g, (list, tuple)) and len(g) == 3 for g in got),
            f"{what} should return [[z0, z1, z2], [a0, a1, a2]].")
    for row, letter in enumerate("za"):
        for i in range(3):
            require_close(got[row][i], expected[row][i], f"{letter}{i} of {what}", rtol=1e-6,
                          hint=_ff_hint(got, expected, row, i))


def _ff_hint(got: Any, expected: Any, row: int, i: int) -> str:
    mine = got[row][i]
    if row == 1 and isinstance(mine, np.ndarray) and mine.shape == expected[0][i].shape and \
            np.allclose(mine, expected[0][i]):
        return f"a{i} should be the activation applied to z{i}"
    if row == 0 and i > 0 and isinstance(mine, np.ndarray):
        return f"z{i} is computed from a{i - 1} (the previous layer's activations), not z{i - 1}"
    return ""


@verdict_of
def judge_ff_example(got: Any, expected: Any) -> None:
    _check_ff(got, expected, "feedforward")


@verdict_of
def judge_ff_activations(got: Any, expected: Any) -> None:
    _check_ff(got["identity_one_sample"], expected["identity_one_sample"],
              "feedforward with a = identity and one sample")
    _check_ff(got["relu"], expected["relu"], "feedforward with a = ReLU")


@verdict_of
def judge_ff_values(got: Any, expected: Any) -> None:
    _check_ff(got, expected, "feedforward")


def _same_shape(mine: Any, right: Any) -> bool:
    """Whether two results have the same structure and array shapes (values aside)."""
    if isinstance(right, np.ndarray):
        return isinstance(mine, np.ndarray) and mine.shape == right.shape
    if isinstance(right, (list, tuple)):
        return isinstance(mine, (list, tuple)) and len(mine) == len(right) and all(
            _same_shape(m, r) for m, r in zip(mine, right))
    return True


@verdict_of
def judge_unchanged(got: Any, expected: Any) -> None:
    # Only a function that does its job earns this: a stub changes nothing either.
    require(got["result"] is not None and _same_shape(got["result"], expected["result"]),
            "your function should return its result (of the right shape) without changing its "
            "arguments; it returned " + ("None." if got["result"] is None else "something else."))
    require(got["unchanged"] is True, "your function changed the arrays it was given.",
            "work on new arrays (e.g. np.vstack, np.concatenate or arr.copy()) instead of "
            "changing the arguments in place")


# ----------------------------------------------------------------------------- predict


def probe_predict_example(env: Env) -> Any:
    x, w0, w1, w2 = _ff_inputs(20, 4, 3, 5, 2)
    return plain(fn(env, "predict")(x, w0, w1, w2))


def probe_predict_values(env: Env) -> Any:
    x, w0, w1, w2 = _ff_inputs(21, 30, 10, 5, 3)
    return plain(fn(env, "predict")(x, w0, w1, w2))


def probe_predict_stable(env: Env) -> Any:
    x, w0, w1, w2 = _ff_inputs(22, 8, 6, 5, 3, scale=60.0)
    out, warns = call_quietly(fn(env, "predict"), x, w0, w1, w2)
    return {"out": plain(out), "warnings": warns}


@verdict_of
def judge_predict_values(got: Any, expected: Any) -> None:
    hint = "predict is a2 of feedforward with the logistic sigmoid as the activation"
    if isinstance(got, (list, tuple)):
        raise Reject(f"predict should return a2 only, a NumPy array; it returned a "
                     f"{type(got).__name__}.", hint)
    require_close(got, expected, "predict's output", rtol=1e-6, hint=hint)


@verdict_of
def judge_predict_stable(got: Any, expected: Any) -> None:
    require(not got["warnings"], f"predict raised a warning for large inputs: "
            f"{'; '.join(got['warnings'][:1])}.", "use a numerically stable sigmoid")
    out = require_array(got["out"], "predict's output", expected["out"].shape)
    require(np.all(np.isfinite(out)) and np.all((out >= 0) & (out <= 1)),
            "predict's output should be finite and within [0, 1] for large inputs.")
    require_close(out, expected["out"], "predict's output for large inputs", rtol=1e-6)


# ----------------------------------------------------------------------------- bias trick


def _square(v: np.ndarray) -> np.ndarray:
    return v**2


def probe_fp_example(env: Env) -> Any:
    w = np.array([[1, 2], [3, 4]])
    return plain(fn(env, "forward_propagation")(w, w.copy(), _square))


def probe_fp_bias(env: Env) -> Any:
    rng = _rng(30)
    w, a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal(3)
    fp = fn(env, "forward_propagation")
    return {"identity": plain(fp(w, a, lambda v: v, b)), "tanh": plain(fp(w, a, np.tanh, b))}


def probe_fp_no_bias(env: Env) -> Any:
    rng = _rng(31)
    w, a = rng.standard_normal((2, 5)), rng.standard_normal((5, 1))
    fp = fn(env, "forward_propagation")
    return {"none": plain(fp(w, a, np.tanh)), "zeros": plain(fp(w, a, np.tanh, np.zeros(2)))}


def probe_fp_no_mutation(env: Env) -> Any:
    rng = _rng(32)
    args = (rng.standard_normal((3, 2)), rng.standard_normal((2, 4)))
    b = rng.standard_normal(3)
    before = snapshot(*args, b)
    out = fn(env, "forward_propagation")(*args, np.tanh, b)
    return {"unchanged": unchanged(before, (*args, b)), "result": plain(out)}


_BIAS_HINT = "append the biases as a column of W and a row of ONES to A: the ones multiply the " \
             "biases"


@verdict_of
def judge_fp_example(got: Any, expected: Any) -> None:
    require_close(got, expected, "forward_propagation(W, A, square)", rtol=1e-9,
                  hint="W_aug @ A_aug with a zero bias column equals W @ A")


@verdict_of
def judge_fp_bias(got: Any, expected: Any) -> None:
    for key in ("identity", "tanh"):
        require_close(got[key], expected[key], f"forward_propagation with biases and f = {key}",
                      rtol=1e-6, hint=_fp_hint(got[key], expected[key]))


def _fp_hint(mine: Any, right: np.ndarray) -> str:
    if isinstance(mine, np.ndarray) and mine.shape == right.shape[::-1]:
        return "the result should have one column per sample: shape (n_out, m)"
    return _BIAS_HINT


@verdict_of
def judge_fp_no_bias(got: Any, expected: Any) -> None:
    require_close(got["none"], expected["none"], "forward_propagation with b=None and one "
                  "sample", rtol=1e-6, hint="b=None means a bias of zeros; A may have one column")
    require_close(got["zeros"], expected["zeros"], "forward_propagation with zero biases",
                  rtol=1e-6)


# ----------------------------------------------------------------------------- the cases

CASES = [
    Case("init_weights.shapes", "init_weights", 2, False,
         "returns three arrays of the right shapes", probe_init_shapes, judge_init_shapes),
    Case("init_weights.normal", "init_weights", 4, True,
         "entries look standard normal (mean 0, spread 1)", probe_init_sample, judge_init_normal),
    Case("init_weights.fresh", "init_weights", 2, True, "new values on every call",
         probe_init_sample, judge_init_fresh),
    Case("feedforward.example", "feedforward", 3, False,
         "returns [[z0, z1, z2], [a0, a1, a2]] with the right values on a small example",
         probe_ff_example, judge_ff_example),
    Case("feedforward.any_activation", "feedforward", 3, True,
         "works for any activation and for a single sample", probe_ff_activations,
         judge_ff_activations),
    Case("feedforward.values", "feedforward", 2, True, "right values on a larger network",
         probe_ff_values, judge_ff_values),
    Case("feedforward.no_mutation", "feedforward", 2, True, "does not change its arguments",
         probe_ff_no_mutation, judge_unchanged),
    Case("predict.example", "predict", 2, False, "right shape and values on a small example",
         probe_predict_example, judge_predict_values),
    Case("predict.values", "predict", 2, True, "right values on more samples",
         probe_predict_values, judge_predict_values),
    Case("predict.stable", "predict", 2, True, "no overflow for large weights",
         probe_predict_stable, judge_predict_stable),
    Case("forward_propagation.example", "forward_propagation", 3, False,
         "the worked example W = A = [[1, 2], [3, 4]], f = square", probe_fp_example,
         judge_fp_example),
    Case("forward_propagation.bias", "forward_propagation", 3, True,
         "biases are applied through the bias trick", probe_fp_bias, judge_fp_bias),
    Case("forward_propagation.no_bias", "forward_propagation", 2, True,
         "b=None means zero biases; works for a single sample", probe_fp_no_bias,
         judge_fp_no_bias),
    Case("forward_propagation.no_mutation", "forward_propagation", 2, True,
         "does not change its arguments", probe_fp_no_mutation, judge_unchanged),
]
