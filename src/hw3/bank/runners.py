"""The bank's three runners, from fast to slow:

- ``inprocess``: the cells run in this process and every case is probed and judged here;
- ``grade``: ``hw3 grade``'s engine (``hw3.grading.grade.grade_paths``: sandboxed child,
  trusted judges);
- ``otter``: ``otter run`` with the autograder zip (``hw3.bank.otter``), two notebooks at a time.
"""

from __future__ import annotations

import contextlib
import io
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from hw3.bank.fixtures import BankError, Fixture
from hw3.bank.notebooks import (
    fixture_notebook,
    group_right_answers,
    is_demo,
    solution_path,
    write_notebooks,
)
from hw3.bank.otter import otter_run
from hw3.bank.rates import Outcome, Rates, question_scores, rates, split_outcome
from hw3.grading.submission import strip_otter

RUNNERS = ("inprocess", "grade", "otter")


# ----------------------------------------------------------------------------- in-process


def _runnable(source: str) -> str | None:
    """A cell's code as the in-process runner runs it, without Otter's lines; None for shell
    magics and the demonstrations."""
    source = strip_otter(source)
    if source.lstrip().startswith(("%", "!")) or is_demo(source):
        return None
    # The checks zip is not next to this process; hw3 comes from the installed package.
    lines = [ln for ln in source.splitlines()
             if not ("hw3_checks.zip" in ln and "sys.path" in ln)]
    return "\n".join(lines).replace("from IPython.display import display", "")


def run_cells(cells: Sequence[str]) -> dict[str, Any]:
    """Execute cells in a fresh namespace; a cell that raises is skipped, as a kernel would."""
    import matplotlib

    matplotlib.use("Agg")
    env: dict[str, Any] = {"__name__": "__main__", "display": lambda *a, **k: None}
    for i, src in enumerate(cells):
        code = _runnable(src)
        if code is None:
            continue
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                exec(compile(code, f"<cell {i}>", "exec"), env)  # noqa: S102 - our own fixtures
            except Exception:  # noqa: BLE001 - the notebook goes on, as in a kernel
                pass
    return env


def run_inprocess(fixtures: Sequence[Fixture], root: Path) -> list[Outcome]:
    """Run each fixture's notebook cells here and probe and judge every case here."""
    import nbformat

    from hw3.cases import feedback
    from hw3.grading.registry import grader

    solution = nbformat.read(solution_path(root), as_version=4)
    registry = grader()
    cases = registry.cases
    outcomes = []
    for fx in fixtures:
        start = time.monotonic()
        nb = fixture_notebook(solution, fx)
        try:
            env = run_cells([c.source for c in nb.cells if c.cell_type == "code"])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # what the student's code warns is not ours
                data = registry.run_probes(list(cases), env)
            verdicts = {i: registry.judge(c, data.get(i)) for i, c in cases.items()}
        except Exception as e:  # noqa: BLE001 - one fixture's failure is its own outcome
            outcomes.append(Outcome(fx, error=f"{type(e).__name__}: {e}"))
            continue
        outcomes.append(Outcome(
            fx, question_scores(verdicts),
            {i: feedback(cases[i], v) for i, v in verdicts.items() if not v.ok},
            seconds=time.monotonic() - start))
    return outcomes


# ----------------------------------------------------------------------------- hw3 grade


def run_grade(fixtures: Sequence[Fixture], root: Path, work: Path, workers: int = 2,
              isolation: str = "auto", demos: bool = True) -> list[Outcome]:
    """Grade the fixtures' notebooks with ``hw3 grade``'s engine (no cache)."""
    from hw3.grading.grade import Options, grade_paths

    paths = write_notebooks(fixtures, root, work / "notebooks-grade", demos)
    results = grade_paths(list(paths.values()),
                          Options(workers=workers, cache_dir=None, isolation=isolation)).to_json()
    by_path = {Path(s["path"]).resolve(): s for s in results["submissions"]}
    outcomes = []
    for fx in fixtures:
        sub = by_path.get(paths[fx.name].resolve())
        if sub is None or sub.get("status") != "graded":
            outcomes.append(Outcome(fx, error=str(sub and sub.get("message")) or "not graded"))
            continue
        outcomes.append(Outcome(
            fx, {q: (float(v["score"]), float(v["possible"])) for q, v in
                 sub["questions"].items()},
            {c["id"]: c["message"] for c in sub["cases"] if not c["passed"]},
            seconds=float(sub.get("seconds", 0.0))))
    return outcomes


# ----------------------------------------------------------------------------- otter


def run_otter(fixtures: Sequence[Fixture], root: Path, work: Path, parallel: int = 2,
              autograder: Path | None = None, demos: bool = True, group_right: bool = True,
              progress: Callable[[Outcome], Any] | None = None) -> list[Outcome]:
    """Grade the fixtures' notebooks with ``otter run``, ``parallel`` at a time. With
    ``group_right``, fixtures share notebooks (see ``group_right_answers``: right answers, and
    independent mistakes) and each gets its share of its notebook's outcome: a false alarm
    there counts against every right answer in it."""
    zip_path = autograder or root / "autograder" / "hw3-autograder.zip"
    groups = group_right_answers(fixtures, mistakes_too=True) if group_right else [
        [f] for f in fixtures]
    paths = write_notebooks(groups, root, work / "notebooks-otter", demos)

    def one(group: list[Fixture]) -> list[Outcome]:
        start = time.monotonic()
        path = paths[group[0].name]
        ran = otter_run(path, zip_path, work / "otter" / path.stem)
        scores, outputs, error = ran.scores(), ran.failing_outputs(), ran.error
        outcomes = [split_outcome(fx, group, scores, outputs, error, time.monotonic() - start)
                    for fx in group]
        for outcome in outcomes:
            if progress:
                progress(outcome)
        return outcomes

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        done = {o.fixture.name: o for outcomes in pool.map(one, groups) for o in outcomes}
    return [done[f.name] for f in fixtures]


# ----------------------------------------------------------------------------- one runner


def run(runner: str, fixtures: Sequence[Fixture], root: Path, work: Path, jobs: int = 2,
        isolation: str = "auto", demos: bool = True, group_right: bool = True,
        progress: Callable[[Outcome], Any] | None = None) -> tuple[list[Outcome], Rates]:
    """Grade the bank with one runner; its outcomes and rates. ``demos=False`` leaves the
    ungraded demonstration cells out of the notebooks (the in-process runner always does);
    ``group_right`` lets Otter grade fixtures several to a notebook (right answers together,
    independent mistakes together)."""
    start = time.monotonic()
    if runner == "inprocess":
        outcomes = run_inprocess(fixtures, root)
    elif runner == "grade":
        outcomes = run_grade(fixtures, root, work, workers=jobs, isolation=isolation,
                             demos=demos)
    elif runner == "otter":
        outcomes = run_otter(fixtures, root, work, parallel=jobs, demos=demos,
                             group_right=group_right, progress=progress)
    else:
        raise BankError(f"unknown runner {runner!r}: one of {', '.join(RUNNERS)}")
    return outcomes, rates(runner, outcomes, time.monotonic() - start)
