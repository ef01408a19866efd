"""Hidden cases of 2.1 (sigmoid, relu): the same properties as the public cases, on other
inputs (``hw3.hidden.activations``' probes), plus robustness. Trusted: never in the students'
checks (``hw3.build``), never bound into the sandbox (``hw3.grading.jail``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from hw3.cases.activations import (
    FLIPPED_HINT,
    judge_relu_unchanged,
    judge_relu_values,
    judge_sigmoid_stable,
    judge_sigmoid_values,
    relu_hint,
    require_number,
)
from hw3.cases.case import Case
from hw3.cases.checking import fmt, require, require_close, verdict_of
from hw3.hidden.activations import (
    probe_relu_no_mutation,
    probe_relu_shape,
    probe_relu_some_values,
    probe_relu_types,
    probe_sigmoid_array,
    probe_sigmoid_scalar,
    probe_sigmoid_some_values,
    probe_sigmoid_stable,
)


@verdict_of
def judge_sigmoid_array(got: Any, expected: Any) -> None:
    hint = ""
    if isinstance(got, np.ndarray) and got.shape == expected.shape and \
            np.allclose(got, 1 - expected, rtol=1e-9):
        hint = FLIPPED_HINT
    require_close(got, expected, "sigmoid of a 3x5 array", rtol=1e-9,
                  hint=hint or "sigmoid works elementwise: use NumPy functions (np.exp), not math")


@verdict_of
def judge_sigmoid_scalar(got: Any, expected: Any) -> None:
    value = require_number(got, "sigmoid(0.75)")
    require(np.isclose(value, float(expected), rtol=1e-9), f"sigmoid(0.75) should be "
            f"{fmt(float(expected))}, got {fmt(value)}.", FLIPPED_HINT
            if np.isclose(value, 1 - float(expected), rtol=1e-9) else "")


@verdict_of
def judge_relu_shape(got: Any, expected: Any) -> None:
    hint = "keep the input's shape: work elementwise (np.maximum), without reshaping or " \
           "reducing" if np.shape(got) != expected.shape else relu_hint(got, expected)
    require_close(got, expected, "relu of a 4x3 array", hint=hint)


@verdict_of
def judge_relu_types(got: Any, expected: Any) -> None:
    require(got["type"] == "numpy.ndarray", f"relu of a list should return a NumPy array, got a "
            f"{got['type']}.", "np.maximum(0, np.asarray(z)) works for numbers, lists and arrays")
    require_close(got["value"], expected["value"], "relu of a nested list",
                  hint=lambda: relu_hint(got["value"], expected["value"]))


CASES = [
    Case(id="sigmoid.some_values", points=2, hidden=True,
         description="sigmoid at three other numbers",
         probe=probe_sigmoid_some_values, judge=judge_sigmoid_values),
    Case(id="sigmoid.array", points=1, hidden=True,
         description="elementwise on a 2-D array, same shape back",
         probe=probe_sigmoid_array, judge=judge_sigmoid_array),
    Case(id="sigmoid.scalar", points=1, hidden=True,
         description="works on a Python float",
         probe=probe_sigmoid_scalar, judge=judge_sigmoid_scalar),
    Case(id="sigmoid.stable", points=2, hidden=True,
         description="numerically stable on other large inputs: no warning, no NaN, exactly 0 and "
                     "1 at z = -1e4 and 1e4",
         probe=probe_sigmoid_stable, judge=judge_sigmoid_stable),
    Case(id="relu.some_values", points=2, hidden=True,
         description="relu of other numbers, a list and an array",
         probe=probe_relu_some_values, judge=judge_relu_values),
    Case(id="relu.shape", points=1, hidden=True,
         description="keeps the shape of a 2-D array",
         probe=probe_relu_shape, judge=judge_relu_shape),
    Case(id="relu.types", points=1, hidden=True,
         description="returns a NumPy array for a nested list",
         probe=probe_relu_types, judge=judge_relu_types),
    Case(id="relu.no_mutation", points=1, hidden=True,
         description="leaves another array it is given unchanged (and returns the right values)",
         probe=probe_relu_no_mutation, judge=judge_relu_unchanged),
]
