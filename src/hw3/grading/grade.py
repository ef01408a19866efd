"""Grading a class: the way of a submission, top to bottom.

    discover -> read (ipynb or export zip; never written) -> its code cells
             -> execute them in a sandboxed child, which runs the probes (``execute``)
             -> the probes' data, encoded plain data (``probe_data``)
             -> judge it here, in trusted judge processes (``judge_probes``)
             -> record one result entry, the contract's JSON (``record``), cached by submission
                and autograder (``hw3.grading.cache``).

``grade_one`` is that way for one readable submission; ``grade_paths`` runs it for a class:
cached and unreadable submissions first, then the rest on a few sandboxes at once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hw3.cases import feedback
from hw3.cases.checking import Verdict
from hw3.grading import timeouts
from hw3.grading.cache import Cache, autograder_key, default_cache_dir
from hw3.grading.copying import right_for_others
from hw3.grading.identity import Identity, declared_id, resolve, same_identity
from hw3.grading.judging import Budget, JudgePool
from hw3.grading.registry import grader, load_expected
from hw3.grading.results import (
    CaseDef,
    CaseResult,
    ClassResults,
    QuestionDef,
    QuestionScore,
    Scores,
    SubmissionResult,
    questions_json,
)
from hw3.grading.stored import fit_entry
from hw3.grading.submission import Submission, read, strip_otter_cells, unique_ids
from hw3.grading.tree import Found, find, first_of_each
from hw3.grading.variant_answers import expected_with
from hw3.layout import ASSIGNMENT, clean_json, clean_text
from hw3.marking.rubric import manual_summary


@dataclass
class Options:
    workers: int = 1
    timeout: float = timeouts.SUBMISSION_SECONDS  # wall seconds for a whole submission
    cell_timeout: float = timeouts.CELL_SECONDS  # wall seconds for one cell
    cache_dir: Path | None = field(default_factory=default_cache_dir)  # None: no cache
    isolation: str = "auto"  # "auto" | "bubblewrap" | "unprivileged-user" | "none"
    judge_budget: Budget = field(default_factory=Budget)  # time and memory to judge one
    shard: Any = None  # hw3.grading.shards.Shard: grade only its part of the class
    # The roster's student ids by submission id (``hw3 grade --roster``): whose variant each is.
    roster_ids: dict[str, str] = field(default_factory=dict)
    # Gradescope's submitter (SID or e-mail, from submission_metadata.json): the one upload's.
    gradescope_id: str | None = None


# ----------------------------------------------------------------------------- results


def question_defs() -> list[QuestionDef]:
    """Every auto-graded question with its cases, in the contract's order."""
    return [QuestionDef(q, float(sum(c.points for c in cs)),
                        tuple(CaseDef(c.id, q, float(c.points), c.hidden, c.description)
                              for c in cs))
            for q, cs in grader().questions.items()]


def questions_summary() -> dict[str, Any]:
    """The results' top-level ``questions`` (the rubric), as JSON."""
    return questions_json(question_defs())


def scores(verdicts: dict[str, Verdict]) -> Scores:
    """Per-case and per-question scores from each case's verdict (a missing verdict: 0)."""
    case_rows: list[CaseResult] = []
    questions: dict[str, QuestionScore] = {}
    total = possible = 0.0
    for question, cases in grader().questions.items():
        got = 0.0
        for case in cases:
            verdict = verdicts.get(case.id, Verdict.fail("not graded"))
            earned = float(case.points) if verdict.ok else 0.0
            got += earned
            case_rows.append(CaseResult(case.id, question, float(case.points), earned,
                                        case.hidden, verdict.ok, case.description,
                                        feedback(case, verdict, graded=True)))
        worth = float(sum(c.points for c in cases))
        questions[question] = QuestionScore(got, worth)
        total += got
        possible += worth
    return Scores(total, possible, questions, case_rows)


def score(verdicts: dict[str, Verdict]) -> dict[str, Any]:
    """``scores`` as JSON: score, possible, questions and cases."""
    return scores(verdicts).to_json()


