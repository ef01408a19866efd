"""The bank of mistakes and right answers: is the grading fair and sharp?

Each fixture under ``tests/fixtures/mistakes/`` and ``tests/fixtures/right/`` is a piece of code
as a student would write it, with a docstring that says what it is and which questions it must
lose points on (``loses: q4_4, predict``; empty for a right answer)::

    \"\"\"Naive sigmoid 1/(1 + exp(-z)): exp overflows for large negative z.

    loses: sigmoid
    \"\"\"
    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

For every fixture a notebook is made from the reference solution (``solutions/hw3.ipynb``) with
the fixture's code as a new cell right after the solution cell that defines the same names, so
that every later cell uses it. The notebooks are graded by one of three runners:

- ``inprocess``: the cells run in this process and every case is probed and judged here (fast);
- ``grade``: ``hw3 grade``'s engine (``hw3.grading.grade.grade_paths``: sandboxed child,
  trusted judges);
- ``otter``: ``otter run`` with the autograder zip, two notebooks at a time (slow).

A mistake is *caught* when it loses points on exactly its ``loses:`` questions and on no other;
a right answer raises a *false alarm* when it loses anything. ``main`` prints both rates per runner
and lists every miss.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hw3.grading import registry  # the grader's view of the cases: hidden ones, slip models
from hw3.grading.submission import strip_otter

RUNNERS = ("inprocess", "grade", "otter")
KINDS = {"mistakes": "mistake", "right": "right"}

# An Otter cell (its init, check and export cells), as hw3.build recognises them.


class BankError(Exception):
    """A fixture or the repository is not as the bank expects; the message says what."""


# ----------------------------------------------------------------------------- fixtures


@dataclass(frozen=True)
class Fixture:
    """One piece of student code and the questions it must lose points on."""

    name: str  # "mistakes/sigmoid_naive"
    kind: str  # "mistake" | "right"
    path: Path
    description: str
    loses: frozenset[str]
    code: str  # the code without its docstring, as it goes into the notebook
    names: frozenset[str]  # the top-level names it defines

    @property
    def slug(self) -> str:
        """A file-name-safe id, unique across both banks."""
        return self.name.replace("/", "__")


def defined_names(source: str) -> set[str]:
    """Top-level names a piece of code binds by ``def``, ``class`` or assignment (not import)."""
    names: set[str] = set()

    def targets(node: ast.AST) -> None:
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for elt in node.elts:
                targets(elt)
        elif isinstance(node, ast.Starred):
            targets(node.value)

    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                targets(t)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets(node.target)
    return names


def parse_fixture(path: Path, kind: str) -> Fixture:
    """Read one fixture file; BankError if its docstring lacks the description or ``loses:``."""
    from hw3.cases import QUESTIONS

    text = path.read_text(encoding="utf-8")
    try:
        tree = ast.parse(text)
    except SyntaxError as e:
        raise BankError(f"{path}: not valid Python ({e})") from e
    doc = ast.get_docstring(tree, clean=True)
    if not doc:
        raise BankError(f"{path}: needs a module docstring (what the code is, then `loses:`)")
    lines = [line.strip() for line in doc.splitlines()]
    loses_lines = [line for line in lines if line.lower().startswith("loses:")]
    if len(loses_lines) != 1:
        raise BankError(f"{path}: the docstring needs exactly one `loses:` line")
    loses = frozenset(q.strip() for q in loses_lines[0].split(":", 1)[1].split(",") if q.strip())
    unknown = sorted(loses - set(QUESTIONS))
    if unknown:
        raise BankError(f"{path}: `loses:` names unknown questions {', '.join(unknown)}")
    if kind == "mistake" and not loses:
        raise BankError(f"{path}: a mistake must lose points somewhere (`loses:` is empty)")
    if kind == "right" and loses:
        raise BankError(f"{path}: a right answer must have an empty `loses:`")
    # The code as it goes into the notebook: everything after the docstring.
    code_lines = text.splitlines()[tree.body[0].end_lineno:]
    code = "\n".join(code_lines).strip("\n") + "\n"
    names = frozenset(defined_names(code))
    if not names:
        raise BankError(f"{path}: defines no function or answer")
    return Fixture(f"{path.parent.name}/{path.stem}", kind, path, lines[0], loses, code, names)


def load_fixtures(root: Path, only: str | None = None) -> list[Fixture]:
    """Every fixture of both banks under ``root/tests/fixtures`` (names containing ``only``)."""
    found: list[Fixture] = []
    for folder, kind in KINDS.items():
        for path in sorted((root / "tests" / "fixtures" / folder).glob("*.py")):
            if not path.name.startswith("_"):
                found.append(parse_fixture(path, kind))
    if only:
        found = [f for f in found if only in f.name]
    return found


# ----------------------------------------------------------------------------- notebooks


def _cell_names(source: str) -> set[str]:
    try:
        return defined_names(source)
    except SyntaxError:
        return set()


def insertion_index(sources: Sequence[str], names: Iterable[str]) -> int:
    """Index of the code cell (among ``sources``) the fixture goes right after: the last solution
    cell that defines one of its names (any cell if no solution cell does)."""
    wanted = set(names)
    defining = [i for i, src in enumerate(sources) if _cell_names(src) & wanted]
    solution = [i for i in defining if "SOLUTION" in sources[i]]
    chosen = solution or defining
    if not chosen:
        raise BankError(f"no cell of the solution defines any of {', '.join(sorted(wanted))}")
    return chosen[-1]


def solution_path(root: Path) -> Path:
    return root / "solutions" / "hw3.ipynb"


def fixture_notebook(solution: Any, fixture: Fixture | Sequence[Fixture],
                     demos: bool = True) -> Any:
    """A copy of the solution notebook (outputs cleared) with the fixture's cell inserted (or
    each of several fixtures' cells, after its own cell); without the demonstration cells (see
    ``is_demo``) unless ``demos``."""
    import nbformat

    group = [fixture] if isinstance(fixture, Fixture) else list(fixture)
    nb = copy.deepcopy(solution)
    if not demos:
        nb.cells = [c for c in nb.cells if c.cell_type != "code" or not is_demo(c.source)]
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code:
        cell.outputs, cell.execution_count = [], None
    sources = [c.source for c in code]
    places = [(nb.cells.index(code[insertion_index(sources, fx.names)]), k)
              for k, fx in enumerate(group)]
    # From the last place up, so that the earlier places stay where they were.
    for place, k in sorted(places, reverse=True):
        cell = nbformat.v4.new_code_cell(group[k].code)
        cell.pop("id", None)
        nb.cells.insert(place + 1, cell)
    # Ids of the form Otter's build writes, unique after the insertion.
    for i, c in enumerate(nb.cells):
        c["id"] = f"cell-{i:03d}"
    return nb


def _independent(f: Fixture, group: Sequence[Fixture]) -> bool:
    """``f`` can share a notebook with ``group``: no name defined twice, none used by another
    member's code, and (mistakes) no question lost by two members."""
    for o in group:
        if f.names & o.names or f.loses & o.loses:
            return False
        if any(re.search(rf"\b{re.escape(n)}\b", o.code) for n in f.names) or any(
                re.search(rf"\b{re.escape(n)}\b", f.code) for n in o.names):
            return False
    return True


