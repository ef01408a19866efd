from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def roster_path() -> Path:
    """A roster for ``_report_sample.make_results``: most students, one with no submission,
    and the invalid submission 'mystery' and the hostile id left off (so both lists fill)."""
    return FIXTURES / "roster_sample.csv"
