"""PrairieLearn's external grader: grade ``/grade/student/`` with hw3's sandboxed engine.

PrairieLearn copies the student's files to ``/grade/student``, the question's ``tests/`` to
``/grade/tests``, course files to ``/grade/serverFilesCourse`` and its data to ``/grade/data``,
runs the question's entrypoint (``python -I -m hw3.grading.prairielearn``, from the image
``hw3 build`` writes the recipe of under ``autograder/prairielearn/image``) and reads
``/grade/results/results.json``, which must exist (this entry creates its folder), stay under
1 MB and hold ``score`` in [0, 1], or ``gradable: false`` with ``format_errors``.

The Gradescope entry's machinery does the work (``hw3.grading.gradescope``): the same choice of
isolation (bubblewrap where the container may make user namespaces; else, as root, the grader's
files made unreadable and student code run as uid 65534; else nothing of the student's runs),
the same engine and judges' budget, and a results file written by a deadline whatever happens.
Which isolation was used goes to the job's log (stdout), which course staff see, not students.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

from hw3.grading import timeouts
from hw3.grading.gradescope import (
    ISOLATION_ENV,
    STUDENT_REFUSED,
    Folders,
    Upload,
    grade_folder,
    within_deadline,
)
from hw3.grading.results import NO_UPLOAD, SubmissionResult, case_lines, questions_from_json

ROOT = Path("/grade")
FOLDERS = Folders(upload="student", grader=("serverFilesCourse", "tests", "data"),
                  results="results")
MAX_BYTES = 1_000_000  # PrairieLearn's limit on results.json
_BUDGET = 900_000  # what this entry allows itself, leaving room for the top-level fields
_FIELD = 4_000  # a test's output when the whole would not fit


def format_error(*sentences: str) -> dict[str, Any]:
    """A submission PrairieLearn marks "invalid, not gradable": no points, no attempt spent."""
    return {"gradable": False, "score": 0.0, "format_errors": list(sentences), "tests": []}


def prairielearn_results(upload: Upload) -> dict[str, Any]:
    """The results.json of one graded upload: a score in [0, 1], a test per question with its
    points and each case's line (hidden cases by the property they check, never their inputs),
    the engine's message; or ``gradable: false`` and one sentence why."""
    if upload.isolation is not None and upload.isolation.mode is None:
        return format_error(STUDENT_REFUSED)
    if upload.entry is None:
        return format_error(NO_UPLOAD)
    entry = SubmissionResult.from_json(upload.entry, require_id=False)
    if entry.status != "graded":
        return format_error(f"Your submission could not be graded: {entry.message}")
    tests = []
    for question in questions_from_json(upload.questions):
        got = entry.questions[question.name]
        cases = [c for c in entry.cases if c.question == question.name]
        failed = [c for c in cases if not c.ok]
        hidden = sum(c.hidden for c in cases)
        tests.append({
            "name": question.name,
            "description": f"{len(cases)} checks, {hidden} of them hidden (other inputs)",
            "points": round(float(got.score or 0.0), 5),
            "max_points": round(float(question.possible), 5),
            "message": (f"{len(failed)} of {len(cases)} checks failed." if failed
                        else "All checks passed."),
            "output": "\n".join(case_lines(cases)),
        })
    score = entry.score / entry.possible if entry.possible else 0.0
    return fit({"gradable": True, "score": round(min(1.0, max(0.0, score)), 6),
                "message": entry.message, "tests": tests})


def fit(out: dict[str, Any], budget: int = _BUDGET) -> dict[str, Any]:
    """``out`` cut to ``budget`` bytes of JSON: long messages and outputs shortened first,
    then outputs dropped. The engine bounds what a submission can print; this is the guard."""
    def size() -> int:
        return len(json.dumps(out).encode())

    if size() <= budget:
        return out
    for field in ("message",):
        if isinstance(out.get(field), str) and len(out[field]) > _FIELD:
            out[field] = out[field][:_FIELD] + " [...]"
    for test in out.get("tests", []):
        for field in ("output", "message"):
            if isinstance(test.get(field), str) and len(test[field]) > _FIELD:
                test[field] = test[field][:_FIELD] + "\n[cut: too long]"
    if size() > budget:
        for test in out.get("tests", []):
            test["output"] = "[cut: too long]"
        out["message"] = str(out.get("message", ""))[:1000]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT,
                        help="the job's folder (holds student/ and results/)")
    parser.add_argument("--timeout", type=float, default=timeouts.PRAIRIELEARN_TIMEOUT,
                        help="wall seconds for the notebook (default: %(default)s)")
    parser.add_argument("--deadline", type=float, default=timeouts.PRAIRIELEARN_DEADLINE,
                        help="seconds after which results.json is written whatever happens "
                             "(default: %(default)s)")
    parser.add_argument("--isolation", default=os.environ.get(ISOLATION_ENV, "gradescope"),
                        choices=["gradescope", "bubblewrap", "unprivileged-user", "none"],
                        help="gradescope (default): bubblewrap, else unprivileged-user as root")
    args = parser.parse_args(argv)
    started = time.monotonic()
    done: dict[str, Upload] = {}

    def grade() -> dict[str, Any]:
        done["upload"] = grade_folder(args.root, args.timeout, args.isolation, FOLDERS)
        return prairielearn_results(done["upload"])

    def late() -> dict[str, Any]:
        return {"gradable": True, "score": 0.0, "tests": [], "message":
                f"Grading did not finish within {args.deadline:g} seconds, so no points could "
                "be given; please tell your instructor."}

    def failed(e: Exception) -> dict[str, Any]:
        print(f"hw3: the grader failed: {type(e).__name__}: {str(e)[:2000]}", flush=True)
        return format_error("The grader failed on this submission; please tell your "
                            "instructor.")

    out = within_deadline(args.root / FOLDERS.results / "results.json",
                          started + args.deadline, grade, late, failed)
    upload = done.get("upload")
    isolation = upload.isolation if upload else None
    # The job's log is for course staff: the isolation, and why.
    print(f"hw3: gradable {out.get('gradable')}, score {out.get('score')}; isolation: "
          + (f"{isolation.mode or 'refused (no student code ran)'}: {isolation.note}"
             if isolation else "none needed (nothing of the student's ran)"), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
