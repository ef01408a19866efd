"""Part 2.1 and 2.2: a small network in NumPy (init_weights, feedforward, predict) and the
bias trick (forward_propagation)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..checking import (
    Reject,
    fmt,
    require,
    require_array,
    require_close,
    slip_models,
    type_name,
    verdict_of,
)
from . import Case
from .probing import call_quietly, changed_args, copies, fn, plain, snapshot

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
        transposed = w.shape == e.shape[::-1] and w.shape != e.shape
        require(w.shape == e.shape, f"init_weights(4, 6, 3): W{i} has shape {w.shape}, expected "
                f"{e.shape}.", ("rows are samples here, so a weight matrix is (inputs, outputs): "
                if transposed else "") + "W0 is (n_inputs, n_hidden), W1 (n_hidden, n_hidden), "
                "W2 (n_hidden, n_output)")


@verdict_of
def judge_init_normal(got: Any, expected: Any) -> None:
    ws = _three_arrays(got["first"], "init_weights")
    values = np.concatenate([w.ravel().astype(float) for w in ws])
    require(values.size >= 1000 and np.all(np.isfinite(values)), "init_weights(50, 40, 30) "
            f"returned {values.size} weights (with NaN or inf: {not np.all(np.isfinite(values))})"
            "; expected 4800 finite numbers.")
    # 4800 draws: the bounds below sit 5 to 7 standard errors from a standard normal's values.
    mean, std = values.mean(), values.std()
    inside = np.mean(np.abs(values) < 1)
    hint = _init_hint(values)
    require(abs(mean) < 0.08, f"the weights' mean is {fmt(mean)}, expected about 0.", hint)
    require(0.93 < std < 1.07, f"the weights' standard deviation is {fmt(std)}, expected "
            "about 1.", hint)
    require(abs(inside - 0.6827) < 0.04, f"{inside:.0%} of the weights lie in (-1, 1); a "
            "standard normal puts about 68% there.", hint)


def _init_hint(values: np.ndarray) -> str:
    """The likely slip behind weights that do not look standard normal."""
    lo, hi = float(values.min()), float(values.max())
    if lo >= 0 and hi < 1:
        return "np.random.rand draws uniformly from [0, 1): use np.random.randn (standard normal)"
    # Uniform on [-1, 1] fills the interval to its ends; a normal with a small spread does not.
    if -1 <= lo < -0.95 and 0.95 < hi <= 1:
        return "these look uniform on [-1, 1]: draw from a standard normal (np.random.randn)"
    if values.std() < 0.9:
        return "do not scale the weights (no * 0.01, no sqrt(2/n)): entries should be standard " \
               "normal, with spread 1"
    return "draw every entry from a standard normal distribution (np.random.randn)"


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


def _relu(v: np.ndarray) -> np.ndarray:
    return np.maximum(0, v)


def _identity(v: np.ndarray) -> np.ndarray:
    return v


# The feedforward scenarios: _ff_inputs' arguments and the activation passed.
_FF: dict[str, tuple[tuple[int, ...], Any]] = {
    "example": ((10, 3, 4, 5, 2), _sigmoid),
    "identity_one_sample": ((11, 1, 3, 4, 2), _identity),
    "relu": ((12, 6, 3, 4, 2), _relu),
    "values": ((13, 40, 7, 9, 4), np.tanh),
}


def _ff_call(env: Env, scenario: str) -> Any:
    args, act = _FF[scenario]
    return _ff_result(fn(env, "feedforward")(*_ff_inputs(*args), act))


def probe_ff_example(env: Env) -> Any:
    return _ff_call(env, "example")


def probe_ff_activations(env: Env) -> Any:
    return {key: _ff_call(env, key) for key in ("identity_one_sample", "relu")}


def probe_ff_values(env: Env) -> Any:
    return _ff_call(env, "values")


def probe_ff_no_mutation(env: Env) -> Any:
    args = _ff_inputs(14, 5, 3, 4, 2)
    before = snapshot(*args)
    out = fn(env, "feedforward")(*args, _sigmoid)
    return {"changed": changed_args(before, args, ["x", "W0", "W1", "W2"]),
            "result": _ff_result(out)}


def _check_ff(got: Any, expected: Any, scenario: str, what: str) -> None:
    require(got is not None, f"{what} returned None: did you forget a `return`?")
    require(isinstance(got, (list, tuple)) and len(got) == 2
            and all(isinstance(g, (list, tuple)) and len(g) == 3 for g in got),
            f"{what} should return [[z0, z1, z2], [a0, a1, a2]]; it returned "
            f"{_structure(got)}.")
    hint = _ff_hint(got, scenario)
    for row, letter in enumerate("za"):
        for i in range(3):
            require_close(got[row][i], expected[row][i], f"{letter}{i} of {what}", rtol=1e-6,
                          hint=hint)


def _structure(got: Any) -> str:
    if isinstance(got, (list, tuple)):
        return f"a {type(got).__name__} of {len(got)} item(s)"
    return type_name(got)


def _close(a: Any, b: Any) -> bool:
    return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape and \
        a.dtype.kind in "biuf" and bool(np.allclose(a, b, rtol=1e-6, atol=1e-9, equal_nan=True))


def _ff_forward(scenario: str, slips: Any, **slip: Any) -> list[list[np.ndarray]]:
    """feedforward on a scenario's inputs, with a known slip if any (trusted side only)."""
    args, act = _FF[scenario]
    x, *ws = _ff_inputs(*args)
    return slips.feedforward(x, ws, slip.pop("hidden", act), **slip)


