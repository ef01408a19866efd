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
import selectors
import signal
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from hw3.cases.checking import Verdict
from hw3.grading import timeouts
from hw3.layout import single_thread_env

__all__ = ["Budget", "Judges", "JudgePool", "serve"]

MAX_MESSAGE = 2000  # characters of a verdict's message kept (it may quote a student's answer)
MAX_HINT = 1000
MAX_REPLY_BYTES = 64 * 1024  # one verdict frame from the judge process
STARTUP_SECONDS = timeouts.JUDGE_STARTUP_SECONDS
_HDR = struct.Struct(">I")
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
        self._proc: subprocess.Popen[bytes] | None = None
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
        proc, self._proc = self._proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError, ValueError):
            if proc.stdin:
                proc.stdin.close()  # the process ends when its input does
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()

    def __enter__(self) -> Judges:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    # -- internals ----------------------------------------------------------------------------

    def _spawn(self) -> None:
        # A fresh interpreter, not a fork of this multi-threaded one; it imports the same hw3.
        env = single_thread_env(PYTHONHASHSEED="0")
        cfg = json.dumps({"path": sys.path, "memory_bytes": self.budget.memory_bytes,
                          "cases": self.cases})
        self._proc = subprocess.Popen(
            [sys.executable, "-I", "-c", _SERVE_CMD, cfg],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=env, close_fds=True,
        )
        self._ready = False

    def _restart(self) -> None:
        self.restarts += 1
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(OSError):
                proc.kill()
            proc.wait()
            for stream in (proc.stdin, proc.stdout):
                with contextlib.suppress(OSError, ValueError):
                    if stream:
                        stream.close()
        self._spawn()

    def _wait_ready(self) -> None:
        if self._ready:
            return
        msg = self._read(time.monotonic() + STARTUP_SECONDS)
        if msg is None or not msg.get("ready"):
            raise RuntimeError("the judge process did not start")
        self._ready = True

    def _judge(self, todo: list[str], probes: dict[str, str], verdicts: dict[str, Verdict],
               spent: list[float], student_id: str = "") -> None:
        if self._proc is None or self._proc.poll() is not None:
            self._restart()
        self._wait_ready()  # starting is the grader's time, not the submission's
        assert self._proc is not None and self._proc.stdin is not None
        request = json.dumps({"ids": todo, "student_id": student_id,
                              "probes": {k: probes[k] for k in todo if k in probes}}).encode()
        start = time.monotonic()
        deadline = start + self.budget.submission_seconds - spent[0]
        try:
            try:
                self._proc.stdin.write(_HDR.pack(len(request)) + request)
                self._proc.stdin.flush()
            except OSError:
                raise JudgeOverrun(_CRASHED) from None
            for case_id in todo:
                end = min(deadline, time.monotonic() + self.budget.case_seconds)
                msg = self._read(end)
                if msg is None:
                    if time.monotonic() >= end:
                        limit = min(self.budget.case_seconds, self.budget.submission_seconds)
                        raise JudgeOverrun(f"took longer than {limit:g} s")
                    raise JudgeOverrun(_CRASHED)
                if msg.get("case") != case_id:
                    raise JudgeOverrun(_CRASHED)
                verdicts[case_id] = _verdict(msg)
        finally:
            spent[0] += time.monotonic() - start

    def _read(self, deadline: float) -> dict[str, Any] | None:
        """One frame from the process before ``deadline``; None if it is late or gone."""
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        header = _read_exact(fd, _HDR.size, deadline)
        if header is None:
            return None
        (n,) = _HDR.unpack(header)
        if n > MAX_REPLY_BYTES:
            return None
        body = _read_exact(fd, n, deadline)
        if body is None:
            return None
        try:
            msg = json.loads(body)
        except ValueError:
            return None
        return msg if isinstance(msg, dict) else None


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


def _read_exact(fd: int, n: int, deadline: float) -> bytes | None:
    buf = bytearray()
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while len(buf) < n:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                return None
            chunk = os.read(fd, n - len(buf))
            if not chunk:
                return None
            buf += chunk
    return bytes(buf)


def _clip(value: Any, limit: int) -> str:
    text = value if isinstance(value, str) else ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
    import resource

    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: die with the grader
    import importlib

    from hw3.cases import wire

    cases = importlib.import_module(str(cfg.get("cases", "hw3.cases")))
    if cases.__name__ == "hw3.cases":
        from hw3.grading.registry import grader  # every case, the slip models, their data

        registry = grader()
        CASES, judge, expected = registry.cases, registry.judge, dict(registry.expected)  # noqa: N806
    else:
        CASES, judge, expected = cases.CASES, cases.judge, cases.load_expected()  # noqa: N806
    if cases.__name__ == "hw3.cases":
        for case_id, case in CASES.items():  # pay first-use costs once, on the reference's data
            if case_id in expected:  # form cases record none
                judge(case, wire.encode(expected[case_id]), expected)
    mapped = _mapped_bytes()
    if mapped:
        limit = mapped + int(cfg.get("memory_bytes", 2**30))
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing printed by a judge may corrupt the replies
    _send(stdout, {"ready": True})
    if cases.__name__ == "hw3.cases":
        # PyTorch's first use (import and a training step, for the hints that recompute a
        # training loop's slips) costs seconds on a busy machine: paid while the sandboxes run
        # their first notebooks, not inside the first wrong submission's budget.
        threading.Thread(target=_warm_torch, name="warm-torch", daemon=True).start()
    while True:
        header = stdin.read(_HDR.size)
        if len(header) < _HDR.size:
            return
        (n,) = _HDR.unpack(header)
        request = json.loads(stdin.read(n))
        probes = request.get("probes", {})
        student_id = request.get("student_id") or ""
        mine = expected
        if student_id and cases.__name__ == "hw3.cases":
            from hw3.grading.variant_answers import expected_with  # the variant's answers

            mine = expected_with(expected, str(student_id))
        for case_id in request.get("ids", []):
            try:
                verdict = judge(CASES[case_id], probes.get(case_id), mine)
            except MemoryError:
                os._exit(3)  # the parent sees the process gone and restarts it
            _send(stdout, {"case": case_id, "ok": verdict.ok,
                           "message": _clip(verdict.message, MAX_MESSAGE),
                           "hint": _clip(verdict.hint, MAX_HINT),
                           # A crash keeps its kind: the student's message names it.
                           "crash": getattr(verdict, "error_type", None)})
            del verdict


def _verdict(msg: dict[str, Any]) -> Verdict:
    """The verdict a judge process reported (a crash stays a ``Crash``)."""
    from hw3.cases import Crash

    ok, message = bool(msg.get("ok")), _clip(msg.get("message"), MAX_MESSAGE)
    hint = _clip(msg.get("hint"), MAX_HINT)
    crash = msg.get("crash")
    if isinstance(crash, str):
        return Crash(ok, message, hint, crash[:80])
    return Verdict(ok, message, hint)


def _warm_torch() -> None:
    try:
        from hw3.grading import slips

        slips.training("", "steps_example")
    except Exception:  # noqa: BLE001 - warming is an optimisation; judging works without it
        pass


def _send(stream: Any, obj: dict[str, Any]) -> None:
    data = json.dumps(obj).encode()
    stream.write(_HDR.pack(len(data)) + data)
    stream.flush()


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
