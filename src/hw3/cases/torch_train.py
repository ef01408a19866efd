"""Part 2.4: the PyTorch model of UDL figure 7.8 (build_model) and its training loop (train):
the public cases, on public inputs, and the judges they share with the hidden cases
(``hw3.hidden.torch_train``, which hold other inputs)."""

from __future__ import annotations

from typing import Any

import numpy as np

from hw3.cases.case import Case, Env, Judge
from hw3.cases.checking import fmt, is_number, require, require_close, slip_models, verdict_of
from hw3.cases.probing import fn

# ----------------------------------------------------------------------------- build_model


def _linear(layer: Any) -> dict[str, Any]:
    w = layer.weight.detach().double()
    return {"kind": "Linear", "in_features": int(layer.in_features),
            "out_features": int(layer.out_features), "weight_var": float(w.var(correction=0)),
            "weight_mean": float(w.mean()), "has_bias": layer.bias is not None,
            "bias_max_abs": float(layer.bias.detach().abs().max())
            if layer.bias is not None else 0.0}


def _describe_model(model: Any) -> dict[str, Any]:
    """A model as plain data: its class, each layer's kind and sizes (a Sequential's layers), and
    every Linear layer's weight statistics (any module's, so that the initialisation is judged
    even when the structure is wrong)."""
    import torch

    out: dict[str, Any] = {"type": type(model).__name__,
                           "is_sequential": isinstance(model, torch.nn.Sequential)}
    if not isinstance(model, torch.nn.Module):
        return out
    out["layers"] = [_linear(layer) if isinstance(layer, torch.nn.Linear)
                     else {"kind": type(layer).__name__}
                     for layer in (model if isinstance(model, torch.nn.Sequential) else [])]
    out["linears"] = [_linear(m) for m in model.modules() if isinstance(m, torch.nn.Linear)]
    return out


def probe_model_structure(env: Env) -> Any:
    import torch

    torch.manual_seed(0)
    return _describe_model(fn(env, "build_model")(3, 8, 2))


def model_probe(seed: int, sizes: tuple[int, int, int]) -> Any:
    """A probe: build_model(*sizes) after torch.manual_seed(seed), as plain data."""

    def probe(env: Env) -> Any:
        import torch

        torch.manual_seed(seed)
        return _describe_model(fn(env, "build_model")(*sizes))

    return probe


# >= 30000 weights in every layer: the sample variance is within 2% of the true one.
probe_model_init_public = model_probe(2, (200, 300, 100))


def _require_module(got: dict[str, Any]) -> None:
    require(got.get("type") != "NoneType", "build_model returned None: did you forget a "
            "`return`?")
    require("linears" in got, f"build_model should return a torch.nn.Sequential, got a "
            f"{got.get('type')}.")


@verdict_of
def judge_model_structure(got: Any, expected: Any) -> None:
    _require_module(got)
    require(got.get("is_sequential"), f"build_model should return a torch.nn.Sequential, got a "
            f"{got.get('type')}.")
    kinds = [layer["kind"] for layer in got["layers"]]
    want = [layer["kind"] for layer in expected["layers"]]
    hint = ""
    if kinds[:len(want)] == want and len(kinds) > len(want):
        hint = "no activation after the output layer: the network ends with a Linear layer"
    elif kinds.count("Linear") < want.count("Linear"):
        hint = "two hidden layers: Linear, ReLU, Linear, ReLU, then the output Linear"
    require(kinds == want, f"the model's layers are {', '.join(kinds) or 'none'}; expected "
            f"{', '.join(want)}.", hint)
    for i, (mine, right) in enumerate(zip(got["layers"], expected["layers"])):
        if right["kind"] == "Linear":
            sizes = (mine["in_features"], mine["out_features"])
            target = (right["in_features"], right["out_features"])
            require(sizes == target, f"layer {i} of build_model(3, 8, 2) is Linear{sizes}, "
                    f"expected Linear{target}.",
                    "Linear(D_i, D_k), Linear(D_k, D_k), Linear(D_k, D_o)")


def _linears(got: dict[str, Any]) -> list[dict[str, Any]]:
    _require_module(got)
    require(got["linears"], "the model has no Linear layer.")
    return got["linears"]


@verdict_of
def judge_model_biases(got: Any, expected: Any) -> None:
    _biases_zero(got)


def _biases_zero(got: Any) -> None:
    for i, layer in enumerate(_linears(got)):
        require(layer["has_bias"], f"Linear layer {i} has no bias (bias=False).",
                "keep the biases and set them to 0")
        require(layer["bias_max_abs"] == 0.0, f"Linear layer {i}'s biases are not all 0 (the "
                f"largest is {fmt(layer['bias_max_abs'])} in size).",
                "PyTorch starts biases at small random values: set them with "
                "torch.nn.init.zeros_(layer.bias)")


@verdict_of
def judge_model_init_public(got: Any, expected: Any) -> None:
    _he(got)
    _biases_zero(got)


@verdict_of
def judge_model_he(got: Any, expected: Any) -> None:
    _he(got)


