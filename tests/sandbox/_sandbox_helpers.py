"""Helpers shared by the sandbox tests (a module of its own: ``conftest`` names clash)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import pytest

from hw3.bank.fixtures import read_meta
from hw3.grading.execute import execute_submission
from hw3.grading.jail import payload
from hw3.sandbox import Limits, SandboxError, Worker
from tests.sandbox._private_root import open_python_privately

HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"  # the one hostile tree

# Small limits keep the suite fast; cell_seconds must leave room for a cold IPython cell.
TEST_LIMITS = Limits(
    cell_seconds=2.0,
    total_seconds=40.0,
    cpu_seconds=60,
    memory_bytes=1 * 2**30,
    max_processes=32,
    max_file_bytes=32 * 2**20,
    disk_bytes=48 * 2**20,
    max_output_bytes=4096,
)

# A normal cell after the hostile one, and a check that the state it set survived.
AFTER = ["after = 1", "assert after == 1, 'the state was lost'"]

# Every mode the grader offers (unprivileged-user needs root: it skips otherwise; as root it
# must start, Python's folders opened to its uid in a private mount namespace: _private_root).
MODES = ["bubblewrap", "unprivileged-user", "none"]


def hostile(name: str, **subs: str) -> str:
    """The code of the hostile fixture ``name`` (its docstring left out), with each of its
    ``placeholders:`` replaced (all of them must be given)."""
    meta = read_meta(HOSTILE / f"{name}.py")
    wanted = {p.strip() for p in meta.get("placeholders", "").split(",") if p.strip()}
    assert wanted == set(subs), f"{name} needs {sorted(wanted)}, got {sorted(subs)}"
    text = meta.code
    for key, value in subs.items():
        text = text.replace(key, value)
    return text


def statuses(result: dict[str, Any]) -> list[str]:
    return [c["status"] for c in result["cells"]]


def kinds(result: dict[str, Any]) -> list[str]:
    return [e["kind"] for e in result["events"]]


def run(worker: Worker, cells: list[str], probes: list[str] | None = None) -> dict[str, Any]:
    return dataclasses.asdict(execute_submission(worker, cells, probes or []))


def get_worker(cache: dict[str, Worker | str], mode: str) -> Worker:
    if mode not in cache:
        if mode == "unprivileged-user" and os.geteuid() != 0:
            pytest.skip("unprivileged-user needs root (it runs jobs as another uid)")
        try:
            if mode == "unprivileged-user":
                open_python_privately()
            w = Worker(dataclasses.replace(TEST_LIMITS), isolation=mode, payload=payload())
            w.start()
            cache[mode] = w
        except (SandboxError, OSError) as e:
            cache[mode] = str(e)
    w = cache[mode]
    if isinstance(w, str):
        if mode == "unprivileged-user":  # as root (CI, Gradescope) it must start
            pytest.fail(f"{mode} sandbox did not start as root: {w}")
        pytest.skip(f"{mode} sandbox unavailable: {w}")
    w.limits = dataclasses.replace(TEST_LIMITS)  # undo what an earlier test changed
    return w


def descendants(pid: int) -> list[int]:
    """Processes below ``pid`` on the host (for the modes without a pid namespace)."""
    parents: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            text = Path(f"/proc/{name}/stat").read_bytes()
        except OSError:
            continue
        ppid = int(text[text.rfind(b")") + 2 :].split()[1])
        parents.setdefault(ppid, []).append(int(name))
    out, todo = [], list(parents.get(pid, []))
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(parents.get(p, []))
    return out
