"""The re-run policy as a small state machine (pure: no sandbox, no clock).

A submission runs as one job; when a cell kills the child (``os._exit``, a segfault, a limit) or
runs past its time limit in a way SIGALRM cannot stop, it runs again from the start without that
cell, a few times at most. A probe that kills the child is marked crashed and the other probes
run again. Each decision leaves an event in words a student understands.

    rerun = Rerun(cells, probe_ids, limits)
    while (job := rerun.next_job(out_of_time)) is not None:
        outcome = worker.run(job)
        rerun.record(outcome, read_messages(outcome.messages, len(cells)))
"""

from __future__ import annotations

import dataclasses
import signal
from collections.abc import Callable
from typing import Any

from hw3.runner.messages import JobReport, error_text
from hw3.sandbox import End, RunOutcome

MAX_RUNS = 4  # the first run and at most three re-runs


def cell_name(i: int) -> str:
    return f"Cell {i + 1}"


def seconds(x: float) -> str:
    return f"{x:g} s"


_SIGNAL_WORDS: dict[int, str] = {
    signal.SIGSEGV: "a segmentation fault",
    signal.SIGABRT: "an abort",
    signal.SIGBUS: "a bus error",
    signal.SIGFPE: "a floating-point exception",
    signal.SIGILL: "an illegal instruction",
    signal.SIGKILL: "a kill signal",
}


# What each way a run can end says, for the events (ends that depend on the child's exit
# status, EXITED and the rest, are worded by ``failure``).
_ENDS: dict[End, tuple[str, str, str]] = {
    End.OUTPUT_LIMIT: ("output_limit", "crashed", "sent far too much data back and was stopped"),
    End.PROTOCOL_ERROR: ("protocol_error", "crashed",
                         "interfered with the grader's messages and was stopped"),
    End.ZYGOTE_DIED: ("kernel_died", "crashed", "shut down the grading process"),
    End.STALLED: ("stalled", "crashed", "stopped responding"),
}


def failure(res: RunOutcome, lim: Any) -> tuple[str, str, str]:
    """(event kind, culprit status, what happened in words) for a run that went wrong."""
    end, sig, code = res.end, res.signal, res.exit_code
    if end is End.CELL_TIMEOUT:
        limit = seconds(lim.cell_seconds)
        return "cell_timeout", "timeout", f"ran longer than {limit} and was stopped"
    if end is End.LIMIT:
        return "limit", "crashed", f"went over a limit ({res.detail}) and was stopped"
    if end in _ENDS:
        return _ENDS[end]
    if sig == signal.SIGXCPU:
        return "cpu_limit", "crashed", f"used more than {lim.cpu_seconds} s of CPU time"
    if sig is not None:
        words = _SIGNAL_WORDS.get(sig, f"signal {sig}")
        return "kernel_died", "crashed", f"crashed the Python kernel ({words})"
    if code not in (None, 0):
        return "kernel_died", "crashed", f"ended the Python kernel (exit code {code})"
    return "kernel_died", "crashed", "ended the Python kernel"