def _he(got: Any) -> None:
    for i, layer in enumerate(_linears(got)):
        he = 2.0 / layer["in_features"]
        ratio = layer["weight_var"] / he
        require(0.9 < ratio < 1.1, f"Linear layer {i}'s weights have variance {fmt(ratio)} x "
                "2/fan_in; He initialisation gives exactly 2/fan_in.", _he_hint(ratio, layer))


def _he_hint(ratio: float, layer: dict[str, Any]) -> str:
    fan_in, fan_out = layer["in_features"], layer["out_features"]
    if abs(ratio - 1 / 6) < 0.03:
        return "this is PyTorch's default initialisation: call kaiming_normal_ on each weight"
    if abs(ratio - fan_in / fan_out) < 0.1 * fan_in / fan_out:
        return "use mode='fan_in' (the default), not 'fan_out'"
    if abs(ratio - fan_in / (fan_in + fan_out)) < 0.05:
        return "this is Xavier/Glorot initialisation (2/(fan_in + fan_out)); He uses 2/fan_in"
    if ratio < 0.1:
        return "the weights are far too small: a fixed scale such as 0.01 ignores the layer's " \
               "size; He's standard deviation is sqrt(2/fan_in)"
    return "use torch.nn.init.kaiming_normal_(layer.weight) (fan_in, ReLU gain sqrt(2))"


# ----------------------------------------------------------------------------- train

# The training runs: the seed of fixed_training and train's arguments (the hidden cases add
# theirs). A short step_size makes the scheduler matter within a few epochs.
TRAINING: dict[str, tuple[int, dict[str, Any]]] = {
    "steps_example": (4, {"n_epochs": 4, "lr": 0.05, "momentum": 0.9, "step_size": 2,
                          "gamma": 0.5}),
}


def _counting_dataset() -> Any:
    """A TensorDataset that counts the samples drawn from it: whether train used its loader."""
    import torch

    class CountingDataset(torch.utils.data.TensorDataset):
        drawn = 0

        def __getitem__(self, index: Any) -> Any:
            CountingDataset.drawn += 1
            return super().__getitem__(index)

    return CountingDataset


def fixed_training(seed: int, counting: bool = False) -> tuple[Any, Any]:
    """A fixed small model and an unshuffled loader, the same on every run."""
    import torch

    g = torch.Generator().manual_seed(seed)
    x, y = torch.randn(20, 4, generator=g), torch.randn(20, 2, generator=g)
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(), torch.nn.Linear(6, 6),
                                torch.nn.ReLU(), torch.nn.Linear(6, 2))
    dataset = (_counting_dataset() if counting else torch.utils.data.TensorDataset)(x, y)
    loader = torch.utils.data.DataLoader(dataset, batch_size=5, shuffle=False)
    return model, loader


