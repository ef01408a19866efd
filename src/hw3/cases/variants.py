"""Per-student variants of Part 1's numbers: a pure function of (course salt, student id).

This module ships to students (``hw3_checks.zip``): a notebook computes its own numbers from
its ``STUDENT_ID`` with it. It holds parameters only, never an answer: the answers that follow
from them are computed on the grader's side (``hw3.grading.judges.variant_answers``).

The master's ``# HW3 VARIANTS`` cell declares the salt and the ranges; ``hw3 build`` records
them in ``hw3/cases/variants.json``. A blank id, or variants turned off, gives the book's
numbers (``DEFAULT``), whose answers are the contract's reference answers.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

VARIANTS_FILE = "variants.json"
DEFAULT_NAME = "default"

# The book's numbers (UDL problems 4.4, 4.5 and 4.6): the default variant.
DEFAULT: dict[str, dict[str, Any]] = {
    "q4_4": {"sizes": [5, 20, 10, 7, 4]},
    "q4_5": {"D_i": 5, "D_o": 1, "K": 20, "D": 30},
    "q4_6": {"K": 10, "D": 10},
}
# What may vary, and the ranges used when the master's cell leaves one out: small classroom
# numbers, the same kind of problem for everyone.
DEFAULT_RANGES: dict[str, tuple[int, int]] = {
    "q4_4.sizes": (2, 40), "q4_5.D_i": (2, 40), "q4_5.D_o": (2, 40), "q4_5.K": (2, 40),
    "q4_5.D": (2, 40), "q4_6.K": (2, 40), "q4_6.D": (2, 40),
}
VARIED_QUESTIONS = ("q4_4", "q4_5", "q4_6")
_MAX_TRIES = 1000  # redraws until a variant meets its fairness rules (a few suffice)


class VariantError(ValueError):
    """A bad variants declaration (one sentence)."""


@dataclass(frozen=True)
class Config:
    """The course's variants: on or off, the salt, and the range of each varied number."""

    enabled: bool = False
    salt: str = ""
    ranges: dict[str, tuple[int, int]] = field(default_factory=lambda: dict(DEFAULT_RANGES))
    # Which of the submitter's fields in Gradescope's submission_metadata.json is the id.
    gradescope_id: str = "sid"

    def to_json(self) -> dict[str, Any]:
        return {"enabled": self.enabled, "salt": self.salt, "gradescope_id": self.gradescope_id,
                "ranges": {k: list(v) for k, v in sorted(self.ranges.items())}}

    @classmethod
    def from_json(cls, data: Any) -> Config:
        """The declaration (the master's cell as YAML, or ``variants.json``), checked."""
        if not isinstance(data, dict):
            raise VariantError("the variants declaration should be a mapping "
                               "(enabled, salt, ranges)")
        unknown = set(data) - {"enabled", "salt", "ranges", "gradescope_id"}
        if unknown:
            raise VariantError(f"unknown key(s) in the variants declaration: "
                               f"{', '.join(sorted(unknown))} (known: enabled, salt, ranges, "
                               "gradescope_id)")
        gradescope_id = data.get("gradescope_id", "sid")
        if gradescope_id not in ("sid", "email"):
            raise VariantError("variants `gradescope_id:` should be sid or email")
        enabled, salt = data.get("enabled", True), data.get("salt", "")
        if not isinstance(enabled, bool):
            raise VariantError("variants `enabled:` should be true or false")
        if not isinstance(salt, str) or (enabled and not salt.strip()):
            raise VariantError("variants need a `salt:` (a text the course picks per offering)")
        ranges = dict(DEFAULT_RANGES)
        given = data.get("ranges") or {}
        if not isinstance(given, dict):
            raise VariantError("variants `ranges:` should map a number (e.g. q4_5.K) to "
                               "[low, high]")
        for key, value in given.items():
            if key not in DEFAULT_RANGES:
                raise VariantError(f"variants `ranges:` names {key!r}, which does not vary "
                                   f"(varied: {', '.join(DEFAULT_RANGES)})")
            if not (isinstance(value, list) and len(value) == 2 and
                    all(isinstance(v, int) and not isinstance(v, bool) for v in value)
                    and 1 <= value[0] and value[0] + 5 <= value[1] <= 1000):
                raise VariantError(f"variants range {key}: {value!r} should be [low, high], "
                                   "whole numbers with 1 <= low and low + 5 <= high <= 1000")
            ranges[key] = (value[0], value[1])
        return cls(enabled, salt, ranges, gradescope_id)


def load_config() -> Config:
    """The course's variants as ``hw3 build`` recorded them (off if none were recorded)."""
    f = resources.files("hw3.cases") / VARIANTS_FILE
    try:
        return Config.from_json(json.loads(f.read_text(encoding="utf-8")))
    except (FileNotFoundError, OSError, ValueError):
        return Config()


def normalize_id(student_id: Any) -> str:
    """The id as hashed: text, surrounding space dropped, case ignored ("S123" is "s123")."""
    return "" if student_id is None else str(student_id).strip().casefold()


