"""The job protocol: every message between the grader and the job runner in the sandbox, as a
frozen dataclass, grouped by direction (INGInious's ``common/messages.py`` is the model), and
its one reader.

On the wire each message is one JSON object in a length-prefixed frame (``hw3.sandbox.frames``);
``to_wire`` gives that object. The job's side writes them; the grader never builds a message
object from the wire directly: ``read_messages`` reads the whole run's frames in order, strictly
and bounded (student code can write frames of its own into the pipe), and returns a
``JobReport``. Nothing a frame says is trusted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

MAX_ERROR_CHARS = 1000  # of one error text kept (a cell's, a probe error, a fatal)
MAX_OUTPUT_CHARS = 16 * 1024  # of one cell's output, kept in results (the child caps at 256 kB)
MAX_OUTPUTS_CHARS = 256 * 1024  # of all cells' outputs of one submission, kept in results
MAX_GROUP = 1000  # ids in one probe group
MAX_ID_CHARS = 200  # of one case id in a probe group
MAX_PROBE_CHARS = 16 * 2**20  # of one probe's data (wire.MAX_TEXT): longer is refused here
# What a probe's data too large to keep becomes (hw3.cases.wire's encoding of a probe's error).
TOO_LARGE = ('{"$dict":{"error":{"$dict":{"type":"NotPlainData","message":"the values your '
             'code returned are too large to be read"}}}}')
CellStatus = Literal["ok", "error", "timeout", "memory"]
CELL_STATUSES: tuple[CellStatus, ...] = ("ok", "error", "timeout", "memory")


def error_text(kind: str, message: str) -> str:
    """A probe's data that says the probe failed (``kind``: an error's type name), encoded as
    ``hw3.cases.wire`` encodes a probe's own error."""
    from hw3.cases import wire

    return str(wire.encode({"error": {"type": kind, "message": message[:500]}}))


# ------------------------------------------------------------- the grader -> the job runner


@dataclass(frozen=True)
class Job:
    """One run of a submission (sent inside the sandbox's ``run`` frame)."""

    cells: tuple[str, ...]  # every cell's source, in notebook order
    skip: tuple[int, ...] = ()  # indexes of cells left out of this run (they killed a run)
    probe_ids: tuple[str, ...] = ()  # the cases to probe once the cells have run

    def to_wire(self) -> dict[str, Any]:
        return {"cells": list(self.cells), "skip": list(self.skip),
                "probe_ids": list(self.probe_ids)}

    @classmethod
    def from_wire(cls, job: Mapping[str, Any]) -> Job:
        """The job as the runner receives it (from the grader: trusted, but checked by type)."""
        return cls(cells=tuple(str(c) for c in job.get("cells", [])),
                   skip=tuple(int(i) for i in job.get("skip", [])),
                   probe_ids=tuple(str(p) for p in job.get("probe_ids", [])))


# ------------------------------------------------------------- the job runner -> the grader


@dataclass(frozen=True)
class CellStart:
    """A cell starts: until its ``CellEnd``, a run that dies is blamed on it."""

    index: int  # the cell's index in the job's cells

    def to_wire(self) -> dict[str, Any]:
        return {"cell_start": self.index}


@dataclass(frozen=True)
class CellEnd:
    """A cell ended, by itself or stopped."""

    index: int  # the cell's index; counts only for the cell started last
    status: CellStatus  # ok, error (it raised), timeout (SIGALRM), memory (MemoryError)
    error: str = ""  # "Type: message" of what it raised, or ""
    output: str = ""  # its stdout and stderr, as captured (capped by the runner)

    def to_wire(self) -> dict[str, Any]:
        return {"cell_end": self.index, "status": self.status, "error": self.error,
                "output": self.output}


@dataclass(frozen=True)
class ProbeStart:
    """A group of probes starts: until each id has its ``ProbeData``, a run that dies is
    blamed on the group."""

    group: tuple[str, ...]  # the case ids that share one probe function, run together

    def to_wire(self) -> dict[str, Any]:
        return {"probe_start": self.group[0], "group": list(self.group)}


@dataclass(frozen=True)
class ProbeData:
    """What one case's probe returned, or why it failed."""

    case_id: str  # an id of the group started last
    data: str  # hw3.cases.wire's encoding of the probe's values or of its error

    def to_wire(self) -> dict[str, Any]:
        return {"probe": self.case_id, "data": self.data}


@dataclass(frozen=True)
class ProbeError:
    """The probes could not be loaded at all (``hw3.cases`` failed to import)."""

    message: str  # what the import raised

    def to_wire(self) -> dict[str, Any]:
        return {"probe_error": self.message}


@dataclass(frozen=True)
class JobEnd:
    """Every cell and probe of the job has been reported."""

    def to_wire(self) -> dict[str, Any]:
        return {"job_end": True}


@dataclass(frozen=True)
class Fatal:
    """The runner itself broke (sent by the sandbox's zygote around the entry point, as
    ``hw3.sandbox.frames.FATAL``: the sandbox knows nothing of this protocol)."""

    message: str  # "Type: message" of what the runner raised

    def to_wire(self) -> dict[str, Any]:
        return {"fatal": self.message}


