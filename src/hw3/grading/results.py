"""The grading results, typed: what ``hw3 grade`` records and every report is made from.

The JSON form is the contract of the README ("Grading results"): ``to_json()`` gives it key for
key and in the same order as the grader has always written it, and ``ClassResults.from_json``
is the one validator of it (``hw3 report``, ``hw3 mark`` and the reports all go through it).
The objects also own their other exports: Gradescope's results.json (``gradescope_json``) and
the rows of grades.csv (``SubmissionResult.grades_row``).

Results carry text a submission chose (its file name, what its code printed), and a results
file can be edited by hand: ``from_json`` checks types and sizes in one pass over the data,
with no recursion into submitted values, and says what is wrong in one sentence naming the
field. Optional fields that are absent stay absent (``None``) so a round trip is exact.

This module is long because each result type sits beside its validation and its exports: a
field added in one place is read, checked and written in the same screenful.
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hw3.layout import clean_json

# Far above any class (a few hundred submissions of 14 questions and ~60 cases), so only a
# broken or hostile file meets them.
MAX_RESULTS_BYTES = 512 * 2**20
MAX_SUBMISSIONS = 100_000
MAX_ITEMS = 10_000  # questions, cases or events of one submission
# Any number in results (points, scores, seconds) is finite and at most this large: a results
# file edited by hand or forged (1e400, Infinity, NaN, a 5,000-digit integer) gets one sentence.
MAX_NUMBER = 1e12


class ResultsError(ValueError):
    """``results.json`` (or the dict given) does not have the expected shape."""


# ----------------------------------------------------------------------------- vocabularies


class Status(enum.StrEnum):
    """What became of one submission (a result's ``status``; grades.csv's ``status`` column)."""

    GRADED = "graded"  # it could be read, and was run and judged (its score may still be 0)
    INVALID = "invalid"  # it could not be read (no notebook, a broken zip, ...): all 0
    ERROR = "error"  # the grader itself failed on it: every question 0, never cached


class Isolation(enum.StrEnum):
    """How students' code was confined (``--isolation``; the first word of a result's
    ``isolation``, which may add a reason: "bubblewrap (asked for by name)")."""

    AUTO = "auto"  # asked for only: means bubblewrap, and never falls back to weaker
    BUBBLEWRAP = "bubblewrap"  # namespaces, seccomp, cgroups: the safe default
    UNPRIVILEGED_USER = "unprivileged-user"  # another uid, no namespaces (root, no bwrap)
    NONE = "none"  # not confined at all: asked for by name, said in every result, never cached

    @classmethod
    def of(cls, isolation: str | None) -> Isolation | None:
        """The mode a result's ``isolation`` text names ("bubblewrap (why)" -> BUBBLEWRAP);
        None: no such mode."""
        word = isolation.split(" ", 1)[0].strip().lower() if isolation else ""
        return cls(word) if word in cls._value2member_map_ else None


# ----------------------------------------------------------------------------- helpers


def _float(value: Any, where: str = "a number") -> float | None:
    """``value`` as a float (None: not a number); ResultsError if not finite or too large."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, int) and abs(value) > MAX_NUMBER:  # before float(): 10**400 overflows
        raise ResultsError(f"results: {where} is {str(value)[:20]}..., larger than "
                           f"{MAX_NUMBER:g}")
    x = float(value)
    if not math.isfinite(x) or abs(x) > MAX_NUMBER:
        raise ResultsError(f"results: {where} must be a finite number of at most "
                           f"{MAX_NUMBER:g}, got {x!r}")
    return x


def _need_number(obj: Mapping[str, Any], key: str, where: str) -> float:
    value = _float(obj.get(key), f"{where}.{key}")
    if value is None:
        raise ResultsError(f"results: {where}.{key} must be a number, got {obj.get(key)!r:.80}")
    return value


def _bounded(items: Sequence[Any] | Mapping[str, Any], limit: int, where: str) -> None:
    if len(items) > limit:
        raise ResultsError(f"results: {where} has {len(items)} entries, more than {limit}")


def csv_number(x: float | None) -> str:
    """A number for CSV files: exact (``float(text) == x``), whole numbers without ``.0``."""
    if x is None:
        return ""
    if math.isfinite(x) and x == int(x) and abs(x) < 2**53:
        return str(int(x))
    return repr(float(x))


# ----------------------------------------------------------------------------- the rubric


@dataclass(frozen=True)
class CaseDef:
    """One test case of the rubric (top-level ``questions``)."""

    id: str
    question: str
    points: float
    hidden: bool
    description: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "points": self.points, "hidden": self.hidden,
                "description": self.description}


