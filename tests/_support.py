"""Helpers for the tests: the reference namespace, grading in-process, running Otter."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hw3.grading.submission import strip_otter

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solutions" / "hw3.ipynb"
TEMPLATE = ROOT / "student_template" / "hw3.ipynb"
AUTOGRADER = ROOT / "autograder" / "hw3-autograder.zip"


def code_cells(path: Path) -> list[str]:
    nb = json.loads(path.read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def run_cells(cells: list[str], skip_heavy: bool = True) -> dict[str, Any]:
    """Execute notebook code in a fresh namespace, without Otter's cells (and, by default,
    without the slow worked examples: cells that call train() or plt)."""
    import matplotlib

    matplotlib.use("Agg")
    env: dict[str, Any] = {"__name__": "__main__", "display": lambda *a, **k: None}
    for src in map(strip_otter, cells):
        if src.lstrip().startswith(("%", "!")):
            continue
        if skip_heavy and ("plt." in src or "losses = train(" in src) and "def " not in src:
            continue
        # The reference cells are the project's own trusted code, run as a kernel would.
        code = compile(src.replace("from IPython.display import display", ""), "<cell>", "exec")
        exec(code, env)
    return env


_REFERENCE: dict[str, Any] | None = None


def reference_env() -> dict[str, Any]:
    global _REFERENCE
    if _REFERENCE is None:
        _REFERENCE = run_cells(code_cells(SOLUTION))
    return _REFERENCE


def judge_env(env: dict[str, Any], case_ids: list[str] | None = None) -> dict[str, Any]:
    """Probe and judge every case against ``env`` in this process: case id -> Verdict."""
    from hw3.grading.registry import grader

    registry = grader()
    ids = case_ids or list(registry.cases)
    data = registry.run_probes(ids, env)
    return {i: registry.judge(registry.cases[i], data[i]) for i in ids}


def otter_run(notebook: Path, out: Path) -> dict[str, dict[str, float]]:
    """`otter run` on one notebook with the committed autograder: question -> {score, possible}."""
    from hw3.bank.otter import otter_run as run

    ran = run(notebook, AUTOGRADER, out)
    assert not ran.error, ran.error
    return {q: {"score": got, "possible": possible} for q, (got, possible) in ran.scores().items()}


def notebook_with(base: Path, code: str, where: str = "end") -> dict[str, Any]:
    """``base`` with one more code cell: right after its imports cell ("start") or last; or,
    for "into MARKER", ``code`` appended to the first code cell that contains MARKER."""
    nb = json.loads(base.read_text())
    cell = {"cell_type": "code", "execution_count": None, "id": "inserted", "metadata": {},
            "outputs": [], "source": code}
    if where.startswith("into "):
        target = next(c for c in nb["cells"] if c["cell_type"] == "code"
                      and where[5:] in "".join(c["source"]))
        target["source"] = "".join(target["source"]).rstrip("\n") + "\n" + code
    elif where == "start":
        first = next(i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
                     and "import numpy as np" in "".join(c["source"]))
        nb["cells"].insert(first + 1, cell)
    else:
        nb["cells"].append(cell)
    return nb


# Debian's Chromium, never the browser Playwright would download (the network is closed); the
# flags keep it from reaching for Google's hosts at every start.
CHROMIUM = Path(os.environ.get("HW3_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def headless_chromium() -> Iterator[Any]:
    """A Playwright browser on Debian's Chromium, for a module fixture to yield from; the test
    skips where Chromium or Playwright is missing."""
    import pytest

    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: apt-get install -y chromium")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="Playwright for Python not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                    timeout=60_000)
        try:
            yield browser
        finally:
            browser.close()

