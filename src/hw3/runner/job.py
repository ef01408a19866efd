"""The job runner inside the sandbox: it writes the job protocol (``hw3.runner.messages``).

``run_job`` runs in a fresh fork of the warm zygote (``hw3.sandbox``): it executes the
cells with a real IPython ``InteractiveShell``, one SIGALRM-enforced time limit per cell, then
runs the probes of ``hw3.cases`` on the resulting namespace. It reports through ``send`` as it
goes (``CellStart``/``CellEnd`` per cell, ``ProbeStart`` and one ``ProbeData`` per id of each
probe group, ``ProbeError`` if the probes cannot be loaded, ``JobEnd``), and calls the sandbox's
``beat(True)`` as each cell or probe group starts and ``beat(False)`` as it ends (the worker's
step clock; it knows nothing of cells). The zygote calls ``preload`` once and ``run_job`` per
job, by name (``hw3.grading.jail``). The protocol's one reader is
``hw3.runner.messages.read_messages``, on the trusted side.
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
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from hw3.runner.messages import (
    MAX_ERROR_CHARS,
    CellEnd,
    CellStart,
    CellStatus,
    Job,
    JobEnd,
    ProbeData,
    ProbeError,
    ProbeStart,
    error_text,
)

if TYPE_CHECKING:
    from hw3.cases.registry import Registry

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
    _import_what_notebooks_import()
    registry = _registry()
    registry.run_probes(list(registry.cases), {})  # every probe fails fast on an empty notebook


# Modules a notebook of this homework imports on first use, which every child would import
# again (about a tenth of a job): SymPy's `init_printing` looks for IPython's terminal shell
# (prompt_toolkit, pygments) and its LaTeX tools, `code` with them; a cell that raises has its
# traceback formatted by IPython with pygments' terminal formatter.
_ALSO_IMPORTED = ("IPython.terminal.interactiveshell", "IPython.lib.latextools", "code",
                  "pygments.formatters.terminal256")


def _import_what_notebooks_import() -> None:
    for name in _ALSO_IMPORTED:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    with contextlib.suppress(ImportError):
        from PIL import Image

        Image.init()  # saving or reading a figure loads PIL's image plugins


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
    todo = Job.from_wire(job)
    workdir = workdir if workdir is not None else os.getcwd()
    run = _Run(send, beat or _no_beat, cell_seconds, workdir)
    _reset_environment(run.workdir)
    try:
        for i, source in enumerate(todo.cells):
            if i not in todo.skip:
                run.cell(i, source, max_output_bytes)
        _run_probes(list(todo.probe_ids), run, probe_runner)
    finally:
        sys.stdout, sys.stderr = run.saved
    send(JobEnd().to_wire())


class _Run:
    """What the steps of one job share: where they report, the clock, the shell."""

    def __init__(self, send: Send, beat: Beat, cell_seconds: float, workdir: str) -> None:
        self.send, self.beat, self.workdir = send, beat, workdir
        self.cell_seconds, self.alarm = cell_seconds, _Alarm(cell_seconds)
        self.shell = _shell()
        self.saved = sys.stdout, sys.stderr

    def cell(self, i: int, source: str, max_output_bytes: int) -> None:
        """Run one cell under its time limit, its output captured, and report it."""
        self.beat(True)
        self.send(CellStart(i).to_wire())
        cap = _Capture(max_output_bytes)
        sys.stdout = sys.stderr = cap
        result, err = _guarded(self.alarm, functools.partial(_run_cell, self.shell, source))
        sys.stdout, sys.stderr = self.saved
        if err is None and result is not None:
            err = result.error_before_exec or result.error_in_exec
        status = self._status(err)
        self.alarm.fired = False
        self.shell.exit_now = False  # `exit()` in a cell asks the shell to stop: ignore it
        _reset_environment(self.workdir)
        error = _describe(err) if err is not None else ""
        self.send(CellEnd(i, status, error, cap.getvalue()).to_wire())
        self.beat(False)

    def _status(self, err: BaseException | None) -> CellStatus:
        if self.alarm.fired:
            return "timeout"
        if isinstance(err, MemoryError):
            return "memory"
        return "error" if err is not None else "ok"


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
    looked up by name: the runner imports nothing of hw3 but ``hw3.cases`` statically."""
    registry: Registry = importlib.import_module("hw3.hidden").sandbox()
    return registry


def _default_runner() -> ProbeRunner:
    """The registry's probe runner (looked up late: the job runs before anything is probed)."""
    return _registry().run_probes


def _run_probes(probe_ids: list[str], run: _Run, runner: ProbeRunner | None) -> None:
    if not probe_ids:
        return
    try:
        from hw3.cases import wire  # noqa: F401 - a probe's data is encoded by it

        probe: ProbeRunner = runner if runner is not None else _default_runner()
    except BaseException as e:  # noqa: BLE001 - e.g. the package is mid-edit
        run.send(ProbeError(_describe(e)).to_wire())
        return
    for group in _probe_groups(probe_ids):
        _probe_group(group, run, probe)


def _probe_group(group: list[str], run: _Run, probe: ProbeRunner) -> None:
    """Run one group's probe under the time limit, what it prints discarded; report each id."""
    run.beat(True)
    run.send(ProbeStart(tuple(group)).to_wire())
    sys.stdout = sys.stderr = _Capture(0)
    out, err = _guarded(run.alarm, functools.partial(probe, list(group), run.shell.user_ns))
    sys.stdout, sys.stderr = run.saved
    for case_id in group:
        text = out.get(case_id) if isinstance(out, Mapping) else None
        if run.alarm.fired:
            text = error_text("Timeout", f"this check ran longer than {run.cell_seconds:g} s")
        elif not isinstance(text, str):
            why = _describe(err) if err is not None else "the check returned nothing"
            text = error_text(type(err).__name__ if err else "NoResult", why)
        run.send(ProbeData(case_id, text).to_wire())
        run.beat(False)
    run.alarm.fired = False
    _reset_environment(None)