class Rerun:
    """What to run next, given what the runs so far reported.

    State: ``culprits`` (cells left out of later runs, and why), ``last`` (the cells the last
    run reported), ``probes`` (probe data so far), ``pending`` (probes still to run),
    ``events``, ``runs``, and ``done`` once no further run will happen."""

    def __init__(self, cells: list[str], probe_ids: list[str], limits: Any, *,
                 max_runs: int = MAX_RUNS, name: Callable[[int], str] = cell_name) -> None:
        self.cells, self.lim, self.max_runs, self.name = cells, limits, max_runs, name
        self.culprits: dict[int, dict[str, str]] = {}
        self.last: dict[int, dict[str, str]] = {}
        self.probes: dict[str, str] = {}
        self.events: list[dict[str, Any]] = []
        self.pending = list(dict.fromkeys(probe_ids))
        self.runs = 0
        self.done = False

    def _event(self, kind: str, cell: int | None, message: str) -> None:
        if not any(e["kind"] == kind and e["cell"] == cell for e in self.events
                   if cell is not None):
            self.events.append({"kind": kind, "cell": cell, "message": message})  # once per re-run

    def _out_of_time(self, cell: int | None) -> None:
        self._event(
            "total_timeout",
            cell,
            f"Grading stopped after {seconds(self.lim.total_seconds)}: the notebook as a whole "
            "took too long. Cells and checks that had not run yet count as failed.",
        )

    def _stop(self) -> None:
        self.done = True

    def next_job(self, out_of_time: bool) -> dict[str, Any] | None:
        """The next job to run, or None to stop. ``out_of_time``: the submission's deadline
        has passed (it only counts before a re-run: the first run always starts)."""
        if self.done:
            return None
        if self.runs >= self.max_runs:
            self._event(
                "gave_up",
                None,
                f"The notebook kept crashing; grading stopped after {self.runs} attempts and the "
                "checks that had not run yet count as failed.",
            )
            self._stop()
            return None
        if self.runs and out_of_time:
            self._out_of_time(None)
            self._stop()
            return None
        return {"cells": self.cells, "skip": sorted(self.culprits), "probe_ids": list(self.pending)}

    def record(self, res: RunOutcome, got: JobReport) -> None:
        """What one run reported: the worker's outcome ``res`` (its ``end``, ``signal``,
        ``exit_code``, ``detail``) and its messages as ``read_messages`` read them."""
        self.runs += 1
        lim, name = self.lim, self.name
        self.last = {i: dataclasses.asdict(c) for i, c in got.cells.items()}
        for i, c in self.last.items():
            if c["status"] == "timeout":
                self._event("cell_timeout", i,
                            f"{name(i)} ran longer than {seconds(lim.cell_seconds)} and was "
                            "stopped; grading went on without it.")
            elif c["status"] == "memory":
                self._event("memory", i,
                            f"{name(i)} ran out of memory (the limit is "
                            f"{lim.memory_bytes / 2**30:g} GiB); grading went on without it.")
        self.probes.update({k: v for k, v in got.probes.items() if k in self.pending})
        self.pending = [p for p in self.pending if p not in self.probes]
        if got.probe_error:
            # The child's words stay out: student code can send this frame with any text.
            self._event("probes_unavailable", None,
                        "The checks could not be loaded; this is a problem with the grader, "
                        "not with your notebook.")
        if got.job_end:
            return self._stop()  # everything was reported, however the sandbox ended afterwards
        running = got.running
        if res.end is End.TOTAL_TIMEOUT:
            in_cell = running is not None and running.kind == "cell"
            if running is not None and in_cell:
                self.culprits[running.cell] = {"status": "timeout",
                                               "error": "CellTimeout: out of time"}
            self._out_of_time(running.cell if running is not None and in_cell else None)
            return self._stop()
        kind, status, what = failure(res, lim)
        said = what  # the cell's error, for the instructor (results' cells)
        if got.fatal:
            # The child's own words go to the cell's error only: student code can send this
            # frame, so the event (which students read) says it in fixed words.
            kind, status, what = "grader_error", "crashed", "broke the grader"
            said = f"{what} ({got.fatal})"
        if running and running.kind == "cell" and running.cell not in self.culprits:
            i = running.cell
            self.culprits[i] = {"status": status, "error": f"{said[0].upper()}{said[1:]}."}
            self._event(kind, i, f"{name(i)} {what}; grading went on without it.")
            return None  # run again without it
        if running and running.kind == "probe" and set(running.group) & set(self.pending):
            group = [p for p in running.group if p in self.pending]
            for case_id in group:
                self.probes[case_id] = error_text("Crashed", f"This check {what}.")
                self.pending.remove(case_id)
            self._event(kind, None, f"The check {', '.join(group)} {what}; the other checks "
                                    "went on.")
            return None if self.pending else self._stop()
        self._event(kind, None, f"The notebook {what} outside of any cell; checks that had not "
                                "run yet count as failed.")
        return self._stop()
