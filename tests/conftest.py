"""Shared fixtures: the repository's folders and the reference solution's namespace."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def reference_env() -> dict:
    """The reference solution's names, from executing solutions/hw3.ipynb's code in-process."""
    from support import reference_env as make

    return make()


@pytest.fixture(scope="session")
def expected() -> dict:
    from hw3.grading.registry import load_expected

    return load_expected()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite the golden files (tests/*/golden/) from what the code makes now")


@pytest.fixture
def golden(request: pytest.FixtureRequest):
    """Compare text with the test folder's golden/ files (see tests/golden.py)."""
    from golden import Golden

    return Golden(Path(request.node.fspath).parent / "golden",
                  request.config.getoption("--update-golden"))
