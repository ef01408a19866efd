"""Run a notebook's cells in a sandboxed child, and the re-run policy around it.

Child side (inside the sandbox, in a fresh fork of the warm zygote): ``run_job`` executes the
cells with a real IPython ``InteractiveShell``, one SIGALRM-enforced time limit per cell, then
runs the probes of ``hw3.cases`` on the resulting namespace. It reports through ``send`` as it
goes::

    {"cell_start": i}
    {"cell_end": i, "status": "ok"|"error"|"timeout"|"memory", "error": str, "output": str}
    {"probe_start": case_id, "group": [case_id, ...]}   # ids sharing one probe run together
    {"probe": case_id, "data": json_text}
    {"probe_error": str}          # hw3.cases could not be imported
    {"job_end": true}

Parent side (trusted): ``execute_submission`` runs a submission on a ``hw3.sandbox.Worker``.
When a cell kills the child (``os._exit``, a segfault, a limit) or runs past its time limit in a
way SIGALRM cannot stop, the job is run again from the start without that cell, a few times at
most, and an event explains it in words a student understands.
"""

from __future__ import annotations

import builtins
import contextlib
import gc
import io
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .sandbox import Worker

__all__ = ["run_job", "execute_submission", "preload", "CellTimeout"]

MAX_ERROR_CHARS = 1000
MAX_OUTPUT_CHARS = 16 * 1024  # of one cell's output, kept in results (the child caps at 256 kB)
MAX_OUTPUTS_CHARS = 256 * 1024  # of all cells' outputs of one submission, kept in results
MAX_GROUP = 1000  # ids in one probe group
MAX_PROBE_CHARS = 16 * 2**20  # of one probe's data (hw3.wire.MAX_TEXT): longer is refused here
# What a probe's data too large to keep becomes (hw3.wire's encoding of a probe's error).
_TOO_LARGE = ('{"$dict":{"error":{"$dict":{"type":"NotPlainData","message":"the values your '
              'code returned are too large to be read"}}}}')
MAX_RUNS = 4  # the first run and at most three re-runs
_CELL_STATUSES = ("ok", "error", "timeout", "memory")

Send = Callable[[dict[str, Any]], None]
ProbeRunner = Callable[[list[str], Mapping[str, Any]], Mapping[str, str]]


# ----------------------------------------------------------------------------- child side


class CellTimeout(BaseException):
    """Raised inside a cell that ran out of time (a BaseException: ``except Exception``
    in the student's code does not swallow it)."""


_SHELL: Any = None


def _shell() -> Any:
    """The IPython shell; made once in the zygote so that each child gets it for free."""
    global _SHELL
    if _SHELL is None:
        from IPython.core.interactiveshell import InteractiveShell
        from traitlets.config import Config

        class GradingShell(InteractiveShell):
            def enable_gui(self, gui: Any = None) -> None:
                # Headless: `%matplotlib inline` needs no event loop (the base class raises).
                return None

            def ask_exit(self) -> None:
                # `exit()` / `quit()` in a cell: noted, then ignored by run_job.
                self.exit_now = True

            @contextlib.contextmanager
            def _tee(self, channel: str) -> Iterator[None]:
                # IPython 9 copies every write into its history, uncapped and slowly: the
                # output is captured (and capped) by run_job instead.
                yield

        cfg = Config()
        cfg.HistoryManager.enabled = False  # no sqlite file, and no saving thread before fork
        cfg.InteractiveShell.colors = "nocolor"
        cfg.InteractiveShell.xmode = "Plain"
        _SHELL = GradingShell.instance(config=cfg)
    return _SHELL