_FF_SLIPS: list[tuple[dict[str, Any], str]] = [
    ({"output": _identity}, "a2 should be the activation applied to z2: the output layer "
     "applies a too"),
    ({"from_z": True}, "each z is computed from the previous layer's activations a, not from "
     "its z"),
    ({"hidden": _sigmoid}, "use the activation function a that feedforward is given, not a "
     "fixed sigmoid"),
]


def _ff_hint(got: Any, scenario: str) -> str:
    """The known slip that gives exactly ``got`` on this scenario, if any."""

    def same(a: Any, b: list[list[np.ndarray]]) -> bool:
        return all(_close(a[r][i], b[r][i]) for r in range(2) for i in range(3))

    slips = slip_models()
    if slips is None:
        return ""
    right = _ff_forward(scenario, slips)
    if same(got, right[::-1]) and not same(got, right):
        return "return the pre-activations first: [[z0, z1, z2], [a0, a1, a2]]"
    for slip, hint in _FF_SLIPS:
        variant = _ff_forward(scenario, slips, **slip)
        if same(got, variant) and not same(right, variant):
            return hint
    transposed = [[m.T if isinstance(m, np.ndarray) else m for m in row] for row in got]
    if same(transposed, right):
        return "rows are samples here: z0 = x @ W0 has shape (n_samples, n_hidden), not " \
               "W0.T @ x.T"
    return ""


@verdict_of
def judge_ff_example(got: Any, expected: Any) -> None:
    _check_ff(got, expected, "example", "feedforward")


@verdict_of
def judge_ff_activations(got: Any, expected: Any) -> None:
    _check_ff(got["identity_one_sample"], expected["identity_one_sample"],
              "identity_one_sample", "feedforward with a = identity and one sample")
    _check_ff(got["relu"], expected["relu"], "relu", "feedforward with a = ReLU")


@verdict_of
def judge_ff_values(got: Any, expected: Any) -> None:
    _check_ff(got, expected, "values", "feedforward")


def _same_structure(mine: Any, right: Any) -> bool:
    """Whether two results nest lists and arrays alike (shapes and values aside)."""
    if isinstance(right, np.ndarray):
        return isinstance(mine, np.ndarray) and mine.dtype.kind in "biuf"
    if isinstance(right, (list, tuple)):
        return isinstance(mine, (list, tuple)) and len(mine) == len(right) and all(
            _same_structure(m, r) for m, r in zip(mine, right))
    return True