def unreadable(sub: Submission) -> dict[str, Any]:
    """The entry of a submission that could not be read: every question at zero."""
    return SubmissionResult(str(sub.path), sub.id, "invalid", sub.problem, scores({}),
                            explanations={}).to_json()


def internal_error(sub: Submission, error: BaseException) -> dict[str, Any]:
    return SubmissionResult(
        str(sub.path), sub.id, "error",
        "The grader failed on this submission; please tell your instructor "
        f"({type(error).__name__}: {str(error)[:300]}).",
        scores({}), explanations=sub.explanations).to_json()


# ----------------------------------------------------------------------------- one submission


def identity_of(sub: Submission, roster: str | None = None,
                gradescope: str | None = None) -> Identity:
    """Whose submission it is (``hw3.grading.identity``): the roster's id, Gradescope's, or
    the notebook's own ``STUDENT_ID``."""
    return resolve(declared_id(sub.cells), roster, gradescope)


def grade_one(sub: Submission, worker: Any, expected: dict[str, Any],
              judges: JudgePool | None = None, identity: Identity | None = None,
              class_ids: Iterable[str] | None = None) -> dict[str, Any]:
    """Grade one readable submission in ``worker``'s sandbox, judged by ``judges`` (budgeted
    processes; None: in this process, unbounded, for trusted data only) against the variant of
    ``identity`` (default: the notebook's own id); ``class_ids``: the other students, whose
    variants the answers are compared with (``hw3.grading.copying``)."""
    start = time.monotonic()
    who = identity or identity_of(sub)
    run = execute(sub, worker)
    probes = probe_data(run)
    verdicts, notes = judge_probes(probes, expected, judges, who.student_id)
    entry = record(sub, run, probes, verdicts, notes, time.monotonic() - start, who)
    entry["variant"]["right_for_others"] = right_for_others(probes, who.student_id,
                                                            class_ids or ())
    return entry


def execute(sub: Submission, worker: Any) -> dict[str, Any]:
    """Run the submission's cells, then every case's probe, in ``worker``'s sandbox."""
    from hw3.grading.execute import execute_submission

    # Otter's own lines would only fail here (no Otter in the sandbox): each becomes `pass`,
    # line by line, so a cell that also holds the student's code keeps it, and cell and line
    # numbers in messages stay those of the notebook.
    cells = strip_otter_cells(sub.cells)
    return dataclasses.asdict(execute_submission(worker, cells, list(grader().cases),
                                                 cell_name=lambda i: f"Code cell {i + 1}"))


def probe_data(run: dict[str, Any]) -> dict[str, str]:
    """Each case's encoded probe data as the sandbox sent it (anything else is dropped)."""
    probes = run.get("probes", {})
    return {k: v for k, v in probes.items() if isinstance(k, str) and isinstance(v, str)}


def judge_probes(probes: dict[str, str], expected: dict[str, Any],
                 judges: JudgePool | None, student_id: str = ""
                 ) -> tuple[dict[str, Verdict], list[str]]:
    """Every case's verdict against ``student_id``'s variant, and notes on the judges' budget
    (None: judged in this process)."""
    if judges is None:
        return judge_in_process(probes, expected_with(expected, student_id) if student_id
                                else expected), []
    return judges.judge_all(probes, list(grader().cases), student_id)


def judge_in_process(probes: dict[str, str], expected: dict[str, Any]) -> dict[str, Verdict]:
    """Judge every case here from the child's encoded probe data (a case without data fails)."""
    registry = grader()
    return {case_id: registry.judge(case, probes.get(case_id), expected)
            for case_id, case in registry.cases.items()}


def record(sub: Submission, run: dict[str, Any], probes: dict[str, str],
           verdicts: dict[str, Verdict], notes: list[str], seconds: float,
           identity: Identity | None = None) -> dict[str, Any]:
    """The submission's result entry: scores, what happened while it ran, and messages."""
    result = scores(verdicts)
    events = list(run.get("events", []))
    events += [{"kind": "judge_budget", "cell": None, "message": n} for n in notes]
    who = identity or identity_of(sub)
    messages = [e.get("message", "") for e in events] + sub.notes + [who.note()]
    if len(probes) < len(grader().cases):
        messages.append("Some checks could not run because the notebook stopped first.")
    return fit_entry(SubmissionResult(
        str(sub.path), sub.id, "graded", " ".join(m for m in messages if m), result, events,
        cells=run.get("cells", []), isolation=run.get("isolation", ""),
        seconds=round(seconds, 3), explanations=sub.explanations,
        variant=who.to_json()).to_json())


