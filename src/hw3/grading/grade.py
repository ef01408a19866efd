"""Grading a class: the way of a submission, top to bottom.

    discover -> read (ipynb or export zip; never written) -> its code cells
             -> execute them in a sandboxed child, which runs the probes (``execute``)
             -> the probes' data, encoded plain data (``probe_data``)
             -> judge it here, in trusted judge processes (``judge_probes``)
             -> record one typed result (``record``: a ``SubmissionResult``), cached by
                submission and autograder (``hw3.grading.cache``).

``grade_one`` is that way for one readable submission; ``grade_paths`` runs it for a class
(``discover``, ``read_all``: cached and unreadable submissions first, then ``Sandboxes``: the
rest on a few sandboxes at once) and returns ``ClassResults``. Results become JSON only at the
edges: the cache, results.json, Gradescope's and PrairieLearn's files, the CSV files. Nothing
here prints: what the instructor should hear goes to the ``say`` callback.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import queue
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hw3.cases import feedback
from hw3.cases.checking import Verdict
from hw3.grading import timeouts
from hw3.grading.cache import Cache, autograder_key, default_cache_dir
from hw3.grading.copying import right_for_others
from hw3.grading.execute import Execution, execute_submission
from hw3.grading.identity import Identity, declared_id, resolve, same_identity
from hw3.grading.judging import Budget, JudgePool
from hw3.grading.registry import grader, load_expected
from hw3.grading.results import (
    CaseDef,
    CaseResult,
    ClassResults,
    Isolation,
    QuestionDef,
    QuestionScore,
    Scores,
    Status,
    SubmissionResult,
    questions_json,
)
from hw3.grading.stored import fit
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


def unreadable(sub: Submission) -> SubmissionResult:
    """The entry of a submission that could not be read: every question at zero."""
    return SubmissionResult(str(sub.path), sub.id, Status.INVALID, sub.problem, scores({}),
                            explanations={})


def internal_error(sub: Submission, error: BaseException) -> SubmissionResult:
    return SubmissionResult(
        str(sub.path), sub.id, Status.ERROR,
        "The grader failed on this submission; please tell your instructor "
        f"({type(error).__name__}: {str(error)[:300]}).",
        scores({}), explanations=sub.explanations)


# ----------------------------------------------------------------------------- one submission


def identity_of(sub: Submission, roster: str | None = None,
                gradescope: str | None = None) -> Identity:
    """Whose submission it is (``hw3.grading.identity``): the roster's id, Gradescope's, or
    the notebook's own ``STUDENT_ID``."""
    return resolve(declared_id(sub.cells), roster, gradescope)


def grade_one(sub: Submission, worker: Any, expected: dict[str, Any],
              judges: JudgePool | None = None, identity: Identity | None = None,
              class_ids: Iterable[str] | None = None) -> SubmissionResult:
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
    assert entry.variant is not None  # record() always says whose variant it graded with
    entry.variant["right_for_others"] = right_for_others(probes, who.student_id,
                                                         class_ids or ())
    return entry


def execute(sub: Submission, worker: Any) -> Execution:
    """Run the submission's cells, then every case's probe, in ``worker``'s sandbox."""
    # Otter's own lines would only fail here (no Otter in the sandbox): each becomes `pass`,
    # line by line, so a cell that also holds the student's code keeps it, and cell and line
    # numbers in messages stay those of the notebook.
    cells = strip_otter_cells(sub.cells)
    return execute_submission(worker, cells, list(grader().cases),
                              cell_name=lambda i: f"Code cell {i + 1}")


def probe_data(run: Execution) -> dict[str, str]:
    """Each case's encoded probe data as the sandbox sent it (anything else is dropped)."""
    return {k: v for k, v in run.probes.items() if isinstance(k, str) and isinstance(v, str)}


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


def record(sub: Submission, run: Execution, probes: dict[str, str],
           verdicts: dict[str, Verdict], notes: list[str], seconds: float,
           identity: Identity | None = None) -> SubmissionResult:
    """The submission's result entry: scores, what happened while it ran, and messages."""
    result = scores(verdicts)
    events = list(run.events)
    events += [{"kind": "judge_budget", "cell": None, "message": n} for n in notes]
    who = identity or identity_of(sub)
    messages = [e.get("message", "") for e in events] + sub.notes + [who.note()]
    if len(probes) < len(grader().cases):
        messages.append("Some checks could not run because the notebook stopped first.")
    return fit(SubmissionResult(
        str(sub.path), sub.id, Status.GRADED, " ".join(m for m in messages if m), result,
        events, cells=[dataclasses.asdict(c) for c in run.cells], isolation=run.isolation,
        seconds=round(seconds, 3), explanations=sub.explanations, variant=who.to_json()))


# ----------------------------------------------------------------------------- a class