def group_right_answers(fixtures: Sequence[Fixture], mistakes_too: bool = False
                        ) -> list[list[Fixture]]:
    """Fewer notebooks for the slow runner. Right answers together where they define different
    names (together they must still lose nothing). Mistakes one by one, or with
    ``mistakes_too`` several to a notebook where they are independent (``_independent``): the
    notebook must then lose exactly the union of their questions, and each mistake is judged on
    its own questions plus any question no member owns (see ``split_outcome``)."""
    groups: list[list[Fixture]] = []
    for f in (f for f in fixtures if f.kind == "mistake"):
        home = next((g for g in groups if _independent(f, g)), None) if mistakes_too else None
        if home is None:
            groups.append([f])
        else:
            home.append(f)
    right: list[list[Fixture]] = []
    for f in (f for f in fixtures if f.kind == "right"):
        home = next((g for g in right if not any(f.names & o.names for o in g)), None)
        if home is None:
            right.append([f])
        else:
            home.append(f)
    return groups + right


def write_notebooks(fixtures: Sequence[Fixture] | Sequence[Sequence[Fixture]], root: Path,
                    folder: Path, demos: bool = True) -> dict[str, Path]:
    """One notebook per fixture (or per group of fixtures) in ``folder`` (created); fixture
    name -> notebook path (the fixtures of a group share one)."""
    import nbformat

    solution = nbformat.read(solution_path(root), as_version=4)
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for item in fixtures:
        group = [item] if isinstance(item, Fixture) else list(item)
        slug = group[0].slug if len(group) == 1 else \
            f"{group[0].kind}__group{len(set(paths.values())):03d}"
        path = folder / f"{slug}.ipynb"
        nbformat.write(fixture_notebook(solution, group, demos), path)
        paths.update({fx.name: path for fx in group})
    return paths