def preload() -> None:
    """Called by the zygote: build the shell and warm what the first cell would pay for."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib_inline.backend_inline  # noqa: F401 - `%matplotlib inline`

    shell = _shell()
    _headless_plots()
    _warm_up()
    # A throwaway cell compiles IPython's own machinery once (in the zygote, not per job);
    # its traces are dropped by resetting the namespace afterwards.
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = _Capture(0)
    try:
        shell.run_cell("1", store_history=False)
    finally:
        sys.stdout, sys.stderr = saved
    shell.reset(new_session=False)
    shell.execution_count = 1
    # Everything loaded so far lives as long as the zygote: frozen, a child's garbage collections
    # skip it and so do not copy the zygote's memory page by page (about a third of a job).
    gc.collect()
    gc.freeze()


def _headless_plots() -> None:
    """Plots are part of the notebook, not of the grade: never draw them. pyplot inside IPython
    redraws every stale figure after each cell, which costs more than the rest of the notebook;
    `plt.show()` just closes the figures instead."""
    import matplotlib.pyplot as plt

    plt.ioff()
    plt.uninstall_repl_displayhook()
    plt.show = lambda *args, **kwargs: plt.close("all")


def _warm_up() -> None:
    """Pay the first-use costs of this homework's libraries once, in the zygote, instead of in
    every forked child: SymPy's caches, a drawn figure, a training step of a small model, and
    the probes' own imports. (It roughly halves a typical submission's time.)"""
    import copy

    import matplotlib.pyplot as plt
    import numpy as np
    import sympy as sp
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    x = sp.Symbol("x", real=True)
    sp.simplify(sp.expand((x + 1) ** 2 - x**2) + sp.Max(0, x) + sp.Piecewise((x, x > 0), (0, True)))
    sp.latex(sp.Matrix([[x, 1]]))
    fig, axes = plt.subplots(1, 2)
    axes[0].plot(np.arange(3.0), label="a")
    axes[0].set(title="t", xlabel="x", yscale="log")
    axes[0].legend()
    axes[1].scatter([0.0, 1.0], [1.0, 0.0], s=3)
    axes[1].imshow(np.zeros((2, 2)))
    fig.tight_layout()
    fig.canvas.draw()
    plt.close("all")
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    torch.nn.init.kaiming_normal_(model[0].weight)
    torch.nn.init.zeros_(model[0].bias)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    loader = DataLoader(TensorDataset(torch.randn(4, 2), torch.randn(4, 2)), batch_size=2,
                        shuffle=True)
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = torch.nn.MSELoss()(model(xb), yb)
        loss.backward()
        optimizer.step()
        loss.item()
    scheduler.step()
    copy.deepcopy(model)
    from hw3.cases import CASES, run_probes

    run_probes(list(CASES), {})  # every probe fails fast on an empty notebook, warming imports


class _Capture(io.TextIOBase):
    """stdout/stderr of a cell: keeps the first ``cap`` characters (``max_output_bytes`` is
    applied to characters: cheap, and close enough), counts the rest."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.parts: list[str] = []
        self.size = 0
        self.dropped = 0

    def write(self, s: Any) -> int:
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        room = self.cap - self.size
        if room > 0:
            piece = s[:room]
            self.parts.append(piece)
            self.size += len(piece)
            self.dropped += len(s) - len(piece)
        else:
            self.dropped += len(s)
        return len(s)

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def getvalue(self) -> str:
        text = "".join(self.parts)
        if self.dropped:
            text += f"\n[... {self.dropped} more characters of output were dropped]"
        return text


