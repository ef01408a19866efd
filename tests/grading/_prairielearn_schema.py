"""PrairieLearn's results.json for external graders (docs: "Grading results"), as a checker
the PrairieLearn tests share: ``score`` in [0, 1] (needed unless ``gradable`` is false),
``gradable``, ``format_errors`` (a string or a list of strings), ``message``, ``output``,
``images``, and ``tests`` rendered by ``pl-external-grader-results`` (``name``,
``description``, ``points``, ``max_points``, ``message``, ``output``, ``images``); under 1 MB."""

from __future__ import annotations

import json
from typing import Any

MAX_BYTES = 1_000_000
NUMBER = (int, float)
TOP: dict[str, Any] = {"score": NUMBER, "gradable": bool, "format_errors": (str, list),
                       "message": str, "output": str, "images": list, "tests": list}
TEST: dict[str, Any] = {"name": str, "description": str, "points": NUMBER,
                        "max_points": NUMBER, "message": str, "output": str, "images": list}


def problems(results: Any) -> list[str]:
    """What in ``results`` PrairieLearn's documentation does not allow; [] when valid."""
    if not isinstance(results, dict):
        return ["results.json must hold an object"]
    out = []
    size = len(json.dumps(results).encode())
    if size >= MAX_BYTES:
        out.append(f"results.json is {size} bytes: PrairieLearn's limit is 1 MB")
    out += _fields(results, TOP, "results")
    gradable = results.get("gradable", True)
    if gradable:
        score = results.get("score")
        if not isinstance(score, NUMBER) or isinstance(score, bool) or not 0 <= score <= 1:
            out.append(f"results: a gradable result needs score in [0, 1], not {score!r}")
    errors = results.get("format_errors")
    if isinstance(errors, list) and not all(isinstance(e, str) for e in errors):
        out.append("results: format_errors must be a string or a list of strings")
    for i, test in enumerate(results.get("tests", []) or []):
        if not isinstance(test, dict):
            out.append(f"tests[{i}] must be an object")
            continue
        out += _fields(test, TEST, f"tests[{i}]")
        if "name" not in test:
            out.append(f"tests[{i}] has no name")
        points, most = test.get("points"), test.get("max_points")
        if isinstance(points, NUMBER) and isinstance(most, NUMBER) and not 0 <= points <= most:
            out.append(f"tests[{i}]: points {points} outside [0, max_points {most}]")
    return out


def _fields(obj: dict[str, Any], spec: dict[str, Any], where: str) -> list[str]:
    out = []
    for key, value in obj.items():
        want = spec.get(key)
        if want is None:
            out.append(f"{where}: unknown field {key!r}")
        elif not isinstance(value, want) or (want is NUMBER and isinstance(value, bool)):
            out.append(f"{where}.{key}: {type(value).__name__} is not allowed")
    return out
