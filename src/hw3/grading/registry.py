"""The cases as the grader sees them: public and hidden, judged with the slip models, against
the expected data of both: ``grader()`` builds that registry (once per process).

Only the trusted side builds it: ``hw3.grading.judges`` and ``hw3.grading.slips`` never reach a
student's kernel or the sandbox. The cases package never imports the grader; Otter's ``check``
looks this module up by name where the copy of the package holds it (the autograder zip).
"""

from __future__ import annotations

import functools
from typing import Any

from hw3.cases.registry import (
    EXPECTED_HIDDEN,
    EXPECTED_PUBLIC,
    Registry,
    build,
    public_modules,
)
from hw3.grading import judges, slips
from hw3.grading.variant_answers import expected_with

__all__ = ["expected_with", "grader", "load_expected"]


@functools.cache
def grader() -> Registry:
    """The grader's registry: every case with its judge, in the recorded master's order, the
    slip models and the expected data recorded from the reference solution."""
    return build([*public_modules(), *judges.MODULES],
                 expected_paths=(EXPECTED_PUBLIC, EXPECTED_HIDDEN), slips=slips)


def load_expected() -> dict[str, Any]:
    """Expected data recorded from the reference solution, decoded: public and hidden cases."""
    return dict(grader().expected)