@dataclass(frozen=True)
class QuestionDef:
    """One auto-graded question of the rubric with its cases."""

    name: str
    possible: float
    cases: tuple[CaseDef, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"possible": self.possible, "cases": [c.to_json() for c in self.cases]}


def questions_json(questions: Sequence[QuestionDef]) -> dict[str, Any]:
    return {q.name: q.to_json() for q in questions}


def questions_from_json(qs: Any) -> list[QuestionDef]:
    if not isinstance(qs, Mapping):
        raise ResultsError("results: 'questions' must be an object mapping names to questions")
    _bounded(qs, MAX_ITEMS, "questions")
    out = []
    for name, q in qs.items():
        where = f"questions.{name}"
        if not isinstance(q, Mapping):
            raise ResultsError(f"results: {where} must be an object")
        cases = q.get("cases", [])
        if not isinstance(cases, list):
            raise ResultsError(f"results: {where}.cases must be a list")
        _bounded(cases, MAX_ITEMS, f"{where}.cases")
        defs = []
        for i, c in enumerate(cases):
            if not isinstance(c, Mapping) or not isinstance(c.get("id"), str):
                raise ResultsError(f"results: {where}.cases[{i}] must be an object with an 'id'")
            defs.append(CaseDef(c["id"], str(name),
                                _float(c.get("points"), f"{where}.cases[{i}].points") or 0.0,
                                bool(c.get("hidden", False)), str(c.get("description", ""))))
        out.append(QuestionDef(str(name), _need_number(q, "possible", where), tuple(defs)))
    return out


@dataclass(frozen=True)
class ManualQuestion:
    """A hand-graded question (the results' ``manual``), marked in ``hw3 mark``."""

    name: str
    possible: float
    prompt: str


@dataclass(frozen=True)
class Explanation:
    """A submission's answer to a hand-graded question, as collected (``hw3.marking.collect``)."""

    text: str = ""
    found: bool = False  # its answer cell was found in the notebook
    truncated: bool = False  # cut to the stored size


# ----------------------------------------------------------------------------- one submission


@dataclass
class CaseResult:
    """One case's outcome for one submission. ``message`` is what the student may see (for
    hidden cases, already made safe by the grader). ``passed`` None: not recorded (old files);
    then a full score counts as passed."""

    id: str
    question: str
    points: float
    score: float | None
    hidden: bool
    passed: bool | None
    description: str
    message: str

    @property
    def ok(self) -> bool:
        if self.passed is not None:
            return self.passed
        return (self.score or 0.0) >= self.points - 1e-9

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "question": self.question, "points": self.points,
                "score": self.score, "hidden": self.hidden, "passed": self.passed,
                "description": self.description, "message": self.message}

    @classmethod
    def from_json(cls, c: Mapping[str, Any], where: str = "case") -> CaseResult:
        passed = c.get("passed")
        return cls(str(c.get("id", "")), str(c.get("question", "")),
                   _float(c.get("points"), f"{where}.points") or 0.0,
                   _float(c.get("score"), f"{where}.score"),
                   bool(c.get("hidden", False)), passed if isinstance(passed, bool) else None,
                   str(c.get("description") or ""), str(c.get("message") or ""))


@dataclass(frozen=True)
class QuestionScore:
    score: float | None  # None: no score recorded (shown as such, never as 0)
    possible: float | None

    def to_json(self) -> dict[str, Any]:
        return {"score": self.score, "possible": self.possible}


@dataclass
class Scores:
    """The scores of one submission: total, per question (every question) and per case."""

    score: float
    possible: float
    questions: dict[str, QuestionScore]
    cases: list[CaseResult]

    def to_json(self) -> dict[str, Any]:
        return {"score": self.score, "possible": self.possible,
                "questions": {n: q.to_json() for n, q in self.questions.items()},
                "cases": [c.to_json() for c in self.cases]}


