"""Warm workers shared by the sandbox tests: one per isolation mode, for the whole session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hw3.sandbox import Worker
from tests.sandbox._sandbox_helpers import MODES, get_worker


@pytest.fixture(scope="session")
def _workers() -> Iterator[dict[str, Worker | str]]:
    cache: dict[str, Worker | str] = {}
    yield cache
    for w in cache.values():
        if isinstance(w, Worker):
            w.close()


@pytest.fixture(params=MODES)
def worker(request: pytest.FixtureRequest, _workers: dict[str, Worker | str]) -> Worker:
    """A warm worker, once per isolation mode."""
    return get_worker(_workers, request.param)


@pytest.fixture
def bwrap_worker(_workers: dict[str, Worker | str]) -> Worker:
    """A warm bubblewrap worker (skips where bubblewrap cannot run)."""
    return get_worker(_workers, "bubblewrap")


@pytest.fixture
def none_worker(_workers: dict[str, Worker | str]) -> Worker:
    return get_worker(_workers, "none")
