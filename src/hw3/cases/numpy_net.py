"""Part 2.2 and 2.3: a small network in NumPy (init_weights, feedforward, predict) and the
bias trick (forward_propagation): the public cases, on public inputs, and the judges they share
with the hidden cases (``hw3.hidden.numpy_net``, which hold other inputs).

This module is long because its four questions are one network built up step by step: predict's
and the bias trick's judges reuse feedforward's inputs, comparison and slip hints (``_close``,
``_ff_forward``, ``_require_same``), and the hidden cases import all four parts' probes and
judges from here; split by question, the parts would import one another's private helpers."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from hw3.cases.case import Case, Crash, Env, safe_str
from hw3.cases.checking import (
    Reject,
    Verdict,
    fmt,
    require,
    require_array,
    require_close,
    slip_models,
    type_name,
    verdict_of,
)
from hw3.cases.probing import call_quietly, changed_args, copies, fn, plain, snapshot


def seeded_rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


# ----------------------------------------------------------------------------- init_weights


def probe_init_shapes(env: Env) -> Any:
    np.random.seed(0)
    return plain(fn(env, "init_weights")(4, 6, 3))


def init_sample_probe(seed: int, sizes: tuple[int, int, int]) -> Any:
    """A probe: two calls of init_weights(*sizes) after np.random.seed(seed)."""

    def probe(env: Env) -> Any:
        np.random.seed(seed)
        init = fn(env, "init_weights")
        return {"first": plain(init(*sizes)), "second": plain(init(*sizes))}

    return probe


probe_init_sample_public = init_sample_probe(5, (40, 50, 20))


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
    values = np.concatenate([w.ravel().astype(float) for w in ws])
    # Only weights that are drawn earn this: zeros of the right shapes are a stub.
    require(np.all(np.isfinite(values)) and np.ptp(values) > 0, "init_weights(4, 6, 3) returned "
            "weights that are all equal (or not finite): they should be random draws.",
            "draw every entry from a standard normal distribution (np.random.randn)")


def judge_init_normal_for(call: str, n_weights: int):
    """A judge of the first sample of an init_sample_probe of ``call``, which gives
    ``n_weights`` weights in all."""

    @verdict_of
    def judge(got: Any, expected: Any) -> None:
        _init_normal(got, call, n_weights)

    return judge


def _init_values(got: Any, call: str, n_weights: int) -> np.ndarray:
    """Every weight of the first call, which must be ``n_weights`` finite numbers, not all
    equal (a stub of zeros earns nothing)."""
    ws = _three_arrays(got["first"], "init_weights")
    values = np.concatenate([w.ravel().astype(float) for w in ws])
    require(values.size == n_weights and np.all(np.isfinite(values)), f"{call} "
            f"returned {values.size} weights (with NaN or inf: {not np.all(np.isfinite(values))})"
            f"; expected {n_weights} finite numbers.")
    require(np.ptp(values) > 0, f"{call} returned weights that are all equal: they should be "
            "random draws.", "draw every entry from a standard normal distribution "
            "(np.random.randn)")
    return values


def _init_normal(got: Any, call: str, n_weights: int) -> None:
    values = _init_values(got, call, n_weights)
    # 4800 draws: the bounds below sit 5 to 7 standard errors from a standard normal's values.
    mean, std = values.mean(), values.std()
    inside = np.mean(np.abs(values) < 1)
    hint = _init_hint(values)
    require(abs(mean) < 0.08, f"the weights' mean is {fmt(mean)}, expected about 0.", hint)
    require(0.93 < std < 1.07, f"the weights' standard deviation is {fmt(std)}, expected "
            "about 1.", hint)
    require(abs(inside - 0.6827) < 0.04, f"{inside:.0%} of the weights lie between -1 and 1; a "
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
def judge_init_sample_public(got: Any, expected: Any) -> None:
    _init_normal(got, "init_weights(40, 50, 20)", 5500)
    _init_fresh(got)


@verdict_of
def judge_init_fresh(got: Any, expected: Any) -> None:
    _init_values(got, "init_weights", sum(w.size for w in expected["first"]))
    _init_fresh(got)


def _init_fresh(got: Any) -> None:
    a = _three_arrays(got["first"], "init_weights")
    b = _three_arrays(got["second"], "init_weights")
    require(not any(np.array_equal(x, y) for x, y in zip(a, b)),
            "two calls of init_weights returned the same values.",
            "do not reset the random seed inside init_weights")


# ----------------------------------------------------------------------------- feedforward


def _ff_inputs(seed: int, n: int, d_in: int, d_h: int, d_out: int, scale: float = 1.0):
    rng = seeded_rng(seed)
    x = rng.standard_normal((n, d_in))
    ws = [scale * rng.standard_normal(s) for s in ((d_in, d_h), (d_h, d_h), (d_h, d_out))]
    return x, *ws


def _ff_result(out: Any) -> Any:
    return plain(out)


def activation_relu(v: np.ndarray) -> np.ndarray:
    return np.maximum(0, v)


def activation_identity(v: np.ndarray) -> np.ndarray:
    return v


# The feedforward scenarios: _ff_inputs' arguments and the activation passed (the hidden
# cases add theirs, hw3.hidden.numpy_net). tanh, not a sigmoid: a feedforward that ignores `a`
# and applies a fixed sigmoid is seen in public.
FF_INPUTS: dict[str, tuple[tuple[int, ...], Any]] = {
    "example": ((10, 3, 4, 5, 2), np.tanh),
    "unchanged_example": ((15, 4, 3, 4, 2), np.tanh),
}


def ff_call_probe(scenario: str) -> Any:
    def probe(env: Env) -> Any:
        args, act = FF_INPUTS[scenario]
        return _ff_result(fn(env, "feedforward")(*_ff_inputs(*args), act))

    return probe


probe_ff_example = ff_call_probe("example")


def ff_mutation_probe(scenario: str) -> Any:
    """A probe: feedforward on a scenario's inputs, and which arguments it changed."""

    def probe(env: Env) -> Any:
        (seed, *sizes), act = FF_INPUTS[scenario]
        args = _ff_inputs(seed, *sizes)
        before = snapshot(*args)
        out = fn(env, "feedforward")(*args, act)
        return {"changed": changed_args(before, args, ["x", "W0", "W1", "W2"]),
                "result": _ff_result(out)}

    return probe


