"""Known slips, recomputed on the grader's side so that a hint can name a student's mistake.

Each function gives what a part of the assignment returns with one known mistake, on the same
fixed inputs as a case's probe; a judge compares the student's result with them to choose its
hint. Being the answers with a twist, they live here, in the grader's package only: the trusted
side's registry carries this module to the judges (``hw3.grading.registry.grader``; a judge
reads it through ``hw3.cases.checking.slip_models``). The checks that students receive
(``hw3_checks.zip``: the ``hw3.cases`` package) and the sandbox have no such module, and there
the judges give their generic hints.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

Activation = Callable[[np.ndarray], np.ndarray]


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic sigmoid, stable."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))


def feedforward(x: np.ndarray, ws: Sequence[np.ndarray], hidden: Activation | str,
                output: Activation | None = None, from_z: bool = False
                ) -> list[list[np.ndarray]]:
    """[[z0, z1, z2], [a0, a1, a2]]; ``output`` applied to z2 (default: ``hidden``), each z from
    the previous z when ``from_z``; ``hidden`` may be "sigmoid" (a fixed sigmoid)."""
    act: Activation = sigmoid if isinstance(hidden, str) else hidden
    w0, w1, w2 = ws
    z0 = x @ w0
    a0 = act(z0)
    z1 = (z0 if from_z else a0) @ w1
    a1 = act(z1)
    z2 = (z1 if from_z else a1) @ w2
    return [[z0, z1, z2], [a0, a1, (output or act)(z2)]]


def predict(x: np.ndarray, ws: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
    """What predict returns when it gives z2 instead of a2, the last hidden layer's a1, or uses
    ReLU instead of the sigmoid."""
    (z0, z1, z2), (a0, a1, a2) = feedforward(x, ws, sigmoid)
    relu = feedforward(x, ws, lambda v: np.maximum(0, v))[1][2]
    return {"z2": z2, "a1": a1, "relu": relu}


def bias_trick(w: np.ndarray, a: np.ndarray, b: np.ndarray, f: Activation
               ) -> dict[str, np.ndarray]:
    """What forward_propagation returns with a row of zeros (the biases dropped), without f, or
    with the row of ones on top while the biases are the last column of W."""
    ones_first = w @ np.vstack([np.ones((1, a.shape[1])), a])[:-1] + np.outer(b, a[-1])
    return {"zeros_row": f(w @ a), "no_f": w @ a + b[:, None], "ones_first": f(ones_first)}


def without_f(w: np.ndarray, a: np.ndarray) -> np.ndarray:
    """forward_propagation with zero biases and f forgotten."""
    return w @ a


def training(variant: str, run: str) -> tuple[np.ndarray, list[np.ndarray]]:
    """The epoch losses and final weights of a training run of train's probes (``run``, in
    ``hw3.cases.torch_train.TRAINING``) with one slip: "no_zero_grad", "scheduler_per_batch",
    "no_scheduler", "no_momentum", "last_batch" (anything else: none)."""
    import torch

    from hw3.cases.torch_train import TRAINING, fixed_training

    seed, a = TRAINING[run]
    model, loader = fixed_training(seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=a["lr"],
                                momentum=0.0 if variant == "no_momentum" else a["momentum"])
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, a["step_size"], a["gamma"])
    losses = []
    for _ in range(a["n_epochs"]):
        total, last = 0.0, 0.0
        for xb, yb in loader:
            if variant != "no_zero_grad":
                optimizer.zero_grad()
            loss = torch.nn.functional.mse_loss(model(xb), yb)
            loss.backward()
            optimizer.step()
            if variant == "scheduler_per_batch":
                scheduler.step()
            total, last = total + loss.item(), loss.item()
        if variant not in ("scheduler_per_batch", "no_scheduler"):
            scheduler.step()
        losses.append(last if variant == "last_batch" else total)
    return np.array(losses), [p.detach().double().numpy() for p in model.parameters()]
