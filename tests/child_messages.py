"""What a sandboxed run sends, built for tests of the grader's side (no sandbox): the job
protocol's messages and the worker's outcome, and a worker that replays them."""

from __future__ import annotations

from typing import Any

from hw3.runner.messages import CellEnd, CellStart, JobEnd
from hw3.sandbox import End, Limits, RunOutcome


def cell_ok(i: int, output: str = "") -> list[dict[str, Any]]:
    """A cell that started and ended well, printing ``output``."""
    return [CellStart(i).to_wire(), CellEnd(i, "ok", "", output).to_wire()]


def cells_printing(outputs: list[str]) -> list[dict[str, Any]]:
    """A whole run whose cells print ``outputs``, one each, then the job's end."""
    return [m for i, out in enumerate(outputs) for m in cell_ok(i, out)] + [JobEnd().to_wire()]


def outcome(messages: list[dict[str, Any]], end: str = "exited", **kw: Any) -> RunOutcome:
    """The worker's outcome of a run that sent ``messages`` (``end``: an ``End``'s value)."""
    return RunOutcome(messages=list(messages), end=End(end), **{"exit_code": 0, **kw})


class OneRun:
    """A worker whose one run replays ``messages`` (the real sandbox is tested in
    tests/sandbox)."""

    isolation = "none"

    def __init__(self, messages: list[dict[str, Any]]) -> None:
        self.limits = Limits()
        self.messages = messages

    def start(self) -> str:
        return "none"

    def run(self, job: dict[str, Any], deadline: float | None = None) -> RunOutcome:
        return outcome(self.messages)
