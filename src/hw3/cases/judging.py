"""Judging one case: from the encoded data its probe returned to a verdict, and the sentence on
where a value's type differs from the reference's (``type_mismatch``).

A registry (``hw3.cases.registry.Registry.judge``) calls ``judge`` with its slip models in
scope; called alone, the judges' hints stay generic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hw3.cases import vocabulary, wire
from hw3.cases.case import Case, Crash
from hw3.cases.checking import Verdict


def judge(case: Case, got_text: str | None, expected: Mapping[str, Any]) -> Verdict:
    """Judge one case from the encoded data its probe returned (None: the probe never ran)."""
    if case.uses_expected and case.id not in expected:
        raise KeyError(f"no expected data for {case.id}: rebuild with `hw3 build`")
    if got_text is None:
        return Verdict.fail("This check could not run: your notebook stopped before it.")
    try:
        got = wire.decode(got_text)
    except wire.WireError as e:
        return Verdict.fail(f"The values your code returned could not be read ({e}).")
    if isinstance(got, dict) and set(got) == {"error"} and isinstance(got["error"], dict):
        from hw3.cases.hints import explain_error

        message, hint = explain_error(case, got["error"])
        return Crash(False, message, hint, str(got["error"].get("type", "Error"))[:80])
    want = expected[case.id] if case.uses_expected else None
    try:
        verdict = case.judge(got, want)
    except Exception as e:  # noqa: BLE001 - odd data must cost this case only, not the batch
        verdict = Verdict.fail(f"Your answer has an unexpected form ({type(e).__name__}).")
    if not verdict.ok and case.hidden:
        # A hidden case shows its hint only: a type problem is said there, as in public.
        mismatch = type_mismatch(got, want)
        if mismatch:
            return Verdict.fail(verdict.message, mismatch)
    return verdict


_KINDS = vocabulary.KINDS


def _kind(value: Any) -> str:
    import numpy as np

    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return "number" if value.ndim == 0 else "array"  # a 0-d array is a NumPy number
    if isinstance(value, (bool, int, float, np.generic)):
        return "number"
    if isinstance(value, (list, tuple)):
        return type(value).__name__
    if isinstance(value, str):
        return "str"
    if isinstance(value, dict):
        return "dict"
    return "other"


# Keys of probe data that are not what the student's function returned.
_NOT_RETURNED = {"changed", "warnings", "own", "composition", "drawn", "raised", "weights"}


def type_mismatch(got: Any, want: Any) -> str:
    """A sentence on the first place where ``got`` has another type or length than ``want``
    (the reference's data), or "" if they agree in form. Lists and tuples count alike."""
    mine, right = _kind(got), _kind(want)
    if right == "dict" and mine == "dict":
        return next((m for k in want if k in got and k not in _NOT_RETURNED
                     for m in [type_mismatch(got[k], want[k])] if m), "")
    if {mine, right} <= {"list", "tuple"}:
        if len(got) != len(want):
            return f"your function returned a sequence of {len(got)} item(s) where " \
                   f"{len(want)} are expected."
        return next((m for g, w in zip(got, want) for m in [type_mismatch(g, w)] if m), "")
    if mine != right and right in _KINDS and mine != "dict":
        if got is None:
            return "your function returned None: did you forget a `return`?"
        return f"your function returned {_KINDS.get(mine, 'something else')} where " \
               f"{_KINDS[right]} is expected."
    return ""
