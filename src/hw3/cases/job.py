"""The job runner inside the sandbox, and the messages it sends (the job protocol).

``run_job`` runs in a fresh fork of the warm zygote (``hw3.sandbox``): it executes the
cells with a real IPython ``InteractiveShell``, one SIGALRM-enforced time limit per cell, then
runs the probes of ``hw3.cases`` on the resulting namespace. It reports through ``send`` as it
goes, and calls the sandbox's ``beat(True)`` as each cell or probe group starts and
``beat(False)`` as it ends (the worker's step clock; it knows nothing of cells)::

    {"cell_start": i}
    {"cell_end": i, "status": "ok"|"error"|"timeout"|"memory", "error": str, "output": str}
    {"probe_start": case_id, "group": [case_id, ...]}   # ids sharing one probe run together
    {"probe": case_id, "data": json_text}
    {"probe_error": str}          # hw3.cases could not be imported
    {"job_end": true}

``parse_messages`` is the one reader of that protocol, on the trusted side
(``hw3.grading.execute``): nothing in the messages is trusted. The zygote (``hw3.sandbox``)
calls ``preload`` once and ``run_job`` per job, by name (``hw3.grading.jail``).

This module is long because the protocol's writer and its one reader are kept side by side, so
a message cannot change on one side alone; the redesign moves both out of the package students
receive, into one the sandbox binds.
"""


from __future__ import annotations

import builtins
import contextlib
import functools
import gc
import importlib
import io
import os
import signal
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from hw3.cases.registry import Registry

MAX_ERROR_CHARS = 1000
MAX_OUTPUT_CHARS = 16 * 1024  # of one cell's output, kept in results (the child caps at 256 kB)
MAX_OUTPUTS_CHARS = 256 * 1024  # of all cells' outputs of one submission, kept in results
MAX_GROUP = 1000  # ids in one probe group
MAX_PROBE_CHARS = 16 * 2**20  # of one probe's data (wire.MAX_TEXT): longer is refused here
# What a probe's data too large to keep becomes (hw3.cases.wire's encoding of a probe's error).
_TOO_LARGE = ('{"$dict":{"error":{"$dict":{"type":"NotPlainData","message":"the values your '
              'code returned are too large to be read"}}}}')
_CELL_STATUSES = ("ok", "error", "timeout", "memory")

Send = Callable[[dict[str, Any]], None]
Beat = Callable[[bool], None]
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
    import torch

    torch.set_num_threads(1)

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
    first = torch.nn.Linear(2, 3)
    model = torch.nn.Sequential(first, torch.nn.ReLU(), torch.nn.Linear(3, 2))
    torch.nn.init.kaiming_normal_(first.weight)
    torch.nn.init.zeros_(first.bias)
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
    registry = _registry()
    registry.run_probes(list(registry.cases), {})  # every probe fails fast on an empty notebook


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
    builtins.input = _no_input
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
    beat: Beat | None = None,
) -> None:
    """Execute ``job["cells"]`` (except ``job["skip"]``) then probe ``job["probe_ids"]``.

    ``probe_runner`` defaults to ``hw3.cases.run_probes``; tests call ``run_job`` directly
    with their own runner (it is not reachable from a job).
    """
    cells: Sequence[str] = list(job.get("cells", []))
    skip = {int(i) for i in job.get("skip", [])}
    probe_ids = [str(p) for p in job.get("probe_ids", [])]
    workdir = workdir if workdir is not None else os.getcwd()
    beat = beat or _no_beat
    shell = _shell()
    _reset_environment(workdir)
    saved = sys.stdout, sys.stderr
    alarm = _Alarm(cell_seconds)
    try:
        for i, source in enumerate(cells):
            if i in skip:
                continue
            beat(True)
            send({"cell_start": i})
            cap = _Capture(max_output_bytes)
            sys.stdout = sys.stderr = cap
            result, err = _guarded(alarm, functools.partial(_run_cell, shell, source))
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
            beat(False)
        _run_probes(probe_ids, shell.user_ns, send, beat, alarm, cell_seconds, probe_runner)
    finally:
        sys.stdout, sys.stderr = saved
    send({"job_end": True})


def _no_beat(busy: bool) -> None:
    return None


def _probe_groups(probe_ids: list[str]) -> list[list[str]]:
    """Ids whose cases share one probe function, together (in first-seen order): the probe
    then runs once for all of them, under one time limit, as ``run_probes`` would."""
    cases: Mapping[str, Any]
    try:
        cases = _registry().cases
    except BaseException:  # noqa: BLE001 - fall back to one id at a time
        cases = {}
    groups: dict[Any, list[str]] = {}
    for case_id in probe_ids:
        case = cases.get(case_id)
        key = ("probe", case.probe) if case is not None else ("id", case_id)
        groups.setdefault(key, []).append(case_id)
    return list(groups.values())


def _registry() -> Registry:
    """The sandbox's registry (``hw3.hidden.sandbox``: the public cases and the hidden probes),
    looked up by name: the students' package never imports the hidden cases."""
    registry: Registry = importlib.import_module("hw3.hidden").sandbox()
    return registry


def _default_runner() -> ProbeRunner:
    """The registry's probe runner (looked up late: the job runs before anything is probed)."""
    return _registry().run_probes


def _run_probes(
    probe_ids: list[str],
    ns: Mapping[str, Any],
    send: Send,
    beat: Beat,
    alarm: _Alarm,
    cell_seconds: float,
    runner: ProbeRunner | None,
) -> None:
    if not probe_ids:
        return
    try:
        from hw3.cases import wire

        run: ProbeRunner = runner if runner is not None else _default_runner()
    except BaseException as e:  # noqa: BLE001 - e.g. the package is mid-edit
        send({"probe_error": _describe(e)})
        return
    saved = sys.stdout, sys.stderr
    for group in _probe_groups(probe_ids):
        beat(True)
        send({"probe_start": group[0], "group": group})
        sys.stdout = sys.stderr = _Capture(0)  # what probes print is discarded
        out, err = _guarded(alarm, functools.partial(run, list(group), ns))
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
            beat(False)
        alarm.fired = False
        _reset_environment(None)


def _error_text(wire: Any, kind: str, message: str) -> str:
    return str(wire.encode({"error": {"type": kind, "message": message[:500]}}))



# ----------------------------------------------------------------- the protocol's reader


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


def parse_messages(messages: Sequence[Mapping[str, Any]], n_cells: int) -> dict[str, Any]:
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
            running = ("probe", list(cast(list, group))) if ok else None
        elif "probe" in m:
            pid, data = m.get("probe"), m.get("data")
            group_now = running[1] if running is not None and running[0] == "probe" else None
            if group_now is not None and isinstance(pid, str) and pid in group_now:
                if pid not in probes and isinstance(data, str):
                    probes[pid] = data if len(data) <= MAX_PROBE_CHARS else _TOO_LARGE
                if all(g in probes for g in group_now):
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
