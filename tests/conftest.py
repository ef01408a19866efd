"""Shared fixtures: the repository's folders and the reference solution's namespace."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def reference_env() -> dict:
    """The reference solution's names, from executing solutions/hw3.ipynb's code in-process."""
    from tests._support import reference_env as make

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
    if ("bwrap_worker" in names or "python_in_tmp" in names
            or ("worker" in names and "bubblewrap" in params)):
        item.add_marker("bubblewrap")
    if "image" in names or "cluster" in names or (  # cluster: Slurm's daemons run as root
            "worker" in names and "unprivileged-user" in params) or (
            "_workers" in names and "unprivileged" in item.name):
        item.add_marker("root")


def pytest_itemcollected(item: pytest.Item) -> None:
    """Each test's markers for what it needs, set as it is collected (before -m reads them)."""
    _mark_needs(item)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The order the two xdist workers take the files in (``--dist loadfile
    --no-loadscope-reorder``: one file each at a time, its module fixtures made once): files
    with slow tests first, in their own order, then the others, most tests first, so that the
    last file to finish is a short one. Tests keep their order within a file."""
    slow: set[str] = set()
    size: dict[str, int] = {}
    for item in items:
        path = item.location[0]
        size[path] = size.get(path, 0) + 1
        if item.get_closest_marker("slow"):
            slow.add(path)
    first = {p: i for i, p in enumerate(dict.fromkeys(it.location[0] for it in items))}

    def key(item: pytest.Item) -> tuple[bool, int, int]:
        path = item.location[0]
        return path not in slow, first[path] if path in slow else -size[path], first[path]

    items.sort(key=key)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite the golden files (tests/*/golden/) from what the code makes now")


@pytest.fixture
def golden(request: pytest.FixtureRequest):
    """Compare text with the test folder's golden/ files (see tests/_golden.py)."""
    from tests._golden import Golden

    return Golden(Path(request.node.fspath).parent / "golden",
                  request.config.getoption("--update-golden"))
