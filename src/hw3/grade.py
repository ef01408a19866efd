"""Grading a class: every submission read, executed in a sandbox, probed, judged and recorded.

The way of one submission, top to bottom (``grade_one``):
    path -> read (ipynb or export zip; never written) -> cells
         -> sandboxed child executes them and runs the probes -> encoded plain data
         -> judges, here in the trusted process -> per-case and per-question scores
         -> one result entry (the contract's JSON), cached by submission and autograder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import wire
from .cases import CASES, QUESTIONS, feedback, judge, load_expected
from .checking import Verdict
from .marking.rubric import manual_summary
from .submission import Submission, assign_ids, discover, is_otter_cell, read

ASSIGNMENT = "hw3"


def autograder_key() -> str:
    """What a result depends on besides the submission: the cases' code and expected data."""
    h = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for path in sorted([*package.glob("*.py"), *package.glob("cases/*.py"),
                        *package.glob("cases/*.json"), *package.glob("data/*.json")]):
        h.update(path.relative_to(package).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "hw3" / "results"


@dataclass
class Options:
    workers: int = 1
    timeout: float = 300.0  # wall seconds for a whole submission
    cell_timeout: float = 60.0  # wall seconds for one cell
    cache_dir: Path | None = field(default_factory=default_cache_dir)  # None: no cache
    isolation: str = "auto"  # "auto" | "bubblewrap" | "none"


# ----------------------------------------------------------------------------- results


def questions_summary() -> dict[str, Any]:
    """Every auto-graded question with its cases, in the contract's order."""
    return {q: {"possible": float(sum(c.points for c in cs)),
                "cases": [{"id": c.id, "points": float(c.points), "hidden": c.hidden,
                           "description": c.description} for c in cs]}
            for q, cs in QUESTIONS.items()}


def score(verdicts: dict[str, Verdict]) -> dict[str, Any]:
    """Per-case and per-question scores from each case's verdict (a missing verdict: 0)."""
    case_rows, questions = [], {}
    for question, cases in QUESTIONS.items():
        got = 0.0
        for case in cases:
            verdict = verdicts.get(case.id, Verdict.fail("not graded"))
            earned = float(case.points) if verdict.ok else 0.0
            got += earned
            case_rows.append({"id": case.id, "question": question, "points": float(case.points),
                              "score": earned, "hidden": case.hidden, "passed": verdict.ok,
                              "description": case.description,
                              "message": feedback(case, verdict)})
        questions[question] = {"score": got, "possible": float(sum(c.points for c in cases))}
    total = sum(q["score"] for q in questions.values())
    possible = sum(q["possible"] for q in questions.values())
    return {"score": total, "possible": possible, "questions": questions, "cases": case_rows}


def unreadable(sub: Submission) -> dict[str, Any]:
    """The entry of a submission that could not be read: every question at zero."""
    return {"path": str(sub.path), "id": sub.id, "status": "invalid", "message": sub.problem,
            **score({}), "events": [], "isolation": "", "seconds": 0.0, "explanations": {}}


def internal_error(sub: Submission, error: BaseException) -> dict[str, Any]:
    return {"path": str(sub.path), "id": sub.id, "status": "error",
            "message": "The grader failed on this submission; please tell your instructor "
                       f"({type(error).__name__}: {str(error)[:300]}).",
            **score({}), "events": [], "isolation": "", "seconds": 0.0,
            "explanations": sub.explanations}


# ----------------------------------------------------------------------------- one submission


def judge_all(probes: dict[str, str], expected: dict[str, Any]) -> dict[str, Verdict]:
    """Judge every case from the child's encoded probe data (a case without data fails)."""
    return {case_id: judge(case, probes.get(case_id), expected)
            for case_id, case in CASES.items()}


def warm_judges(expected: dict[str, Any]) -> None:
    """Judge the reference's own data once: the judges' imports and caches are then warm."""
    judge_all({case_id: wire.encode(data) for case_id, data in expected.items()}, expected)


def grade_one(sub: Submission, worker: Any, expected: dict[str, Any]) -> dict[str, Any]:
    """Grade one readable submission in ``worker``'s sandbox."""
    from .execute import execute_submission

    start = time.monotonic()
    # Otter's own cells would only fail here (no Otter in the sandbox); blanking them keeps the
    # cell numbers in messages those of the notebook's code cells.
    cells = ["" if is_otter_cell(src) else src for src in sub.cells]
    run = execute_submission(worker, cells, list(CASES),
                             cell_name=lambda i: f"Code cell {i + 1}")
    probes = run.get("probes", {})
    probes = {k: v for k, v in probes.items() if isinstance(k, str) and isinstance(v, str)}
    result = score(judge_all(probes, expected))
    events = list(run.get("events", []))
    messages = [e.get("message", "") for e in events] + sub.notes
    if len(probes) < len(CASES):
        messages.append("Some checks could not run because the notebook stopped first.")
    return {"path": str(sub.path), "id": sub.id, "status": "graded",
            "message": " ".join(m for m in messages if m), **result, "events": events,
            "cells": run.get("cells", []), "isolation": run.get("isolation", ""),
            "seconds": round(time.monotonic() - start, 3), "explanations": sub.explanations}


# ----------------------------------------------------------------------------- the cache


class Cache:
    """Finished results on disk, keyed by submission content and autograder: a re-run (or an
    interrupted batch) grades only what is new."""

    def __init__(self, folder: Path | None, key: str):
        self.folder, self.key = folder, key

    def _file(self, sub: Submission) -> Path | None:
        if self.folder is None or not sub.digest:
            return None
        return self.folder / self.key[:16] / f"{sub.digest}.json"

    def get(self, sub: Submission) -> dict[str, Any] | None:
        path = self._file(sub)
        if path is None or not path.is_file():
            return None
        try:
            cached = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        # The same content may sit under another name: the entry names this one.
        return {**cached, "path": str(sub.path), "id": sub.id, "cached": True}

    def put(self, sub: Submission, result: dict[str, Any]) -> None:
        path = self._file(sub)
        if path is None or result.get("status") == "error":
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(result))
            tmp.replace(path)
        except OSError:
            pass  # a cache that cannot be written only costs speed


