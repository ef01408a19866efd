"""Probes of the hidden cases of 2.1 (sigmoid, relu), on inputs the students never see; their
judges are in ``hw3.grading.judges.activations``."""

from __future__ import annotations

from typing import Any

import numpy as np

from hw3.cases.activations import relu_mutation_probe, stability_probe
from hw3.cases.case import Env
from hw3.cases.probing import fn, plain


def probe_sigmoid_some_values(env: Env) -> Any:
    s = fn(env, "sigmoid")
    return [plain(s(v)) for v in (0, 1.25, -3.5)]


def probe_sigmoid_array(env: Env) -> Any:
    z = np.random.default_rng(40).normal(0, 4, size=(3, 5))
    return plain(fn(env, "sigmoid")(z))


def probe_sigmoid_scalar(env: Env) -> Any:
    return plain(fn(env, "sigmoid")(0.75))


probe_sigmoid_stable = stability_probe(np.array([-1e4, -1000.0, -50.0, -1e-3, 0.0, 1e-3, 50.0,
                                                 1000.0, 1e4]))


def probe_relu_some_values(env: Env) -> Any:
    r = fn(env, "relu")
    return {"number": plain(r(-0.75)), "positive": plain(r(5)), "list": plain(r([3, -2, 0.5])),
            "array": plain(r(np.array([0.25, -4.0, 1.5, -0.5, 0.0])))}


def probe_relu_shape(env: Env) -> Any:
    return plain(fn(env, "relu")(np.random.default_rng(41).standard_normal((4, 3))))


def probe_relu_types(env: Env) -> Any:
    out = fn(env, "relu")([[-1, 2], [3, -4]])
    return {"type": type(out).__module__.split(".")[0] + "." + type(out).__name__,
            "value": plain(out)}


probe_relu_no_mutation = relu_mutation_probe(np.random.default_rng(42).standard_normal((3, 4)))

PROBES = {
    "sigmoid.some_values": probe_sigmoid_some_values,
    "sigmoid.array": probe_sigmoid_array,
    "sigmoid.scalar": probe_sigmoid_scalar,
    "sigmoid.stable": probe_sigmoid_stable,
    "relu.some_values": probe_relu_some_values,
    "relu.shape": probe_relu_shape,
    "relu.types": probe_relu_types,
    "relu.no_mutation": probe_relu_no_mutation,
}
