"""The judges' budget (hw3.grading.judging): a judge that never ends, allocates without bound or
kills its process is stopped and costs only its own case; the cases around it are judged as
usual."""

from __future__ import annotations

import time

import pytest

from hw3.grading.judging import MAX_HINT, MAX_MESSAGE, Budget, JudgePool, Judges

IDS = ["before", "loops", "middle", "eats", "dies", "long", "after"]


@pytest.fixture(scope="module")
def judged():
    # Generous seconds: the process must not be stopped for being slow on a loaded machine,
    # only for never ending. 512 MiB of address space: far above what a right judge needs.
    budget = Budget(case_seconds=3.0, submission_seconds=60.0, memory_bytes=2**29)
    with Judges(budget, cases="tests.grading._budget_cases") as judges:
        probes = {case_id: "right" for case_id in IDS}
        verdicts, notes = judges.judge_all(probes, IDS)
        again, _ = judges.judge_all(probes, ["before", "after"])
        return {"verdicts": verdicts, "notes": notes, "again": again,
                "restarts": judges.restarts}


def test_a_judge_that_never_ends_is_stopped_and_fails_with_a_message(judged):
    v = judged["verdicts"]["loops"]
    assert not v.ok and "took longer than 3 s" in v.message


def test_a_judge_that_allocates_without_bound_is_stopped(judged):
    v = judged["verdicts"]["eats"]
    assert not v.ok and "stopped" in v.message


def test_a_judge_that_kills_its_process_costs_only_its_case(judged):
    assert not judged["verdicts"]["dies"].ok


def test_the_other_cases_are_judged_as_usual(judged):
    assert all(judged["verdicts"][c].ok for c in ("before", "middle", "after"))
    assert all(v.ok for v in judged["again"].values())  # the restarted process serves on
    assert judged["restarts"] == 3
    assert len(judged["notes"]) == 3 and all("stopped" in n for n in judged["notes"])


def test_messages_from_the_judge_process_are_capped(judged):
    v = judged["verdicts"]["long"]
    assert len(v.message) <= MAX_MESSAGE and len(v.hint) <= MAX_HINT


def test_the_submission_budget_fails_every_case_left():
    budget = Budget(case_seconds=2.0, submission_seconds=2.0, memory_bytes=2**29)
    with Judges(budget, cases="tests.grading._budget_cases") as judges:
        verdicts, notes = judges.judge_all({}, ["loops", "before", "after"])
    assert set(verdicts) == {"loops", "before", "after"}
    assert not any(v.ok for v in verdicts.values())
    assert "2 s in all" in notes[-1]


@pytest.mark.slow  # over 5 s here (--durations)
def test_an_overrun_in_one_thread_does_not_hold_up_another():
    import threading

    budget = Budget(case_seconds=5.0, submission_seconds=5.0, memory_bytes=2**29)
    pool = JudgePool(2, budget, busy_seconds=0.5, cases="tests.grading._budget_cases")
    try:
        pool.judge_all({}, ["before"])  # the first process is up
        slow = threading.Thread(target=pool.judge_all, args=({}, ["loops"]))
        slow.start()
        while not pool.busy:  # the endless case holds the first process
            time.sleep(0.01)
        verdicts, _ = pool.judge_all({"after": "right"}, ["after"])
        processes = pool.processes
        slow.join()
    finally:
        pool.close()
    assert verdicts["after"].ok
    assert processes == 2  # a second process judged it, without waiting for the overrun


@pytest.mark.slow  # over 5 s here (--durations)
def test_real_judges_in_their_process_give_the_verdicts_judged_here():
    from hw3.cases import wire
    from hw3.grading.registry import grader

    registry = grader()
    CASES, judge, expected = registry.cases, registry.judge, dict(registry.expected)  # noqa: N806
    # Form cases record no expected data: they are judged on a missing answer, alike both ways.
    probes = {c: wire.encode(expected.get(c)) for c in CASES}
    probes["sigmoid.values"] = wire.encode({"error": {"type": "ValueError", "message": "no"}})
    here = {c: judge(CASES[c], probes[c], expected) for c in CASES}
    pool = JudgePool(2)
    try:
        there, notes = pool.judge_all(probes, list(CASES))
    finally:
        pool.close()
    assert there == here and not notes
    assert not there["sigmoid.values"].ok
