"""The child-side runner (in a plain fork, no sandbox) and the re-run policy (scripted worker)."""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from collections.abc import Mapping
from typing import Any

import pytest
from child_messages import cell_ok as _ok
from child_messages import outcome as _res

from hw3.cases import wire
from hw3.grading.execute import execute_submission
from hw3.runner.job import run_job
from hw3.sandbox import BEAT, FrameReader, Limits, ProtocolError, RunOutcome, encode_frame
from hw3.sandbox.frames import make_beat

# ----------------------------------------------------------------------------- run_job


def _fake_runner(ids: list[str], ns: Mapping[str, Any]) -> dict[str, str]:
    out = {}
    for case_id in ids:
        if case_id == "hang":
            while True:
                pass
        if case_id == "raises":
            raise ValueError("broken probe")
        if case_id == "chatty":
            print("noise " * 1000)
        out[case_id] = wire.encode({"value": ns.get("x")})
    return out


def run_job_in_fork(job: dict[str, Any], cell_seconds: float = 1.0,
                    beats: bool = False) -> list[dict[str, Any]]:
    """run_job in a forked child (it changes signals, stdio and cwd), messages back."""
    workdir = tempfile.mkdtemp(prefix="hw3-runjob-")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            os.close(r)

            def send(obj: dict[str, Any]) -> None:
                os.write(w, encode_frame(obj))

            run_job(
                job,
                send,
                cell_seconds=cell_seconds,
                max_output_bytes=100,
                workdir=workdir,
                probe_runner=_fake_runner,
                beat=make_beat(send) if beats else None,
            )
        finally:
            os._exit(0)
    os.close(w)
    reader = FrameReader()
    messages: list[dict[str, Any]] = []
    while chunk := os.read(r, 1 << 16):
        messages += reader.feed(chunk)
    os.close(r)
    os.waitpid(pid, 0)
    os.rmdir(workdir)
    return messages


def test_run_job_cells_and_probes() -> None:
    t0 = time.monotonic()
    msgs = run_job_in_fork(
        {
            "cells": ["x = 41", "skipped = 1", "x += 1\nprint('a' * 500)", "while True: pass"],
            "skip": [1],
            "probe_ids": ["ok", "hang", "raises", "chatty"],
        }
    )
    ends = {m["cell_end"]: m for m in msgs if "cell_end" in m}
    assert sorted(ends) == [0, 2, 3]  # cell 1 skipped: no messages at all
    assert ends[2]["status"] == "ok" and "characters of output were dropped" in ends[2]["output"]
    assert ends[3]["status"] == "timeout" and ends[3]["error"].startswith("CellTimeout")
    probes = {m["probe"]: wire.decode(m["data"]) for m in msgs if "probe" in m}
    assert probes["ok"] == {"value": 42}  # the state after the timed-out cell
    assert probes["hang"]["error"]["type"] == "Timeout"
    assert probes["raises"]["error"]["type"] == "ValueError"
    assert probes["raises"]["error"]["message"] == "ValueError: broken probe"
    assert probes["chatty"] == {"value": 42}  # its printing is dropped
    assert msgs[-1] == {"job_end": True}
    # Two 1 s timeouts and IPython's first cell take 2-3 s on an idle machine; the bound is
    # there to show both stops happened, with a 20x margin for a loaded CI machine.
    assert time.monotonic() - t0 < 60


def test_run_job_probe_groups_are_reported_per_id() -> None:
    msgs = run_job_in_fork({"cells": ["x = 1"], "skip": [], "probe_ids": ["a", "b"]})
    starts = [m for m in msgs if "probe_start" in m]
    assert [s["group"] for s in starts] == [["a"], ["b"]]  # unknown ids: one at a time


def test_run_job_beats_around_every_step() -> None:
    # The worker's step clock: a beat starts each cell and probe group, another ends it.
    msgs = run_job_in_fork({"cells": ["x = 1", "y = 2"], "skip": [1], "probe_ids": ["a", "b"]},
                           beats=True)
    shape = [("beat", m[BEAT]) if BEAT in m else next(iter(m)) for m in msgs]
    assert shape == [("beat", True), "cell_start", "cell_end", ("beat", False),
                     ("beat", True), "probe_start", "probe", ("beat", False),
                     ("beat", True), "probe_start", "probe", ("beat", False), "job_end"]


# ----------------------------------------------------------------------------- the policy


class ScriptedWorker:
    """Stands in for a Worker: each run returns the next scripted result."""

    def __init__(self, script: list[RunOutcome], limits: Limits | None = None) -> None:
        self.script = list(script)
        self.jobs: list[dict[str, Any]] = []
        self.limits = limits or Limits(cell_seconds=30, total_seconds=180)
        self.isolation = "scripted"

    def start(self) -> str:
        return self.isolation

    def run(self, job: dict[str, Any], *, deadline: float | None = None) -> RunOutcome:
        self.jobs.append({k: list(v) for k, v in job.items()})
        return self.script.pop(0)


def _execute(w: ScriptedWorker, cells: list[str], probes: list[str]) -> dict[str, Any]:
    """execute_submission on the scripted worker, its result as plain data."""
    return dataclasses.asdict(execute_submission(w, cells, probes))  # type: ignore[arg-type]


