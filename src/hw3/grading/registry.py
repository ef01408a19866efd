"""The cases as the grader sees them: public and hidden, judged with the slip models, against
the expected data of both.

Importing this module is what makes a process the trusted side's: it imports ``hw3.grading.judges``
(which adds the hidden cases to ``hw3.cases``' registry) and hands ``hw3.grading.slips`` to the
judges (``hw3.cases.checking.use_slips``), so hints can name known mistakes. The cases package
itself never imports the grader: a student's kernel and the sandbox have neither.
"""

from __future__ import annotations

from typing import Any

import hw3.grading.judges  # noqa: F401 - registers the hidden cases, with their judges
from hw3.cases import EXPECTED_HIDDEN, EXPECTED_PUBLIC, read_expected
from hw3.cases.checking import use_slips
from hw3.grading import slips
from hw3.grading.variant_answers import expected_with

__all__ = ["expected_with", "load_expected"]

use_slips(slips)


def load_expected() -> dict[str, Any]:
    """Expected data recorded from the reference solution, decoded: public and hidden cases."""
    return read_expected(EXPECTED_PUBLIC, EXPECTED_HIDDEN)