def grade_paths(paths: Iterable[Path | Found], options: Options | None = None,
                progress: Callable[[int], Any] | None = None,
                on_total: Callable[[int], Any] | None = None,
                say: Callable[[str], Any] | None = None) -> ClassResults:
    """Grade every file under ``paths`` (``hw3.grading.tree.find``; a ``Found`` as it is);
    one entry per file, in discovery order. ``say`` gets a sentence for the instructor when
    ids had to be made unique or the cache cannot be used (library code never prints);
    ``progress`` one tick per submission done, ``on_total`` the number to do. Ctrl-C raises
    ``Interrupted`` with what finished."""
    options = options or Options()
    tell = say or (lambda _line: None)
    mode = run_mode(options)
    found, ids = discover(paths, options, tell)
    files = [f.path for f in found]
    if on_total:
        on_total(len(files))
    expected = expected_data()
    key = autograder_key()
    cache = results_cache(options, key, mode, tell)
    everyone = Cache(options.cache_dir, "")  # the whole cache folder, whatever the key
    everyone.forget_if_tainted()
    results, todo = read_all(found, ids, cache, progress, options)
    # Everyone whose variant a submission's answers are compared with: the roster's ids and
    # the ids the notebooks declare.
    class_ids = sorted({*options.roster_ids.values(), *(declared_id(s.cells) for _, s in todo)}
                       - {""})
    sandboxes = Sandboxes.start(options, mode, len(todo), everyone)

    def grade(sub: Submission, worker: Any) -> SubmissionResult:
        return grade_one(sub, worker, expected, sandboxes.judges,
                         identity_of(sub, options.roster_ids.get(sub.id),
                                     options.gradescope_id), class_ids)

    def finish(extra: dict[str, Any] | None = None) -> ClassResults:
        return class_results(key, [results[i] for i in range(len(files)) if i in results],
                             sandboxes.describe(), extra)

    try:
        sandboxes.grade_all(todo, grade, cache, results, progress)
    except KeyboardInterrupt:
        sandboxes.kill()  # what runs is dropped, its sandbox killed now, not waited for
        partial = finish({"finished": len(results), "total": len(files),
                          "not_graded": [clean_text(str(files[i])) for i in range(len(files))
                                         if i not in results]})
        raise Interrupted(partial, cached=options.cache_dir is not None) from None
    finally:
        sandboxes.close()
    return finish()


def run_mode(options: Options) -> str:
    """The isolation this run asks of its sandboxes (``auto`` never falls back: bubblewrap)."""
    from hw3.sandbox import requested_mode

    mode = requested_mode(options.isolation)
    return Isolation.BUBBLEWRAP if mode == Isolation.AUTO else mode


def discover(paths: Iterable[Path | Found], options: Options, say: Callable[[str], Any]
             ) -> tuple[list[Found], dict[Path, str]]:
    """Every file to grade (this shard's part, if sharded), and each file's unique id (made
    unique over the whole class, sharded or not)."""
    found: list[Found] = []
    for p in paths:
        found += [p] if isinstance(p, Found) else find([Path(p)])
    found = first_of_each(found)
    named = unique_ids([f.path for f in found])
    if named.renamed:
        say(named.sentence())
    if options.shard is not None:
        mine = set(options.shard.select([f.path for f in found], named.ids))
        found = [f for f in found if f.path in mine]
    return found, named.ids


def class_results(key: str, entries: list[SubmissionResult], sandbox: dict[str, Any],
                  interrupted: dict[str, Any] | None = None) -> ClassResults:
    """The run's results, with their text made UTF-8-safe (file names that are not UTF-8,
    lone surrogates) once, on their way out."""
    typed = ClassResults(
        ASSIGNMENT, key, dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        question_defs(), entries, manual=manual_summary(), sandbox=sandbox,
        interrupted=interrupted)
    return ClassResults.from_json(clean_json(typed.to_json()))