# ----------------------------------------------------------------------------- a class


def grade_paths(paths: Iterable[Path | Found], options: Options | None = None,
                progress: Callable[[int], Any] | None = None,
                on_total: Callable[[int], Any] | None = None,
                say: Callable[[str], Any] | None = None) -> dict[str, Any]:
    """Grade every file under ``paths`` (``hw3.grading.tree.find``; a ``Found`` as it is);
    one entry per file, in discovery order. ``say`` gets one sentence for the instructor when
    ids had to be made unique."""
    from hw3.grading.jail import payload
    from hw3.sandbox import Limits, Worker, requested_mode

    options = options or Options()
    mode = requested_mode(options.isolation)
    mode = "bubblewrap" if mode == "auto" else mode  # auto never falls back: it is bubblewrap
    found: list[Found] = []
    for p in paths:
        found += [p] if isinstance(p, Found) else find([Path(p)])
    found = first_of_each(found)
    named = unique_ids([f.path for f in found])  # over the whole class, sharded or not
    ids = named.ids
    if named.renamed and say is not None:
        say(named.sentence())
    if options.shard is not None:
        mine = set(options.shard.select([f.path for f in found], ids))
        found = [f for f in found if f.path in mine]
    files = [f.path for f in found]
    if on_total:
        on_total(len(files))
    expected = expected_data()
    key = autograder_key()
    cache = results_cache(options, key, mode)
    everyone = Cache(options.cache_dir, "")  # the whole cache folder, whatever the key
    everyone.untaint()
    results, todo = read_all(found, ids, cache, progress, options)
    # Everyone whose variant a submission's answers are compared with: the roster's ids and
    # the ids the notebooks declare.
    class_ids = sorted({*options.roster_ids.values(), *(declared_id(s.cells) for _, s in todo)}
                       - {""})

    limits = Limits(cell_seconds=options.cell_timeout, total_seconds=options.timeout)
    n = max(1, min(options.workers, len(todo)))
    if mode == "unprivileged-user":
        n = 1  # every job runs as the same host uid: two at once could signal each other
    # Sandboxes boot in the background (a few seconds: imports and warm-up) while this process
    # pays its judges' first-use costs. Workers are made here, in the long-lived main thread,
    # and lent to the grading threads one submission at a time.
    workers: list[Any] = []
    judges: JudgePool | None = None
    try:
        for _ in range(n if todo else 0):
            workers.append(Worker(limits, isolation=options.isolation, payload=payload()))
        # Judges run in their own budgeted process (hw3.grading.judging), which warms up meanwhile.
        judges = JudgePool(n, options.judge_budget) if todo else None
        if mode == "none" and workers:
            everyone.taint()
        for w in workers:
            w.start()  # a sandbox that cannot start stops the run here, before any grading
    except BaseException:  # SandboxError, or Ctrl-C while they start: none is left behind
        for w in workers:
            w.close()
        if judges is not None:
            judges.close()
        raise
    sandbox = workers[0].describe() if workers else {}
    free: queue.Queue[Any] = queue.Queue()
    for w in workers:
        free.put(w)
    stopping = threading.Event()  # set on Ctrl-C: what runs then is cut short, never kept

    def work(sub: Submission) -> dict[str, Any] | None:
        worker = free.get()
        try:
            result = grade_one(sub, worker, expected, judges,
                               identity_of(sub, options.roster_ids.get(sub.id),
                                           options.gradescope_id), class_ids)
        except Exception as e:  # noqa: BLE001 - one submission's failure is its own entry
            return None if stopping.is_set() else internal_error(sub, e)
        finally:
            free.put(worker)
        if stopping.is_set():
            return None
        cache.put(sub, result)
        return result

    def summary(entries: dict[int, dict[str, Any]]) -> dict[str, Any]:
        # Entries stay dicts (as the cache keeps them): checked here, once, on their way out,
        # with their text made UTF-8-safe (file names that are not UTF-8, lone surrogates).
        return clean_json(ClassResults(
            ASSIGNMENT, key, dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            question_defs(), [SubmissionResult.from_json(entries[i]) for i in range(len(files))
                              if i in entries],
            manual=manual_summary(), sandbox=sandbox).to_json())

    pool = ThreadPoolExecutor(max_workers=n, thread_name_prefix="hw3-grade")
    futures: dict[Any, int] = {}
    try:
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
        if judges is not None:
            judges.close(wait=0)  # a verdict in progress is not kept: no need to wait for it
        partial = summary(results)
        partial["interrupted"] = {
            "finished": len(results), "total": len(files),
            "not_graded": [clean_text(str(files[i])) for i in range(len(files))
                           if i not in results]}
        raise Interrupted(partial, cached=options.cache_dir is not None) from None
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        for w in workers:
            w.close()
        if judges is not None:
            judges.close()
        if mode == "none" and workers:
            # Students' code could write anywhere this user can, the cache included.
            everyone.untaint()
    return summary(results)