# ----------------------------------------------------------------------------- outcomes


@dataclass
class Outcome:
    """How one runner graded one fixture's notebook."""

    fixture: Fixture
    scores: dict[str, tuple[float, float]] = field(default_factory=dict)  # question: got, max
    messages: dict[str, str] = field(default_factory=dict)  # failing case (or question): text
    error: str = ""  # the runner itself failed on this notebook
    seconds: float = 0.0

    @property
    def lost(self) -> frozenset[str]:
        return frozenset(q for q, (got, possible) in self.scores.items() if got < possible)

    @property
    def complete(self) -> bool:
        """Every question was scored."""
        from hw3.cases import QUESTIONS

        return set(self.scores) == set(QUESTIONS)

    @property
    def ok(self) -> bool:
        """Caught (a mistake) or fully marked (a right answer)."""
        return not self.error and self.complete and self.lost == self.fixture.loses

    def describe_miss(self) -> str:
        if self.error:
            return f"{self.fixture.name}: the runner failed: {self.error}"
        if not self.complete:
            return f"{self.fixture.name}: only {len(self.scores)} questions were scored"
        want = ", ".join(sorted(self.fixture.loses)) or "nothing"
        got = ", ".join(f"{q} ({self.scores[q][0]:g}/{self.scores[q][1]:g})"
                        for q in sorted(self.lost)) or "nothing"
        return f"{self.fixture.name}: should lose {want}; lost {got}"


@dataclass
class Rates:
    runner: str
    mistakes: int
    caught: int
    right: int
    false_alarms: int
    misses: list[Outcome]
    seconds: float = 0.0

    @property
    def catch_rate(self) -> float:
        return self.caught / self.mistakes if self.mistakes else 1.0

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.right if self.right else 0.0

    @property
    def perfect(self) -> bool:
        return not self.misses

    def text(self) -> str:
        lines = [f"{self.runner}: catch rate {self.caught}/{self.mistakes} = "
                 f"{100 * self.catch_rate:.1f}%, false-alarm rate {self.false_alarms}/"
                 f"{self.right} = {100 * self.false_alarm_rate:.1f}% ({self.seconds:.0f} s)"]
        lines += [f"  miss: {o.describe_miss()}" for o in self.misses]
        return "\n".join(lines)


# Part 2's questions: the code a student can try before hand-in.
CODE_QUESTIONS = frozenset({"init_weights", "feedforward", "predict", "forward_propagation",
                            "sigmoid", "relu", "build_model", "train"})


@dataclass
class PublicSignal:
    """How many code mistakes a public case signals before hand-in (``grader.check``)."""

    mistakes: int
    signalled: int
    silent: list[str]

    @property
    def share(self) -> float:
        return self.signalled / self.mistakes if self.mistakes else 1.0

    def text(self) -> str:
        lines = [f"public signal: {self.signalled}/{self.mistakes} = {100 * self.share:.1f}% of "
                 "the code mistakes fail a public case"]
        return "\n".join(lines + [f"  silent in public: {name}" for name in self.silent])


def public_signal(outcomes: Sequence[Outcome]) -> PublicSignal:
    """Of the code mistakes (fixtures that lose on Part 2 questions only), those that fail at
    least one public case: what a student sees before hand-in (from a runner that knows its
    cases: in-process or grade)."""
    from hw3.cases import CASES

    code = [o for o in outcomes if o.fixture.kind == "mistake" and o.fixture.loses <=
            CODE_QUESTIONS]
    seen = [o for o in code if any(c in CASES and not CASES[c].hidden for c in o.messages)]
    return PublicSignal(len(code), len(seen), [o.fixture.name for o in code if o not in seen])


def rates(runner: str, outcomes: Sequence[Outcome], seconds: float = 0.0) -> Rates:
    mistakes = [o for o in outcomes if o.fixture.kind == "mistake"]
    right = [o for o in outcomes if o.fixture.kind == "right"]
    return Rates(runner, len(mistakes), sum(o.ok for o in mistakes), len(right),
                 sum(not o.ok for o in right), [o for o in outcomes if not o.ok], seconds)


def _question_scores(verdicts: dict[str, Any]) -> dict[str, tuple[float, float]]:
    from hw3.cases import QUESTIONS

    return {q: (float(sum(c.points for c in cs if verdicts[c.id].ok)),
                float(sum(c.points for c in cs))) for q, cs in QUESTIONS.items()}


# ----------------------------------------------------------------------------- in-process


