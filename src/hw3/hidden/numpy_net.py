"""Hidden cases of 2.2 and 2.3 (init_weights, feedforward, predict, forward_propagation): the
properties of the public cases on other inputs, plus robustness (one sample, b=None, any
activation). Grader-only: never in the students' checks (``hw3.build``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from hw3.cases.case import Case, Env
from hw3.cases.checking import require_close, verdict_of
from hw3.cases.numpy_net import (
    _FF,
    _FP_BIAS,
    _NO_F_HINT,
    _PREDICT,
    _forgot_f,
    _fp_shape_hint,
    _identity,
    _relu,
    _rng,
    ff_call_probe,
    ff_mutation_probe,
    fp_bias_probe,
    fp_mutation_probe,
    init_sample_probe,
    judge_ff_for,
    judge_fp_bias_for,
    judge_init_fresh,
    judge_init_normal_for,
    judge_predict_for,
    judge_unchanged,
    predict_probe,
)
from hw3.cases.probing import copies, fn, plain

probe_init_sample = init_sample_probe(1, (50, 40, 30))

_FF.update({
    "identity_one_sample": ((11, 1, 3, 4, 2), _identity),
    "relu": ((12, 6, 3, 4, 2), _relu),
    "values": ((13, 40, 7, 9, 4), np.tanh),
    "no_mutation": ((14, 5, 3, 4, 2), np.tanh),
})


def probe_ff_activations(env: Env) -> Any:
    return {key: ff_call_probe(key)(env) for key in ("identity_one_sample", "relu")}


# |z| reaches about 3000 in "stable": far past where exp overflows (about 709).
_PREDICT.update({"values": (21, 30, 10, 5, 3), "stable": (22, 8, 6, 5, 3, 500.0)})

_FP_BIAS.update({"bias": (30, (3, 4), (4, 5)), "no_mutation": (32, (3, 2), (2, 4))})


def _fp_no_bias_inputs() -> tuple[np.ndarray, np.ndarray]:
    rng = _rng(31)
    return rng.standard_normal((2, 5)), rng.standard_normal((5, 1))


def probe_fp_no_bias(env: Env) -> Any:
    w, a = _fp_no_bias_inputs()
    layer = fn(env, "forward_propagation")
    return {"none": plain(layer(*copies(w, a), np.tanh)),
            "zeros": plain(layer(*copies(w, a), np.tanh, np.zeros(2)))}


@verdict_of
def judge_fp_no_bias(got: Any, expected: Any) -> None:
    w, a = _fp_no_bias_inputs()
    for key, what in (("none", "forward_propagation with b=None and one sample"),
                      ("zeros", "forward_propagation with zero biases and one sample")):
        hint = _fp_shape_hint(got[key], expected[key]) or (
            _NO_F_HINT if _forgot_f(got[key], w, a) else "b=None means a bias of zeros; A may "
            "have a single column (one sample)")
        require_close(got[key], expected[key], what, rtol=1e-6, hint=hint)


CASES = [
    Case("init_weights.normal", "init_weights", 2, True,
         "entries look standard normal (mean 0, spread 1) on another sample", probe_init_sample,
         judge_init_normal_for("init_weights(50, 40, 30)", 4800)),
    Case("init_weights.fresh", "init_weights", 2, True,
         "random draws, with new values on every call", probe_init_sample, judge_init_fresh),
    Case("feedforward.any_activation", "feedforward", 2, True,
         "works for any activation and for a single sample", probe_ff_activations,
         judge_ff_for(("identity_one_sample", "feedforward with a = identity and one sample"),
                      ("relu", "feedforward with a = ReLU"))),
    Case("feedforward.values", "feedforward", 2, True, "right values on a larger network",
         ff_call_probe("values"), judge_ff_for(("values", "feedforward"))),
    Case("feedforward.no_mutation", "feedforward", 2, True,
         "leaves other arguments unchanged (and returns the right values)",
         ff_mutation_probe("no_mutation"), judge_unchanged),
    Case("predict.values", "predict", 1, True, "right values on more samples",
         predict_probe("values"), judge_predict_for("values", "predict's output")),
    Case("predict.stable", "predict", 2, True,
         "right values, finite and within [0, 1], for larger weights", predict_probe("stable"),
         judge_predict_for("stable", "predict's output for large weights")),
    Case("forward_propagation.bias", "forward_propagation", 2, True,
         "biases are applied through the bias trick on other inputs", fp_bias_probe("bias"),
         judge_fp_bias_for("bias")),
    Case("forward_propagation.no_bias", "forward_propagation", 2, True,
         "b=None means zero biases; works for a single sample", probe_fp_no_bias,
         judge_fp_no_bias),
    Case("forward_propagation.no_mutation", "forward_propagation", 1, True,
         "leaves other arguments unchanged (and returns the right values)",
         fp_mutation_probe("no_mutation"), judge_unchanged),
]
