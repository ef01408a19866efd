"""The registries without import cycles or import side effects: one call builds each runner's
registry -- the students' (``hw3.cases.students``: public cases), the sandbox's
(``hw3.hidden.sandbox``: the hidden probes join, without any judge) and the grader's
(``hw3.grading.registry.grader``: every case, its judge and the slip models). ``hw3.cases`` never
imports the grader. Each check of what a process holds runs in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hw3.cases import Case, Crash, Missing, case, checking
from hw3.grading.registry import grader

CASES = grader().cases

_STATE = """
import json, sys
{setup}
print(json.dumps({{
    "ids": list(reg.cases), "hidden": sorted(i for i, c in reg.cases.items() if c.hidden),
    "questions": {{q: [c.id for c in cs] for q, cs in reg.questions.items()}},
    "slips": reg.slips is not None,
    "modules": sorted(m for m in sys.modules if m.startswith("hw3."))}}))
"""


def _state(setup: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", _STATE.format(setup=setup)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def public() -> dict:
    return _state("import hw3.cases; reg = hw3.cases.students()")


@pytest.fixture(scope="module")
def trusted() -> dict:
    return _state("import hw3.grading.registry; reg = hw3.grading.registry.grader()")


def test_the_cases_alone_are_the_public_ones_without_the_grader(public):
    assert public["ids"] and not public["hidden"]
    assert not public["slips"]
    assert not [m for m in public["modules"] if not m.startswith("hw3.cases")]


def test_the_hidden_probes_join_in_the_sandboxs_registry_without_any_judge(public):
    state = _state("import hw3.hidden; reg = hw3.hidden.sandbox()")
    assert state["hidden"] and set(public["ids"]) < set(state["ids"])
    assert not state["slips"]  # the sandbox has the probes: still no slip models there
    assert not [m for m in state["modules"] if m.startswith(("hw3.grading", "hw3.sandbox"))]


def test_importing_the_grader_registers_nothing(public):
    # What a module defines is added only by the call that builds a registry.
    state = _state("import hw3.grading.registry, hw3.hidden, hw3.cases; reg = hw3.cases.students()")
    assert state["ids"] == public["ids"] and not state["hidden"] and not state["slips"]


def test_a_hidden_probe_alone_cannot_judge():
    import hw3.hidden

    assert hw3.hidden.PROBES and all(callable(p) for p in hw3.hidden.PROBES.values())
    probe_only = hw3.hidden.sandbox().cases
    hidden = [c for c in probe_only.values() if c.hidden]
    assert hidden and {c.id for c in hidden} == set(hw3.hidden.PROBES)
    with pytest.raises(RuntimeError):
        hidden[0].judge(None, None)


def test_the_trusted_side_has_every_case_in_the_masters_order_and_the_slips(trusted):
    # This process built the grader's registry too: the same registry, in the same order.
    assert trusted["ids"] == list(CASES)
    assert trusted["slips"]
    for question, ids in trusted["questions"].items():
        assert ids == [i for i in CASES if CASES[i].question == question]


def test_the_registry_follows_a_new_master_and_stays_as_it_was():
    from hw3.cases import declared

    master = declared.load()
    some = next(i for i, c in CASES.items() if c.hidden)
    moved = grader().following({**master, some: {**master[some], "points": 7}})
    assert moved.cases[some].points == 7.0 and moved.slips is grader().slips
    assert CASES[some].points == float(master[some]["points"])


def test_the_judges_see_the_slip_models_only_while_the_graders_registry_judges():
    seen = []
    registry = grader()
    spy = Case(id="spy.slips", points=0, hidden=True, description="",
               probe=lambda env: None,
               judge=lambda got, expected: seen.append(checking.slip_models()) or
               checking.PASS, uses_expected=False)
    assert registry.judge(spy, "null").ok and seen == [registry.slips] and seen[0] is not None
    assert checking.slip_models() is None


def test_a_case_names_every_field():
    with pytest.raises(TypeError):
        Case("sigmoid.values", 2, False, "", lambda env: None,  # positional: refused
             lambda got, expected: checking.PASS)


def test_case_and_its_outcomes_live_in_one_module():
    assert (Case, Missing, Crash) == (case.Case, case.Missing, case.Crash)
