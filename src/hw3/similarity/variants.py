"""Variant evidence: a submission whose Part 1 answers are right for *another* student's
numbers (``hw3 grade`` records it per result as ``variant.right_for_others``) names that
student, the strongest copying signal there is: nobody computes a classmate's numbers by chance.

Only results carry it (the grader computes variants' answers; nothing here does), so a bare
``hw3 similarity PATH...`` run has none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hw3.similarity.compare import Pair, combine

# What a fit to another student's numbers is worth as evidence (noisy-or with the rest).
VARIANT_EVIDENCE = 0.95


def _ids_by_student(results: Mapping[str, Any]) -> dict[str, list[str]]:
    """Submission ids by the (case-folded) student id each was graded as."""
    out: dict[str, list[str]] = {}
    for entry in results.get("submissions") or []:
        if not isinstance(entry, dict):
            continue
        v = entry.get("variant")
        sid = v.get("student_id") if isinstance(v, dict) else None
        if isinstance(sid, str) and sid.strip() and isinstance(entry.get("id"), str):
            out.setdefault(sid.strip().casefold(), []).append(entry["id"])
    return out


def variant_fits(results: Mapping[str, Any] | None) -> dict[tuple[str, str], list[str]]:
    """(submission, classmate's submission) -> the questions whose answers are right for the
    classmate's numbers and not the submission's own."""
    if not results:
        return {}
    whose = _ids_by_student(results)
    fits: dict[tuple[str, str], list[str]] = {}
    for entry in results.get("submissions") or []:
        v = entry.get("variant") if isinstance(entry, dict) else None
        if not isinstance(v, dict) or not isinstance(entry.get("id"), str):
            continue
        for other in v.get("right_for_others") or []:
            if not isinstance(other, dict) or not isinstance(other.get("student_id"), str):
                continue
            questions = [str(q) for q in other.get("questions") or []][:10]
            for b in whose.get(other["student_id"].strip().casefold(), []):
                if b != entry["id"]:
                    fits[(entry["id"], b)] = questions
    return fits


def add_variant_evidence(pairs: Sequence[Pair], fits: Mapping[tuple[str, str], list[str]],
                         threshold: float) -> list[Pair]:
    """``pairs`` with each fit's pair raised (made if the code shared nothing), flagged, and
    saying which questions fit whose numbers; highest score first."""
    by_key = {frozenset((p.a, p.b)): p for p in pairs}
    for (a, b), questions in fits.items():
        pair = by_key.get(frozenset((a, b)))
        if pair is None:
            pair = by_key[frozenset((a, b))] = Pair(a, b)
        pair.variant_fit.append(f"{a}'s answers to {', '.join(questions)} are right for "
                                f"{b}'s numbers, not {a}'s own")
        pair.score = max(pair.score, 1 - (1 - combine(pair.code, pair.answer_score,
                                                      pair.explanation_score))
                         * (1 - VARIANT_EVIDENCE))
        pair.flagged = pair.score >= threshold
    return sorted(by_key.values(), key=lambda p: -p.score)