@dataclass
class SubmissionResult:
    """One submission's entry (``status``: see ``Status``). ``cells``, ``explanations`` and
    ``cached`` are absent (None) where the grader does not write them (unreadable submissions;
    fresh results)."""

    path: str
    id: str
    status: Status
    message: str
    scores: Scores
    events: list[dict[str, Any]] = field(default_factory=list)  # kind, cell, message
    isolation: str | None = ""
    seconds: float | None = 0.0
    cells: list[Any] | None = None
    explanations: dict[str, Any] | None = None
    cached: bool | None = None
    # Whose numbers it was graded with: student_id, source, declared, mismatch (the contract),
    # and the variant's name and params; None: absent (unreadable submissions, old results).
    variant: dict[str, Any] | None = None

    @property
    def score(self) -> float:
        return self.scores.score

    @property
    def possible(self) -> float:
        return self.scores.possible

    @property
    def questions(self) -> dict[str, QuestionScore]:
        return self.scores.questions

    @property
    def cases(self) -> list[CaseResult]:
        return self.scores.cases

    @property
    def graded(self) -> bool:
        return self.status == Status.GRADED

    def explanation(self, question: str) -> Explanation:
        """Its answer to the hand-graded ``question`` (empty if none was collected)."""
        e = (self.explanations or {}).get(question)
        if not isinstance(e, Mapping):
            return Explanation()
        return Explanation(str(e.get("text") or ""), bool(e.get("found")),
                           bool(e.get("truncated")))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "id": self.id, "status": self.status.value,
                               "message": self.message, **self.scores.to_json(),
                               "events": [dict(e) for e in self.events]}
        if self.cells is not None:
            out["cells"] = self.cells
        if self.isolation is not None:
            out["isolation"] = self.isolation
        if self.seconds is not None:
            out["seconds"] = self.seconds
        if self.explanations is not None:
            out["explanations"] = self.explanations
        if self.cached is not None:
            out["cached"] = self.cached
        if self.variant is not None:
            out["variant"] = dict(self.variant)
        return out

    @classmethod
    def from_json(cls, s: Any, where: str = "submission",
                  require_id: bool = True) -> SubmissionResult:
        """One entry; ``require_id`` False: an entry alone (Gradescope's one upload) may have
        neither id nor path."""
        if not isinstance(s, Mapping):
            raise ResultsError(f"results: {where} must be an object")
        path = str(s.get("path", ""))
        sub_id = s.get("id")
        if not isinstance(sub_id, str) or not sub_id:
            sub_id = Path(path).stem
        if not sub_id and require_id:
            raise ResultsError(f"results: {where} has neither an 'id' nor a 'path'")
        status = s.get("status")
        if not isinstance(status, str) or not status:
            raise ResultsError(f"results: {where}.status must be a non-empty string")
        if status not in Status._value2member_map_:
            raise ResultsError(f"results: {where}.status must be one of "
                               f"{', '.join(Status)}, got {status[:40]!r}")
        questions = _question_scores(s.get("questions", {}), where)
        cases = s.get("cases", []) or []
        events = s.get("events", []) or []
        if not isinstance(cases, list) or not all(isinstance(c, Mapping) for c in cases):
            raise ResultsError(f"results: {where}.cases must be a list of objects")
        if not isinstance(events, list) or not all(isinstance(e, Mapping) for e in events):
            raise ResultsError(f"results: {where}.events must be a list of objects")
        _bounded(cases, MAX_ITEMS, f"{where}.cases")
        _bounded(events, MAX_ITEMS, f"{where}.events")
        isolation, cells, explanations = s.get("isolation"), s.get("cells"), s.get("explanations")
        cached, variant = s.get("cached"), s.get("variant")
        if variant is not None and not (isinstance(variant, Mapping) and
                                        isinstance(variant.get("student_id"), str) and
                                        isinstance(variant.get("source"), str)):
            raise ResultsError(f"results: {where}.variant must be an object with a student_id "
                               "and a source")
        scores = Scores(_need_number(s, "score", where), _need_number(s, "possible", where),
                        questions, [CaseResult.from_json(c, f"{where}.cases[{i}]")
                                    for i, c in enumerate(cases)])
        return cls(path=path, id=sub_id, status=Status(status),
                   message=str(s.get("message") or ""),
                   scores=scores, events=[dict(e) for e in events],
                   isolation=None if isolation is None else str(isolation),
                   seconds=_float(s.get("seconds"), f"{where}.seconds"),
                   cells=cells if isinstance(cells, list) else None,
                   explanations=dict(explanations) if isinstance(explanations, Mapping) else None,
                   cached=cached if isinstance(cached, bool) else None,
                   variant=dict(variant) if variant is not None else None)

    def grades_row(self, questions: Sequence[str]) -> list[str]:
        """grades.csv's cells: id, status, total, possible and each question's score."""
        return [self.id, self.status.value, csv_number(self.score), csv_number(self.possible),
                *(csv_number(self.questions[n].score if n in self.questions else None)
                  for n in questions)]


