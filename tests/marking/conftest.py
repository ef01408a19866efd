"""Fixtures of the marking tests: headless Chromium (Debian's, never Playwright's download)."""

from __future__ import annotations

import pytest

from tests._support import headless_chromium


@pytest.fixture(scope="module")
def browser():
    yield from headless_chromium()
