"""Running a submission on a sandboxed worker, and the re-run policy around it (trusted side).

``execute_submission`` runs a submission on a ``hw3.sandbox.Worker``; the job itself is
``hw3.cases.job.run_job``. When a cell kills the child (``os._exit``, a segfault, a limit) or
runs past its time limit in a way SIGALRM cannot stop, the job is run again from the start
without that cell, a few times at most, and an event explains it in words a student understands.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from hw3.cases.job import MAX_OUTPUTS_CHARS, _error_text, parse_messages

if TYPE_CHECKING:
    from hw3.sandbox import Worker

__all__ = ["execute_submission", "MAX_RUNS"]

MAX_RUNS = 4  # the first run and at most three re-runs


def _cell_name(i: int) -> str:
    return f"Cell {i + 1}"


def _seconds(x: float) -> str:
    return f"{x:g} s"


_SIGNAL_WORDS = {
    signal.SIGSEGV: "a segmentation fault",
    signal.SIGABRT: "an abort",
    signal.SIGBUS: "a bus error",
    signal.SIGFPE: "a floating-point exception",
    signal.SIGILL: "an illegal instruction",
    signal.SIGKILL: "a kill signal",
}


def _failure(res: Mapping[str, Any], lim: Any) -> tuple[str, str, str]:
    """(event kind, culprit status, what happened in words) for a run that went wrong."""
    end = res.get("end")
    sig = res.get("signal")
    code = res.get("exit_code")
    if end == "cell_timeout":
        limit = _seconds(lim.cell_seconds)
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


def execute_submission(
    worker: Worker,
    cells: list[str],
    probe_ids: list[str],
    *,
    max_runs: int = MAX_RUNS,
    cell_name: Callable[[int], str] = _cell_name,
) -> dict[str, Any]:
    """Run one submission's cells and probes on ``worker``, re-running around fatal cells.

    Returns ``{"cells": [{"index", "status", "error", "output"}], "probes": {case_id:
    json_text}, "events": [{"kind", "cell", "message"}], "isolation": str, "runs": int}``.
    Probes that never ran are absent from ``probes``. Wall time is bounded by
    ``worker.limits.total_seconds`` (plus a few seconds to tear down a stuck sandbox).
    """
    from hw3.cases import wire

    lim = worker.limits
    worker.start()  # starting the zygote is the grader's time, not the student's
    deadline = time.monotonic() + lim.total_seconds
    n = len(cells)
    culprits: dict[int, dict[str, str]] = {}  # cells left out of later runs, and why
    last: dict[int, dict[str, str]] = {}
    probes: dict[str, str] = {}
    events: list[dict[str, Any]] = []
    pending = list(dict.fromkeys(probe_ids))
    runs = 0

    def event(kind: str, cell: int | None, message: str) -> None:
        if not any(e["kind"] == kind and e["cell"] == cell for e in events if cell is not None):
            events.append({"kind": kind, "cell": cell, "message": message})  # once per re-run

    def out_of_time(cell: int | None) -> None:
        event(
            "total_timeout",
            cell,
            f"Grading stopped after {_seconds(lim.total_seconds)}: the notebook as a whole "
            "took too long. Cells and checks that had not run yet count as failed.",
        )

    while True:
        if runs >= max_runs:
            event(
                "gave_up",
                None,
                f"The notebook kept crashing; grading stopped after {runs} attempts and the "
                "checks that had not run yet count as failed.",
            )
            break
        if runs and time.monotonic() >= deadline:
            out_of_time(None)
            break
        job = {"cells": cells, "skip": sorted(culprits), "probe_ids": pending}
        res = worker.run(job, deadline=deadline)
        runs += 1
        got = parse_messages(res.get("messages", []), n)
        last = got["cells"]
        for i, c in last.items():
            if c["status"] == "timeout":
                event(
                    "cell_timeout",
                    i,
                    f"{cell_name(i)} ran longer than {_seconds(lim.cell_seconds)} and was "
                    "stopped; grading went on without it.",
                )
            elif c["status"] == "memory":
                event(
                    "memory",
                    i,
                    f"{cell_name(i)} ran out of memory (the limit is "
                    f"{lim.memory_bytes / 2**30:g} GiB); grading went on without it.",
                )
        probes.update({k: v for k, v in got["probes"].items() if k in pending})
        pending = [p for p in pending if p not in probes]
        if got["probe_error"]:
            event(
                "probes_unavailable",
                None,
                f"The checks could not be loaded ({got['probe_error']}); this is a problem "
                "with the grader, not with your notebook.",
            )
        if got["job_end"]:
            break  # everything was reported, however the sandbox ended afterwards
        running = got["running"]
        if res.get("end") == "total_timeout":
            if running and running[0] == "cell":
                culprits[running[1]] = {"status": "timeout", "error": "CellTimeout: out of time"}
            out_of_time(running[1] if running and running[0] == "cell" else None)
            break
        kind, status, what = _failure(res, lim)
        if got["fatal"]:
            kind, status, what = "grader_error", "crashed", f"broke the grader ({got['fatal']})"
        if running and running[0] == "cell" and running[1] not in culprits:
            i = running[1]
            culprits[i] = {"status": status, "error": f"{what[0].upper()}{what[1:]}."}
            event(kind, i, f"{cell_name(i)} {what}; grading went on without it.")
            continue
        if running and running[0] == "probe" and set(running[1]) & set(pending):
            group = [p for p in running[1] if p in pending]
            for case_id in group:
                probes[case_id] = _error_text(wire, "Crashed", f"This check {what}.")
                pending.remove(case_id)
            names = ", ".join(group)
            event(kind, None, f"The check {names} {what}; the other checks went on.")
            if pending:
                continue
            break
        event(
            kind,
            None,
            f"The notebook {what} outside of any cell; checks that had not run yet count as "
            "failed.",
        )
        break

    out_cells: list[dict[str, Any]] = []
    room = MAX_OUTPUTS_CHARS  # outputs kept for the whole submission
    for i in range(n):
        if i in culprits:
            c = dict(culprits[i], output="")
        elif i in last:
            c = dict(last[i])
        else:
            c = {"status": "skipped", "error": "", "output": ""}
        if len(c["output"]) > room:
            cut = f"[... cut: the grader keeps {MAX_OUTPUTS_CHARS} characters of output in all]"
            c["output"] = c["output"][:room] + "\n" + cut if room > 0 else cut
            room = 0
        else:
            room -= len(c["output"])
        out_cells.append({"index": i, **c})
    return {
        "cells": out_cells,
        "probes": probes,
        "events": events,
        "isolation": worker.isolation,
        "runs": runs,
    }
