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


def _mark_needs(item: pytest.Item) -> None:
    """Markers for what a test needs of the machine (``-m "not chromium"`` and so on)."""
    names = set(getattr(item, "fixturenames", ()))
    params = {v for v in getattr(getattr(item, "callspec", None), "params", {}).values()
              if isinstance(v, str)}
    if "browser" in names:
        item.add_marker("chromium")
    if "bwrap_worker" in names or ("worker" in names and "bubblewrap" in params):
        item.add_marker("bubblewrap")
    if "image" in names or ("worker" in names and "unprivileged-user" in params) or (
            "_workers" in names and "unprivileged" in item.name):
        item.add_marker("root")


def _group(item: pytest.Item) -> str:
    mark = item.get_closest_marker("xdist_group")
    return str(mark.args[0] if mark and mark.args else mark.kwargs.get("name") if mark else "")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """How the two xdist workers share the suite (``--dist loadgroup --no-loadscope-reorder``).

    A file is one unit by default (its module fixtures are made once), unless its tests say
    ``pytest.mark.xdist_group``: the sandbox tests are one unit (their warm workers, one per
    isolation mode, are made once per process, and no two unprivileged-user workers run jobs
    as uid 65534 at the same time); a file with independent expensive fixtures splits into
    several. Units are sent out longest first, so the last one to finish is short: units
    with slow tests first, then by number of tests.
    """
    tests = Path(__file__).resolve().parent
    for item in items:
        _mark_needs(item)
        if item.get_closest_marker("xdist_group") is None:
            path = Path(str(item.fspath)).resolve().relative_to(tests)
            name = "sandbox" if path.parts[0] == "sandbox" else path.as_posix()
            item.add_marker(pytest.mark.xdist_group(name))
    slow: set[str] = set()
    size: dict[str, int] = {}
    for item in items:
        group = _group(item)
        size[group] = size.get(group, 0) + 1
        if item.get_closest_marker("slow"):
            slow.add(group)
    first = {g: i for i, g in enumerate(dict.fromkeys(map(_group, items)))}
    items.sort(key=lambda it: (_group(it) not in slow,
                               first[_group(it)] if _group(it) in slow else -size[_group(it)],
                               first[_group(it)]))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite the golden files (tests/*/golden/) from what the code makes now")


@pytest.fixture
def golden(request: pytest.FixtureRequest):
    """Compare text with the test folder's golden/ files (see tests/golden.py)."""
    from golden import Golden

    return Golden(Path(request.node.fspath).parent / "golden",
                  request.config.getoption("--update-golden"))
