"""Every test case of the assignment, defined once as a probe and a judge: the registry.

A case's **probe** runs beside the student's code (in the student's kernel under Otter, in the
sandboxed child under ``hw3 grade``): it calls the student's names on fixed inputs and returns
plain data only (see ``hw3.cases.wire``). Its **judge** runs where the grade is decided: it compares
that data with what the same probe returned on the reference solution (recorded by ``hw3 build``
in ``hw3/cases/expected_public.json`` and, grader-only, ``hw3/grading/expected_hidden.json``) and
returns a verdict a student understands. ``Case`` itself lives in ``hw3.cases.case``.

This package holds the **public** cases (the students' checks carry it: ``hw3_checks.zip`` is
this package, see ``hw3.build.products``): public inputs only, and public theory cases check
only the form of an answer. The hidden cases, with their inputs, live in ``hw3.hidden``,
grader-only, which imports this package and adds its cases with ``register`` when it is
imported: this package never imports it (only Otter's ``check`` looks it up by name, see there).

Two runners use the same cases:
- Otter: each test cell of the master notebook calls ``check(case_id, env)``, which probes and
  judges in the student's kernel and raises ``AssertionError`` with the verdict's message.
- ``hw3 grade``: the child calls ``run_probes`` and sends the encoded data back; the trusted
  parent decodes it and calls ``judge`` (``hw3.grading``).
"""

from __future__ import annotations

import importlib
import json
import sys
import warnings
from collections.abc import Iterable, Mapping
from importlib import resources
from types import ModuleType
from typing import Any

from hw3.cases import vocabulary, wire
from hw3.cases.case import Case, Crash, Judge, Missing, Probe, _safe_str
from hw3.cases.checking import Verdict

__all__ = ["CASES", "QUESTIONS", "Case", "CheckFailed", "Crash", "Judge", "Missing", "Probe",
           "check", "feedback", "judge", "load_public_expected", "read_expected", "register",
           "register_probes", "run_probe", "run_probes", "type_mismatch", "use_master"]

# The expected data's files, as paths inside the hw3 package: the public one ships with these
# checks; the hidden one sits in the grader-only package (absent from the students' copy and
# never bound into the sandbox).
EXPECTED_PUBLIC = "cases/expected_public.json"
EXPECTED_HIDDEN = "grading/expected_hidden.json"
# The grader's view of the cases: importing it registers the hidden cases (``register``) and
# hands the slip models to the judges (``checking.use_slips``), so hints name known slips.
GRADER_CASES = "hw3.grading.registry"


def _public_modules() -> tuple[ModuleType, ...]:
    from hw3.cases import activations, numpy_net, theory, torch_train

    return (theory, numpy_net, activations, torch_train)


# Modules whose CASES the registry holds, in order: the public ones, then whatever registered.
_MODULES: list[ModuleType] = []


def _registry() -> dict[str, Case]:
    cases: dict[str, Case] = {}
    for module in _MODULES:
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
_MASTER: dict[str, Mapping[str, Any]] = {}


def use_master(master: Mapping[str, Mapping[str, Any]]) -> None:
    """Make the registry follow ``master`` (see ``hw3.cases.declared``), in place."""
    from hw3.cases import declared

    _MASTER.clear()
    _MASTER.update(master)
    cases = declared.apply(_registry(), master)
    CASES.clear()
    CASES.update(cases)
    QUESTIONS.clear()
    for case in CASES.values():
        QUESTIONS.setdefault(case.question, []).append(case)


def register(modules: Iterable[ModuleType]) -> None:
    """Add each module's ``CASES`` to the registry (after those already there), in place: how
    the grader-only ``hw3.hidden`` joins the public cases when it is imported."""
    new = [m for m in modules if m not in _MODULES]
    if new:
        _MODULES.extend(new)
        use_master(dict(_MASTER))


def _judged_in_the_grader(got: Any, expected: Any) -> Verdict:
    raise RuntimeError("a hidden case is judged by the grader (hw3.grading.judges), not here")


class _Probes:
    """A module-like holder of probe-only cases (see ``register_probes``)."""

    def __init__(self, probes: Mapping[str, Probe]) -> None:
        self.CASES = [Case(case_id, case_id.split(".")[0], 0.0, True, "", probe,
                           _judged_in_the_grader) for case_id, probe in probes.items()]


def register_probes(probes: Mapping[str, Probe]) -> None:
    """Add hidden cases by their probes alone: the sandbox's view of them (``hw3.hidden``), where
    the probes run and nothing is judged. Their judges never enter the sandbox."""
    if not any(isinstance(m, _Probes) for m in _MODULES):
        _MODULES.append(_Probes(probes))  # type: ignore[arg-type]
        use_master(dict(_MASTER))


def _use_recorded_master() -> None:
    from hw3.cases import declared

    _MODULES[:] = _public_modules()
    use_master(declared.load())


_use_recorded_master()


# ----------------------------------------------------------------------------- probing


