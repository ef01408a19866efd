"""The re-run policy on its own (hw3.grading.rerun): every branch of the decision, no sandbox.

Each test feeds ``Rerun`` what a run reported (the worker's result and the parsed messages, as
``execute_submission`` does) and checks the next step and the event in words."""

from __future__ import annotations

import signal
from typing import Any

import pytest
from child_messages import outcome

from hw3.cases import wire
from hw3.grading.rerun import MAX_RUNS, Rerun, failure
from hw3.runner.messages import read_messages
from hw3.sandbox import Limits

LIM = Limits(cell_seconds=30, total_seconds=180, cpu_seconds=300, memory_bytes=2 * 2**30)
CELLS = ["a = 1", "b = 2", "c = 3"]


def _ok(i: int, output: str = "") -> list[dict[str, Any]]:
    return [{"cell_start": i}, {"cell_end": i, "status": "ok", "error": "", "output": output}]


def _feed(rerun: Rerun, messages: list[dict[str, Any]], **res: Any) -> None:
    rerun.record(outcome([], **{"exit_code": None, **res}), read_messages(messages, len(CELLS)))


def _kinds(rerun: Rerun) -> list[str]:
    return [e["kind"] for e in rerun.events]


def test_a_run_that_reports_its_end_is_the_last() -> None:
    r = Rerun(CELLS, ["p"], LIM)
    job = r.next_job(out_of_time=False)
    assert job == {"cells": CELLS, "skip": [], "probe_ids": ["p"]}
    _feed(r, [*_ok(0), *_ok(1), *_ok(2), {"probe_start": "p", "group": ["p"]},
              {"probe": "p", "data": "1"}, {"job_end": True}], signal=signal.SIGKILL)
    assert r.done and r.next_job(out_of_time=False) is None
    assert r.probes == {"p": "1"} and r.pending == [] and r.events == [] and r.runs == 1


def test_the_first_run_starts_even_out_of_time() -> None:
    r = Rerun(CELLS, [], LIM)
    assert r.next_job(out_of_time=True) is not None


def test_a_fatal_cell_is_left_out_of_the_next_run() -> None:
    r = Rerun(CELLS, ["p"], LIM)
    r.next_job(False)
    _feed(r, [*_ok(0), {"cell_start": 1}], signal=signal.SIGSEGV)
    assert not r.done
    assert r.culprits == {1: {"status": "crashed",
                              "error": "Crashed the Python kernel (a segmentation fault)."}}
    assert r.events == [{"kind": "kernel_died", "cell": 1, "message": "Cell 2 crashed the Python "
                         "kernel (a segmentation fault); grading went on without it."}]
    assert r.next_job(False) == {"cells": CELLS, "skip": [1], "probe_ids": ["p"]}


def test_the_same_cell_again_means_a_crash_outside_any_cell() -> None:
    # A cell already left out cannot be the culprit again: the crash happened elsewhere.
    r = Rerun(CELLS, [], LIM)
    r.culprits[1] = {"status": "crashed", "error": "x"}
    r.next_job(False)
    _feed(r, [{"cell_start": 1}], exit_code=3)
    assert r.done and _kinds(r) == ["kernel_died"] and r.events[0]["cell"] is None
    assert r.events[0]["message"] == ("The notebook ended the Python kernel (exit code 3) outside "
                                      "of any cell; checks that had not run yet count as failed.")


def test_timeouts_and_memory_reported_by_the_cells_are_events() -> None:
    r = Rerun(CELLS, [], LIM)
    r.next_job(False)
    _feed(r, [{"cell_start": 0}, {"cell_end": 0, "status": "timeout", "error": "CellTimeout"},
              {"cell_start": 1}, {"cell_end": 1, "status": "memory", "error": "MemoryError"},
              {"job_end": True}])
    assert r.events == [
        {"kind": "cell_timeout", "cell": 0,
         "message": "Cell 1 ran longer than 30 s and was stopped; grading went on without it."},
        {"kind": "memory", "cell": 1, "message": "Cell 2 ran out of memory (the limit is 2 GiB); "
                                                 "grading went on without it."},
    ]


def test_out_of_time_inside_a_cell_marks_that_cell() -> None:
    r = Rerun(CELLS, ["p"], LIM)
    r.next_job(False)
    _feed(r, [*_ok(0), {"cell_start": 1}], end="total_timeout")
    assert r.done and r.culprits == {1: {"status": "timeout", "error": "CellTimeout: out of time"}}
    assert r.events == [{"kind": "total_timeout", "cell": 1, "message": (
        "Grading stopped after 180 s: the notebook as a whole took too long. Cells and checks "
        "that had not run yet count as failed.")}]


def test_out_of_time_outside_a_cell() -> None:
    r = Rerun(CELLS, [], LIM)
    r.next_job(False)
    _feed(r, _ok(0), end="total_timeout")
    assert r.done and r.culprits == {} and r.events[0]["cell"] is None


