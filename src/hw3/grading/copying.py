"""Answers right for another student's variant: the strongest copying signal there is.

Trusted: the probe data is decoded here (bounded by ``hw3.cases.wire``) and compared with the
variants of the class's other ids, in the grader, never where a student's code runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hw3.cases import wire
from hw3.cases.checking import answer_value
from hw3.cases.variants import DEFAULT, normalize_id, params
from hw3.grading.variant_answers import right_for

BOOK = "(the book's numbers)"  # the id shown for the default variant
MAX_CLASS = 5000  # ids compared at most (a class, not a registry)
# The probe that holds each varied question's answer fields.
_PROBES = {"q4_4": "q4_4.n_params", "q4_5": "q4_5.depth", "q4_6": "q4_6.extra_depth"}


def answer_values(probes: dict[str, str]) -> dict[str, Any]:
    """The varied questions' answer fields as plain values (what could be read of them)."""
    out: dict[str, Any] = {}
    for case_id in _PROBES.values():
        try:
            data = wire.decode(probes[case_id])
        except (KeyError, wire.WireError):
            continue
        if not isinstance(data, dict):
            continue
        for name, described in data.items():
            try:
                out[name] = _plain(answer_value(described))
            except (TypeError, ValueError, KeyError, AttributeError):
                continue
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    try:
        as_int = int(value)
    except (TypeError, ValueError, OverflowError):
        return value
    return as_int if as_int == value and not isinstance(value, bool) else value


def right_for_others(probes: dict[str, str], own_id: str, class_ids: Iterable[str]
                     ) -> list[dict[str, Any]]:
    """The other ids (and the book's numbers) whose variant the submission's answers fit, with
    the questions that fit: [{"student_id", "questions"}]. A question whose answers are also
    right for the student's own variant is no sign."""
    got = answer_values(probes)
    if not got:
        return []
    own = right_for(got, params(own_id))
    seen = {normalize_id(own_id)}
    found = []
    for other in [*list(class_ids)[:MAX_CLASS], ""]:
        key = normalize_id(other)
        if key in seen and other:
            continue
        seen.add(key)
        p = params(other)
        if not other and params(own_id) == DEFAULT:
            continue
        fits = [q for q, ok in right_for(got, p).items() if ok and not own[q]]
        if fits:
            found.append({"student_id": other or BOOK, "questions": fits})
    return found
