"""Probes of the hidden cases of 2.2 and 2.3 (init_weights, feedforward, predict,
forward_propagation), on inputs the students never see: the public cases' scenarios with other
seeds and sizes, plus one sample, b=None and any activation. Their judges are in
``hw3.grading.judges.numpy_net``."""

from __future__ import annotations

from typing import Any

import numpy as np

from hw3.cases.case import Env
from hw3.cases.numpy_net import (
    FF_INPUTS,
    FP_BIAS_INPUTS,
    PREDICT_INPUTS,
    activation_identity,
    activation_relu,
    activation_square,
    ff_call_probe,
    ff_mutation_probe,
    fp_bias_probe,
    fp_mutation_probe,
    init_sample_probe,
    predict_probe,
    seeded_rng,
)
from hw3.cases.probing import copies, fn, plain


def probe_init_other_shapes(env: Env) -> Any:
    np.random.seed(7)
    return plain(fn(env, "init_weights")(5, 8, 2))


probe_init_sample = init_sample_probe(1, (50, 40, 30))

FF_INPUTS.update({
    "identity_one_sample": ((11, 1, 3, 4, 2), activation_identity),
    "relu": ((12, 6, 3, 4, 2), activation_relu),
    "values": ((13, 40, 7, 9, 4), np.tanh),
    "no_mutation": ((14, 5, 3, 4, 2), np.tanh),
})


def probe_ff_activations(env: Env) -> Any:
    return {key: ff_call_probe(key)(env) for key in ("identity_one_sample", "relu")}


# |z| reaches about 3000 in "stable": far past where exp overflows (about 709).
PREDICT_INPUTS.update({"values": (21, 30, 10, 5, 3), "stable": (22, 8, 6, 5, 3, 500.0)})

FP_BIAS_INPUTS.update({"bias": (30, (3, 4), (4, 5)), "no_mutation": (32, (3, 2), (2, 4))})

# forward_propagation.square: the worked example's f on another W and A, without biases.
FP_SQUARE_W = np.array([[2, -1, 0], [1, 3, -2]])
FP_SQUARE_A = np.array([[1, 0], [-2, 1], [0, 3]])


def probe_fp_square(env: Env) -> Any:
    layer = fn(env, "forward_propagation")
    return plain(layer(*copies(FP_SQUARE_W, FP_SQUARE_A), activation_square))


def fp_no_bias_inputs() -> tuple[np.ndarray, np.ndarray]:
    rng = seeded_rng(31)
    return rng.standard_normal((2, 5)), rng.standard_normal((5, 1))


def probe_fp_no_bias(env: Env) -> Any:
    w, a = fp_no_bias_inputs()
    layer = fn(env, "forward_propagation")
    return {"none": plain(layer(*copies(w, a), np.tanh)),
            "zeros": plain(layer(*copies(w, a), np.tanh, np.zeros(2)))}


probe_ff_values = ff_call_probe("values")
probe_ff_no_mutation = ff_mutation_probe("no_mutation")
probe_predict_values = predict_probe("values")
probe_predict_stable = predict_probe("stable")
probe_fp_bias = fp_bias_probe("bias")
probe_fp_no_mutation = fp_mutation_probe("no_mutation")

PROBES = {
    "init_weights.other_shapes": probe_init_other_shapes,
    "init_weights.normal": probe_init_sample,
    "init_weights.fresh": probe_init_sample,
    "feedforward.any_activation": probe_ff_activations,
    "feedforward.values": probe_ff_values,
    "feedforward.no_mutation": probe_ff_no_mutation,
    "predict.values": probe_predict_values,
    "predict.stable": probe_predict_stable,
    "forward_propagation.square": probe_fp_square,
    "forward_propagation.bias": probe_fp_bias,
    "forward_propagation.no_bias": probe_fp_no_bias,
    "forward_propagation.no_mutation": probe_fp_no_mutation,
}