probe_ff_unchanged_public = ff_mutation_probe("unchanged_example")


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
    args, act = FF_INPUTS[scenario]
    x, *ws = _ff_inputs(*args)
    return slips.feedforward(x, ws, slip.pop("hidden", act), **slip)


_FF_SLIPS: list[tuple[dict[str, Any], str]] = [
    ({"output": activation_identity}, "a2 should be the activation applied to z2: the output layer "
     "applies a too"),
    ({"from_z": True}, "each z is computed from the previous layer's activations a, not from "
     "its z"),
    ({"hidden": "sigmoid"}, "use the activation function a that feedforward is given, not a "
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


def judge_ff_for(*scenarios: tuple[str, str]):
    """A judge of feedforward on each (scenario, what): the result itself, or a dict of them
    by scenario when there are several."""

    @verdict_of
    def judge(got: Any, expected: Any) -> None:
        if len(scenarios) == 1:
            _check_ff(got, expected, *scenarios[0])
            return
        for scenario, what in scenarios:
            _check_ff(got[scenario], expected[scenario], scenario, what)

    return judge


judge_ff_example = judge_ff_for(("example", "feedforward"))


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
    # A claim about the arguments only where a change was seen; and only a function that does
    # its job earns this case: a stub changes nothing either.
    changed = got.get("changed")
    require(isinstance(changed, list), "whether the arguments changed could not be seen.")
    require(not changed, f"your function changed its argument(s) {', '.join(map(str, changed))}"
            " while computing the result.", _IN_PLACE_HINT)
    require(got["result"] is not None, "your function returned None: did you forget a "
            "`return`?")
    require(_same_structure(got["result"], expected["result"]),
            "your function left its arguments unchanged but should also return its result; it "
            f"returned {_structure(got['result'])}.")
    _require_same(got["result"], expected["result"], "the result")


def _require_same(mine: Any, right: Any, what: str) -> None:
    if isinstance(right, (list, tuple)):
        for i, (m, r) in enumerate(zip(mine, right)):
            _require_same(m, r, f"{what}[{i}]")
        return
    require_close(mine, right, what, rtol=1e-6,
                  hint="the arguments stayed unchanged, but the values returned are not right")


# ----------------------------------------------------------------------------- predict


def _outcome(f: Any, args: tuple[Any, ...]) -> dict[str, Any]:
    """What ``f(*args)`` gives: {"out", "warnings"}, or {"raised": the exception's type}."""
    try:
        out, warns = call_quietly(f, *copies(*args))
    except Exception as e:  # noqa: BLE001 - the student's error is data for the judge
        return {"raised": type(e).__name__, "message": safe_str(e)}
    return {"out": plain(out), "warnings": warns}


def _marker(n: int, k: int, shift: float = 0.0) -> np.ndarray:
    return np.linspace(-2.0, 2.0, n * k).reshape(n, k) + shift


def _composition(predict: Any, args: tuple[Any, ...]) -> dict[str, Any] | None:
    """predict run with the notebook's ``feedforward`` and ``sigmoid`` replaced by stand-ins
    (a feedforward that returns marker arrays, tanh for the sigmoid): a predict that really
    returns a2 of feedforward with sigmoid returns tanh of the marker, having passed its inputs
    on. None if predict's globals cannot be reached."""
    names = getattr(predict, "__globals__", None)
    if not isinstance(names, dict):
        return None
    x, w0, _, w2 = args
    n, hidden, n_out = x.shape[0], w0.shape[1], w2.shape[1]
    calls: list[bool] = []

    def stand_in_feedforward(x_, w0_, w1_, w2_, a):
        calls.append(all(np.array_equal(np.asarray(m), g) for m, g in
                         zip((x_, w0_, w1_, w2_), args)))
        zs = [_marker(n, hidden, -1.0), _marker(n, hidden, 1.0), _marker(n, n_out)]
        return [zs, [a(v) for v in zs]]

    def stand_in_sigmoid(v):
        return np.tanh(np.asarray(v, dtype=float))

    saved = {k: names[k] for k in ("feedforward", "sigmoid") if k in names}
    names.update(feedforward=stand_in_feedforward, sigmoid=stand_in_sigmoid)
    try:
        result = _outcome(predict, args)
    finally:
        for k in ("feedforward", "sigmoid"):
            names.pop(k, None)
        names.update(saved)
    return {**result, "passed_inputs": bool(calls) and all(calls)}


def _predict_run(env: Env, args: tuple[Any, ...]) -> dict[str, Any]:
    predict = fn(env, "predict")
    run = _outcome(predict, args)
    ff, sig = env.get("feedforward"), env.get("sigmoid")
    # What the student's own feedforward and sigmoid give together, and whether predict really
    # composes them: the judge carries their mistakes forward only then.
    own = _outcome(lambda *a: ff(*a, sig)[1][2], args) if callable(ff) and callable(sig) \
        else None
    return {**run, "own": own, "composition": _composition(predict, args)}


# The predict scenarios: _ff_inputs' arguments (the hidden cases add theirs). |z| reaches
# hundreds in "large_example": far past where a plain exp(-z) overflows (about 709).
PREDICT_INPUTS: dict[str, tuple[Any, ...]] = {
    "example": (20, 4, 3, 5, 2), "large_example": (23, 5, 4, 5, 2, 300.0)}


def predict_probe(scenario: str) -> Any:
    def probe(env: Env) -> Any:
        return _predict_run(env, _ff_inputs(*PREDICT_INPUTS[scenario]))

    return probe


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
    # A warning alone is no mistake here (stability is sigmoid's requirement): the values are.
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
        x, *ws = _ff_inputs(*PREDICT_INPUTS[scenario])
        for slip, value in slips.predict(x, ws).items():
            if _close(out, value):
                return _PREDICT_SLIPS[slip]
    return _PREDICT_HINT


def _carried(got: dict[str, Any], expected: dict[str, Any]) -> bool:
    """Error carried forward: predict composes the student's own feedforward and sigmoid (seen
    with stand-ins for them) and gives exactly what those two give together, error or value."""
    comp, right = got.get("composition"), expected.get("composition")
    if not (isinstance(comp, dict) and isinstance(right, dict) and comp.get("passed_inputs")
            and _same_result(comp.get("out"), right.get("out"))):
        return False
    own = got.get("own")
    if not isinstance(own, dict):
        return False
    if "raised" in got:
        return own.get("raised") == got["raised"]
    return _same_result(got.get("out"), own.get("out"))


def judge_predict_for(scenario: str, what: str):
    @verdict_of
    def judge(got: Any, expected: Any) -> Verdict | None:
        if "raised" in got:
            if _carried(got, expected):
                return None  # the error is feedforward's or sigmoid's, and costs points there
            from hw3.cases.hints import hint_for

            kind, text = str(got["raised"]), str(got.get("message", ""))
            return Crash(False, f"Your code raised {kind}: {text}",
                         hint_for(kind, text, "predict"), kind)
        try:
            _check_predict(got, expected, scenario, what)
        except Reject:
            # their mistakes are graded with feedforward and sigmoid, not again here
            if _carried(got, expected):
                return None
            raise
        return None

    return judge


def _same_result(a: Any, b: Any) -> bool:
    return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape and \
        a.dtype.kind in "biuf" and b.dtype.kind in "biuf" and \
        bool(np.allclose(a, b, rtol=1e-9, atol=0, equal_nan=True))


# ----------------------------------------------------------------------------- bias trick


def activation_square(v: np.ndarray) -> np.ndarray:
    return v**2


def probe_fp_example(env: Env) -> Any:
    w = np.array([[1, 2], [3, 4]])
    return plain(fn(env, "forward_propagation")(w, w.copy(), activation_square))


# The bias scenarios: the seed and shapes of (W, A, b) (the hidden cases add theirs).
FP_BIAS_INPUTS: dict[str, tuple[int, tuple[int, int], tuple[int, int]]] = {
    "bias_example": (33, (2, 3), (3, 4)),
}


def fp_bias_inputs(scenario: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """W, A and a 1-D b of nonzero biases for a scenario."""
    seed, w_shape, a_shape = FP_BIAS_INPUTS[scenario]
    rng = seeded_rng(seed)
    w, a = rng.standard_normal(w_shape), rng.standard_normal(a_shape)
    return w, a, rng.standard_normal(w_shape[0]) + np.sign(rng.standard_normal(w_shape[0]))


_FP_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {"identity": lambda v: v,
                                                                 "tanh": np.tanh}


def fp_bias_probe(scenario: str) -> Any:
    def probe(env: Env) -> Any:
        fp = fn(env, "forward_propagation")
        w, a, b = fp_bias_inputs(scenario)
        return {key: plain(fp(*copies(w, a), f, b.copy())) for key, f in _FP_FUNCTIONS.items()}

    return probe


def fp_mutation_probe(scenario: str) -> Any:
    """A probe: forward_propagation with biases and f = tanh, and which arguments changed."""

    def probe(env: Env) -> Any:
        w, a, b = fp_bias_inputs(scenario)
        before = snapshot(w, a, b)
        out = fn(env, "forward_propagation")(w, a, np.tanh, b)
        return {"changed": changed_args(before, (w, a, b), ["W", "A", "b"]),
                "result": plain(out)}

    return probe


_BIAS_HINT = "append the biases as a column of W and a row of ONES to A: the ones multiply the " \
             "biases"


_NO_F_HINT = "apply f to W_aug @ A_aug before returning"


def judge_fp_square_for(w: np.ndarray, a: np.ndarray):
    """A judge of forward_propagation(W, A, square) without biases, on ``w`` and ``a``."""

    @verdict_of
    def judge(got: Any, expected: Any) -> None:
        require_fp_without_biases(got, expected, w, a, "forward_propagation(W, A, square)",
                                  "with b=None the bias column is zeros, so the result is "
                                  "f(W @ A)", rtol=1e-9)

    return judge


def require_fp_without_biases(got: Any, expected: Any, w: np.ndarray, a: np.ndarray, what: str,
                              otherwise: str, rtol: float) -> None:
    """forward_propagation's result on ``w`` and ``a`` without biases must match ``expected``;
    the hint names a transposed result or a forgotten f (recomputed), else ``otherwise``."""
    hint = _fp_shape_hint(got, expected) or (
        _NO_F_HINT if _forgot_f(got, w, a) else otherwise)
    require_close(got, expected, what, rtol=rtol, hint=hint)


judge_fp_example = judge_fp_square_for(np.array([[1, 2], [3, 4]]), np.array([[1, 2], [3, 4]]))


def _fp_shape_hint(mine: Any, right: Any) -> str:
    right = np.asarray(right)
    if isinstance(mine, np.ndarray) and mine.shape == right.shape[::-1] and mine.ndim == 2:
        if mine.shape != right.shape or np.allclose(mine, right.T):
            return "columns are samples here: the result is f(W_aug @ A_aug), of shape " \
                   "(n_out, m)"
    return ""


def judge_fp_bias_for(scenario: str):
    @verdict_of
    def judge(got: Any, expected: Any) -> None:
        for key in _FP_FUNCTIONS:
            require_close(got[key], expected[key], f"forward_propagation with biases b (1-D) "
                          f"and f = {key}", rtol=1e-6,
                          hint=functools.partial(_fp_hint, got[key], expected[key], key, scenario))

    return judge


_FP_SLIPS = {
    "zeros_row": "the biases have no effect: the row appended to A must be ONES (a row of zeros "
                 "multiplies every bias by 0)",
    "no_f": _NO_F_HINT,
    "ones_first": "the row of ones must sit where the bias column sits: both last",
}


def _fp_hint(mine: Any, right: np.ndarray, key: str, scenario: str) -> str:
    """Which slip in the bias trick gives ``mine`` (recomputed from the probe's inputs)."""
    shape = _fp_shape_hint(mine, right)
    slips = slip_models()
    if shape or slips is None or not isinstance(mine, np.ndarray) or mine.shape != right.shape:
        return shape or _BIAS_HINT
    for slip, value in slips.bias_trick(*fp_bias_inputs(scenario), _FP_FUNCTIONS[key]).items():
        if np.allclose(mine, value, rtol=1e-6, atol=1e-9):
            return _FP_SLIPS[slip]
    return _BIAS_HINT


def _forgot_f(got: Any, w: np.ndarray, a: np.ndarray) -> bool:
    slips = slip_models()
    return slips is not None and _close(got, slips.without_f(w, a))


# ----------------------------------------------------------------------------- the cases

CASES = [
    Case(id="init_weights.shapes", points=2, hidden=False,
         description="returns three arrays of random weights of the right shapes",
         probe=probe_init_shapes, judge=judge_init_shapes),
    Case(id="init_weights.sample_example", points=2, hidden=False,
         description="entries look standard normal (mean 0, spread 1), new values on every call",
         probe=probe_init_sample_public, judge=judge_init_sample_public),
    Case(id="feedforward.example", points=3, hidden=False,
         description="returns [[z0, z1, z2], [a0, a1, a2]] with the right values on a small "
                     "example (a = tanh)",
         probe=probe_ff_example, judge=judge_ff_example),
    Case(id="feedforward.unchanged_example", points=1, hidden=False,
         description="leaves its arguments unchanged (and returns the right values)",
         probe=probe_ff_unchanged_public, judge=judge_unchanged),
    Case(id="predict.example", points=2, hidden=False,
         description="right shape and values on a small example",
         probe=predict_probe("example"), judge=judge_predict_for("example", "predict's output")),
    Case(id="predict.large_example", points=1, hidden=False,
         description="right values, finite and within [0, 1], for large weights",
         probe=predict_probe("large_example"),
         judge=judge_predict_for("large_example", "predict's output for large weights")),
    Case(id="forward_propagation.example", points=2, hidden=False,
         description="the worked example W = A = [[1, 2], [3, 4]], f = square",
         probe=probe_fp_example, judge=judge_fp_example),
    Case(id="forward_propagation.bias_example", points=2,
         hidden=False,
         description="nonzero biases b (a 1-D array) are applied through the bias trick",
         probe=fp_bias_probe("bias_example"), judge=judge_fp_bias_for("bias_example")),
    Case(id="forward_propagation.unchanged_example", points=1,
         hidden=False,
         description="leaves W, A and b unchanged (and returns the right values)",
         probe=fp_mutation_probe("bias_example"), judge=judge_unchanged),
]
