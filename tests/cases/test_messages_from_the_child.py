"""Messages from the sandboxed child are checked in order and capped
(hw3.runner.messages.read_messages): a forged frame cannot rewrite a cell or a probe, and nothing
kept is larger than its cap."""

from __future__ import annotations

from child_messages import OneRun, cells_printing

from hw3.grading.execute import execute_submission
from hw3.runner.messages import MAX_ERROR_CHARS, MAX_OUTPUT_CHARS, MAX_OUTPUTS_CHARS
from hw3.runner.messages import read_messages as _parse
from hw3.sandbox import FrameReader, ProtocolError, encode_frame


def test_the_first_cell_end_of_a_started_cell_wins():
    got = _parse([
        {"cell_start": 0},
        {"cell_end": 0, "status": "ok", "error": "", "output": "real"},
        {"cell_end": 0, "status": "timeout", "error": "forged", "output": "forged"},
        {"cell_start": 0},  # a cell does not start twice
        {"cell_end": 0, "status": "error", "error": "forged", "output": "forged"},
        {"cell_end": 1, "status": "ok", "output": "never started"},
        {"cell_start": 2},
        {"cell_end": 2, "status": "ok", "error": "", "output": "x" * 60_000_000},
        {"cell_end": 2, "status": "ok", "error": "", "output": "the real one, too late"},
    ], 3)
    assert got.cells[0].output == "real"
    assert 1 not in got.cells
    out = got.cells[2].output
    assert len(out) < MAX_OUTPUT_CHARS + 200 and out.endswith("characters here]")


def test_probes_count_only_for_the_running_group_and_once():
    got = _parse([
        {"probe": "a", "data": "forged before any probe"},
        {"probe_start": "a", "group": ["a", "b"]},
        {"probe": "a", "data": "1"},
        {"probe": "c", "data": "not in the group"},
        {"probe": "a", "data": "forged again"},
        {"probe": "b", "data": "2"},
        {"probe": "b", "data": "after the group ended"},
    ], 0)
    assert got.probes == {"a": "1", "b": "2"}


def test_errors_and_probe_data_are_capped():
    got = _parse([
        {"cell_start": 0},
        {"cell_end": 0, "status": "error", "error": "e" * 10**6, "output": ""},
        {"probe_start": "a", "group": ["a"]},
        {"probe": "a", "data": "[" * (17 * 2**20)},
        {"probe_error": "p" * 10**6},
        {"fatal": "f" * 10**6},
    ], 1)
    assert len(got.cells[0].error) < MAX_ERROR_CHARS + 200
    assert "too large" in got.probes["a"] and len(got.probes["a"]) < 200
    assert len(got.probe_error) < MAX_ERROR_CHARS + 200
    assert len(got.fatal) < MAX_ERROR_CHARS + 200


def test_outputs_of_a_whole_notebook_are_capped():
    n = 100
    res = execute_submission(OneRun(cells_printing(["o" * 100_000] * n)), ["x"] * n, [])
    kept = sum(len(c.output) for c in res.cells)
    assert kept < MAX_OUTPUTS_CHARS + 200 * n


def test_a_frame_of_many_containers_is_refused_before_parsing():
    reader = FrameReader()
    flood = b'{"probe": "a", "data": "' + b"[]," * 4_000_000 + b'"}'
    try:
        reader.feed(len(flood).to_bytes(4, "big") + flood)
    except ProtocolError as e:
        assert "too complex" in str(e)
    else:
        raise AssertionError("a flood of lists was parsed")
    assert FrameReader().feed(encode_frame({"cell_start": 0})) == [{"cell_start": 0}]