class _Draws:
    """Whole numbers drawn from SHA-256 of (salt, id, question, counter): the same on every
    machine and Python version, independent between questions."""

    def __init__(self, salt: str, student_id: str, question: str) -> None:
        self._seed = f"{salt}\x00{student_id}\x00{question}\x00".encode()
        self._counter = 0

    def between(self, low: int, high: int) -> int:
        self._counter += 1
        digest = hashlib.sha256(self._seed + str(self._counter).encode()).digest()
        return low + int.from_bytes(digest[:8], "big") % (high - low + 1)


def _extra_weights(k: int, d: int) -> tuple[int, int]:
    """4.6 with D_i = D_o = 1: the weights one more layer adds, and one more unit per layer."""
    return d * d, 2 + (k - 1) * (2 * d + 1)


def _q4_4(draw: _Draws, ranges: dict[str, tuple[int, int]]) -> dict[str, Any]:
    low, high = ranges["q4_4.sizes"]
    for _ in range(_MAX_TRIES):
        sizes = [draw.between(low, high) for _ in range(5)]
        # All five different: a transposed shape or a size read from the wrong layer is
        # always a wrong answer, as with the book's numbers.
        if len(set(sizes)) == 5:
            return {"sizes": sizes}
    raise VariantError("q4_4.sizes: the range is too small for five different sizes")


def _q4_5(draw: _Draws, ranges: dict[str, tuple[int, int]]) -> dict[str, Any]:
    for _ in range(_MAX_TRIES):
        v = {n: draw.between(*ranges[f"q4_5.{n}"]) for n in ("D_i", "D_o", "K", "D")}
        # Four different numbers: depth and width swapped, or an input size given for one, is
        # wrong in every variant.
        if len(set(v.values())) == 4:
            return v
    raise VariantError("q4_5: the ranges are too small for four different numbers")


def _q4_6(draw: _Draws, ranges: dict[str, tuple[int, int]]) -> dict[str, Any]:
    # Which change wins is drawn first (half the class each), then numbers that give it
    # strictly: "depth" and "width" both occur, and no variant has a tie.
    want_depth = draw.between(0, 1) == 1
    for _ in range(_MAX_TRIES):
        k, d = draw.between(*ranges["q4_6.K"]), draw.between(*ranges["q4_6.D"])
        depth, width = _extra_weights(k, d)
        if depth != width and (depth > width) == want_depth:
            return {"K": k, "D": d}
    raise VariantError("q4_6: the ranges of K and D do not let both answers occur")


_DRAW = {"q4_4": _q4_4, "q4_5": _q4_5, "q4_6": _q4_6}


def params(student_id: Any, config: Config | None = None) -> dict[str, dict[str, Any]]:
    """The student's numbers for 4.4, 4.5 and 4.6: the book's for a blank id or when variants
    are off, else a pure function of (salt, id)."""
    config = load_config() if config is None else config
    sid = normalize_id(student_id)
    if not config.enabled or not sid:
        return json.loads(json.dumps(DEFAULT))  # a copy
    return {q: _DRAW[q](_Draws(config.salt, sid, q), config.ranges) for q in VARIED_QUESTIONS}


def variant_name(student_id: Any, config: Config | None = None) -> str:
    """A short name for the student's variant ("default" for the book's numbers)."""
    p = params(student_id, config)
    if p == DEFAULT:
        return DEFAULT_NAME
    text = json.dumps(p, sort_keys=True)
    return "v" + hashlib.sha256(text.encode()).hexdigest()[:8]


def describe(student_id: Any, config: Config | None = None) -> str:
    """The student's numbers in words, as the notebook prints them."""
    p = params(student_id, config)
    who = f"student {str(student_id).strip()}" if normalize_id(student_id) else \
        "no student id yet: the book's numbers"
    s = p["q4_4"]["sizes"]
    q5, q6 = p["q4_5"], p["q4_6"]
    return "\n".join([
        f"Your numbers for Part 1 ({who}):",
        f"  4.4: sizes = {s}  (D_i = {s[0]}, D_1 = {s[1]}, D_2 = {s[2]}, D_3 = {s[3]}, "
        f"D_o = {s[4]})",
        f"  4.5: D_i_4_5 = {q5['D_i']}, D_o_4_5 = {q5['D_o']}, K_4_5 = {q5['K']}, "
        f"D_4_5 = {q5['D']}",
        f"  4.6: K_4_6 = {q6['K']}, D_4_6 = {q6['D']}  (with D_i = D_o = 1)",
    ])


def notebook_names(student_id: Any, config: Config | None = None) -> dict[str, Any]:
    """The variables the notebook gives the student (``sizes``, ``K_4_5``, ...)."""
    p = params(student_id, config)
    q5, q6 = p["q4_5"], p["q4_6"]
    return {"sizes": list(p["q4_4"]["sizes"]), "D_i_4_5": q5["D_i"], "D_o_4_5": q5["D_o"],
            "K_4_5": q5["K"], "D_4_5": q5["D"], "K_4_6": q6["K"], "D_4_6": q6["D"]}
