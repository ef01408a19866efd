"""Running a submission on a sandboxed worker, with the re-run policy around it (trusted side).

``execute_submission`` runs a submission on a ``hw3.sandbox.Worker``; the job itself is
``hw3.runner.job.run_job``, and what to run next after a run that went wrong is decided by
``hw3.grading.rerun.Rerun`` (a cell that kills the child is left out of a re-run, a few times
at most, with an event that explains it in words a student understands).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hw3.grading.rerun import MAX_RUNS, Rerun, cell_name
from hw3.layout import cut_to_size, stored_size
from hw3.runner.messages import read_messages

if TYPE_CHECKING:
    from hw3.sandbox import Worker

__all__ = ["CellResult", "Execution", "execute_submission", "MAX_RUNS"]

# Outputs kept in results, counted in the bytes results.json stores them in (a character can
# take 12 there): one cell's, and all cells' of one submission. ASCII output of the child's
# 16 000 characters per cell fits; text that escapes costs its own entry, nobody else's.
MAX_CELL_OUTPUT_BYTES = 32 * 1024
MAX_OUTPUTS_BYTES = 256 * 1024


@dataclass(frozen=True)
class CellResult:
    """One cell's outcome over all runs."""

    index: int  # the cell's index in the submission's code cells
    status: str  # ok, error, timeout, memory, crashed (left out of later runs), skipped
    error: str  # what it raised, or why it was left out ("" if nothing)
    output: str  # what it printed, capped in stored bytes (per cell and per submission)


@dataclass(frozen=True)
class Execution:
    """What running one submission gave, re-runs included."""

    cells: list[CellResult]  # every cell, in order
    probes: dict[str, str]  # each case's encoded probe data; a probe that never ran is absent
    events: list[dict[str, Any]]  # {"kind", "cell", "message"}: what went wrong, in words
    isolation: str  # the worker's isolation, in words
    runs: int  # how many runs it took


def execute_submission(
    worker: Worker,
    cells: list[str],
    probe_ids: list[str],
    *,
    max_runs: int = MAX_RUNS,
    cell_name: Callable[[int], str] = cell_name,
) -> Execution:
    """Run one submission's cells and probes on ``worker``, re-running around fatal cells.

    Wall time is bounded by
    ``worker.limits.total_seconds`` (plus a few seconds to tear down a stuck sandbox).
    """
    lim = worker.limits
    worker.start()  # starting the zygote is the grader's time, not the student's
    deadline = time.monotonic() + lim.total_seconds
    rerun = Rerun(cells, probe_ids, lim, max_runs=max_runs, name=cell_name)
    while (job := rerun.next_job(time.monotonic() >= deadline)) is not None:
        outcome = worker.run(job, deadline=deadline)
        rerun.record(outcome, read_messages(outcome.messages, len(cells)))
    return Execution(_cells(len(cells), rerun.culprits, rerun.last), rerun.probes,
                     rerun.events, worker.isolation, rerun.runs)


def _cells(n: int, culprits: dict[int, dict[str, str]],
           last: dict[int, dict[str, str]]) -> list[CellResult]:
    """Each cell's outcome: left out (why), as the last run reported it, or skipped; outputs
    capped per cell and for the whole submission, in stored bytes."""
    out_cells: list[CellResult] = []
    room = MAX_OUTPUTS_BYTES  # output bytes kept for the whole submission
    for i in range(n):
        if i in culprits:
            c = dict(culprits[i], output="")
        elif i in last:
            c = dict(last[i])
        else:
            c = {"status": "skipped", "error": "", "output": ""}
        budget = min(room, MAX_CELL_OUTPUT_BYTES)
        size = stored_size(c["output"])
        if size > budget:
            whole = budget == room
            cut = (f"[... cut: the grader keeps {MAX_OUTPUTS_BYTES // 1024} kB of output in all]"
                   if whole else f"[... cut: the grader keeps {MAX_CELL_OUTPUT_BYTES // 1024} kB "
                   "of output per cell]")
            kept = cut_to_size(c["output"], max(0, budget - len(cut) - 8))
            c["output"] = kept + "\n" + cut if kept else cut
            size = stored_size(c["output"])
        room = max(0, room - size)
        out_cells.append(CellResult(i, c["status"], c["error"], c["output"]))
    return out_cells
