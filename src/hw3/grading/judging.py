"""Judging in a separate trusted process, under a time and memory budget.

The judges (``hw3.cases``) run on data a submission sent; the decoder and the judges bound their
own work (``hw3.cases.wire``, ``hw3.cases.checking``, ``hw3.cases.hints``), and this module is
the backstop for whatever slips through. ``Judges`` keeps one warm process (SymPy, NumPy and the
expected data loaded once) that judges one submission's cases in order and reports each verdict
as soon as it is known. The process has an address-space limit (``Budget.memory_bytes`` above
what it maps when
warm) and the parent gives each case ``Budget.case_seconds`` and each submission
``Budget.submission_seconds`` of wall time. A case that overruns, or kills the process, fails
with a message saying so; the process is killed and restarted, and the cases after it are
judged as usual. Nothing a submission sends can hold the grader longer than the budget.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO, NamedTuple

from hw3.cases.checking import Verdict
from hw3.grading import timeouts
from hw3.grading.judge_messages import (
    MAX_HINT,
    MAX_MESSAGE,
    CaseVerdict,
    JudgeRequest,
    Ready,
)
from hw3.layout import single_thread_env
from hw3.sandbox.frames import read_stream_frame, write_frame
from hw3.sandbox.warm import WarmProcess

__all__ = ["MAX_HINT", "MAX_MESSAGE", "Budget", "Judges", "JudgePool", "serve"]

MAX_REPLY_BYTES = 64 * 1024  # one verdict frame from the judge process
STARTUP_SECONDS = timeouts.JUDGE_STARTUP_SECONDS
_CRASHED = "stopped the checking process (it ran out of memory or crashed)"


@dataclass(frozen=True)
class Budget:
    case_seconds: float = timeouts.JUDGE_CASE_SECONDS  # wall time to judge one case
    submission_seconds: float = timeouts.JUDGE_SUBMISSION_SECONDS  # all cases of one submission
    # Address space above what the warm judge process maps; PyTorch, imported when a training
    # loop's slips are recomputed for a hint, takes about 0.5 GiB of it.
    memory_bytes: int = 3 * 2**29


class JudgeOverrun(Exception):
    """The judge process went over its budget or died (internal to ``Judges``)."""


# ----------------------------------------------------------------------------- the parent


class Judges:
    """One warm judge process, restarted after an overrun. Not thread-safe: one per thread."""

    def __init__(self, budget: Budget | None = None, cases: str = "hw3.cases") -> None:
        self.budget = budget or Budget()
        self.cases = cases  # the module of CASES and judge (tests pass others, with load_expected)
        self.restarts = 0
        # A fresh interpreter, not a fork of this multi-threaded one; it imports the same hw3.
        cfg = json.dumps({"path": sys.path, "memory_bytes": self.budget.memory_bytes,
                          "cases": self.cases})
        self._process = WarmProcess([sys.executable, "-I", "-c", _SERVE_CMD, cfg],
                                    single_thread_env(PYTHONHASHSEED="0"),
                                    max_reply=MAX_REPLY_BYTES)
        self._ready = False
        self._spawn()

    def judge_all(self, probes: dict[str, str], case_ids: list[str], student_id: str = ""
                  ) -> tuple[dict[str, Verdict], list[str]]:
        """Verdicts for ``case_ids`` from their encoded probe data, and notes on overruns;
        the varied cases are judged against ``student_id``'s variant (blank: the book's)."""
        verdicts: dict[str, Verdict] = {}
        notes: list[str] = []
        spent = [0.0]  # seconds spent waiting for verdicts (not for the process to start)
        todo = list(case_ids)
        while todo:
            if spent[0] >= self.budget.submission_seconds:
                why = (f"Checking your notebook took longer than the grader allows "
                       f"({self.budget.submission_seconds:g} s in all)")
                for case_id in todo:
                    verdicts[case_id] = Verdict.fail(f"{why}; this check was not finished.")
                notes.append(f"{why}: {len(todo)} checks were not finished and count as failed.")
                break
            try:
                self._judge(todo, probes, verdicts, spent, student_id)
            except JudgeOverrun as e:
                case_id = next(c for c in todo if c not in verdicts)
                verdicts[case_id] = Verdict.fail(f"Checking this answer {e} and was stopped.")
                notes.append(f"Checking {case_id} {e} and was stopped; it counts as failed.")
                self._restart()
            todo = [c for c in todo if c not in verdicts]
        return verdicts, notes

    def close(self, wait: float = 2.0) -> None:
        """Stop the process: it ends when its input does, or is killed after ``wait`` s."""
        self._process.close(wait)

    def __enter__(self) -> Judges:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        return self._process.pid

    # -- internals ----------------------------------------------------------------------------

    def _spawn(self) -> None:
        self._process.start()
        self._ready = False

    def _restart(self) -> None:
        self.restarts += 1
        self._process.restart()
        self._ready = False

    def _wait_ready(self) -> None:
        if self._ready:
            return
        msg = self._process.read(time.monotonic() + STARTUP_SECONDS)
        if msg is None or not msg.get("ready"):
            raise RuntimeError("the judge process did not start")
        self._ready = True

    def _judge(self, todo: list[str], probes: dict[str, str], verdicts: dict[str, Verdict],
               spent: list[float], student_id: str = "") -> None:
        if not self._process.alive:
            self._restart()
        self._wait_ready()  # starting is the grader's time, not the submission's
        request = JudgeRequest(tuple(todo), {k: probes[k] for k in todo if k in probes},
                               student_id)
        start = time.monotonic()
        deadline = start + self.budget.submission_seconds - spent[0]
        try:
            try:
                self._process.send(request.to_wire())
            except OSError:
                raise JudgeOverrun(_CRASHED) from None
            for case_id in todo:
                end = min(deadline, time.monotonic() + self.budget.case_seconds)
                msg = self._process.read(end)
                if msg is None:
                    if time.monotonic() >= end:
                        limit = min(self.budget.case_seconds, self.budget.submission_seconds)
                        raise JudgeOverrun(f"took longer than {limit:g} s")
                    raise JudgeOverrun(_CRASHED)
                if msg.get("case") != case_id:
                    raise JudgeOverrun(_CRASHED)
                verdicts[case_id] = _verdict(CaseVerdict.from_wire(msg))
        finally:
            spent[0] += time.monotonic() - start


class JudgePool:
    """Judge processes shared by the grading threads: one, and up to ``size`` while one of them
    is busy for long (an overrun in progress must not hold the others' judging up). Judging is
    a small part of a submission's time (a sandboxed run costs several times more), and in one
    process the threads' judging was serialised by the GIL anyway: one process usually serves
    them all, and the batch pays one start (SymPy, NumPy) instead of one per thread."""

    def __init__(self, size: int = 1, budget: Budget | None = None,
                 busy_seconds: float = 5.0, cases: str = "hw3.cases") -> None:
        self.budget = budget or Budget()
        self.cases = cases
        self.size = max(1, size)
        self.busy_seconds = busy_seconds
        self._cond = threading.Condition()
        self._all: list[Judges] = [Judges(self.budget, cases)]
        self._idle: list[Judges] = list(self._all)
        self._busy_since: dict[int, float] = {}

    def judge_all(self, probes: dict[str, str], case_ids: list[str], student_id: str = ""
                  ) -> tuple[dict[str, Verdict], list[str]]:
        judges = self._take()
        try:
            return judges.judge_all(probes, case_ids, student_id)
        finally:
            with self._cond:
                self._busy_since.pop(id(judges), None)
                self._idle.append(judges)
                self._cond.notify()

    @property
    def restarts(self) -> int:
        return sum(j.restarts for j in self._all)

    @property
    def processes(self) -> int:
        return len(self._all)

    @property
    def busy(self) -> int:
        with self._cond:
            return len(self._busy_since)

    def close(self, wait: float = 2.0) -> None:
        """Stop every judge process (``wait=0``: kill them now, as on Ctrl-C)."""
        with self._cond:
            judges, self._all, self._idle = self._all, [], []
        for j in judges:
            j.close(wait)

    def _take(self) -> Judges:
        with self._cond:
            while True:
                if self._idle:
                    judges = self._idle.pop()
                    break
                now = time.monotonic()
                stuck = any(now - t > self.busy_seconds for t in self._busy_since.values())
                if stuck and len(self._all) < self.size:
                    judges = Judges(self.budget, self.cases)
                    self._all.append(judges)
                    break
                self._cond.wait(0.1)
            self._busy_since[id(judges)] = time.monotonic()
            return judges


# ----------------------------------------------------------------------------- the child

_SERVE_CMD = (
    "import json, sys\n"
    "cfg = json.loads(sys.argv[1])\n"
    "sys.path[:] = cfg['path']\n"
    "from hw3.grading.judging import serve\n"
    "serve(cfg)\n"
)


def serve(cfg: dict[str, Any]) -> None:
    """The judge process: warm up, cap its own memory, then judge requests until stdin ends."""
    _die_with_the_grader()
    judged = _load_cases(str(cfg.get("cases", "hw3.cases")))
    _cap_memory(int(cfg.get("memory_bytes", 2**30)))
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing printed by a judge may corrupt the replies
    write_frame(stdout, Ready().to_wire())
    if judged.own:
        # PyTorch's first use (import and a training step, for the hints that recompute a
        # training loop's slips) costs seconds on a busy machine: paid while the sandboxes run
        # their first notebooks, not inside the first wrong submission's budget.
        threading.Thread(target=_warm_torch, name="warm-torch", daemon=True).start()
    while (msg := read_stream_frame(stdin)) is not None:
        _answer(JudgeRequest.from_wire(msg), judged, stdout)


def _die_with_the_grader() -> None:
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the grader


class _Judged(NamedTuple):
    """What a judge process judges with: its cases, their judge and their expected data."""

    own: bool  # hw3's own cases (the grader's registry), not a test's module of cases
    cases: Mapping[str, Any]
    judge: Callable[..., Verdict]
    expected: dict[str, Any]


def _load_cases(name: str) -> _Judged:
    """The cases to judge (for hw3's own: the grader's registry, with the hidden cases and the
    slip models, first-use costs paid on the reference's data; else a test's module of cases)."""
    import importlib

    from hw3.cases import wire

    if name != "hw3.cases":
        module = importlib.import_module(name)
        return _Judged(False, module.CASES, module.judge, module.load_expected())
    from hw3.grading.registry import grader  # every case, the slip models, their data

    registry = grader()
    expected = dict(registry.expected)
    for case_id, case in registry.cases.items():
        if case_id in expected:  # form cases record none
            registry.judge(case, wire.encode(expected[case_id]), expected)
    return _Judged(True, registry.cases, registry.judge, expected)


def _cap_memory(memory_bytes: int) -> None:
    """An address-space limit ``memory_bytes`` above what this warm process maps."""
    import resource

    mapped = _mapped_bytes()
    if mapped:
        limit = mapped + memory_bytes
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _answer(request: JudgeRequest, judged: _Judged, stdout: BinaryIO) -> None:
    """One verdict frame per requested case, in order, each as soon as it is known."""
    mine = judged.expected
    if request.student_id and judged.own:
        from hw3.grading.variant_answers import expected_with  # the variant's answers

        mine = expected_with(judged.expected, request.student_id)
    for case_id in request.ids:
        try:
            verdict = judged.judge(judged.cases[case_id], request.probes.get(case_id), mine)
        except MemoryError:
            os._exit(3)  # the parent sees the process gone and restarts it
        # A crash keeps its kind: the student's message names it.
        write_frame(stdout, CaseVerdict(case_id, verdict.ok, verdict.message, verdict.hint,
                                        getattr(verdict, "error_type", None)).to_wire())
        del verdict


def _verdict(reply: CaseVerdict) -> Verdict:
    """The verdict a judge process reported (a crash stays a ``Crash``)."""
    from hw3.cases import Crash

    if reply.crash is not None:
        return Crash(reply.ok, reply.message, reply.hint, reply.crash)
    return Verdict(reply.ok, reply.message, reply.hint)


def _warm_torch() -> None:
    try:
        from hw3.grading import slips

        slips.training("", "steps_example")
    except Exception:  # noqa: BLE001 - warming is an optimisation; judging works without it
        pass


def _mapped_bytes() -> int:
    """This process's virtual size (VmSize), 0 if unknown."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0
