"""Hidden cases of 2.4 (build_model, train): the properties of the public cases on other inputs
(``hw3.hidden.torch_train``' probes). Trusted: never in the students' checks (``hw3.build``),
never bound into the sandbox (``hw3.grading.jail``)."""

from __future__ import annotations

from typing import Any

from hw3.cases.case import Case
from hw3.cases.checking import verdict_of
from hw3.cases.torch_train import (
    TRAINING,
    judge_model_biases,
    judge_model_he,
    judge_model_structure,
    judge_train_for,
    loss_values,
)
from hw3.hidden.torch_train import probe_model_init, probe_model_other_sizes, probe_train_run


@verdict_of
def judge_train_floats(got: Any, expected: Any) -> None:
    loss_values(got["losses"], TRAINING["run"][1]["n_epochs"])


CASES = [
    Case(id="build_model.other_sizes", points=3, hidden=True,
         description="Linear, ReLU, Linear, ReLU, Linear with the right sizes, for other sizes",
         probe=probe_model_other_sizes, judge=judge_model_structure),
    Case(id="build_model.biases", points=1, hidden=True,
         description="every bias starts at 0 in a larger model",
         probe=probe_model_init, judge=judge_model_biases),
    Case(id="build_model.he_init", points=2, hidden=True,
         description="He initialisation (weight variance 2/fan_in) in a larger model",
         probe=probe_model_init, judge=judge_model_he),
    Case(id="train.floats", points=2, hidden=True,
         description="returns one Python float per epoch, on another run",
         probe=probe_train_run, judge=judge_train_floats),
    Case(id="train.losses", points=2, hidden=True,
         description="each epoch's loss is the sum of its batch losses, as in the prompt's loop, "
                     "on another run",
         probe=probe_train_run, judge=judge_train_for("run", model=False)),
    Case(id="train.model", points=2, hidden=True,
         description="trains the given model in place on the given loader exactly as the prompt's "
                     "loop (zero_grad, SGD with momentum, StepLR once per epoch), on another run",
         probe=probe_train_run, judge=judge_train_for("run", losses=False)),
]