def is_demo(source: str) -> bool:
    """Whether a cell is an ungraded demonstration: a plot or a training run of the worked
    examples (no definitions, so no graded name depends on it; it only costs time)."""
    return ("plt." in source or "= train(" in source) and "def " not in source


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

    from hw3.cases import CASES, feedback, judge, run_probes

    solution = nbformat.read(solution_path(root), as_version=4)
    expected = registry.load_expected()
    outcomes = []
    for fx in fixtures:
        start = time.monotonic()
        nb = fixture_notebook(solution, fx)
        try:
            env = run_cells([c.source for c in nb.cells if c.cell_type == "code"])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # what the student's code warns is not ours
                data = run_probes(list(CASES), env)
            verdicts = {i: judge(c, data.get(i), expected) for i, c in CASES.items()}
        except Exception as e:  # noqa: BLE001 - one fixture's failure is its own outcome
            outcomes.append(Outcome(fx, error=f"{type(e).__name__}: {e}"))
            continue
        outcomes.append(Outcome(
            fx, _question_scores(verdicts),
            {i: feedback(CASES[i], v) for i, v in verdicts.items() if not v.ok},
            seconds=time.monotonic() - start))
    return outcomes


# ----------------------------------------------------------------------------- hw3 grade


def run_grade(fixtures: Sequence[Fixture], root: Path, work: Path, workers: int = 2,
              isolation: str = "auto", demos: bool = True) -> list[Outcome]:
    """Grade the fixtures' notebooks with ``hw3 grade``'s engine (no cache)."""
    from hw3.grading.grade import Options, grade_paths

    paths = write_notebooks(fixtures, root, work / "notebooks-grade", demos)
    results = grade_paths(list(paths.values()),
                          Options(workers=workers, cache_dir=None, isolation=isolation))
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