def test_crash_in_a_cell_reruns_without_it() -> None:
    w = ScriptedWorker(
        [
            _res([*_ok(0), {"cell_start": 1}], signal=11, exit_code=None),
            _res(
                [
                    *_ok(0),
                    *_ok(2),
                    {"probe_start": "a", "group": ["a"]},
                    {"probe": "a", "data": "1"},
                    {"job_end": True},
                ]
            ),  # fmt: skip
        ]
    )
    res = _execute(w, ["a", "b", "c"], ["a"])
    assert w.jobs[1]["skip"] == [1]
    assert [c["status"] for c in res["cells"]] == ["ok", "crashed", "ok"]
    assert res["probes"] == {"a": "1"}
    assert res["runs"] == 2
    assert res["events"] == [
        {
            "kind": "kernel_died",
            "cell": 1,
            "message": "Cell 2 crashed the Python kernel (a segmentation fault); "
            "grading went on without it.",
        }
    ]


def test_crash_in_a_probe_marks_it_and_probes_the_rest() -> None:
    w = ScriptedWorker(
        [
            _res(
                [
                    *_ok(0),
                    {"probe_start": "a", "group": ["a"]},
                    {"probe": "a", "data": "1"},
                    {"probe_start": "b", "group": ["b", "c"]},
                ],
                exit_code=1,
            ),  # fmt: skip
            _res(
                [
                    *_ok(0),
                    {"probe_start": "d", "group": ["d"]},
                    {"probe": "d", "data": "4"},
                    {"job_end": True},
                ]
            ),  # fmt: skip
        ]
    )
    res = _execute(w, ["x"], ["a", "b", "c", "d"])
    assert w.jobs[1]["probe_ids"] == ["d"]
    assert res["probes"]["a"] == "1" and res["probes"]["d"] == "4"
    for crashed in ("b", "c"):
        got = wire.decode(res["probes"][crashed])
        assert got["error"]["type"] == "Crashed"
    assert [e["kind"] for e in res["events"]] == ["kernel_died"]


def test_events_are_not_repeated_by_reruns() -> None:
    slow = [{"cell_start": 0}, {"cell_end": 0, "status": "timeout", "error": "CellTimeout"}]
    w = ScriptedWorker(
        [
            _res([*slow, {"cell_start": 1}], exit_code=1),
            _res([*slow, *_ok(2), {"job_end": True}]),
        ]
    )
    res = _execute(w, ["a", "b", "c"], [])
    assert [(e["kind"], e["cell"]) for e in res["events"]] == [
        ("cell_timeout", 0),
        ("kernel_died", 1),
    ]
    assert [c["status"] for c in res["cells"]] == ["timeout", "crashed", "ok"]


def test_gives_up_after_a_few_runs() -> None:
    script = [_res([*_ok(0), {"cell_start": i}], exit_code=1) for i in range(1, 6)]
    w = ScriptedWorker(script)
    res = _execute(w, [f"c{i}" for i in range(6)], ["a"])
    assert res["runs"] == 4
    assert [c["status"] for c in res["cells"]] == [
        "ok", "crashed", "crashed", "crashed", "crashed", "skipped",
    ]  # fmt: skip
    assert res["probes"] == {}
    assert [e["kind"] for e in res["events"]][-1] == "gave_up"


def test_garbage_messages_are_ignored() -> None:
    w = ScriptedWorker(
        [
            _res(
                [
                    {"cell_end": "0", "status": "ok"},
                    {"cell_end": 99, "status": "ok"},
                    {"cell_end": 0, "status": "pwned"},
                    {"probe": 5, "data": "x"},
                    {"probe": "zz", "data": "not asked for"},
                    {"cell_start": 0},
                    {"cell_end": 0, "status": "ok", "error": 7, "output": "\ud800"},
                    {"job_end": True},
                ]
            )
        ]
    )
    res = _execute(w, ["x"], ["a"])
    assert res["cells"] == [{"index": 0, "status": "ok", "error": "", "output": "?"}]
    assert res["probes"] == {}


def test_total_timeout_stops_at_once() -> None:
    w = ScriptedWorker([_res([*_ok(0), {"cell_start": 1}], end="total_timeout")])
    res = _execute(w, ["a", "b", "c"], ["a"])
    assert res["runs"] == 1
    assert [c["status"] for c in res["cells"]] == ["ok", "timeout", "skipped"]
    assert [e["kind"] for e in res["events"]] == ["total_timeout"]


# ----------------------------------------------------------------------------- framing


def test_frame_reader_splits_and_caps() -> None:
    data = encode_frame({"a": 1}) + encode_frame({"b": [1, 2]})
    reader = FrameReader()
    assert reader.feed(data[:3]) == []
    assert reader.feed(data[3:]) == [{"a": 1}, {"b": [1, 2]}]
    with pytest.raises(ProtocolError):
        FrameReader(max_message=10).feed(encode_frame({"x": "y" * 20}))
    with pytest.raises(ProtocolError, match="output_limit"):
        FrameReader(max_total=100).feed(b"\0" * 101)
    for bad in (b"[1, 2]", b"not json", b"[" * 100_000 + b"]" * 100_000, b"\xff\xfe"):
        with pytest.raises(ProtocolError):
            FrameReader(max_message=1 << 20).feed(len(bad).to_bytes(4, "big") + bad)
