"""Probe-side helpers: these run beside the student's code and return plain data only."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp

from hw3.cases.case import Missing
from hw3.cases.checking import CANONICAL


def fn(env: Mapping[str, Any], name: str) -> Callable[..., Any]:
    """The student's function ``name``; Missing if the notebook does not define it."""
    value = env.get(name)
    if value is None:
        raise Missing(f"`{name}` is not defined")
    if not callable(value):
        raise Missing(f"`{name}` is defined but is not a function (it is a "
                      f"{type(value).__name__})")
    return value


def plain(value: Any) -> Any:
    """A returned value as plain data: arrays and numbers as they are, tensors as arrays,
    sequences item by item, anything else as a description of its type."""
    if value is None or isinstance(value, (bool, int, float, str, np.generic)):
        return value
    if isinstance(value, np.ndarray):
        return value.copy() if value.dtype.kind in "biuf" else {"type": f"array of {value.dtype}"}
    if type(value).__module__.startswith("torch") and hasattr(value, "detach"):
        return value.detach().cpu().numpy().copy()
    if isinstance(value, (list, tuple)):
        items = [plain(v) for v in value]
        return items if isinstance(value, list) else tuple(items)
    return {"type": type(value).__name__}


def call_quietly(f: Callable[..., Any], *args: Any) -> tuple[Any, list[str]]:
    """Call ``f`` and return its result with the messages of the warnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # Underflow to 0 is harmless; overflow, 0/0 and inf/inf are what unstable code does.
        with np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"):
            result = f(*args)
    return result, [f"{w.category.__name__}: {w.message}"[:200] for w in caught]


def snapshot(*args: Any) -> list[Any]:
    """Deep copies of arguments, to see afterwards whether a function changed them."""
    return [copy.deepcopy(a) for a in args]


def unchanged(before: list[Any], after: tuple[Any, ...]) -> bool:
    return all(np.array_equal(np.asarray(b), np.asarray(a)) and np.asarray(b).shape ==
               np.asarray(a).shape for b, a in zip(before, after))


def changed_args(before: list[Any], after: Sequence[Any], names: Sequence[str]) -> list[str]:
    """The names of the arguments whose shape or values differ from their snapshot."""
    return [name for name, b, a in zip(names, before, after) if not unchanged([b], (a,))]


def copies(*args: Any) -> tuple[Any, ...]:
    """Fresh copies of arrays for each call: one call that changes its arguments in place must
    not spoil the next call's inputs (that is judged once, by the no_mutation cases)."""
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def describe(value: Any, parse_strings: bool = True) -> Any:
    """Probe-side: turn a theory answer into plain data, parsing formula strings with SymPy.

    Runs beside the student's code, never in the grader: parsing a string evaluates it."""
    if value is None or value is Ellipsis:
        return {"kind": "missing"}
    if isinstance(value, bool):
        return {"kind": "bool", "value": value}
    if isinstance(value, (int, float, np.integer, np.floating)):
        return {"kind": "number", "value": value}
    if isinstance(value, str):
        out: dict[str, Any] = {"kind": "str", "value": value}
        if parse_strings:
            try:
                out["expr"] = sp.parse_expr(value.replace("^", "**"), local_dict=dict(CANONICAL))
            except Exception as e:  # noqa: BLE001 - an unparsable string is an answer too
                out["parse_error"] = f"{type(e).__name__}: {e}"[:300]
        return out
    if isinstance(value, sp.Basic):
        return {"kind": "expr", "expr": value}
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf" and value.ndim:
        value = value.tolist()  # an array of shapes or sizes is a sequence of numbers too
    if isinstance(value, (list, tuple)):
        return {"kind": "seq", "items": [describe(v, parse_strings) for v in value]}
    if isinstance(value, dict):
        return {"kind": "dict", "items": {str(k): describe(v, parse_strings)
                                          for k, v in value.items()}}
    if callable(value):
        return {"kind": "callable"}
    return {"kind": "other", "type": type(value).__name__}