def expected_data() -> dict[str, Any]:
    """The expected data of every case that compares with it (else: rebuild first)."""
    expected = load_expected()
    stale = sorted(i for i, c in grader().cases.items() if c.uses_expected and i not in expected)
    if stale:
        raise ValueError(f"no expected data for {', '.join(stale)}: run `hw3 build` first")
    return expected


def results_cache(options: Options, key: str, mode: str) -> Cache:
    """This run's cache: a cached result also depends on the limits and on the isolation it was
    graded under (the Cache keeps one folder per isolation mode actually used)."""
    settings = f"{options.timeout}:{options.cell_timeout}"
    cache_dir = options.cache_dir
    if cache_dir is not None and _visible_in_sandbox(cache_dir):
        print(f"hw3: not using the cache in {cache_dir}: the sandbox shows that folder to "
              "students' code", file=sys.stderr)
        cache_dir = None
    return Cache(cache_dir, hashlib.sha256(f"{key}:{settings}".encode()).hexdigest(), mode)


def read_all(files: list[Found], ids: dict[Path, str], cache: Cache,
             progress: Callable[[int], Any] | None, options: Options | None = None
             ) -> tuple[dict[int, dict[str, Any]], list[tuple[int, Submission]]]:
    """Read every file: the entries already known (unreadable, or cached for the same
    authoritative id) by index, and the submissions still to grade."""
    results: dict[int, dict[str, Any]] = {}
    todo: list[tuple[int, Submission]] = []
    for i, found in enumerate(files):
        sub = read(found, ids[found.path])
        hit = cache.get(sub) if sub.readable else None
        opts = options or Options(cache_dir=None)
        if hit is not None and not same_identity(hit.get("variant"), identity_of(
                sub, opts.roster_ids.get(sub.id), opts.gradescope_id)):
            hit = None  # graded for another id (the roster changed): grade it again
        if not sub.readable:
            results[i] = unreadable(sub)
        elif hit is not None:
            # Explanations are read here, not graded: a cached grade gets them afresh.
            results[i] = fit_entry({**hit, "explanations": sub.explanations})
        else:
            todo.append((i, sub))
            continue
        if progress:
            progress(1)
    return results, todo


class Interrupted(KeyboardInterrupt):
    """Ctrl-C while grading. ``results`` has the shape of ``grade_paths``' return with the
    submissions finished before it only, and ``results["interrupted"]`` says what is missing;
    ``cached``: the finished ones are also in the cache."""

    def __init__(self, results: dict[str, Any], cached: bool):
        super().__init__("interrupted")
        self.results, self.cached = results, cached


def _visible_in_sandbox(folder: Path) -> bool:
    """Whether the bubblewrap sandbox binds ``folder`` (or a folder above it) for students."""
    from hw3.grading.jail import visible_paths

    try:
        target = folder.resolve()
    except OSError:
        return False
    return any(target == Path(p) or Path(p) in target.parents for p in visible_paths())