def _question_scores(sq: Any, where: str) -> dict[str, QuestionScore]:
    if not isinstance(sq, Mapping):
        raise ResultsError(f"results: {where}.questions must be an object")
    _bounded(sq, MAX_ITEMS, f"{where}.questions")
    questions = {}
    for name, v in sq.items():
        if not isinstance(v, Mapping):
            raise ResultsError(f"results: {where}.questions.{name} must be an object")
        questions[str(name)] = QuestionScore(
            _float(v.get("score"), f"{where}.questions.{name}.score"),
            _float(v.get("possible"), f"{where}.questions.{name}.possible"))
    return questions


# ----------------------------------------------------------------------------- a class


@dataclass
class ClassResults:
    """``hw3 grade``'s whole output. ``manual`` (the hand-graded questions), ``sandbox`` (how
    the workers were isolated) and ``interrupted`` (what Ctrl-C left undone) are kept as the
    grader wrote them; None: absent."""

    assignment: str | None
    autograder: str | None
    generated: str | None
    questions: list[QuestionDef]
    submissions: list[SubmissionResult]
    manual: dict[str, Any] | None = None
    sandbox: dict[str, Any] | None = None
    interrupted: dict[str, Any] | None = None
    # ``hw3 grade --shard``'s record of its part (``hw3.grading.shards``), and ``hw3 merge``'s
    # note of what it joined; None: absent.
    shard: dict[str, Any] | None = None
    merged: dict[str, Any] | None = None

    def manual_questions(self) -> list[ManualQuestion]:
        """The hand-graded questions whose points are a number, in the results' order."""
        out = []
        for name, q in (self.manual or {}).items():
            p = q.get("possible") if isinstance(q, Mapping) else None
            if isinstance(p, (int, float)) and not isinstance(p, bool):
                out.append(ManualQuestion(str(name), float(p), str(q.get("prompt", ""))))
        return out

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("assignment", "autograder", "generated"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        out["questions"] = questions_json(self.questions)
        for key in ("manual", "sandbox"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        out["submissions"] = [s.to_json() for s in self.submissions]
        for key in ("interrupted", "shard", "merged"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out

    @classmethod
    def from_json(cls, results: Any) -> ClassResults:
        """The results of a dict as ``json.load`` gives it; raises ResultsError with one
        sentence naming the first bad field."""
        if not isinstance(results, Mapping):
            raise ResultsError("results: expected a JSON object at the top level")
        questions = questions_from_json(results.get("questions"))
        subs = results.get("submissions")
        if not isinstance(subs, list):
            raise ResultsError("results: 'submissions' must be a list")
        _bounded(subs, MAX_SUBMISSIONS, "submissions")
        submissions = [SubmissionResult.from_json(s, f"submissions[{i}]")
                       for i, s in enumerate(subs)]
        # Marks, answers and roster matches key on ids: two entries with one id would share them.
        first: dict[str, int] = {}
        for i, sub in enumerate(submissions):
            if sub.id in first:
                raise ResultsError(f"results: submissions[{i}] has the id {sub.id[:100]!r} of "
                                   f"submissions[{first[sub.id]}]; ids must be unique (grade "
                                   "again: hw3 grade makes them unique)")
            first[sub.id] = i
        manual = results.get("manual")
        for name, q in (manual.items() if isinstance(manual, Mapping) else ()):
            _float(q.get("possible") if isinstance(q, Mapping) else 0, f"manual.{name}.possible")

        def text(key: str) -> str | None:
            v = results.get(key)
            return None if v is None else str(v)

        def obj(key: str) -> dict[str, Any] | None:
            v = results.get(key)
            return dict(v) if isinstance(v, Mapping) else None

        return cls(text("assignment"), text("autograder"), text("generated"), questions,
                   submissions, obj("manual"), obj("sandbox"), obj("interrupted"),
                   obj("shard"), obj("merged"))


def load_results(out_dir: Path) -> ClassResults:
    """Read ``out_dir/results.json`` (``out_dir`` may also name the file itself) into
    ``ClassResults`` (``ClassResults.from_json``: the one validator).

    Raises FileNotFoundError if it is absent and ResultsError (a ValueError) if it is not JSON
    or lacks the fields the reports need."""
    out_dir = Path(out_dir)
    path = out_dir if out_dir.suffix == ".json" and out_dir.is_file() else out_dir / "results.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found: grade first with `hw3 grade ... --out {out_dir}`"
        )
    if path.stat().st_size > MAX_RESULTS_BYTES:
        raise ResultsError(f"{path} is larger than {MAX_RESULTS_BYTES // 2**20} MiB")
    try:
        # Text that UTF-8 cannot hold (lone surrogates, from file names that are not UTF-8)
        # becomes U+FFFD, so every page and file made from the results can be written.
        results = clean_json(json.loads(path.read_text(encoding="utf-8"),
                                        parse_constant=_no_constant))
    except UnicodeDecodeError as exc:
        raise ResultsError(f"{path} is not UTF-8 text: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ResultsError(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"
        ) from None
    except RecursionError:
        raise ResultsError(f"{path} nests its values too deeply") from None
    except ValueError as exc:  # an integer of thousands of digits; NaN or Infinity
        raise ResultsError(f"{path} holds a number that is not a finite number of usual size "
                           f"({str(exc)[:100]})") from None
    return ClassResults.from_json(results)  # fails with the field named, before anything


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a results file may hold")


# ----------------------------------------------------------------------------- Gradescope


def case_lines(cases: Sequence[CaseResult]) -> list[str]:
    lines = []
    for case in cases:
        mark = "passed" if case.passed else "failed"
        kind = "hidden" if case.hidden else "public"
        lines.append(f"{kind} test {mark}: {case.description}"
                     + (f"\n    {case.message}" if case.message and not case.passed else ""))
    return lines


def _public_summary(entry: SubmissionResult, questions: Sequence[str]) -> tuple[str, bool]:
    """Otter's "Public Tests" box: each question's public cases (what failed, and why)."""
    parts, ok = [], True
    for question in questions:
        public = [c for c in entry.cases if c.question == question and not c.hidden]
        failed = [c for c in public if not c.passed]
        ok = ok and not failed
        if not public:
            continue
        if failed:
            parts.append(f"{question}:\n  " + "\n  ".join(case_lines(failed)))
        else:
            parts.append(f"{question}: all public tests passed")
    return "\n".join([PUBLIC_NOTE, *parts]), ok


# What the box is: the checks of grader.check, worth nothing (hw3.cases.feedback, docs/rubric.md).
PUBLIC_NOTE = ("Public tests carry no points: your score comes from hidden tests of the same "
               "properties on other inputs. For the details of a failed public test, run its "
               "grader.check cell in your notebook.")


def gradescope_score(entry: SubmissionResult, config: Mapping[str, Any]) -> float:
    """The submission's score, scaled or thresholded as Otter does with the same config."""
    total, possible = entry.score, entry.possible
    points, threshold = config.get("points_possible"), config.get("score_threshold")
    score = total
    if points is not None:
        score = total / possible * float(points) if possible else 0.0
    if threshold is not None:
        reached = total / possible >= float(threshold) if possible else 0 >= float(threshold)
        score = float(points or possible) if reached else 0.0
    return round(score, 5)


NO_UPLOAD = ("No notebook (.ipynb) or export zip was found in your upload. Upload hw3.ipynb or "
             "the zip file the export cell makes.")


def gradescope_json(entry: SubmissionResult | None, questions: Sequence[QuestionDef],
                    config: Mapping[str, Any], seconds: float = 0.0) -> dict[str, Any]:
    """One entry in Gradescope's results.json format, shaped as Otter 7 shapes it
    (``GradingResults.to_gradescope_dict``): a public summary and a test per question, with
    the instructor's visibility settings (``config``: otter_config.json over Otter's
    defaults). None: no upload was found."""
    out: dict[str, Any] = {"score": 0.0, "execution_time": max(0, round(seconds)),
                           "output_format": "text", "test_output_format": "text",
                           "stdout_visibility": "after_published" if config["show_stdout"]
                           else "hidden", "tests": []}
    tests: list[dict[str, Any]] = out["tests"]
    if entry is None:
        out["output"] = NO_UPLOAD
        return out
    out["score"] = gradescope_score(entry, config)
    message = entry.message
    if entry.status != Status.GRADED:
        message = f"Your submission could not be graded: {message}"
    out["output"] = message
    hidden_visibility = "after_published" if config["show_hidden"] else "hidden"
    if config["show_all_public"] and not any(c.hidden for c in entry.cases):
        hidden_visibility = "visible"
    if not config["show_hidden"] or config["force_public_test_summary"]:
        summary, ok = _public_summary(entry, [q.name for q in questions])
        tests.append({"name": "Public Tests", "visibility": "visible", "output": summary,
                      "output_format": "text", "status": "passed" if ok else "failed"})
    for number, question in enumerate(questions, 1):
        got = entry.questions[question.name]
        score = round(float(got.score or 0.0), 5)
        possible = round(float(question.possible), 5)
        tests.append({
            "name": question.name, "number": str(number), "score": score, "max_score": possible,
            "status": "passed" if score >= possible else "failed",
            "visibility": hidden_visibility, "output_format": "text", "tags": [question.name],
            "output": "\n".join(case_lines([c for c in entry.cases
                                             if c.question == question.name])),
        })
    return out
