"""Probes of the hidden cases of 2.4 (build_model, train), on inputs the students never see;
their judges are in ``hw3.grading.judges.torch_train``."""

from __future__ import annotations

from hw3.cases.torch_train import TRAINING, model_probe, train_run_probe

probe_model_other_sizes = model_probe(3, (5, 7, 3))
# >= 60000 weights per layer: the sample variance is within 1% of the true one.
probe_model_init = model_probe(1, (400, 300, 200))

TRAINING["run"] = (3, {"n_epochs": 6, "lr": 0.05, "momentum": 0.9, "step_size": 2,
                       "gamma": 0.5})
probe_train_run = train_run_probe("run")

PROBES = {
    "build_model.other_sizes": probe_model_other_sizes,
    "build_model.biases": probe_model_init,
    "build_model.he_init": probe_model_init,
    "train.floats": probe_train_run,
    "train.losses": probe_train_run,
    "train.model": probe_train_run,
}
