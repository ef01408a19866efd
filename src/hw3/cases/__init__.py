"""Every test case of the assignment, defined once as a probe and a judge.

A case's **probe** runs beside the student's code (in the student's kernel under Otter, in the
sandboxed child under ``hw3 grade``): it calls the student's names on fixed inputs and returns
plain data only (see ``hw3.wire``). Its **judge** runs where the grade is decided: it compares
that data with what the same probe returned on the reference solution (recorded by ``hw3 build``
in ``hw3/data/expected_*.json``) and returns a verdict a student understands.

Two runners use the same cases:
- Otter: each test cell of the master notebook calls ``check(case_id, env)``, which probes and
  judges in the student's kernel and raises ``AssertionError`` with the verdict's message.
- ``hw3 grade``: the child calls ``run_probes`` and sends the encoded data back; the trusted
  parent decodes it and calls ``judge``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from .. import wire
from ..checking import Verdict

Probe = Callable[[Mapping[str, Any]], Any]
Judge = Callable[[Any, Any], Verdict]


@dataclass(frozen=True)
class Case:
    """One test case: a property of one question, worth ``points``."""

    id: str  # "<question>.<property>", e.g. "sigmoid.stable"
    question: str
    points: float
    hidden: bool
    description: str  # the property checked, in words a student understands
    probe: Probe
    judge: Judge

    @property
    def visibility(self) -> str:
        return "hidden" if self.hidden else "public"


class Missing(Exception):
    """A name the probe needs is not defined in the student's notebook."""


def _registry() -> dict[str, Case]:
    from . import activations, numpy_net, theory, torch_train

    cases: dict[str, Case] = {}
    for module in (theory, numpy_net, activations, torch_train):
        for case in module.CASES:
            if case.id in cases:
                raise ValueError(f"duplicate case id {case.id}")
            cases[case.id] = case
    return cases


# Points, visibility and order come from the master notebook (hw3/cases/master.json, written
# by `hw3 build`); the Python definitions give the probes, the judges and defaults.
CASES: dict[str, Case] = {}
# question -> its cases, in the order of the master's tests
QUESTIONS: dict[str, list[Case]] = {}


def use_master(master: Mapping[str, Mapping[str, Any]]) -> None:
    """Make the registry follow ``master`` (see ``hw3.cases.declared``), in place."""
    from . import declared

    cases = declared.apply(_registry(), master)
    CASES.clear()
    CASES.update(cases)
    QUESTIONS.clear()
    for case in CASES.values():
        QUESTIONS.setdefault(case.question, []).append(case)


def _use_recorded_master() -> None:
    from . import declared

    use_master(declared.load())


_use_recorded_master()


# ----------------------------------------------------------------------------- probing


def run_probe(case: Case, env: Mapping[str, Any]) -> Any:
    """Run one probe; an error in the student's code becomes plain data for the judge."""
    try:
        return case.probe(env)
    except Missing as e:
        return {"error": {"type": "Missing", "message": str(e)}}
    except BaseException as e:  # noqa: BLE001 - anything the student's code raises is data
        if isinstance(e, KeyboardInterrupt):
            raise
        return {"error": {"type": type(e).__name__, "message": _safe_str(e)}}


def _safe_str(e: BaseException) -> str:
    try:
        return str(e)[:500]
    except BaseException:  # noqa: BLE001 - a hostile __str__
        return "(the error could not be shown)"


def run_probes(ids: Iterable[str], env: Mapping[str, Any]) -> dict[str, str]:
    """Probe every case in ``ids``; returns each case's encoded plain data (JSON text)."""
    out: dict[str, str] = {}
    seen: dict[Probe, str] = {}  # cases that share a probe share its run
    for case_id in ids:
        probe = CASES[case_id].probe
        if probe not in seen:
            data = run_probe(CASES[case_id], env)
            try:
                seen[probe] = wire.encode(data)
            except wire.WireError as e:
                seen[probe] = wire.encode({"error": {"type": "NotPlainData", "message": str(e)}})
        out[case_id] = seen[probe]
    return out


# ----------------------------------------------------------------------------- judging


def load_expected() -> dict[str, Any]:
    """Expected data recorded from the reference solution, decoded; public and, where shipped,
    hidden cases."""
    expected: dict[str, Any] = {}
    data = resources.files("hw3") / "data"
    for name in ("expected_public.json", "expected_hidden.json"):
        f = data / name
        if f.is_file():
            for case_id, text in json.loads(f.read_text()).items():
                expected[case_id] = wire.decode(text)
    return expected


def judge(case: Case, got_text: str | None, expected: Mapping[str, Any]) -> Verdict:
    """Judge one case from the encoded data its probe returned (None: the probe never ran)."""
    if case.id not in expected:
        raise KeyError(f"no expected data for {case.id}: rebuild with `hw3 build`")
    if got_text is None:
        return Verdict.fail("This check could not run: your notebook stopped before it.")
    try:
        got = wire.decode(got_text)
    except wire.WireError as e:
        return Verdict.fail(f"The values your code returned could not be read ({e}).")
    if isinstance(got, dict) and set(got) == {"error"} and isinstance(got["error"], dict):
        from ..hints import explain_error

        return Verdict.fail(*explain_error(case, got["error"]))
    try:
        return case.judge(got, expected[case.id])
    except Exception as e:  # noqa: BLE001 - odd data must cost this case only, not the batch
        return Verdict.fail(f"Your answer has an unexpected form ({type(e).__name__}).")


def feedback(case: Case, verdict: Verdict) -> str:
    """What a student may read about a case: a hidden case names its property and a hint only,
    never its inputs or expected values."""
    if verdict.ok:
        return ""
    hint = f" Hint: {verdict.hint}" if verdict.hint else ""
    if case.hidden:
        return f"Hidden test failed: {case.description}.{hint}"
    return f"{verdict.message}{hint}"


_EXPECTED: dict[str, Any] | None = None


def check(case_id: str, env: Mapping[str, Any]) -> None:
    """Otter's entry point: probe and judge one case in this kernel; fail with a plain message."""
    global _EXPECTED
    if _EXPECTED is None:
        _EXPECTED = load_expected()
    case = CASES[case_id]
    got_text = run_probes([case_id], env)[case_id]
    verdict = judge(case, got_text, _EXPECTED)
    if not verdict.ok:
        raise AssertionError(feedback(case, verdict))
