"""What a case is: ``Case`` (a probe and a judge), and the two outcomes a probe can meet,
``Missing`` (a name is not defined) and ``Crash`` (the student's code raised).

The part modules, the hints and the registry (``hw3.cases``) all import these from here, so the
registry can import the part modules without an import cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hw3.cases.checking import Verdict

Env = Mapping[str, Any]  # the namespace a student's notebook left: names to values
Probe = Callable[[Env], Any]
Judge = Callable[[Any, Any], Verdict]


@dataclass(frozen=True, kw_only=True)
class Case:
    """One test case: a property of one question, worth ``points``. Every field is named where a
    case is made (``Case(id=..., points=..., hidden=..., description=..., ...)``)."""

    id: str  # "<question>.<property>", e.g. "sigmoid.values"
    points: float
    hidden: bool
    description: str  # the property checked, in words a student understands
    probe: Probe
    judge: Judge
    uses_expected: bool = True  # False: the judge compares with nothing (a form check)

    @property
    def question(self) -> str:
        """The question the case belongs to: its id's first part."""
        return self.id.split(".")[0]

    @property
    def visibility(self) -> str:
        return "hidden" if self.hidden else "public"


class Missing(Exception):
    """A name the probe needs is not defined in the student's notebook."""


@dataclass(frozen=True)
class Crash(Verdict):
    """The student's code raised (or was stopped) while the case was probed: ``error_type``
    names the exception ("Missing": a name is not defined; "Timeout": it ran too long)."""

    error_type: str = ""


def safe_str(e: BaseException) -> str:
    try:
        return str(e)[:500]
    except BaseException:  # noqa: BLE001 - a hostile __str__
        return "(the error could not be shown)"


def run_probe(case: Case, env: Env) -> Any:
    """Run one probe; an error in the student's code becomes plain data for the judge."""
    try:
        return case.probe(env)
    except Missing as e:
        return {"error": {"type": "Missing", "message": str(e)}}
    except BaseException as e:
        if isinstance(e, KeyboardInterrupt):
            raise
        return {"error": {"type": type(e).__name__, "message": safe_str(e)}}