@dataclass
class Sandboxes:
    """The run's sandboxes (``hw3.sandbox.Worker``) and judges (``JudgePool``), lent to the
    grading threads one submission at a time."""

    workers: list[Any]
    judges: JudgePool | None
    mode: str
    everyone: Cache  # the whole cache: marked tainted while students' code runs unsandboxed
    free: queue.Queue[Any] = field(default_factory=queue.Queue)
    stopping: threading.Event = field(default_factory=threading.Event)  # Ctrl-C: keep nothing
    pool: ThreadPoolExecutor | None = None

    @classmethod
    def start(cls, options: Options, mode: str, todo: int, everyone: Cache) -> Sandboxes:
        """Boot the sandboxes (a few seconds: imports and warm-up, in the background) while
        this process pays its judges' first-use costs; none for nothing to do. A sandbox that
        cannot start stops the run here, before any grading, and leaves none behind."""
        from hw3.grading.jail import payload
        from hw3.sandbox import Limits, Worker

        limits = Limits(cell_seconds=options.cell_timeout, total_seconds=options.timeout)
        n = max(1, min(options.workers, todo))
        if mode == Isolation.UNPRIVILEGED_USER:
            n = 1  # every job runs as the same host uid: two at once could signal each other
        # Workers are made here, in the long-lived main thread.
        self = cls([], None, mode, everyone)
        try:
            for _ in range(n if todo else 0):
                self.workers.append(Worker(limits, isolation=options.isolation,
                                           payload=payload()))
            # Judges run in their own budgeted process (hw3.grading.judging), warming up now.
            self.judges = JudgePool(n, options.judge_budget) if todo else None
            if mode == Isolation.NONE and self.workers:
                everyone.taint()
            for w in self.workers:
                w.start()
        except BaseException:  # SandboxError, or Ctrl-C while they start
            self.close()
            raise
        for w in self.workers:
            self.free.put(w)
        return self

    def describe(self) -> dict[str, Any]:
        """How the sandboxes were isolated (the results' ``sandbox``)."""
        return self.workers[0].describe() if self.workers else {}

    def grade_all(self, todo: list[tuple[int, Submission]],
                  grade: Callable[[Submission, Any], SubmissionResult], cache: Cache,
                  results: dict[int, SubmissionResult],
                  progress: Callable[[int], Any] | None) -> None:
        """Grade ``todo`` on the sandboxes, a thread each; each result into ``results`` (by
        index) and the cache as it finishes. On Ctrl-C what finished is kept."""
        self.pool = ThreadPoolExecutor(max_workers=max(1, len(self.workers)),
                                       thread_name_prefix="hw3-grade")
        futures = {self.pool.submit(self._work, sub, grade, cache): i for i, sub in todo}
        try:
            for future in as_completed(futures):
                result = future.result()
                if result is not None:
                    results[futures[future]] = result
                if progress:
                    progress(1)
        except KeyboardInterrupt:
            self.stopping.set()
            for future, i in futures.items():
                if future.done() and not future.cancelled() and future.exception() is None:
                    result = future.result()
                    if result is not None:
                        results[i] = result
            raise

    def _work(self, sub: Submission, grade: Callable[[Submission, Any], SubmissionResult],
              cache: Cache) -> SubmissionResult | None:
        worker = self.free.get()
        try:
            result = grade(sub, worker)
        except Exception as e:  # noqa: BLE001 - one submission's failure is its own entry
            return None if self.stopping.is_set() else internal_error(sub, e)
        finally:
            self.free.put(worker)
        if self.stopping.is_set():
            return None
        cache.put(sub, result)
        return result

    def kill(self) -> None:
        """Ctrl-C: stop what runs now (a verdict in progress is not kept: no need to wait)."""
        self.stopping.set()
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
        for w in self.workers:
            w.kill()
        if self.judges is not None:
            self.judges.close(wait=0)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
        for w in self.workers:
            w.close()
        if self.judges is not None:
            self.judges.close()
        if self.mode == Isolation.NONE and self.workers:
            # Students' code could write anywhere this user can, the cache included.
            self.everyone.forget_if_tainted()


def expected_data() -> dict[str, Any]:
    """The expected data of every case that compares with it (else: rebuild first)."""
    expected = load_expected()
    stale = sorted(i for i, c in grader().cases.items() if c.uses_expected and i not in expected)
    if stale:
        raise ValueError(f"no expected data for {', '.join(stale)}: run `hw3 build` first")
    return expected


def results_cache(options: Options, key: str, mode: str,
                  say: Callable[[str], Any] = lambda _line: None) -> Cache:
    """This run's cache: a cached result also depends on the limits and on the isolation it was
    graded under (the Cache keeps one folder per isolation mode actually used). ``say`` hears
    why a cache folder is not used."""
    settings = f"{options.timeout}:{options.cell_timeout}"
    cache_dir = options.cache_dir
    if cache_dir is not None and _visible_in_sandbox(cache_dir):
        say(f"not using the cache in {cache_dir}: the sandbox shows that folder to students' "
            "code")
        cache_dir = None
    return Cache(cache_dir, hashlib.sha256(f"{key}:{settings}".encode()).hexdigest(), mode)


def read_all(files: list[Found], ids: dict[Path, str], cache: Cache,
             progress: Callable[[int], Any] | None, options: Options | None = None
             ) -> tuple[dict[int, SubmissionResult], list[tuple[int, Submission]]]:
    """Read every file: the entries already known (unreadable, or cached for the same
    authoritative id) by index, and the submissions still to grade."""
    results: dict[int, SubmissionResult] = {}
    todo: list[tuple[int, Submission]] = []
    opts = options or Options(cache_dir=None)
    for i, found in enumerate(files):
        sub = read(found, ids[found.path])
        hit = cache.get(sub) if sub.readable else None
        if hit is not None and not same_identity(hit.variant, identity_of(
                sub, opts.roster_ids.get(sub.id), opts.gradescope_id)):
            hit = None  # graded for another id (the roster changed): grade it again
        if not sub.readable:
            results[i] = unreadable(sub)
        elif hit is not None:
            # Explanations are read here, not graded: a cached grade gets them afresh.
            results[i] = fit(replace(hit, explanations=sub.explanations))
        else:
            todo.append((i, sub))
            continue
        if progress:
            progress(1)
    return results, todo


class Interrupted(KeyboardInterrupt):
    """Ctrl-C while grading. ``results`` are ``grade_paths``' with the submissions finished
    before it only, and ``results.interrupted`` says what is missing; ``cached``: the finished
    ones are also in the cache."""

    def __init__(self, results: ClassResults, cached: bool):
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