_IN_PLACE_HINT = "work on new arrays (e.g. np.vstack, np.concatenate or arr.copy()) instead of " \
                 "changing the arguments in place (A.resize, A[...] = ..., +=)"


@verdict_of
def judge_unchanged(got: Any, expected: Any) -> None:
    # Only a function that does its job earns this: a stub changes nothing either. Shapes and
    # values are other cases' business.
    require(got["result"] is not None and _same_structure(got["result"], expected["result"]),
            "your function should return its result without changing its arguments; it "
            "returned " + ("None." if got["result"] is None else
                           f"{_structure(got['result'])}."))
    changed = got.get("changed")
    require(isinstance(changed, list), "whether the arguments changed could not be seen.")
    require(not changed, f"your function changed its argument(s) {', '.join(map(str, changed))}"
            " while computing the result.", _IN_PLACE_HINT)


# ----------------------------------------------------------------------------- predict


def _carried(error: BaseException, env: Env) -> bool:
    """Whether an error escaping predict was raised inside the student's own feedforward or
    sigmoid: it is then graded with them, not again with predict (error carried forward)."""
    codes = {getattr(env.get(n), "__code__", None) for n in ("feedforward", "sigmoid")}
    codes.discard(None)
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code in codes:
            return True
        tb = tb.tb_next
    return False


def _own_output(env: Env, args: tuple[Any, ...]) -> Any:
    """a2 of the student's own feedforward with their own sigmoid, and its warnings: what a
    predict that composes them right returns, whatever their mistakes."""
    ff, sig = env.get("feedforward"), env.get("sigmoid")
    if not (callable(ff) and callable(sig)):
        return None
    try:
        result, warns = call_quietly(ff, *copies(*args), sig)
        return {"out": plain(result[1][2]), "warnings": warns}
    except Exception:  # noqa: BLE001 - then there is nothing to carry forward
        return None


def _predict_run(env: Env, args: tuple[Any, ...]) -> dict[str, Any]:
    predict = fn(env, "predict")
    try:
        out, warns = call_quietly(predict, *copies(*args))
    except Exception as e:  # noqa: BLE001 - judged below, or re-raised as the probe's error
        if _carried(e, env):
            return {"carried": f"{type(e).__name__} inside feedforward or sigmoid"}
        raise
    return {"out": plain(out), "warnings": warns, "own": _own_output(env, args)}


# The predict scenarios: _ff_inputs' arguments. |z| reaches about 3000 in "stable": far past
# where exp overflows (about 709).
_PREDICT = {"example": (20, 4, 3, 5, 2), "values": (21, 30, 10, 5, 3),
            "stable": (22, 8, 6, 5, 3, 500.0)}


def probe_predict_example(env: Env) -> Any:
    return _predict_run(env, _ff_inputs(*_PREDICT["example"]))


def probe_predict_values(env: Env) -> Any:
    return _predict_run(env, _ff_inputs(*_PREDICT["values"]))


def probe_predict_stable(env: Env) -> Any:
    return _predict_run(env, _ff_inputs(*_PREDICT["stable"]))


_PREDICT_HINT = "predict is a2 of feedforward with the logistic sigmoid as the activation"


def _check_predict(got: dict[str, Any], expected: dict[str, Any], scenario: str, what: str
                   ) -> None:
    out = got["out"]
    if isinstance(out, (list, tuple)):
        raise Reject(f"predict should return a2 only, a NumPy array; it returned "
                     f"{_structure(out)}.", _PREDICT_HINT)
    hint = _predict_hint(out, scenario)
    right = expected["out"]
    require(isinstance(out, np.ndarray) and out.shape == right.shape, f"{what} should be an "
            f"array of shape {right.shape}, got {type_name(out)}.", hint)
    if scenario == "stable":
        require(not got["warnings"], f"predict raised a warning for large inputs: "
                f"{'; '.join(got['warnings'][:1])}.", "use the numerically stable sigmoid "
                "(yours, from 2.1), not 1/(1 + np.exp(-z)) written again")
        require(np.all(np.isfinite(out)) and np.all((out >= 0) & (out <= 1)),
                f"{what} should be finite and within [0, 1].", hint)
    require_close(out, right, what, rtol=1e-6, hint=hint)