def run_probe(case: Case, env: Mapping[str, Any]) -> Any:
    """Run one probe; an error in the student's code becomes plain data for the judge."""
    try:
        return case.probe(env)
    except Missing as e:
        return {"error": {"type": "Missing", "message": str(e)}}
    except BaseException as e:
        if isinstance(e, KeyboardInterrupt):
            raise
        return {"error": {"type": type(e).__name__, "message": _safe_str(e)}}


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


def read_expected(*paths: str) -> dict[str, Any]:
    """The expected data in the files at ``paths`` (inside the hw3 package), decoded; a file
    this copy of the package does not hold is skipped."""
    expected: dict[str, Any] = {}
    package = resources.files("hw3")
    for path in paths:
        f = package.joinpath(*path.split("/"))
        if f.is_file():
            for case_id, text in json.loads(f.read_text()).items():
                expected[case_id] = wire.decode(text)
    return expected


def load_public_expected() -> dict[str, Any]:
    """The public cases' expected data (what the students' checks carry)."""
    return read_expected(EXPECTED_PUBLIC)


def judge(case: Case, got_text: str | None, expected: Mapping[str, Any]) -> Verdict:
    """Judge one case from the encoded data its probe returned (None: the probe never ran)."""
    if case.uses_expected and case.id not in expected:
        raise KeyError(f"no expected data for {case.id}: rebuild with `hw3 build`")
    if got_text is None:
        return Verdict.fail("This check could not run: your notebook stopped before it.")
    try:
        got = wire.decode(got_text)
    except wire.WireError as e:
        return Verdict.fail(f"The values your code returned could not be read ({e}).")
    if isinstance(got, dict) and set(got) == {"error"} and isinstance(got["error"], dict):
        from hw3.cases.hints import explain_error

        message, hint = explain_error(case, got["error"])
        return Crash(False, message, hint, str(got["error"].get("type", "Error"))[:80])
    want = expected[case.id] if case.uses_expected else None
    try:
        verdict = case.judge(got, want)
    except Exception as e:  # noqa: BLE001 - odd data must cost this case only, not the batch
        verdict = Verdict.fail(f"Your answer has an unexpected form ({type(e).__name__}).")
    if not verdict.ok and case.hidden:
        # A hidden case shows its hint only: a type problem is said there, as in public.
        mismatch = type_mismatch(got, want)
        if mismatch:
            return Verdict.fail(verdict.message, mismatch)
    return verdict


_KINDS = vocabulary.KINDS


def _kind(value: Any) -> str:
    import numpy as np

    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return "number" if value.ndim == 0 else "array"  # a 0-d array is a NumPy number
    if isinstance(value, (bool, int, float, np.generic)):
        return "number"
    if isinstance(value, (list, tuple)):
        return type(value).__name__
    if isinstance(value, str):
        return "str"
    if isinstance(value, dict):
        return "dict"
    return "other"


# Keys of probe data that are not what the student's function returned.
_NOT_RETURNED = {"changed", "warnings", "own", "composition", "drawn", "raised", "weights"}


def type_mismatch(got: Any, want: Any) -> str:
    """A sentence on the first place where ``got`` has another type or length than ``want``
    (the reference's data), or "" if they agree in form. Lists and tuples count alike."""
    mine, right = _kind(got), _kind(want)
    if right == "dict" and mine == "dict":
        return next((m for k in want if k in got and k not in _NOT_RETURNED
                     for m in [type_mismatch(got[k], want[k])] if m), "")
    if {mine, right} <= {"list", "tuple"}:
        if len(got) != len(want):
            return f"your function returned a sequence of {len(got)} item(s) where " \
                   f"{len(want)} are expected."
        return next((m for g, w in zip(got, want) for m in [type_mismatch(g, w)] if m), "")
    if mine != right and right in _KINDS and mine != "dict":
        if got is None:
            return "your function returned None: did you forget a `return`?"
        return f"your function returned {_KINDS.get(mine, 'something else')} where " \
               f"{_KINDS[right]} is expected."
    return ""


def feedback(case: Case, verdict: Verdict, graded: bool = False) -> str:
    """What a student may read about a case.

    A public case in the student's own kernel (``grader.check``: public inputs only) says its
    verdict in full. Anything else is about a run that had hidden inputs within the student's
    code's reach: a hidden case anywhere, and every case of a graded run (``graded``: the
    sandbox holds the hidden probes and their inputs beside the student's code). That text
    speaks from a fixed vocabulary (``hw3.cases.vocabulary``): the case's description, a hint
    only if it is one of the checks' own sentences, the exception only if Python defines it;
    never an input, an expected value, or a word the student's code chose."""
    if verdict.ok:
        return ""
    if not case.hidden and not graded:
        hint = f" Hint: {verdict.hint}" if verdict.hint else ""
        return f"{verdict.message}{hint}"
    hint = vocabulary.fixed(verdict.hint)
    hint = f" Hint: {hint}" if hint else ""
    kind = "Hidden" if case.hidden else "Public"
    if isinstance(verdict, Crash):
        if verdict.error_type == "Missing":
            said = vocabulary.missing_message(verdict.message.rstrip("."), set(QUESTIONS))
            said = said or "a function it needs is not defined (or is not a function)"
            return f"{kind} test could not run ({case.description}): {said}.{hint}"
        if verdict.error_type == "Timeout":
            return f"{kind} test stopped ({case.description}): your code ran too long.{hint}"
        return f"{kind} test crashed ({case.description}): your code raised " \
               f"{vocabulary.exception_name(verdict.error_type)}.{hint}"
    if case.hidden:
        return f"Hidden test failed: {case.description}.{hint}"
    return f"Public test failed: {case.description}. Run its grader.check cell in your " \
           f"notebook for the details.{hint}"


