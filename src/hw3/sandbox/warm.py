"""A warm helper process spoken to in length-prefixed frames (``frames``): start it, send it a
request, read its replies against a deadline, kill it and start it again. ``kill_process`` is
the one way a warm process (this one, or a ``Worker``'s zygote) is stopped."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Sequence
from typing import Any

from .frames import encode_frame, read_frame


def kill_process(proc: subprocess.Popen[bytes] | None, *, group: bool = False,
                 wait: float = 5.0) -> None:
    """Kill ``proc`` (and its process group, if it leads one: ``group``) and reap it."""
    if proc is None:
        return
    if group:
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        proc.kill()
    with contextlib.suppress(Exception):
        proc.wait(wait)


class WarmProcess:
    """One child process kept warm between requests: frames in on its stdin, frames out on its
    stdout. Not thread-safe: one per thread."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], *, max_reply: int) -> None:
        self.argv, self.env, self.max_reply = list(argv), env, max_reply
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """A fresh interpreter, not a fork of this multi-threaded one."""
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=self.env, close_fds=True)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def send(self, obj: Any) -> None:
        """One frame to the process (OSError if it is gone)."""
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(encode_frame(obj))
        self.proc.stdin.flush()

    def read(self, deadline: float) -> dict[str, Any] | None:
        """One frame from the process before ``deadline``; None if it is late, gone, too large
        or not a JSON object."""
        assert self.proc is not None and self.proc.stdout is not None
        return read_frame(self.proc.stdout.fileno(), deadline, self.max_reply)

    def restart(self) -> None:
        """Kill the process now and start a fresh one."""
        proc, self.proc = self.proc, None
        kill_process(proc)
        _close_pipes(proc)
        self.start()

    def close(self, wait: float = 2.0) -> None:
        """Stop the process: it ends when its input does, or is killed after ``wait`` s."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError, ValueError):
            if proc.stdin:
                proc.stdin.close()
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        _close_pipes(proc)


def _close_pipes(proc: subprocess.Popen[bytes] | None) -> None:
    for stream in (proc.stdin, proc.stdout) if proc is not None else ():
        with contextlib.suppress(OSError, ValueError):
            if stream:
                stream.close()
