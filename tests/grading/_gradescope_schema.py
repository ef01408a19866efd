"""Gradescope's results.json format (the autograder specification's field names and types),
as a checker the Gradescope tests share."""

from __future__ import annotations

from typing import Any

VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}
STATUS = {"passed", "failed"}
NUMBER = (int, float)

TOP: dict[str, Any] = {
    "score": NUMBER, "execution_time": NUMBER, "output": str, "output_format": FORMATS,
    "test_output_format": FORMATS, "test_name_format": FORMATS, "visibility": VISIBILITY,
    "stdout_visibility": VISIBILITY, "extra_data": dict, "tests": list, "leaderboard": list,
}
TEST: dict[str, Any] = {
    "score": NUMBER, "max_score": NUMBER, "status": STATUS, "name": str, "name_format": FORMATS,
    "number": str, "output": str, "output_format": FORMATS, "tags": list,
    "visibility": VISIBILITY, "extra_data": dict,
}


def _check(obj: dict[str, Any], spec: dict[str, Any], where: str) -> list[str]:
    problems = []
    for key, value in obj.items():
        want = spec.get(key)
        if want is None:
            problems.append(f"{where}: unknown field {key!r}")
        elif isinstance(want, set):
            if value not in want:
                problems.append(f"{where}.{key} = {value!r}, not one of {sorted(want)}")
        elif isinstance(value, bool) or not isinstance(value, want):
            problems.append(f"{where}.{key} has type {type(value).__name__}")
    return problems


def schema_problems(results: Any) -> list[str]:
    """Everything in ``results`` that Gradescope's specification does not allow."""
    if not isinstance(results, dict):
        return ["results.json is not an object"]
    problems = _check(results, TOP, "results")
    tests = results.get("tests", [])
    if "score" not in results and not all("score" in t for t in tests if isinstance(t, dict)):
        problems.append("results: a score is needed on the top level or on every test")
    for i, test in enumerate(tests if isinstance(tests, list) else []):
        if not isinstance(test, dict):
            problems.append(f"tests[{i}] is not an object")
            continue
        problems += _check(test, TEST, f"tests[{i}]")
        if "tags" in test and not all(isinstance(t, str) for t in test["tags"]):
            problems.append(f"tests[{i}].tags holds non-strings")
    return problems
