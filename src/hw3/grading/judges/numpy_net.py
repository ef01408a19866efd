"""Hidden cases of 2.2 and 2.3 (init_weights, feedforward, predict, forward_propagation): the
properties of the public cases on other inputs (``hw3.hidden.numpy_net``' probes), plus
robustness (one sample, b=None, any activation). Trusted: never in the students' checks
(``hw3.build``), never bound into the sandbox (``hw3.grading.jail``)."""

from __future__ import annotations

from typing import Any

from hw3.cases.case import Case
from hw3.cases.checking import verdict_of
from hw3.cases.numpy_net import (
    judge_ff_for,
    judge_fp_bias_for,
    judge_fp_square_for,
    judge_init_fresh,
    judge_init_normal_for,
    judge_init_shapes,
    judge_predict_for,
    judge_unchanged,
    require_fp_without_biases,
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
def judge_fp_no_bias(got: Any, expected: Any) -> None:
    w, a = fp_no_bias_inputs()
    for key, what in (("none", "forward_propagation with b=None and one sample"),
                      ("zeros", "forward_propagation with zero biases and one sample")):
        require_fp_without_biases(got[key], expected[key], w, a, what, "b=None means a bias of "
                                  "zeros; A may have a single column (one sample)", rtol=1e-6)


CASES = [
    Case(id="init_weights.other_shapes", points=2, hidden=True,
         description="returns three arrays of random weights of the right shapes, for other sizes",
         probe=probe_init_other_shapes, judge=judge_init_shapes),
    Case(id="init_weights.normal", points=2, hidden=True,
         description="entries look standard normal (mean 0, spread 1) on another sample",
         probe=probe_init_sample, judge=judge_init_normal_for("init_weights(50, 40, 30)", 4800)),
    Case(id="init_weights.fresh", points=2, hidden=True,
         description="random draws, with new values on every call",
         probe=probe_init_sample, judge=judge_init_fresh),
    Case(id="feedforward.any_activation", points=2, hidden=True,
         description="works for any activation and for a single sample",
         probe=probe_ff_activations,
         judge=judge_ff_for(("identity_one_sample", "feedforward with a = identity and one sample"),
                            ("relu", "feedforward with a = ReLU"))),
    Case(id="feedforward.values", points=2, hidden=True,
         description="returns [[z0, z1, z2], [a0, a1, a2]] with the right values on a larger "
                     "network",
         probe=probe_ff_values, judge=judge_ff_for(("values", "feedforward"))),
    Case(id="feedforward.no_mutation", points=2, hidden=True,
         description="leaves other arguments unchanged (and returns the right values)",
         probe=probe_ff_no_mutation, judge=judge_unchanged),
    Case(id="predict.values", points=1, hidden=True,
         description="right shape and values on more samples",
         probe=probe_predict_values, judge=judge_predict_for("values", "predict's output")),
    Case(id="predict.stable", points=2, hidden=True,
         description="right values, finite and within [0, 1], for larger weights",
         probe=probe_predict_stable,
         judge=judge_predict_for("stable", "predict's output for large weights")),
    Case(id="forward_propagation.square", points=2, hidden=True,
         description="f = square on another W and A, without biases",
         probe=probe_fp_square, judge=judge_fp_square_for(FP_SQUARE_W, FP_SQUARE_A)),
    Case(id="forward_propagation.bias", points=2, hidden=True,
         description="nonzero biases b (a 1-D array) are applied through the bias trick on other "
                     "inputs",
         probe=probe_fp_bias, judge=judge_fp_bias_for("bias")),
    Case(id="forward_propagation.no_bias", points=2, hidden=True,
         description="b=None means zero biases; works for a single sample",
         probe=probe_fp_no_bias, judge=judge_fp_no_bias),
    Case(id="forward_propagation.no_mutation", points=1,
         hidden=True,
         description="leaves other arguments unchanged (and returns the right values)",
         probe=probe_fp_no_mutation, judge=judge_unchanged),
]
