"""What the master notebook says about the cases: points, visibility, and cases it declares.

The master is the one place where an instructor sets a case's points and whether it is hidden
(its test cell's ``points:`` and ``hidden:``). ``hw3 build`` writes them, in the master's order,
to ``hw3/cases/master.json``; every registry (``hw3.cases.registry``) takes them from there, so
the Python definitions of the cases only give defaults.

A test cell may also declare a case without any Python (an *expression case*)::

    \"\"\" # BEGIN TEST CONFIG
    points: 1
    hidden: true
    expression: sigmoid(np.array([2.0, -3.0]))
    description: the sigmoid at 2 and -3
    \"\"\" # END TEST CONFIG
    def test_sigmoid__at_two(env):
        from hw3.cases import check
        check("sigmoid.at_two", env)

Its probe evaluates ``expression`` in the student's namespace (beside the student's code, like
every probe); ``hw3 build`` records what it gives on the reference solution, and the judge
compares the student's value with it: numbers and arrays within ``rtol``/``atol`` (defaults
below), anything else exactly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import resources
from typing import Any

import numpy as np

from hw3.cases.case import Case, Missing
from hw3.cases.checking import PASS, Verdict, fmt, is_number, type_name
from hw3.cases.probing import plain

MASTER_FILE = "master.json"
RTOL, ATOL = 1e-6, 1e-8  # an expression case's default tolerances


def load() -> dict[str, dict[str, Any]]:
    """The master's cases as ``hw3 build`` recorded them (empty if the file is absent)."""
    f = resources.files("hw3.cases") / MASTER_FILE
    try:
        return json.loads(f.read_text(encoding="utf-8"))
    except (FileNotFoundError, OSError, ValueError):
        return {}


def apply(python: Mapping[str, Case], master: Mapping[str, Mapping[str, Any]]
          ) -> dict[str, Case]:
    """The registry: the Python cases in their order (the contract's question order) with the
    master's points and visibility, each question's expression cases after its own."""
    from dataclasses import replace

    cases: dict[str, Case] = {}
    declared = [expression_case(k, v) for k, v in master.items() if "expression" in v]
    for case_id, case in python.items():
        spec = master.get(case_id)
        if spec is not None and "expression" not in spec:
            case = replace(case, points=float(spec["points"]), hidden=bool(spec["hidden"]))
        cases[case_id] = case
    for case in declared:  # after the last case of its question (or last of all)
        ids = list(cases)
        last = max((i for i, k in enumerate(ids) if cases[k].question == case.question),
                   default=len(ids) - 1)
        cases = {k: cases[k] for k in ids[:last + 1]} | {case.id: case} | {
            k: cases[k] for k in ids[last + 1:]}
    return cases


# ----------------------------------------------------------------------------- expression cases


def expression_case(case_id: str, spec: Mapping[str, Any]) -> Case:
    expression = str(spec["expression"])
    rtol, atol = float(spec.get("rtol", RTOL)), float(spec.get("atol", ATOL))

    def probe(env: Mapping[str, Any]) -> Any:
        try:
            value = eval(compile(expression, f"<case {case_id}>", "eval"), dict(env))  # noqa: S307
        except NameError as e:
            raise Missing(f"{e}: define it (run its cell) before this check") from None
        return plain(value)  # tensors become arrays; other objects a description

    def judge(got: Any, expected: Any) -> Verdict:
        return compare(got, expected, expression, rtol, atol)

    return Case(id=case_id, points=float(spec["points"]), hidden=bool(spec["hidden"]),
                description=str(spec.get("description") or f"the value of {expression}"),
                probe=probe, judge=judge)


def compare(got: Any, expected: Any, what: str, rtol: float, atol: float) -> Verdict:
    """The student's value of ``what`` against the reference's."""
    numeric = is_number(expected) or (isinstance(expected, np.ndarray)
                                      and expected.dtype.kind in "biuf")
    if not numeric:
        if type(got) is type(expected) and _equal(got, expected):
            return PASS
        return Verdict.fail(f"{what} should be {fmt(expected)}, got {fmt(got)}.")
    if not (is_number(got) or isinstance(got, np.ndarray)):
        return Verdict.fail(f"{what} should be a number or an array, got {type_name(got)}.")
    g, e = np.asarray(got), np.asarray(expected)
    if g.shape != e.shape:
        return Verdict.fail(f"{what} should have shape {e.shape}, got shape {g.shape}.")
    if g.dtype.kind not in "biuf":
        return Verdict.fail(f"{what} should hold numbers, got dtype {g.dtype}.")
    if np.allclose(g.astype(float), e.astype(float), rtol=rtol, atol=atol, equal_nan=True):
        return PASS
    return Verdict.fail(f"{what} should be {fmt(expected)}, got {fmt(got)}.")


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - odd data is simply not equal
        return False
