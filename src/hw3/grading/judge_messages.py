"""The judge protocol: every message between the grader and its judge process
(``hw3.grading.judging``), as a frozen dataclass, grouped by direction. Each crosses in one
length-prefixed JSON frame (``hw3.sandbox.frames``); ``to_wire`` gives the object. Both ends are
trusted code, but a verdict quotes what a submission sent, so replies are read capped."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_MESSAGE = 2000  # characters of a verdict's message kept (it may quote a student's answer)
MAX_HINT = 1000  # characters of a verdict's hint kept
MAX_CRASH = 80  # characters of a crash's kind kept


def clip(value: Any, limit: int) -> str:
    """A str of at most ``limit`` characters ("" if ``value`` is not a str)."""
    text = value if isinstance(value, str) else ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ------------------------------------------------------------------- the grader -> the judge


@dataclass(frozen=True)
class JudgeRequest:
    """Judge these cases of one submission, in order, one ``CaseVerdict`` each."""

    ids: tuple[str, ...]  # the case ids, in the order the verdicts come back
    probes: dict[str, str]  # each case's encoded probe data (a case without data fails)
    student_id: str = ""  # whose variant the varied cases are judged against ("": the book's)

    def to_wire(self) -> dict[str, Any]:
        return {"ids": list(self.ids), "student_id": self.student_id, "probes": self.probes}

    @classmethod
    def from_wire(cls, msg: Mapping[str, Any]) -> JudgeRequest:
        return cls(tuple(msg.get("ids", [])), dict(msg.get("probes", {})),
                   str(msg.get("student_id") or ""))


# ------------------------------------------------------------------- the judge -> the grader


@dataclass(frozen=True)
class Ready:
    """The judge process is warm (expected data loaded, first-use costs paid)."""

    def to_wire(self) -> dict[str, Any]:
        return {"ready": True}


@dataclass(frozen=True)
class CaseVerdict:
    """One case's verdict, as soon as it is known."""

    case: str  # the case id; must be the next id of the request
    ok: bool  # whether the case passed
    message: str  # what the student reads (capped at MAX_MESSAGE)
    hint: str  # a hint, or "" (capped at MAX_HINT)
    crash: str | None = None  # a crash's kind (a ``Crash`` verdict), else None

    def to_wire(self) -> dict[str, Any]:
        return {"case": self.case, "ok": self.ok, "message": clip(self.message, MAX_MESSAGE),
                "hint": clip(self.hint, MAX_HINT), "crash": self.crash}

    @classmethod
    def from_wire(cls, msg: Mapping[str, Any]) -> CaseVerdict:
        """A reply as read: every field typed and capped."""
        crash = msg.get("crash")
        return cls(str(msg.get("case", ""))[:200], bool(msg.get("ok")),
                   clip(msg.get("message"), MAX_MESSAGE), clip(msg.get("hint"), MAX_HINT),
                   crash[:MAX_CRASH] if isinstance(crash, str) else None)
