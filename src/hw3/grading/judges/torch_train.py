"""Hidden cases of 2.4 (build_model, train): the properties of the public cases on other inputs
(``hw3.hidden.torch_train``' probes). Trusted: never in the students' checks (``hw3.build``),
never bound into the sandbox (``hw3.grading.jail``)."""

from __future__ import annotations

from typing import Any

from hw3.cases.case import Case
from hw3.cases.checking import verdict_of
from hw3.cases.torch_train import (
    TRAINING,
    _loss_values,
    judge_model_biases,
    judge_model_he,
    judge_model_structure,
    judge_train_losses_for,
    judge_train_model_for,
)
from hw3.hidden.torch_train import probe_model_init, probe_model_other_sizes, probe_train_run


@verdict_of
def judge_train_floats(got: Any, expected: Any) -> None:
    _loss_values(got["losses"], TRAINING["run"][1]["n_epochs"])


CASES = [
    Case("build_model.other_sizes", "build_model", 3, True,
         "Linear, ReLU, Linear, ReLU, Linear with the right sizes, for other sizes",
         probe_model_other_sizes, judge_model_structure),
    Case("build_model.biases", "build_model", 1, True, "every bias starts at 0 in a larger "
         "model", probe_model_init, judge_model_biases),
    Case("build_model.he_init", "build_model", 2, True,
         "He initialisation (weight variance 2/fan_in) in a larger model", probe_model_init,
         judge_model_he),
    Case("train.floats", "train", 2, True, "returns one Python float per epoch, on another run",
         probe_train_run, judge_train_floats),
    Case("train.losses", "train", 2, True,
         "each epoch's loss is the sum of its batch losses, as in the prompt's loop, on "
         "another run", probe_train_run, judge_train_losses_for("run")),
    Case("train.model", "train", 2, True,
         "trains the given model in place on the given loader exactly as the prompt's loop "
         "(zero_grad, SGD with momentum, StepLR once per epoch), on another run",
         probe_train_run, judge_train_model_for("run")),
]