ToGrader = CellStart | CellEnd | ProbeStart | ProbeData | ProbeError | JobEnd | Fatal


# ------------------------------------------------------------------------ the one reader


@dataclass(frozen=True)
class CellReport:
    """One cell's outcome as the grader keeps it."""

    status: str  # a CellStatus, or what the grader decided ("timeout", "crashed", ...)
    error: str  # capped at MAX_ERROR_CHARS (plus a note where it was cut)
    output: str  # capped at MAX_OUTPUT_CHARS (plus a note)


@dataclass(frozen=True)
class Running:
    """What was running when the messages stopped: a cell, or a group of probes."""

    kind: Literal["cell", "probe"]
    cell: int = -1  # the cell's index (kind "cell")
    group: tuple[str, ...] = ()  # the probes' case ids (kind "probe")


@dataclass(frozen=True)
class JobReport:
    """What one run reported, validated by ``read_messages``."""

    cells: dict[int, CellReport] = field(default_factory=dict)  # cells that ended, by index
    probes: dict[str, str] = field(default_factory=dict)  # probe data by case id
    running: Running | None = None  # what started and did not end
    job_end: bool = False  # the runner said it finished
    probe_error: str = ""  # the runner could not load the probes (capped)
    fatal: str = ""  # the runner itself broke (capped)


def _text(value: Any) -> str:
    """A str that encodes as UTF-8 (JSON from the child may carry lone surrogates)."""
    if not isinstance(value, str):
        return ""
    return value.encode("utf-8", "replace").decode("utf-8")


def capped(value: Any, limit: int) -> str:
    """A str from the child, at most ``limit`` characters, with a note where it was cut."""
    text = _text(value[: limit + 1] if isinstance(value, str) else value)
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... cut: the grader keeps at most {limit} characters here]"


class _Reading:
    """The reader's state over one run's messages, one step per kind of message."""

    def __init__(self, n_cells: int) -> None:
        self.n_cells = n_cells
        self.cells: dict[int, CellReport] = {}
        self.probes: dict[str, str] = {}
        self.started: set[int] = set()
        self.running: Running | None = None
        self.job_end = False
        self.probe_error = ""
        self.fatal = ""

    def cell_start(self, m: Mapping[str, Any]) -> None:
        i = m["cell_start"]
        ok = type(i) is int and 0 <= i < self.n_cells and i not in self.started
        self.running = Running("cell", cell=i) if ok else None
        if ok:
            self.started.add(i)

    def cell_end(self, m: Mapping[str, Any]) -> None:
        i, status = m["cell_end"], m.get("status")
        if (self.running == Running("cell", cell=i) and i not in self.cells
                and status in CELL_STATUSES):
            self.cells[i] = CellReport(str(status), capped(m.get("error"), MAX_ERROR_CHARS),
                                       capped(m.get("output"), MAX_OUTPUT_CHARS))
        self.running = None

    def probe_start(self, m: Mapping[str, Any]) -> None:
        group = m.get("group")
        ok = isinstance(group, list) and 0 < len(group) <= MAX_GROUP and all(
            isinstance(g, str) and len(g) <= MAX_ID_CHARS for g in group)
        self.running = Running("probe", group=tuple(cast(list, group))) if ok else None

    def probe(self, m: Mapping[str, Any]) -> None:
        pid, data = m.get("probe"), m.get("data")
        run = self.running
        if run is None or run.kind != "probe" or not isinstance(pid, str) or pid not in run.group:
            return
        if pid not in self.probes and isinstance(data, str):
            self.probes[pid] = data if len(data) <= MAX_PROBE_CHARS else TOO_LARGE
        if all(g in self.probes for g in run.group):
            self.running = None

    def job_ended(self, m: Mapping[str, Any]) -> None:
        self.job_end = True
        self.running = None

    def probes_failed(self, m: Mapping[str, Any]) -> None:
        self.probe_error = self.probe_error or capped(m["probe_error"], MAX_ERROR_CHARS)

    def runner_broke(self, m: Mapping[str, Any]) -> None:
        self.fatal = self.fatal or capped(m["fatal"], MAX_ERROR_CHARS)

    def report(self) -> JobReport:
        return JobReport(self.cells, self.probes, self.running, self.job_end,
                         self.probe_error, self.fatal)


# A message's kind is its first known key, in this order (as the reader has always read them).
_STEPS = (("cell_start", _Reading.cell_start), ("cell_end", _Reading.cell_end),
          ("probe_start", _Reading.probe_start), ("probe", _Reading.probe),
          ("job_end", _Reading.job_ended), ("probe_error", _Reading.probes_failed),
          ("fatal", _Reading.runner_broke))


def read_messages(messages: Sequence[Mapping[str, Any]], n_cells: int) -> JobReport:
    """What one run reported, validated: nothing here is trusted.

    Student code can write frames of its own into the pipe, so the sequence is checked: a
    ``cell_end`` counts only for the cell that was started last and not yet ended, a ``probe``
    only for an id of the group that was started last, and the first report of a cell or a
    probe wins (a later frame never rewrites it). Every string kept is capped."""
    reading = _Reading(n_cells)
    for m in messages:
        for key, step in _STEPS:
            if key in m:
                step(reading, m)
                break
    return reading.report()