_PREDICT_SLIPS = {
    "z2": "return a2 (the sigmoid of z2), not z2",
    "a1": "return the output layer's activations a2, not the last hidden layer's",
    "relu": "predict uses the logistic sigmoid as the activation, not ReLU",
}


def _predict_hint(out: Any, scenario: str) -> str:
    """The known slip that gives ``out`` on this scenario (recomputed on the trusted side)."""
    slips = slip_models()
    if slips is not None:
        x, *ws = _ff_inputs(*_PREDICT[scenario])
        for slip, value in slips.predict(x, ws, _sigmoid).items():
            if _close(out, value):
                return _PREDICT_SLIPS[slip]
    return _PREDICT_HINT


def _judge_predict(scenario: str, what: str):
    @verdict_of
    def judge(got: Any, expected: Any) -> None:
        if got.get("carried"):
            return  # the error is feedforward's or sigmoid's, and costs points there
        try:
            _check_predict(got, expected, scenario, what)
        except Reject:
            own = got.get("own")
            # predict returns exactly what the student's own feedforward and sigmoid give
            # (warnings included): their mistakes are graded with them, not again here.
            if isinstance(own, dict) and _same_result(got["out"], own["out"]) and \
                    sorted(got["warnings"]) == sorted(own["warnings"]):
                return
            raise

    return judge


def _same_result(a: Any, b: Any) -> bool:
    return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape and \
        a.dtype.kind in "biuf" and b.dtype.kind in "biuf" and \
        bool(np.allclose(a, b, rtol=1e-9, atol=0, equal_nan=True))


# ----------------------------------------------------------------------------- bias trick


def _square(v: np.ndarray) -> np.ndarray:
    return v**2


def probe_fp_example(env: Env) -> Any:
    w = np.array([[1, 2], [3, 4]])
    return plain(fn(env, "forward_propagation")(w, w.copy(), _square))


def _fp_bias_inputs() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = _rng(30)
    return rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal(3)


_FP_FUNCTIONS = {"identity": lambda v: v, "tanh": np.tanh}


def probe_fp_bias(env: Env) -> Any:
    fp = fn(env, "forward_propagation")
    return {key: plain(fp(*copies(*_fp_bias_inputs()[:2]), f, _fp_bias_inputs()[2]))
            for key, f in _FP_FUNCTIONS.items()}


def _fp_no_bias_inputs() -> tuple[np.ndarray, np.ndarray]:
    rng = _rng(31)
    return rng.standard_normal((2, 5)), rng.standard_normal((5, 1))


def probe_fp_no_bias(env: Env) -> Any:
    w, a = _fp_no_bias_inputs()
    fp = fn(env, "forward_propagation")
    return {"none": plain(fp(*copies(w, a), np.tanh)),
            "zeros": plain(fp(*copies(w, a), np.tanh, np.zeros(2)))}


def probe_fp_no_mutation(env: Env) -> Any:
    rng = _rng(32)
    args = (rng.standard_normal((3, 2)), rng.standard_normal((2, 4)))
    b = rng.standard_normal(3)
    before = snapshot(*args, b)
    out = fn(env, "forward_propagation")(*args, np.tanh, b)
    return {"changed": changed_args(before, (*args, b), ["W", "A", "b"]), "result": plain(out)}


_BIAS_HINT = "append the biases as a column of W and a row of ONES to A: the ones multiply the " \
             "biases"


_NO_F_HINT = "apply f to W_aug @ A_aug before returning"


