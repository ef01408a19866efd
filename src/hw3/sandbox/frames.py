"""Length-prefixed JSON frames: the only thing that crosses the sandbox's pipes.

Everything read on the trusted side goes through ``FrameReader`` (size- and shape-capped, never
pickles). A frame holding ``BEAT`` is the job's heartbeat (see ``worker``): a step with a time
limit starts (true) or ends (false); the worker restarts its step clock on each one.
"""

from __future__ import annotations

import json
import os
import selectors
import socket
import struct
import time
from collections.abc import Callable
from typing import Any, BinaryIO

MAX_MESSAGE_BYTES = 16 * 2**20 + 2**16  # one message; a job's result may be 16 MiB
# `[` and `{` in one message, counted before parsing: a flood of tiny lists cannot make
# json.loads build millions of objects.
MAX_MESSAGE_CONTAINERS = 110_000
MAX_JOB_BYTES = 128 * 2**20  # everything one job may send
BEAT = "beat"  # the heartbeat frame's one key: {"beat": true} a step starts, false it ended
FATAL = "fatal"  # the zygote's frame when the payload's entry itself broke: {"fatal": "Type: msg"}

_HDR = struct.Struct(">I")

def encode_frame(obj: Any) -> bytes:
    """A length-prefixed JSON message."""
    data = json.dumps(obj, separators=(",", ":"), allow_nan=False).encode()
    return _HDR.pack(len(data)) + data


class ProtocolError(ValueError):
    """Bytes from the sandbox that are not well-formed messages. ``messages`` holds the
    well-formed ones that came before the bad bytes in the same chunk: they still count."""

    def __init__(self, message: str, messages: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.messages = messages or []


class FrameReader:
    """Splits untrusted bytes into JSON-object messages, with caps on sizes."""

    def __init__(self, max_message: int = MAX_MESSAGE_BYTES, max_total: int = MAX_JOB_BYTES):
        self.max_message = max_message
        self.max_total = max_total
        self.total = 0
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        self.total += len(data)
        if self.total > self.max_total:
            raise ProtocolError("output_limit")
        self._buf += data
        out: list[dict[str, Any]] = []
        try:
            self._split(out)
        except ProtocolError as e:
            e.messages = out
            raise
        return out

    def _split(self, out: list[dict[str, Any]]) -> None:
        while len(self._buf) >= _HDR.size:
            (n,) = _HDR.unpack_from(self._buf)
            if n > self.max_message:
                raise ProtocolError("message too large")
            if len(self._buf) < _HDR.size + n:
                break
            raw = bytes(self._buf[_HDR.size : _HDR.size + n])
            del self._buf[: _HDR.size + n]
            if raw.count(b"[") + raw.count(b"{") > MAX_MESSAGE_CONTAINERS:
                raise ProtocolError("message too complex")
            try:
                msg = json.loads(raw)
            except (ValueError, RecursionError) as e:  # RecursionError: hostile nesting
                raise ProtocolError(f"bad message: {type(e).__name__}") from None
            if not isinstance(msg, dict):
                raise ProtocolError("message is not an object")
            out.append(msg)

    @property
    def pending(self) -> int:
        return len(self._buf)


def recv_frame(sock: socket.socket, limit: int = 2**30) -> dict[str, Any] | None:
    """Blocking read of one message (zygote side: the parent is trusted); None at the end."""
    return _read_trusted(lambda n: _recv_exact(sock, n), limit)


def read_stream_frame(stream: BinaryIO, limit: int = 2**30) -> dict[str, Any] | None:
    """Blocking read of one frame from a trusted parent's stream (the judge process's stdin);
    None at its end."""
    return _read_trusted(stream.read, limit)


def _read_trusted(read: Callable[[int], bytes | None], limit: int) -> dict[str, Any] | None:
    hdr = read(_HDR.size)
    if hdr is None or len(hdr) < _HDR.size:
        return None
    (n,) = _HDR.unpack(hdr)
    if n > limit:
        raise ProtocolError("message too large")
    data = read(n)
    if data is None or len(data) < n:
        return None
    msg = json.loads(data)
    if not isinstance(msg, dict):
        raise ProtocolError("message is not an object")
    return msg


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def read_frame(fd: int, deadline: float, limit: int) -> dict[str, Any] | None:
    """One frame from ``fd`` before ``deadline`` (a ``time.monotonic()`` value), from a process
    kept on a budget: None if it is late, gone, larger than ``limit`` bytes or not a JSON
    object."""
    header = _read_exact(fd, _HDR.size, deadline)
    if header is None:
        return None
    (n,) = _HDR.unpack(header)
    if n > limit:
        return None
    body = _read_exact(fd, n, deadline)
    if body is None:
        return None
    try:
        msg = json.loads(body)
    except ValueError:
        return None
    return msg if isinstance(msg, dict) else None


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


def write_frame(stream: BinaryIO, obj: Any) -> None:
    """One frame written to ``stream``, flushed."""
    stream.write(encode_frame(obj))
    stream.flush()


def make_sender(fd: int) -> Callable[[dict[str, Any]], None]:
    """``send(obj)``: one frame written whole to ``fd`` (the job's end of its pipe)."""

    def send(obj: dict[str, Any]) -> None:
        data = encode_frame(obj)
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]

    return send


def make_beat(send: Callable[[dict[str, Any]], None]) -> Callable[[bool], None]:
    """``beat(busy)``: the heartbeat, sent at the start (True) and end (False) of each step."""

    def beat(busy: bool) -> None:
        send({BEAT: bool(busy)})

    return beat