_EXPECTED: dict[str, Any] | None = None
_GRADED = False  # this kernel holds the grader's side (Otter's own run of the autograder zip)


class CheckFailed(AssertionError):
    """A case failed under Otter; its text is all the student needs to read."""


def check(case_id: str, env: Mapping[str, Any]) -> None:
    """Otter's entry point: probe and judge one case in this kernel; fail with a plain message."""
    global _EXPECTED, _GRADED
    if _EXPECTED is None:
        _GRADED = _grader_side()
        _EXPECTED = _load_for_otter()
    _plain_otter_messages()
    _final_state_under_otter()
    case = CASES[case_id]
    # The checks' own warnings (PyTorch's, NumPy's) are not the student's business; what the
    # student's code warns is recorded where a case needs it (probing.call_quietly).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got_text = run_probes([case_id], env)[case_id]
        verdict = judge(case, got_text, _variant_expected(env))
    if not verdict.ok:
        raise CheckFailed(feedback(case, verdict, graded=_GRADED))


def _variant_expected(env: Mapping[str, Any]) -> dict[str, Any]:
    """The expected data for the notebook's own ``STUDENT_ID`` (Otter's own run of the
    autograder zip has no other id): the grader's side computes the variant's answers; the
    students' copy has none and checks form only."""
    assert _EXPECTED is not None
    student_id = env.get("STUDENT_ID")
    if not _GRADED or not isinstance(student_id, str) or not student_id.strip():
        return _EXPECTED
    return importlib.import_module(GRADER_CASES).expected_with(_EXPECTED, student_id[:200])


def _load_for_otter() -> dict[str, Any]:
    """What ``check`` judges with. The students' copy of the package: the public cases and
    their data. The autograder's copy (Otter's own run of the autograder zip, whose
    files/hw3_checks.zip is the whole package) also runs the hidden tests here: where this copy
    holds the grader's side, it is looked up by name: the hidden cases register themselves, the
    judges get the slip models (as they always had there) and the hidden data is read beside
    them. Nothing here imports them otherwise."""
    _grader_side()
    return read_expected(EXPECTED_PUBLIC, EXPECTED_HIDDEN)


def _grader_side() -> bool:
    """Whether this copy of the package holds the grader's side (then it is imported): in
    Otter's own run of the autograder zip the hidden inputs are in this kernel, so every case
    there speaks from the fixed vocabulary (``feedback``'s ``graded``)."""
    try:
        importlib.import_module(GRADER_CASES)
    except ImportError:  # the students' copy
        return False
    return True


def _final_state_under_otter() -> None:
    """Otter's grading run (``otter run``) keeps the result of a check made while the notebook
    ran and skips that test at the end, so a function redefined after its check cell would keep
    its old grade there, while ``hw3 grade`` and Gradescope grade the notebook's final state.
    Here Otter's last step re-runs every test on the final state, dropping an earlier result."""
    try:
        from otter.execute import Checker
        from otter.nbmeta_config import NBMetadataConfig
    except ImportError:  # graded without Otter
        return
    if getattr(Checker.check_if_not_already_checked, "_hw3_final", False):
        return

    def rerun(cls: Any, test_path: str, global_env: dict[str, Any] | None = None) -> Any:
        if global_env is None:
            global_env = sys._getframe(1).f_globals
        cls._test_files[:] = [t for t in cls._test_files
                              if not (test_path in t.path or t.path in test_path)]
        return cls.check(test_path, NBMetadataConfig(), global_env=global_env)

    rerun._hw3_final = True  # type: ignore[attr-defined]
    Checker.check_if_not_already_checked = classmethod(rerun)


def _plain_otter_messages() -> None:
    """Otter prefixes a failing test's message with the test's source line ("Error at line 3 in
    test q3_1: check('q3_1.form', env)"): the grader's internals. For a CheckFailed, the
    message alone is shown; any other error keeps Otter's wording."""
    try:
        from otter.test_files.exception_test import ExceptionTestFile
    except ImportError:  # graded without Otter
        return
    original = ExceptionTestFile._generate_error_message
    if getattr(original, "_hw3_plain", False):
        return

    def message(self: Any, excp: Exception, context: int = 0) -> str:
        if isinstance(excp, CheckFailed):
            return str(excp)
        return original(self, excp, context)

    message._hw3_plain = True  # type: ignore[attr-defined]
    ExceptionTestFile._generate_error_message = message