def test_out_of_time_before_a_rerun_stops() -> None:
    r = Rerun(CELLS, [], LIM)
    r.next_job(False)
    _feed(r, [{"cell_start": 0}], signal=signal.SIGKILL)
    assert r.next_job(out_of_time=True) is None
    assert _kinds(r) == ["kernel_died", "total_timeout"] and r.events[1]["cell"] is None


def test_it_gives_up_after_max_runs() -> None:
    r = Rerun(["x"] * 10, [], LIM, max_runs=2)
    for i in range(2):
        assert r.next_job(False) is not None
        r.record(outcome([], exit_code=1),
                 read_messages([{"cell_start": i}], 10))
    assert r.next_job(False) is None and r.runs == 2
    assert r.events[-1] == {"kind": "gave_up", "cell": None, "message": (
        "The notebook kept crashing; grading stopped after 2 attempts and the checks that had "
        "not run yet count as failed.")}
    assert MAX_RUNS == 4


def test_a_crashing_probe_is_marked_and_the_others_run_again() -> None:
    r = Rerun(CELLS, ["a", "b", "c"], LIM)
    r.next_job(False)
    _feed(r, [{"probe_start": "a", "group": ["a"]}, {"probe": "a", "data": "1"},
              {"probe_start": "b", "group": ["b"]}], end="limit", detail="more than 64 processes")
    assert not r.done and r.probes["a"] == "1"
    assert wire.decode(r.probes["b"])["error"] == {
        "type": "Crashed", "message": "This check went over a limit (more than 64 processes) and "
                                      "was stopped."}
    assert r.next_job(False)["probe_ids"] == ["c"]
    assert r.events[-1]["message"] == ("The check b went over a limit (more than 64 processes) "
                                       "and was stopped; the other checks went on.")


def test_the_last_probe_crashing_stops() -> None:
    r = Rerun(CELLS, ["a"], LIM)
    r.next_job(False)
    _feed(r, [{"probe_start": "a", "group": ["a"]}], end="stalled")
    assert r.done and r.pending == [] and _kinds(r) == ["stalled"]


def test_a_broken_runner_is_the_graders_error() -> None:
    r = Rerun(CELLS, [], LIM)
    r.next_job(False)
    _feed(r, [{"cell_start": 0}, {"fatal": "KeyError: 'x'"}], exit_code=72)
    assert r.culprits[0]["error"] == "Broke the grader (KeyError: 'x')."
    assert _kinds(r) == ["grader_error"]


def test_probes_that_cannot_load_say_so_once_per_run() -> None:
    r = Rerun(CELLS, ["a"], LIM)
    r.next_job(False)
    _feed(r, [{"probe_error": "ImportError: x"}, {"job_end": True}])
    assert _kinds(r) == ["probes_unavailable"] and r.done
    assert "this is a problem with the grader" in r.events[0]["message"]


def test_what_the_child_says_of_itself_never_reaches_an_event() -> None:
    # Student code can write these frames with any text (a hidden input, say): students read
    # the events, so they say it in fixed words.
    r = Rerun(CELLS, ["a"], LIM)
    r.next_job(False)
    _feed(r, [{"probe_error": "SECRET-1"}, {"cell_start": 0}, {"fatal": "SECRET-2"}],
          exit_code=72)
    assert "SECRET" not in " ".join(e["message"] for e in r.events)


def test_probe_data_counts_only_for_pending_ids() -> None:
    r = Rerun(CELLS, ["a"], LIM)
    r.probes["a"] = "old"
    r.pending = []
    r.next_job(False)
    _feed(r, [{"probe_start": "a", "group": ["a"]}, {"probe": "a", "data": "new"},
              {"job_end": True}])
    assert r.probes == {"a": "old"}


@pytest.mark.parametrize(("res", "want"), [
    ({"end": "cell_timeout"}, ("cell_timeout", "timeout", "ran longer than 30 s and was stopped")),
    ({"end": "output_limit"}, ("output_limit", "crashed",
                               "sent far too much data back and was stopped")),
    ({"end": "protocol_error"}, ("protocol_error", "crashed",
                                 "interfered with the grader's messages and was stopped")),
    ({"end": "limit", "detail": "d"}, ("limit", "crashed",
                                       "went over a limit (d) and was stopped")),
    ({"end": "zygote_died"}, ("kernel_died", "crashed", "shut down the grading process")),
    ({"end": "stalled"}, ("stalled", "crashed", "stopped responding")),
    ({"signal": signal.SIGXCPU}, ("cpu_limit", "crashed", "used more than 300 s of CPU time")),
    ({"signal": signal.SIGABRT}, ("kernel_died", "crashed",
                                  "crashed the Python kernel (an abort)")),
    ({"signal": 99}, ("kernel_died", "crashed", "crashed the Python kernel (signal 99)")),
    ({"exit_code": 2}, ("kernel_died", "crashed", "ended the Python kernel (exit code 2)")),
    ({"exit_code": 0}, ("kernel_died", "crashed", "ended the Python kernel")),
])
def test_every_way_a_run_can_fail_in_words(res: dict[str, Any], want: tuple[str, str, str]) -> None:
    assert failure(outcome([], **{"exit_code": None, **res}), LIM) == want