def otter_once(notebook: Path, autograder: Path, out: Path, timeout: float = 600.0
               ) -> tuple[dict[str, tuple[float, float]], dict[str, str], str]:
    """``otter run`` on one notebook: (question scores, question outputs, error)."""
    out.mkdir(parents=True, exist_ok=True)
    # One thread per run: two runs share two cores without fighting over them.
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    try:
        proc = subprocess.run([sys.executable, "-m", "otter", "run", "-a", str(autograder),
                               "-o", str(out), str(notebook)], cwd=out, env=env,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {}, {}, f"otter run took longer than {timeout:g} s"
    results = out / "results.json"
    if not results.is_file():
        return {}, {}, f"otter run wrote no results (exit {proc.returncode}): " \
                       f"{(proc.stderr or proc.stdout)[-500:]}"
    tests = json.loads(results.read_text()).get("tests", [])
    scores = {t["name"]: (float(t["score"]), float(t["max_score"])) for t in tests
              if "score" in t and t.get("name") != "Public Tests"}
    outputs = {t["name"]: str(t.get("output", "")) for t in tests
               if "score" in t and float(t["score"]) < float(t["max_score"])}
    return scores, outputs, ""


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
        scores, outputs, error = otter_once(path, zip_path, work / "otter" / path.stem)
        outcomes = [split_outcome(fx, group, scores, outputs, error, time.monotonic() - start)
                    for fx in group]
        for outcome in outcomes:
            if progress:
                progress(outcome)
        return outcomes

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        done = {o.fixture.name: o for outcomes in pool.map(one, groups) for o in outcomes}
    return [done[f.name] for f in fixtures]


def split_outcome(fx: Fixture, group: Sequence[Fixture], scores: dict[str, tuple[float, float]],
                  messages: dict[str, str], error: str, seconds: float) -> Outcome:
    """``fx``'s share of its notebook's outcome: the questions another member of the group
    should lose count as full marks for it; every other question, lost or not, is its own."""
    others = {q for o in group if o is not fx for q in o.loses}
    mine = {q: (possible, possible) if q in others else (got, possible)
            for q, (got, possible) in scores.items()}
    said = {k: v for k, v in messages.items() if k.split(".")[0] not in others}
    return Outcome(fx, mine, said, error=error, seconds=seconds)


def costs_table(outcomes: Sequence[Outcome]) -> str:
    """What each mistake costs, as a Markdown table (per question, from one runner's outcomes
    that know their cases: in-process or grade)."""
    from hw3.cases import CASES

    rows = ["| question | mistake | cases failed | points lost |", "| --- | --- | --- | ---: |"]
    for o in sorted((o for o in outcomes if o.fixture.kind == "mistake"),
                    key=lambda o: (sorted(o.fixture.loses), o.fixture.name)):
        for q in sorted(o.lost):
            got, possible = o.scores[q]
            failed = [c for c in o.messages if c in CASES and CASES[c].question == q]
            rows.append(f"| `{q}` | {o.fixture.description} | "
                        f"{', '.join(f'`{c}`' for c in failed)} | {possible - got:g} of "
                        f"{possible:g} |")
    return "\n".join(rows)


# ----------------------------------------------------------------------------- the command


def find_root(start: Path | None = None) -> Path:
    """The repository root: the nearest folder above ``start`` with the bank and the solution."""
    here = (start or Path.cwd()).resolve()
    package_root = Path(__file__).resolve().parent.parent.parent.parent
    for folder in (here, *here.parents, package_root):
        if (folder / "tests" / "fixtures" / "mistakes").is_dir() and \
                solution_path(folder).is_file():
            return folder
    raise BankError("cannot find tests/fixtures/mistakes and solutions/hw3.ipynb: run this "
                    "from the repository or pass --root")


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


def _progress(o: Outcome) -> None:
    # Otter takes seconds a notebook: say how it goes.
    print(f"  {o.fixture.name}: {'ok' if o.ok else 'MISS'} ({o.seconds:.0f} s)", file=sys.stderr,
          flush=True)


def main(argv: list[str] | None = None) -> int:
    """``hw3 bank``: grade the bank with one runner or all; 0 if every rate is perfect."""
    parser = argparse.ArgumentParser(
        prog="hw3 bank", description="Grade the bank of mistakes and right answers "
        "(tests/fixtures) and print the catch and false-alarm rates.")
    parser.add_argument("--runner", choices=[*RUNNERS, "all"], default="inprocess",
                        help="in this process (fast), hw3 grade's engine, otter run, or all")
    parser.add_argument("--root", type=Path, default=None, help="repository root (default: "
                        "found from the current folder)")
    parser.add_argument("--only", metavar="TEXT", help="only fixtures whose name contains TEXT")
    parser.add_argument("--jobs", type=int, default=2, metavar="N",
                        help="notebooks graded at once by grade and otter (default 2)")
    parser.add_argument("--isolation", choices=["auto", "bubblewrap", "none"], default="auto",
                        help="hw3 grade's sandbox (default auto)")
    parser.add_argument("--no-demos", action="store_true", help="leave the ungraded plots and "
                        "training demonstrations out of the notebooks (faster)")
    parser.add_argument("--separate", action="store_true", help="otter: one notebook per "
                        "fixture (by default right answers with different names share "
                        "notebooks, and so do independent mistakes)")
    parser.add_argument("--out", type=Path, metavar="DIR", help="keep the notebooks and "
                        "Otter's results here (default: a temporary folder)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every outcome "
                        "as JSON")
    parser.add_argument("--messages", action="store_true", help="print what each failing "
                        "case tells the student")
    parser.add_argument("--costs", action="store_true", help="print what each mistake costs "
                        "(a Markdown table, for the rubric)")
    args = parser.parse_args(argv)

    try:
        root = (args.root or find_root()).resolve()
        fixtures = load_fixtures(root, args.only)
    except BankError as e:
        print(f"hw3 bank: {e}", file=sys.stderr)
        return 2
    if not fixtures:
        print("hw3 bank: no fixtures match", file=sys.stderr)
        return 2
    runners = list(RUNNERS) if args.runner == "all" else [args.runner]
    with contextlib.ExitStack() as stack:
        work = args.out or Path(stack.enter_context(tempfile.TemporaryDirectory(
            prefix="hw3-bank-")))
        report: dict[str, Any] = {}
        all_rates = []
        for runner in runners:
            outcomes, r = run(runner, fixtures, root, work, jobs=args.jobs,
                              isolation=args.isolation, demos=not args.no_demos,
                              group_right=not args.separate, progress=_progress)
            all_rates.append(r)
            print(r.text(), flush=True)
            if runner != "otter":
                print(public_signal(outcomes).text(), flush=True)
            if args.costs and runner != "otter":
                print(costs_table(outcomes))
            if args.messages:
                for o in outcomes:
                    for case_id, text in sorted(o.messages.items()):
                        print(f"    {o.fixture.name} {case_id}: {text}")
            report[runner] = {"catch_rate": r.catch_rate, "false_alarm_rate":
                              r.false_alarm_rate, "seconds": r.seconds, "outcomes": [
                                  {"fixture": o.fixture.name, "kind": o.fixture.kind,
                                   "loses": sorted(o.fixture.loses), "lost": sorted(o.lost),
                                   "ok": o.ok, "error": o.error, "scores": o.scores,
                                   "messages": o.messages} for o in outcomes]}
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0 if all(r.perfect for r in all_rates) else 1

