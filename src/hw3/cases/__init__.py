"""Every test case of the assignment, defined once as a probe and a judge.

A case's **probe** runs beside the student's code (in the student's kernel under Otter, in the
sandboxed child under ``hw3 grade``): it calls the student's names on fixed inputs and returns
plain data only (see ``hw3.cases.wire``). Its **judge** runs where the grade is decided: it compares
that data with what the same probe returned on the reference solution (recorded by ``hw3 build``
in ``hw3/cases/expected_public.json`` and, grader-only, ``hw3/grading/expected_hidden.json``) and
returns a verdict a student understands. ``Case`` itself lives in ``hw3.cases.case``.

This package holds the **public** cases (the students' checks carry it: ``hw3_checks.zip`` is
this package, see ``hw3.build.products``): public inputs only, and public theory cases check
only the form of an answer. The hidden cases, with their inputs, live in ``hw3.hidden``,
grader-only, which imports this package: this package never imports it (only Otter's ``check``
looks the grader up by name, see there). Which cases a runner works with is a ``Registry``
(``hw3.cases.registry``) that one call builds: ``students()`` here, ``hw3.hidden.sandbox()``,
``hw3.grading.registry.grader()``. Importing a module registers nothing.

Two runners use the same cases:
- Otter: each test cell of the master notebook calls ``check(case_id, env)``, which probes and
  judges in the student's kernel and raises ``AssertionError`` with the verdict's message.
- ``hw3 grade``: the child runs the sandbox's registry's probes and sends the encoded data back;
  the trusted parent decodes it and judges it with the grader's registry (``hw3.grading``).
"""

from __future__ import annotations

import functools
import importlib
import sys
import warnings
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from hw3.cases import vocabulary
from hw3.cases.case import Case, Crash, Judge, Missing, Probe, run_probe
from hw3.cases.checking import Verdict
from hw3.cases.judging import judge, type_mismatch
from hw3.cases.registry import (
    EXPECTED_HIDDEN,
    EXPECTED_PUBLIC,
    Registry,
    read_expected,
    students,
)

__all__ = ["EXPECTED_HIDDEN", "EXPECTED_PUBLIC", "Case", "CheckFailed", "Crash", "Judge",
           "Missing", "OtterChecks", "Probe", "Registry", "check", "feedback", "judge",
           "otter_checks", "read_expected", "run_probe", "students", "type_mismatch"]

# The grader's side of the cases, looked up by name where this copy of the package holds it
# (Otter's own run of the autograder zip): its ``grader()`` builds the grader's registry.
GRADER_CASES = "hw3.grading.registry"


# ----------------------------------------------------------------------------- judging


def feedback(case: Case, verdict: Verdict, graded: bool = False,
             questions: Collection[str] | None = None) -> str:
    """What a student may read about a case.

    A public case in the student's own kernel (``grader.check``: public inputs only) says its
    verdict in full. Anything else is about a run that had hidden inputs within the student's
    code's reach: a hidden case anywhere, and every case of a graded run (``graded``: the
    sandbox holds the hidden probes and their inputs beside the student's code). That text
    speaks from a fixed vocabulary (``hw3.cases.vocabulary``): the case's description, a hint
    only if it is one of the checks' own sentences, the exception only if Python defines it;
    never an input, an expected value, or a word the student's code chose. ``questions``: the
    assignment's questions (the functions a ``Missing`` may name; default: the master's)."""
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
            names = set(questions if questions is not None else _master_questions())
            said = vocabulary.missing_message(verdict.message.rstrip("."), names)
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


@functools.cache
def _master_questions() -> frozenset[str]:
    """The questions of the master as ``hw3 build`` recorded it (every copy lists them all)."""
    from hw3.cases import declared

    return frozenset(case_id.split(".")[0] for case_id in declared.load())


class CheckFailed(AssertionError):
    """A case failed under Otter; its text is all the student needs to read."""


@dataclass(frozen=True)
class OtterChecks:
    """What ``check`` works with in this kernel: the registry, and whether this kernel holds
    the grader's side (``graded``: Otter's own run of the autograder zip, where the hidden inputs
    are in this kernel, so every case there speaks from the fixed vocabulary, ``feedback``)."""

    registry: Registry
    graded: bool


@functools.cache
def otter_checks() -> OtterChecks:
    """The students' copy of the package: the public cases and their data. The autograder's
    copy (Otter's own run of the autograder zip, whose files/hw3_checks.zip is the whole
    package) also runs the hidden tests here: where this copy holds the grader's side, its
    registry is looked up by name (with the slip models, as it always had there, and the
    hidden data). Nothing here imports the grader otherwise."""
    try:
        grader = importlib.import_module(GRADER_CASES)
    except ImportError:  # the students' copy
        return OtterChecks(students(), graded=False)
    return OtterChecks(grader.grader(), graded=True)


def check(case_id: str, env: Mapping[str, Any]) -> None:
    """Otter's entry point: probe and judge one case in this kernel; fail with a plain message."""
    checks = otter_checks()
    _plain_otter_messages()
    _final_state_under_otter()
    registry = checks.registry
    case = registry.cases[case_id]
    # The checks' own warnings (PyTorch's, NumPy's) are not the student's business; what the
    # student's code warns is recorded where a case needs it (probing.call_quietly).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got_text = registry.run_probes([case_id], env)[case_id]
        verdict = registry.judge(case, got_text, _variant_expected(checks, env))
    if not verdict.ok:
        raise CheckFailed(feedback(case, verdict, graded=checks.graded,
                                   questions=registry.questions))


def _variant_expected(checks: OtterChecks, env: Mapping[str, Any]) -> Mapping[str, Any]:
    """The expected data for the notebook's own ``STUDENT_ID`` (Otter's own run of the
    autograder zip has no other id): the grader's side computes the variant's answers; the
    students' copy has none and checks form only."""
    expected = checks.registry.expected
    student_id = env.get("STUDENT_ID")
    if not checks.graded or not isinstance(student_id, str) or not student_id.strip():
        return expected
    grader = importlib.import_module(GRADER_CASES)
    return grader.expected_with(dict(expected), student_id[:200])


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
