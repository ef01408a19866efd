"""Hidden cases of 2.2 and 2.3 (init_weights, feedforward, predict, forward_propagation): the
properties of the public cases on other inputs (``hw3.hidden.numpy_net``' probes), plus
robustness (one sample, b=None, any activation). Trusted: never in the students' checks
(``hw3.build``), never bound into the sandbox (``hw3.grading.jail``)."""

from __future__ import annotations

from typing import Any

from hw3.cases.case import Case
from hw3.cases.checking import require_close, verdict_of
from hw3.cases.numpy_net import (
    _NO_F_HINT,
    _forgot_f,
    _fp_shape_hint,
    judge_ff_for,
    judge_fp_bias_for,
    judge_init_fresh,
    judge_init_normal_for,
    judge_init_shapes,
    judge_predict_for,
    judge_unchanged,
)
from hw3.hidden.numpy_net import (
    FP_SQUARE_A,
    FP_SQUARE_W,
    fp_no_bias_inputs,
    probe_ff_activations,
    probe_ff_no_mutation,
    probe_ff_values,
    probe_fp_bias,
    probe_fp_no_bias,
    probe_fp_no_mutation,
    probe_fp_square,
    probe_init_other_shapes,
    probe_init_sample,
    probe_predict_stable,
    probe_predict_values,
)


@verdict_of
def judge_fp_square(got: Any, expected: Any) -> None:
    hint = _fp_shape_hint(got, expected) or (
        _NO_F_HINT if _forgot_f(got, FP_SQUARE_W, FP_SQUARE_A) else
        "with b=None the bias column is zeros, so the result is f(W @ A)")
    require_close(got, expected, "forward_propagation(W, A, square)", rtol=1e-9, hint=hint)


@verdict_of
def judge_fp_no_bias(got: Any, expected: Any) -> None:
    w, a = fp_no_bias_inputs()
    for key, what in (("none", "forward_propagation with b=None and one sample"),
                      ("zeros", "forward_propagation with zero biases and one sample")):
        hint = _fp_shape_hint(got[key], expected[key]) or (
            _NO_F_HINT if _forgot_f(got[key], w, a) else "b=None means a bias of zeros; A may "
            "have a single column (one sample)")
        require_close(got[key], expected[key], what, rtol=1e-6, hint=hint)


CASES = [
    Case("init_weights.other_shapes", "init_weights", 2, True,
         "returns three arrays of random weights of the right shapes, for other sizes",
         probe_init_other_shapes, judge_init_shapes),
    Case("init_weights.normal", "init_weights", 2, True,
         "entries look standard normal (mean 0, spread 1) on another sample", probe_init_sample,
         judge_init_normal_for("init_weights(50, 40, 30)", 4800)),
    Case("init_weights.fresh", "init_weights", 2, True,
         "random draws, with new values on every call", probe_init_sample, judge_init_fresh),
    Case("feedforward.any_activation", "feedforward", 2, True,
         "works for any activation and for a single sample", probe_ff_activations,
         judge_ff_for(("identity_one_sample", "feedforward with a = identity and one sample"),
                      ("relu", "feedforward with a = ReLU"))),
    Case("feedforward.values", "feedforward", 2, True,
         "returns [[z0, z1, z2], [a0, a1, a2]] with the right values on a larger network",
         probe_ff_values, judge_ff_for(("values", "feedforward"))),
    Case("feedforward.no_mutation", "feedforward", 2, True,
         "leaves other arguments unchanged (and returns the right values)",
         probe_ff_no_mutation, judge_unchanged),
    Case("predict.values", "predict", 1, True, "right shape and values on more samples",
         probe_predict_values, judge_predict_for("values", "predict's output")),
    Case("predict.stable", "predict", 2, True,
         "right values, finite and within [0, 1], for larger weights", probe_predict_stable,
         judge_predict_for("stable", "predict's output for large weights")),
    Case("forward_propagation.square", "forward_propagation", 2, True,
         "f = square on another W and A, without biases", probe_fp_square, judge_fp_square),
    Case("forward_propagation.bias", "forward_propagation", 2, True,
         "nonzero biases b (a 1-D array) are applied through the bias trick on other inputs",
         probe_fp_bias, judge_fp_bias_for("bias")),
    Case("forward_propagation.no_bias", "forward_propagation", 2, True,
         "b=None means zero biases; works for a single sample", probe_fp_no_bias,
         judge_fp_no_bias),
    Case("forward_propagation.no_mutation", "forward_propagation", 1, True,
         "leaves other arguments unchanged (and returns the right values)",
         probe_fp_no_mutation, judge_unchanged),
]