# ----------------------------------------------------------------------------- a class


def grade_paths(paths: Iterable[Path], options: Options | None = None,
                progress: Callable[[int], Any] | None = None,
                on_total: Callable[[int], Any] | None = None) -> dict[str, Any]:
    """Grade every submission under ``paths``; one entry per submission, in discovery order."""
    from .sandbox import Limits, Worker

    options = options or Options()
    files = discover([Path(p) for p in paths])
    ids = assign_ids(files)
    if on_total:
        on_total(len(files))
    expected = load_expected()
    stale = sorted(set(CASES) - set(expected))
    if stale:
        raise ValueError(f"no expected data for {', '.join(stale)}: run `hw3 build` first")
    key = autograder_key()
    # A cached result also depends on the limits and the isolation it was graded under.
    settings = f"{options.timeout}:{options.cell_timeout}:{options.isolation}"
    cache = Cache(options.cache_dir, hashlib.sha256(f"{key}:{settings}".encode()).hexdigest())
    results: dict[int, dict[str, Any]] = {}
    todo: list[tuple[int, Submission]] = []
    for i, path in enumerate(files):
        sub = read(path, ids[path])
        hit = cache.get(sub) if sub.readable else None
        if not sub.readable:
            results[i] = unreadable(sub)
        elif hit is not None:
            # Explanations are read here, not graded: a cached grade gets them afresh.
            results[i] = {**hit, "explanations": sub.explanations}
        else:
            todo.append((i, sub))
            continue
        if progress:
            progress(1)

    limits = Limits(cell_seconds=options.cell_timeout, total_seconds=options.timeout)
    n = max(1, min(options.workers, len(todo)))
    # Sandboxes boot in the background (a few seconds: imports and warm-up) while this process
    # pays its judges' first-use costs. Workers are made here, in the long-lived main thread,
    # and lent to the grading threads one submission at a time.
    workers = [Worker(limits, isolation=options.isolation) for _ in range(n)] if todo else []
    free: queue.Queue[Any] = queue.Queue()
    for w in workers:
        free.put(w)
    stopping = threading.Event()  # set on Ctrl-C: what runs then is cut short, never kept

    def work(sub: Submission) -> dict[str, Any] | None:
        worker = free.get()
        try:
            result = grade_one(sub, worker, expected)
        except Exception as e:  # noqa: BLE001 - one submission's failure is its own entry
            return None if stopping.is_set() else internal_error(sub, e)
        finally:
            free.put(worker)
        if stopping.is_set():
            return None
        cache.put(sub, result)
        return result

    def summary(entries: dict[int, dict[str, Any]]) -> dict[str, Any]:
        return {"assignment": ASSIGNMENT, "autograder": key,
                "generated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "questions": questions_summary(), "manual": manual_summary(),
                "submissions": [entries[i] for i in range(len(files)) if i in entries]}

    pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix="hw3-grade")
    futures: dict[Any, int] = {}
    try:
        if todo:
            warm_judges(expected)
        futures = {pool.submit(work, sub): i for i, sub in todo}
        for future in as_completed(futures):
            result = future.result()
            if result is not None:
                results[futures[future]] = result
            if progress:
                progress(1)
    except KeyboardInterrupt:
        # Keep what finished, drop what runs (its sandbox is killed now, not waited for).
        stopping.set()
        for future, i in futures.items():
            if future.done() and not future.cancelled() and future.exception() is None:
                result = future.result()
                if result is not None:
                    results[i] = result
        pool.shutdown(wait=False, cancel_futures=True)
        for w in workers:
            w.kill()
        partial = summary(results)
        partial["interrupted"] = {
            "finished": len(results), "total": len(files),
            "not_graded": [str(files[i]) for i in range(len(files)) if i not in results]}
        raise Interrupted(partial, cached=options.cache_dir is not None) from None
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        for w in workers:
            w.close()
    return summary(results)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C while grading. ``results`` has the shape of ``grade_paths``' return with the
    submissions finished before it only, and ``results["interrupted"]`` says what is missing;
    ``cached``: the finished ones are also in the cache."""

    def __init__(self, results: dict[str, Any], cached: bool):
        super().__init__("interrupted")
        self.results, self.cached = results, cached