def _losses(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return {"container": type(value).__name__,
                "items": [v if type(v) in (int, float) else {"type": type(v).__name__,
                          "value": _float_or_none(v)} for v in value]}
    return {"container": type(value).__name__, "items": None}


def _float_or_none(v: Any) -> float | None:
    try:
        return float(v)
    except Exception:  # noqa: BLE001 - anything that is not one number
        return None


def probe_train_returns(env: Env) -> Any:
    model, loader = fixed_training(4)
    return _losses(fn(env, "train")(model, loader, n_epochs=3))


def train_run_probe(run: str) -> Any:
    """A probe: train on a fixed model and loader; its losses, and the model afterwards."""

    def probe(env: Env) -> Any:
        import torch

        seed, args = TRAINING[run]
        model, loader = fixed_training(seed, counting=True)
        initial = [p.detach().clone() for p in model.parameters()]
        dataset = loader.dataset
        out = fn(env, "train")(model, loader, **args)
        params = list(model.parameters())
        changed = any(not torch.equal(a, p.detach()) for a, p in zip(initial, params))
        return {"losses": _losses(out), "changed": bool(changed),
                "drawn": int(type(dataset).drawn),
                "weights": [p.detach().double().numpy().copy() for p in params]}

    return probe


def loss_values(got: dict[str, Any], n: int, strict: bool = True) -> list[float]:
    """The epoch losses as floats; ``strict``: each must be a Python float (or int)."""
    require(got["container"] != "NoneType", "train returned None: it should return the list of "
            "epoch losses.", "end train with `return losses`")
    require(got["items"] is not None, f"train should return a list of numbers, got a "
            f"{got['container']}.")
    items = got["items"]
    require(len(items) == n, f"train(..., n_epochs={n}) returned {len(items)} losses, expected "
            f"{n}: one per epoch.", "append one number per epoch, after its batches")
    values = []
    for v in items:
        if isinstance(v, dict):
            require(not strict and v.get("value") is not None, f"each loss should be a Python "
                    f"float, got a {v['type']}.", "use loss.item() to get a Python float")
            v = v["value"]
        require(is_number(v) and np.isfinite(v), f"each loss should be a finite number, got {v}.")
        values.append(float(v))
    return values


@verdict_of
def judge_train_returns(got: Any, expected: Any) -> None:
    loss_values(got, 3)


def _train_losses(got: Any, expected: Any, run: str) -> None:
    # The type of the values is train.returns' business: here only the numbers count.
    n = TRAINING[run][1]["n_epochs"]
    mine = np.array(loss_values(got["losses"], n, strict=False))
    right = np.array(loss_values(expected["losses"], n))
    require_close(mine, right, "the epoch losses", rtol=1e-4, atol=1e-6,
                  hint=lambda: _train_hint(mine, lambda out: out[0], run, right))


def judge_train_for(run: str, losses: bool = True, model: bool = True) -> Judge:
    """A judge of training ``run``: its trained model (``model``), then its epoch losses
    (``losses``)."""

    @verdict_of
    def judge(got: Any, expected: Any) -> None:
        if model:
            _train_model(got, expected, run)
        if losses:
            _train_losses(got, expected, run)

    return judge


# Slips of the training loop (their losses and weights: hw3.grading.slips.training).
_TRAIN_SLIPS = {
    "no_zero_grad": "the gradients are never zeroed, so they pile up: call optimizer.zero_grad() "
                    "before every backward pass",
    "scheduler_per_batch": "step the scheduler once per epoch, after the epoch's batches, not "
                           "after every batch",
    "no_scheduler": "the learning rate never decays: call scheduler.step() once per epoch",
    "no_momentum": "pass momentum=momentum to torch.optim.SGD",
    "last_batch": "add up the losses of all the epoch's batches, not only the last one",
}
_TRAIN_HINT = "for each batch: zero the gradients, forward, loss, backward, optimizer step; use " \
              "MSELoss, SGD with the given lr and momentum, and StepLR stepped once per epoch"


def _train_hint(mine: Any, part: Any, run: str, right: Any = None) -> str:
    """The slip whose run gives ``mine`` (``part`` picks losses or weights from a run)."""
    # A mean is the sum divided by the number of batches (4 in every run).
    if isinstance(mine, np.ndarray) and right is not None and \
            np.allclose(mine * 4, right, rtol=1e-3):
        return "each epoch's loss is the SUM of its batch losses, not their mean"
    slips = slip_models()
    if slips is None:
        return _TRAIN_HINT
    for variant, hint in _TRAIN_SLIPS.items():
        try:
            if _close_all(mine, part(slips.training(variant, run))):
                return hint
        except Exception:  # noqa: BLE001 - a hint is a bonus; never fail the judge for it
            break
    return _TRAIN_HINT


def _close_all(mine: Any, theirs: Any) -> bool:
    if isinstance(theirs, list):
        return isinstance(mine, list) and len(mine) == len(theirs) and all(
            _close_all(m, t) for m, t in zip(mine, theirs))
    return isinstance(mine, np.ndarray) and mine.shape == np.shape(theirs) and \
        bool(np.allclose(mine, theirs, rtol=1e-4, atol=1e-6))


def _train_model(got: Any, expected: Any, run: str) -> None:
    require(got.get("drawn", 0) > 0, "train never drew a batch from the data_loader it was "
            "given.", "loop over the data_loader argument, not a loader or tensors of the "
            "notebook")
    require(got.get("changed") is True, "the model given to train is unchanged after "
            "training.", "train the model it is given, in place: do not copy it or build a new "
            "one")
    mine, right = got["weights"], expected["weights"]
    require(len(mine) == len(right), f"the model has {len(mine)} parameter tensors after "
            f"training, expected {len(right)}.", "train the model it is given; do not add layers")
    hint = ""
    for i, (m, r) in enumerate(zip(mine, right)):
        if not (isinstance(m, np.ndarray) and m.shape == r.shape and
                np.allclose(m, r, rtol=1e-4, atol=1e-6)):
            hint = hint or _train_hint(mine, lambda out: out[1], run)
        require_close(m, r, f"parameter {i} of the trained model", rtol=1e-4, atol=1e-6,
                      hint=hint)


# ----------------------------------------------------------------------------- the cases

CASES = [
    Case(id="build_model.structure", points=3, hidden=False,
         description="Linear, ReLU, Linear, ReLU, Linear with the right sizes",
         probe=probe_model_structure, judge=judge_model_structure),
    Case(id="build_model.init_example", points=2, hidden=False,
         description="He initialisation (weight variance 2/fan_in) and every bias 0",
         probe=probe_model_init_public, judge=judge_model_init_public),
    Case(id="train.returns", points=2, hidden=False,
         description="returns one Python float per epoch",
         probe=probe_train_returns, judge=judge_train_returns),
    Case(id="train.steps_example", points=2, hidden=False,
         description="on a tiny fixed run: the epoch losses (sums of batch losses) and the "
                     "trained model are those of the loop the prompt describes (zero_grad, "
                     "forward, loss, backward, step; StepLR once per epoch)",
         probe=train_run_probe("steps_example"), judge=judge_train_for("steps_example")),
]