class _Alarm:
    """SIGALRM after ``seconds``, raising CellTimeout; again every second if swallowed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = max(0.01, float(seconds))
        self.armed = False
        self.fired = False

    def _handler(self, signum: int, frame: Any) -> None:
        if not self.armed:
            return
        self.fired = True
        signal.setitimer(signal.ITIMER_REAL, 1.0)
        raise CellTimeout(f"ran longer than {self.seconds:g} s")

    def arm(self) -> None:
        # Re-installed every time: a cell may have replaced or ignored the handler.
        signal.signal(signal.SIGALRM, self._handler)
        self.armed = True
        signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def disarm(self) -> None:
        self.armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)


def _no_input(*args: Any, **kwargs: Any) -> str:
    raise RuntimeError("input() is not available while grading")


def _describe(e: BaseException) -> str:
    try:
        msg = str(e)
    except BaseException:  # noqa: BLE001 - a hostile __str__
        msg = "(message unavailable)"
    name = type(e).__name__
    return f"{name}: {msg}"[:MAX_ERROR_CHARS] if msg else name[:MAX_ERROR_CHARS]


def _guarded(alarm: _Alarm, fn: Callable[[], Any]) -> tuple[Any, BaseException | None]:
    """``fn()`` under the alarm; returns (value, exception). A late CellTimeout landing in the
    bookkeeping is caught by the outer layer."""
    value: Any = None
    err: BaseException | None = None
    try:
        try:
            alarm.arm()
            value = fn()
        except BaseException as e:  # noqa: BLE001 - anything the student's code raises
            err = e
        finally:
            alarm.disarm()
    except BaseException as e:  # noqa: BLE001 - the alarm firing inside the handler above
        alarm.disarm()
        err = err or e
    return value, err


def _run_cell(shell: Any, source: str) -> Any:
    return shell.run_cell(source, store_history=True)


def _reset_environment(workdir: str | None) -> None:
    """Undo what a cell may have changed that would break the next one."""
    builtins.input = _no_input  # type: ignore[assignment]
    try:
        sys.stdin = open(os.devnull)  # noqa: SIM115 - lives as long as the child
    except OSError:
        pass
    if workdir is not None:
        try:
            os.chdir(workdir)
        except OSError:
            try:
                os.makedirs(workdir, exist_ok=True)
                os.chdir(workdir)
            except OSError:
                pass


def run_job(
    job: Mapping[str, Any],
    send: Send,
    *,
    cell_seconds: float = 30.0,
    max_output_bytes: int = 256 * 2**10,
    workdir: str | None = None,
    probe_runner: ProbeRunner | None = None,
) -> None:
    """Execute ``job["cells"]`` (except ``job["skip"]``) then probe ``job["probe_ids"]``.

    ``probe_runner`` defaults to ``hw3.cases.run_probes``; tests call ``run_job`` directly
    with their own runner (it is not reachable from a job).
    """
    cells: Sequence[str] = list(job.get("cells", []))
    skip = {int(i) for i in job.get("skip", [])}
    probe_ids = [str(p) for p in job.get("probe_ids", [])]
    workdir = workdir if workdir is not None else os.getcwd()
    shell = _shell()
    _reset_environment(workdir)
    saved = sys.stdout, sys.stderr
    alarm = _Alarm(cell_seconds)
    try:
        for i, source in enumerate(cells):
            if i in skip:
                continue
            send({"cell_start": i})
            cap = _Capture(max_output_bytes)
            sys.stdout = sys.stderr = cap
            result, err = _guarded(alarm, lambda src=source: _run_cell(shell, src))
            sys.stdout, sys.stderr = saved
            if err is None and result is not None:
                err = result.error_before_exec or result.error_in_exec
            if alarm.fired:
                status = "timeout"
            elif isinstance(err, MemoryError):
                status = "memory"
            elif err is not None:
                status = "error"
            else:
                status = "ok"
            alarm.fired = False
            shell.exit_now = False  # `exit()` in a cell asks the shell to stop: ignore it
            _reset_environment(workdir)
            send(
                {
                    "cell_end": i,
                    "status": status,
                    "error": _describe(err) if err is not None else "",
                    "output": cap.getvalue(),
                }
            )
        _run_probes(probe_ids, shell.user_ns, send, alarm, cell_seconds, probe_runner)
    finally:
        sys.stdout, sys.stderr = saved
    send({"job_end": True})


def _probe_groups(probe_ids: list[str]) -> list[list[str]]:
    """Ids whose cases share one probe function, together (in first-seen order): the probe
    then runs once for all of them, under one time limit, as ``run_probes`` would."""
    cases: Mapping[str, Any]
    try:
        from .cases import CASES as cases
    except BaseException:  # noqa: BLE001 - fall back to one id at a time
        cases = {}
    groups: dict[Any, list[str]] = {}
    for case_id in probe_ids:
        case = cases.get(case_id)
        key = ("probe", case.probe) if case is not None else ("id", case_id)
        groups.setdefault(key, []).append(case_id)
    return list(groups.values())


def _run_probes(
    probe_ids: list[str],
    ns: Mapping[str, Any],
    send: Send,
    alarm: _Alarm,
    cell_seconds: float,
    runner: ProbeRunner | None,
) -> None:
    if not probe_ids:
        return
    try:
        from . import wire

        if runner is None:
            from .cases import run_probes as runner
    except BaseException as e:  # noqa: BLE001 - e.g. the package is mid-edit
        send({"probe_error": _describe(e)})
        return
    saved = sys.stdout, sys.stderr
    for group in _probe_groups(probe_ids):
        send({"probe_start": group[0], "group": group})
        sys.stdout = sys.stderr = _Capture(0)  # what probes print is discarded
        out, err = _guarded(alarm, lambda g=group: runner(list(g), ns))
        sys.stdout, sys.stderr = saved
        for case_id in group:
            text = out.get(case_id) if isinstance(out, Mapping) else None
            if alarm.fired:
                why = f"this check ran longer than {cell_seconds:g} s"
                text = _error_text(wire, "Timeout", why)
            elif not isinstance(text, str):
                why = _describe(err) if err is not None else "the check returned nothing"
                text = _error_text(wire, type(err).__name__ if err else "NoResult", why)
            send({"probe": case_id, "data": text})
        alarm.fired = False
        _reset_environment(None)


def _error_text(wire: Any, kind: str, message: str) -> str:
    return str(wire.encode({"error": {"type": kind, "message": message[:500]}}))


# ----------------------------------------------------------------------------- parent side


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


def _text(value: Any) -> str:
    """A str that encodes as UTF-8 (JSON from the child may carry lone surrogates)."""
    if not isinstance(value, str):
        return ""
    return value.encode("utf-8", "replace").decode("utf-8")


def _capped(value: Any, limit: int) -> str:
    """A str from the child, at most ``limit`` characters, with a note where it was cut."""
    text = _text(value[: limit + 1] if isinstance(value, str) else value)
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... cut: the grader keeps at most {limit} characters here]"


def _parse(messages: Sequence[Mapping[str, Any]], n_cells: int) -> dict[str, Any]:
    """What one run reported, validated: nothing here is trusted.

    Student code can write frames of its own into the pipe, so the sequence is checked: a
    ``cell_end`` counts only for the cell that was started last and not yet ended, a ``probe``
    only for an id of the group that was started last, and the first report of a cell or a
    probe wins (a later frame never rewrites it). Every string kept is capped."""
    cells: dict[int, dict[str, str]] = {}
    probes: dict[str, str] = {}
    started: set[int] = set()
    running: tuple[str, Any] | None = None
    job_end = False
    probe_error = ""
    fatal = ""
    for m in messages:
        if "cell_start" in m:
            i = m["cell_start"]
            ok = type(i) is int and 0 <= i < n_cells and i not in started
            running = ("cell", i) if ok else None
            if ok:
                started.add(i)
        elif "cell_end" in m:
            i = m["cell_end"]
            status = m.get("status")
            if running == ("cell", i) and i not in cells and status in _CELL_STATUSES:
                cells[i] = {
                    "status": str(status),
                    "error": _capped(m.get("error"), MAX_ERROR_CHARS),
                    "output": _capped(m.get("output"), MAX_OUTPUT_CHARS),
                }
            running = None
        elif "probe_start" in m:
            group = m.get("group")
            ok = isinstance(group, list) and 0 < len(group) <= MAX_GROUP and all(
                isinstance(g, str) and len(g) <= 200 for g in group)
            running = ("probe", list(group)) if ok else None
        elif "probe" in m:
            pid, data = m.get("probe"), m.get("data")
            in_group = running is not None and running[0] == "probe" and pid in running[1]
            if in_group and pid not in probes and isinstance(data, str):
                probes[pid] = data if len(data) <= MAX_PROBE_CHARS else _TOO_LARGE
            if in_group and all(g in probes for g in running[1]):
                running = None
        elif "job_end" in m:
            job_end = True
            running = None
        elif "probe_error" in m:
            probe_error = probe_error or _capped(m["probe_error"], MAX_ERROR_CHARS)
        elif "fatal" in m:
            fatal = fatal or _capped(m["fatal"], MAX_ERROR_CHARS)
    return {
        "cells": cells,
        "probes": probes,
        "running": running,
        "job_end": job_end,
        "probe_error": probe_error,
        "fatal": fatal,
    }


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
    from . import wire

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
        got = _parse(res.get("messages", []), n)
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
