"""Part 2.5: the PyTorch model of UDL figure 7.8 (build_model) and its training loop (train)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..checking import Reject, fmt, is_number, require, require_close, verdict_of
from . import Case
from .probing import fn

Env = Mapping[str, Any]


# ----------------------------------------------------------------------------- build_model


def _describe_model(model: Any) -> dict[str, Any]:
    """A model as plain data: its class, and each layer's kind, sizes and weight statistics."""
    import torch

    out: dict[str, Any] = {"type": type(model).__name__,
                           "is_sequential": isinstance(model, torch.nn.Sequential)}
    if not isinstance(model, torch.nn.Module):
        return out
    layers = []
    for layer in (model if isinstance(model, torch.nn.Sequential) else []):
        item: dict[str, Any] = {"kind": type(layer).__name__}
        if isinstance(layer, torch.nn.Linear):
            w = layer.weight.detach().double()
            item.update(in_features=int(layer.in_features), out_features=int(layer.out_features),
                        weight_var=float(w.var(unbiased=False)), weight_mean=float(w.mean()),
                        has_bias=layer.bias is not None,
                        bias_max_abs=float(layer.bias.detach().abs().max())
                        if layer.bias is not None else 0.0)
        layers.append(item)
    out["layers"] = layers
    return out


def probe_model_structure(env: Env) -> Any:
    import torch

    torch.manual_seed(0)
    return _describe_model(fn(env, "build_model")(3, 8, 2))


def probe_model_init(env: Env) -> Any:
    import torch

    torch.manual_seed(1)
    return _describe_model(fn(env, "build_model")(400, 300, 200))


def _layers(got: dict[str, Any], expected: dict[str, Any]) -> list[dict[str, Any]]:
    require(got.get("type") != "NoneType", "build_model returned None: did you forget a "
            "`return`?")
    require(got.get("is_sequential"), f"build_model should return a torch.nn.Sequential, got a "
            f"{got.get('type')}.")
    kinds = [layer["kind"] for layer in got["layers"]]
    want = [layer["kind"] for layer in expected["layers"]]
    require(kinds == want, f"the model's layers are {kinds}, expected {want}.",
            "Linear, ReLU, Linear, ReLU, Linear: no activation after the output layer"
            if len(kinds) == len(want) + 1 else "")
    for i, (mine, right) in enumerate(zip(got["layers"], expected["layers"])):
        if right["kind"] == "Linear":
            sizes = (mine["in_features"], mine["out_features"])
            target = (right["in_features"], right["out_features"])
            require(sizes == target, f"layer {i} is Linear{sizes}, expected Linear{target}.",
                    "Linear(D_i, D_k), Linear(D_k, D_k), Linear(D_k, D_o)")
    return got["layers"]


@verdict_of
def judge_model_structure(got: Any, expected: Any) -> None:
    _layers(got, expected)


@verdict_of
def judge_model_biases(got: Any, expected: Any) -> None:
    for i, layer in enumerate(_layers(got, expected)):
        if layer["kind"] == "Linear":
            require(layer["has_bias"], f"layer {i} has no bias.")
            require(layer["bias_max_abs"] == 0.0, f"layer {i}'s biases are not all 0.",
                    "set them with torch.nn.init.zeros_(layer.bias)")


@verdict_of
def judge_model_he(got: Any, expected: Any) -> None:
    for i, layer in enumerate(_layers(got, expected)):
        if layer["kind"] != "Linear":
            continue
        he = 2.0 / layer["in_features"]
        ratio = layer["weight_var"] / he
        # >= 60000 weights per layer: the sample variance is within 1% of the true one.
        require(0.9 < ratio < 1.1, f"layer {i}'s weights have variance {fmt(ratio)} x 2/fan_in; "
                "He initialisation gives exactly 2/fan_in.", _he_hint(ratio, layer))


def _he_hint(ratio: float, layer: dict[str, Any]) -> str:
    fan_in, fan_out = layer["in_features"], layer["out_features"]
    if abs(ratio - 1 / 6) < 0.03:
        return "this is PyTorch's default initialisation: call kaiming_normal_ on each weight"
    if abs(ratio - fan_in / fan_out) < 0.1 * fan_in / fan_out:
        return "use mode='fan_in' (the default), not 'fan_out'"
    return "use torch.nn.init.kaiming_normal_(layer.weight) (fan_in, ReLU gain sqrt(2))"


# ----------------------------------------------------------------------------- train


def _fixed_training(seed: int = 3) -> tuple[Any, Any]:
    """A fixed small model and an unshuffled loader, the same on every run."""
    import torch

    g = torch.Generator().manual_seed(seed)
    x, y = torch.randn(20, 4, generator=g), torch.randn(20, 2, generator=g)
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(), torch.nn.Linear(6, 6),
                                torch.nn.ReLU(), torch.nn.Linear(6, 2))
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=5,
                                         shuffle=False)
    return model, loader


