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
    from hw3.cases import load_expected

    return load_expected()