@verdict_of
def judge_fp_example(got: Any, expected: Any) -> None:
    w = np.array([[1, 2], [3, 4]])
    hint = _fp_shape_hint(got, expected) or (_NO_F_HINT if _forgot_f(got, w, w) else
                                              "with b=None the bias column is zeros, so the "
                                              "result is f(W @ A)")
    require_close(got, expected, "forward_propagation(W, A, square)", rtol=1e-9, hint=hint)


def _fp_shape_hint(mine: Any, right: Any) -> str:
    right = np.asarray(right)
    if isinstance(mine, np.ndarray) and mine.shape == right.shape[::-1] and mine.ndim == 2:
        if mine.shape != right.shape or np.allclose(mine, right.T):
            return "columns are samples here: the result is f(W_aug @ A_aug), of shape " \
                   "(n_out, m)"
    return ""


@verdict_of
def judge_fp_bias(got: Any, expected: Any) -> None:
    for key in _FP_FUNCTIONS:
        require_close(got[key], expected[key], f"forward_propagation with biases and f = {key}",
                      rtol=1e-6, hint=lambda key=key: _fp_hint(got[key], expected[key], key))


_FP_SLIPS = {
    "zeros_row": "the biases have no effect: the row appended to A must be ONES (a row of zeros "
                 "multiplies every bias by 0)",
    "no_f": _NO_F_HINT,
    "ones_first": "the row of ones must sit where the bias column sits: both last",
}


def _fp_hint(mine: Any, right: np.ndarray, key: str) -> str:
    """Which slip in the bias trick gives ``mine`` (recomputed from the probe's inputs)."""
    shape = _fp_shape_hint(mine, right)
    slips = slip_models()
    if shape or slips is None or not isinstance(mine, np.ndarray) or mine.shape != right.shape:
        return shape or _BIAS_HINT
    for slip, value in slips.bias_trick(*_fp_bias_inputs(), _FP_FUNCTIONS[key]).items():
        if np.allclose(mine, value, rtol=1e-6, atol=1e-9):
            return _FP_SLIPS[slip]
    return _BIAS_HINT


def _forgot_f(got: Any, w: np.ndarray, a: np.ndarray) -> bool:
    slips = slip_models()
    return slips is not None and _close(got, slips.without_f(w, a))


@verdict_of
def judge_fp_no_bias(got: Any, expected: Any) -> None:
    w, a = _fp_no_bias_inputs()
    for key, what in (("none", "forward_propagation with b=None and one sample"),
                      ("zeros", "forward_propagation with zero biases and one sample")):
        hint = _fp_shape_hint(got[key], expected[key]) or (
            _NO_F_HINT if _forgot_f(got[key], w, a) else "b=None means a bias of zeros; A may "
            "have a single column (one sample)")
        require_close(got[key], expected[key], what, rtol=1e-6, hint=hint)


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
         probe_predict_example, _judge_predict("example", "predict's output")),
    Case("predict.values", "predict", 2, True, "right values on more samples",
         probe_predict_values, _judge_predict("values", "predict's output")),
    Case("predict.stable", "predict", 2, True, "no overflow for large weights",
         probe_predict_stable, _judge_predict("stable", "predict's output for large "
                                              "weights")),
    Case("forward_propagation.example", "forward_propagation", 2, False,
         "the worked example W = A = [[1, 2], [3, 4]], f = square", probe_fp_example,
         judge_fp_example),
    Case("forward_propagation.bias", "forward_propagation", 4, True,
         "biases are applied through the bias trick", probe_fp_bias, judge_fp_bias),
    Case("forward_propagation.no_bias", "forward_propagation", 2, True,
         "b=None means zero biases; works for a single sample", probe_fp_no_bias,
         judge_fp_no_bias),
    Case("forward_propagation.no_mutation", "forward_propagation", 2, True,
         "does not change its arguments", probe_fp_no_mutation, judge_unchanged),
]
