"""The case registry without import cycles: ``hw3.cases`` never imports the grader; the hidden
cases join it when ``hw3.grading.judges`` is imported (their probes alone, in the sandbox, when
``hw3.hidden.register_probes`` runs), and the slip models when the trusted side
(``hw3.grading.registry``) is. Each check runs in a fresh interpreter: this one has them all."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import hw3.grading.registry  # noqa: F401 - this process is the trusted side: every case
from hw3.cases import CASES, Case, Crash, Missing, case

_STATE = """
import json, sys
{setup}
from hw3.cases import CASES, QUESTIONS, checking
print(json.dumps({{
    "ids": list(CASES), "hidden": sorted(i for i, c in CASES.items() if c.hidden),
    "questions": {{q: [c.id for c in cs] for q, cs in QUESTIONS.items()}},
    "slips": checking.slip_models() is not None,
    "modules": sorted(m for m in sys.modules if m.startswith("hw3."))}}))
"""


def _state(setup: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", _STATE.format(setup=setup)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def public() -> dict:
    return _state("import hw3.cases")


@pytest.fixture(scope="module")
def trusted() -> dict:
    return _state("import hw3.grading.registry")


def test_the_cases_alone_are_the_public_ones_without_the_grader(public):
    assert public["ids"] and not public["hidden"]
    assert not public["slips"]
    assert not [m for m in public["modules"] if not m.startswith("hw3.cases")]


def test_the_hidden_probes_join_as_the_sandbox_registers_them_without_any_judge(public):
    state = _state("import hw3.cases, hw3.hidden; hw3.hidden.register_probes()")
    assert state["hidden"] and set(public["ids"]) < set(state["ids"])
    assert not state["slips"]  # the sandbox registers the probes: still no slip models there
    assert not [m for m in state["modules"] if m.startswith(("hw3.grading", "hw3.sandbox"))]


def test_a_hidden_probe_alone_cannot_judge():
    import hw3.hidden
    from hw3.cases import _judged_in_the_grader

    assert hw3.hidden.PROBES and all(callable(p) for p in hw3.hidden.PROBES.values())
    with pytest.raises(RuntimeError):
        _judged_in_the_grader(None, None)


def test_the_trusted_side_has_every_case_in_the_masters_order_and_the_slips(trusted):
    # This process imported the grader too: the same registry, in the same order.
    assert trusted["ids"] == list(CASES)
    assert trusted["slips"]
    for question, ids in trusted["questions"].items():
        assert ids == [i for i in CASES if CASES[i].question == question]


def test_the_registry_follows_a_new_master_after_hidden_cases_joined():
    from hw3.cases import declared, use_master

    master = declared.load()
    some = next(i for i, c in CASES.items() if c.hidden)
    try:
        use_master({**master, some: {**master[some], "points": 7}})
        assert CASES[some].points == 7.0
    finally:
        use_master(master)
    assert CASES[some].points == float(master[some]["points"])


def test_case_and_its_outcomes_live_in_one_module():
    assert (Case, Missing, Crash) == (case.Case, case.Missing, case.Crash)
