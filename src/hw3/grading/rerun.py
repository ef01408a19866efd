"""The re-run policy as a small state machine (pure: no sandbox, no clock).

A submission runs as one job; when a cell kills the child (``os._exit``, a segfault, a limit) or
runs past its time limit in a way SIGALRM cannot stop, it runs again from the start without that
cell, a few times at most. A probe that kills the child is marked crashed and the other probes
run again. Each decision leaves an event in words a student understands.

    rerun = Rerun(cells, probe_ids, limits)
    while (job := rerun.next_job(out_of_time)) is not None:
        rerun.record(result_of(job), parse_messages(...))
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Mapping
from typing import Any

from hw3.cases import wire
from hw3.cases.job import _error_text

MAX_RUNS = 4  # the first run and at most three re-runs


def cell_name(i: int) -> str:
    return f"Cell {i + 1}"


def seconds(x: float) -> str:
    return f"{x:g} s"


_SIGNAL_WORDS = {
    signal.SIGSEGV: "a segmentation fault",
    signal.SIGABRT: "an abort",
    signal.SIGBUS: "a bus error",
    signal.SIGFPE: "a floating-point exception",
    signal.SIGILL: "an illegal instruction",
    signal.SIGKILL: "a kill signal",
}


def failure(res: Mapping[str, Any], lim: Any) -> tuple[str, str, str]:
    """(event kind, culprit status, what happened in words) for a run that went wrong."""
    end = res.get("end")
    sig = res.get("signal")
    code = res.get("exit_code")
    if end == "cell_timeout":
        limit = seconds(lim.cell_seconds)
        return "cell_timeout", "timeout", f"ran longer than {limit} and was stopped"
    if end == "output_limit":
        return "output_limit", "crashed", "sent far too much data back and was stopped"
    if end == "protocol_error":
        return "protocol_error", "crashed", "interfered with the grader's messages and was stopped"
    if end == "limit":
        return "limit", "crashed", f"went over a limit ({res.get('detail', '')}) and was stopped"
    if end == "zygote_died":
        return "kernel_died", "crashed", "shut down the grading process"
    if end == "stalled":
        return "stalled", "crashed", "stopped responding"
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

    def record(self, res: Mapping[str, Any], got: Mapping[str, Any]) -> None:
        """What one run reported: the worker's result ``res`` (its ``end``, ``signal``,
        ``exit_code``, ``detail``) and its messages as ``parse_messages`` read them."""
        self.runs += 1
        lim, name = self.lim, self.name
        self.last = got["cells"]
        for i, c in self.last.items():
            if c["status"] == "timeout":
                self._event("cell_timeout", i,
                            f"{name(i)} ran longer than {seconds(lim.cell_seconds)} and was "
                            "stopped; grading went on without it.")
            elif c["status"] == "memory":
                self._event("memory", i,
                            f"{name(i)} ran out of memory (the limit is "
                            f"{lim.memory_bytes / 2**30:g} GiB); grading went on without it.")
        self.probes.update({k: v for k, v in got["probes"].items() if k in self.pending})
        self.pending = [p for p in self.pending if p not in self.probes]
        if got["probe_error"]:
            # The child's words stay out: student code can send this frame with any text.
            self._event("probes_unavailable", None,
                        "The checks could not be loaded; this is a problem with the grader, "
                        "not with your notebook.")
        if got["job_end"]:
            return self._stop()  # everything was reported, however the sandbox ended afterwards
        running = got["running"]
        if res.get("end") == "total_timeout":
            in_cell = bool(running) and running[0] == "cell"
            if in_cell:
                self.culprits[running[1]] = {"status": "timeout",
                                             "error": "CellTimeout: out of time"}
            self._out_of_time(running[1] if in_cell else None)
            return self._stop()
        kind, status, what = failure(res, lim)
        said = what  # the cell's error, for the instructor (results' cells)
        if got["fatal"]:
            # The child's own words go to the cell's error only: student code can send this
            # frame, so the event (which students read) says it in fixed words.
            kind, status, what = "grader_error", "crashed", "broke the grader"
            said = f"{what} ({got['fatal']})"
        if running and running[0] == "cell" and running[1] not in self.culprits:
            i = running[1]
            self.culprits[i] = {"status": status, "error": f"{said[0].upper()}{said[1:]}."}
            self._event(kind, i, f"{name(i)} {what}; grading went on without it.")
            return None  # run again without it
        if running and running[0] == "probe" and set(running[1]) & set(self.pending):
            group = [p for p in running[1] if p in self.pending]
            for case_id in group:
                self.probes[case_id] = _error_text(wire, "Crashed", f"This check {what}.")
                self.pending.remove(case_id)
            self._event(kind, None, f"The check {', '.join(group)} {what}; the other checks "
                                    "went on.")
            return None if self.pending else self._stop()
        self._event(kind, None, f"The notebook {what} outside of any cell; checks that had not "
                                "run yet count as failed.")
        return self._stop()
