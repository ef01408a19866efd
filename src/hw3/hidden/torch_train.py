"""Hidden cases of 2.4 (build_model, train): the properties of the public cases on other
inputs. Grader-only: never in the students' checks (``hw3.build``)."""

from __future__ import annotations

from hw3.cases.case import Case
from hw3.cases.torch_train import (
    TRAINING,
    judge_model_biases,
    judge_model_he,
    judge_train_losses_for,
    judge_train_model_for,
    model_probe,
    train_run_probe,
)

# >= 60000 weights per layer: the sample variance is within 1% of the true one.
probe_model_init = model_probe(1, (400, 300, 200))

TRAINING["run"] = (3, {"n_epochs": 6, "lr": 0.05, "momentum": 0.9, "step_size": 2,
                       "gamma": 0.5})
probe_train_run = train_run_probe("run")

CASES = [
    Case("build_model.biases", "build_model", 1, True, "every bias starts at 0 in a larger "
         "model", probe_model_init, judge_model_biases),
    Case("build_model.he_init", "build_model", 2, True,
         "He initialisation (weight variance 2/fan_in) in a larger model", probe_model_init,
         judge_model_he),
    Case("train.losses", "train", 2, True,
         "each epoch's loss is the sum of its batch losses, as in the prompt's loop, on "
         "another run", probe_train_run, judge_train_losses_for("run")),
    Case("train.model", "train", 2, True,
         "trains the given model in place on the given loader exactly as the prompt's loop "
         "(zero_grad, SGD with momentum, StepLR once per epoch), on another run",
         probe_train_run, judge_train_model_for("run")),
]