def _losses(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return {"container": type(value).__name__,
                "items": [v if type(v) in (int, float) else {"type": type(v).__name__,
                          "value": float(v) if _floatable(v) else None} for v in value]}
    return {"container": type(value).__name__, "items": None}


def _floatable(v: Any) -> bool:
    try:
        float(v)
        return True
    except Exception:  # noqa: BLE001
        return False


def probe_train_returns(env: Env) -> Any:
    model, loader = _fixed_training()
    return _losses(fn(env, "train")(model, loader, n_epochs=3))


def probe_train_trajectory(env: Env) -> Any:
    import torch

    model, loader = _fixed_training()
    # A short step_size makes the scheduler matter within a few epochs.
    out = fn(env, "train")(model, loader, n_epochs=6, lr=0.05, momentum=0.9, step_size=2,
                           gamma=0.5)
    weights = [p.detach().double().numpy().copy() for p in model.parameters()]
    with torch.no_grad():
        x = torch.linspace(-1, 1, 12).reshape(3, 4)
        prediction = model(x).double().numpy().copy()
    return {"losses": _losses(out), "weights": weights, "prediction": prediction}


def _loss_values(got: dict[str, Any], n: int) -> list[float]:
    require(got["container"] != "NoneType", "train returned None: it should return the list of "
            "epoch losses.")
    require(got["items"] is not None, f"train should return a list, got a {got['container']}.")
    items = got["items"]
    require(len(items) == n, f"train(..., n_epochs={n}) returned {len(items)} losses, expected "
            f"{n}: one per epoch.", "append one number per epoch, after its batches")
    for v in items:
        if isinstance(v, dict):
            raise Reject(f"each loss should be a Python float, got a {v['type']}.",
                         "use loss.item() to get a Python float")
        require(is_number(v) and np.isfinite(v), f"each loss should be a finite number, got {v}.")
    return [float(v) for v in items]


@verdict_of
def judge_train_returns(got: Any, expected: Any) -> None:
    _loss_values(got, 3)


@verdict_of
def judge_train_trajectory(got: Any, expected: Any) -> None:
    mine = np.array(_loss_values(got["losses"], 6))
    right = np.array(_loss_values(expected["losses"], 6))
    require_close(mine, right, "the epoch losses", rtol=1e-4, atol=1e-6,
                  hint=_train_hint(mine, right))


def _train_hint(mine: np.ndarray, right: np.ndarray) -> str:
    if np.allclose(mine * 4, right, rtol=1e-3) or np.allclose(mine, right / 4, rtol=1e-3):
        return "each epoch's loss is the SUM of its batch losses, not their mean"
    if np.isclose(mine[0], right[0], rtol=1e-4):
        return "the first epoch matches: check when the scheduler steps (once per epoch, after " \
               "its batches) and that the gradients are zeroed before every backward pass"
    return "for each batch: zero the gradients, forward, loss, backward, optimizer step; use " \
           "MSELoss, SGD with the given lr and momentum, and StepLR"


@verdict_of
def judge_train_in_place(got: Any, expected: Any) -> None:
    require(len(got["weights"]) == len(expected["weights"]), "the model's parameters changed "
            "their number during training.")
    for i, (mine, right) in enumerate(zip(got["weights"], expected["weights"])):
        require_close(mine, right, f"parameter {i} of the trained model", rtol=1e-3, atol=1e-5,
                      hint="train the model it is given, in place, with the loader it is given")
    require_close(got["prediction"], expected["prediction"], "the trained model's predictions",
                  rtol=1e-3, atol=1e-5)


# ----------------------------------------------------------------------------- the cases

CASES = [
    Case("build_model.structure", "build_model", 3, False,
         "Linear, ReLU, Linear, ReLU, Linear with the right sizes", probe_model_structure,
         judge_model_structure),
    Case("build_model.biases", "build_model", 2, True, "every bias starts at 0",
         probe_model_structure, judge_model_biases),
    Case("build_model.he_init", "build_model", 3, True,
         "He initialisation: weight variance 2/fan_in", probe_model_init, judge_model_he),
    Case("train.returns", "train", 2, False, "returns one Python float per epoch",
         probe_train_returns, judge_train_returns),
    Case("train.trajectory", "train", 4, True,
         "the epoch losses match the reference loop exactly (SGD, momentum, StepLR)",
         probe_train_trajectory, judge_train_trajectory),
    Case("train.in_place", "train", 2, True,
         "trains the given model in place on the given loader", probe_train_trajectory,
         judge_train_in_place),
]
