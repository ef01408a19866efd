"""Gradescope's entry point: grade the uploaded submission with hw3's sandboxed engine.

Gradescope unzips the autograder into ``/autograder/source``, puts the student's upload in
``/autograder/submission`` and reads ``/autograder/results/results.json``. The zip's
``run_otter.py`` (started by Otter's ``run_autograder``) calls ``main`` below instead of Otter's
in-kernel grading, so a submission cannot patch its way to points. hw3 itself (grader side and
hidden expectations included) is installed in the image from the zip's wheel.

Isolation: bubblewrap where the container lets it make namespaces. Where it does not, and this
process is root (as on Gradescope), the autograder's files are first made unreadable to other
users (``chmod o=``: source, tests, hidden expectations, the grader-only parts of the installed
package, results) and student code runs as uid 65534 (``unprivileged-user``). Otherwise nothing
runs: student code never runs as root beside the hidden tests. Which isolation was used goes to
instructor-only output (a hidden test entry and ``extra_data``), never to students.

Time: the notebook gets ``--timeout`` seconds (8 minutes), and whatever happens a results.json
is written by ``--deadline`` (9.5 minutes), inside Gradescope's default limit of 10 minutes;
the judges' budget (``GRADESCOPE_JUDGING``) fits between the two.

This module is long because a platform's entry is one story told in order (find the upload,
choose and prove the isolation, lock the grader's files, grade, write results within the
deadline), and PrairieLearn's entry (``hw3.grading.prairielearn``) reuses each step of it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hw3.grading import timeouts
from hw3.grading.judging import Budget
from hw3.grading.results import SubmissionResult, gradescope_json, questions_from_json

DEFAULT_TIMEOUT = timeouts.GRADESCOPE_TIMEOUT  # the notebook's wall time, seconds
DEFAULT_DEADLINE = timeouts.GRADESCOPE_DEADLINE  # results.json is written by then, whatever happens
GRADESCOPE_JUDGING = Budget(case_seconds=timeouts.GRADESCOPE_JUDGE_CASE_SECONDS,
                            submission_seconds=timeouts.GRADESCOPE_JUDGE_SUBMISSION_SECONDS)
LOCK_DEPTH = 64  # folders deep that lock_down opens (descriptors held at once)
ISOLATION_ENV = "HW3_GRADESCOPE_ISOLATION"  # instructors' override of the choice below
ID_FIELD_ENV = "HW3_GRADESCOPE_ID_FIELD"  # "email": variants keyed by e-mail, not the SID

# Otter's defaults for the otter_config.json keys that shape Gradescope's results
# (otter.run.run_autograder.autograder_config.AutograderConfig).
OTTER_DEFAULTS: dict[str, Any] = {"show_stdout": False, "show_hidden": False,
                                  "show_all_public": False, "force_public_test_summary": True,
                                  "points_possible": None, "score_threshold": None}

STUDENT_REFUSED = ("Your notebook could not be graded because the autograder could not start "
                   "its sandbox; please tell your instructor.")


# ----------------------------------------------------------------------------- the upload


def otter_config(source: Path) -> dict[str, Any]:
    """The zip's otter_config.json over Otter's defaults (missing or unreadable: defaults)."""
    try:
        given = json.loads((source / "otter_config.json").read_text())
    except (OSError, ValueError):
        given = {}
    return {**OTTER_DEFAULTS, **(given if isinstance(given, dict) else {})}


# ----------------------------------------------------------------------------- isolation


@dataclass(frozen=True)
class Folders:
    """Where a grading container puts a job, relative to its root: the student's upload, the
    grader's own files (student code must never read them) and the results. PrairieLearn's
    external graders share this module (``hw3.grading.prairielearn``) with their own."""

    upload: str = "submission"
    grader: tuple[str, ...] = ("source",)
    results: str = "results"


GRADESCOPE = Folders()  # /autograder/{submission,source,results}


@dataclass
class Isolation:
    """How student code is kept from the grader: the mode passed to hw3's engine, and what
    instructors are told about it (``note``)."""

    mode: str | None  # None: no safe sandbox; nothing of the student's runs
    note: str
    locked: list[str] = field(default_factory=list)


def _package_dir() -> Path:
    return Path(__file__).resolve().parent.parent


def _installed() -> bool:
    return any(part in ("site-packages", "dist-packages") for part in _package_dir().parts)


def _child_entries() -> frozenset[str]:
    """The package entries the sandboxed child imports (everything else is grader-only)."""
    from hw3.grading.jail import BOUND

    return frozenset(BOUND)


def _deny_others(path: Path) -> None:
    """chmod o= on ``path`` and everything under it (no symlinks followed). Iterative, each
    folder opened below its parent, at most ``LOCK_DEPTH`` deep: the upload is the student's
    tree, of any depth (a recursive walk stops at a thousand folders). Deeper files are out of
    others' reach anyway: every folder above them is ``o=`` already."""
    st = path.lstat()
    if stat.S_ISLNK(st.st_mode):
        return
    os.chmod(path, stat.S_IMODE(st.st_mode) & ~0o007)
    if not stat.S_ISDIR(st.st_mode):
        return
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    top = os.open(path, flags)
    stack = [(top, os.scandir(top))]
    try:
        while stack:
            fd, entries = stack[-1]
            entry = next(entries, None)
            if entry is None:
                entries.close()
                os.close(fd)
                stack.pop()
                continue
            est = entry.stat(follow_symlinks=False)
            if stat.S_ISLNK(est.st_mode):
                continue
            # Nothing of the student's runs yet: the entry cannot be swapped for a link.
            os.chmod(entry.name, stat.S_IMODE(est.st_mode) & ~0o007, dir_fd=fd)
            if stat.S_ISDIR(est.st_mode) and len(stack) < LOCK_DEPTH:
                sub = os.open(entry.name, flags, dir_fd=fd)
                stack.append((sub, os.scandir(sub)))
    finally:
        for fd, entries in stack:
            entries.close()
            os.close(fd)


def lock_down(root: Path, folders: Folders = GRADESCOPE) -> tuple[list[str], list[str]]:
    """Make the autograder's files unreadable to other users, as Gradescope advises for code
    run as another user: its source (tests, hidden data, wheel), results, the upload, and the
    grader-only parts of the installed hw3 package. Returns (locked paths, problems)."""
    locked, problems = [], []
    for name in (*folders.grader, folders.results, folders.upload):
        if (root / name).exists():
            _deny_others(root / name)
            locked.append(str(root / name))
    package = _package_dir()
    if not _installed():
        # A source checkout: its files are the developer's, and others may need to read them.
        problems.append(f"hw3 runs from {package}, not from an installed wheel")
        return locked, problems
    keep = _child_entries()
    if not keep:
        problems.append("hw3.grading.jail does not say which modules the sandbox needs")
        return locked, problems
    for entry in sorted(package.iterdir()):
        if entry.name == "__pycache__":
            for pyc in entry.iterdir():  # compiled grader modules: as secret as their source
                if f"{pyc.name.split('.')[0]}.py" not in keep:
                    _deny_others(pyc)
                    locked.append(str(pyc))
        elif entry.name not in keep:
            _deny_others(entry)
            locked.append(str(entry))
    return locked, problems


_TRY_READ = """
import os, sys
for p in sys.argv[1:]:
    try:
        os.listdir(p) if os.path.isdir(p) else open(p, "rb").close()
        print(p)
    except OSError:
        pass
print("checked")
"""


def readable_by(uid: int, paths: list[Path]) -> list[str]:
    """Which of ``paths`` a process of ``uid`` can read, checked for real as that user (and
    a sentence if the check itself could not run, e.g. Python is not reachable for ``uid``)."""
    try:
        proc = subprocess.run([sys.executable, "-I", "-S", "-c", _TRY_READ, *map(str, paths)],
                              user=uid, group=uid, extra_groups=[], capture_output=True,
                              text=True, timeout=60, cwd="/")
    except (OSError, subprocess.SubprocessError) as e:
        return [f"the check as uid {uid} could not run ({e})"]
    lines = proc.stdout.splitlines()
    if not lines or lines[-1] != "checked":
        return [f"the check as uid {uid} could not run ({proc.stderr.strip()[-300:]})"]
    return lines[:-1]


def secret_paths(root: Path, folders: Folders = GRADESCOPE) -> list[Path]:
    """What student code must never read: hidden expectations and judges, tests, the wheel,
    results."""
    package = _package_dir()
    paths = [*(root / g for g in folders.grader), root / folders.results,
             *(p for g in folders.grader for p in sorted(root.glob(f"{g}/*/*"))),
             package / "grading" / "expected_hidden.json", package / "grading" / "judges"]
    keep = _child_entries()
    paths += [p for p in sorted(package.iterdir()) if p.name not in keep | {"__pycache__"}]
    return [p for p in paths if p.exists()]


def _try_worker(mode: str) -> str:
    """Start (then stop) one sandbox of ``mode``; its isolation string, or SandboxError."""
    from hw3.grading.jail import payload
    from hw3.sandbox import Limits, Worker

    worker = Worker(Limits(), isolation=mode, payload=payload())
    try:
        return worker.start()
    finally:
        worker.close()


def choose_isolation(root: Path, requested: str = "gradescope",
                     folders: Folders = GRADESCOPE) -> Isolation:
    """bubblewrap if it starts here; else, as root, unprivileged-user after ``lock_down``;
    else nothing. ``requested`` other than "gradescope" forces that engine mode."""
    from hw3.sandbox import SandboxError

    if requested not in ("gradescope", "bubblewrap"):
        if requested == "unprivileged-user":
            return _unprivileged(root, "unprivileged-user requested", folders)
        return Isolation(requested, f"{requested} requested by the instructor ({ISOLATION_ENV} "
                                    "or --isolation); student code was not sandboxed fully")
    try:
        return Isolation("bubblewrap", _try_worker("bubblewrap"))
    except (SandboxError, OSError, ValueError) as e:
        why = f"bubblewrap could not start here ({str(e)[:300]})"
    if requested == "bubblewrap":
        return Isolation(None, why)
    return _unprivileged(root, why, folders)


def open_python_path() -> list[str]:
    """chmod o+x (traverse, not list) on the folders above this Python and its packages
    that others cannot traverse (Gradescope's Miniforge lives in /root, mode 0700): student
    code running as another user imports from there. Returns the folders opened."""
    opened = []
    tops = {sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable))}
    for top in sorted({os.path.realpath(t) for t in tops} | tops):
        parts = Path(top).parts
        for i in range(1, len(parts) + 1):
            folder = Path(*parts[:i])
            mode = folder.stat().st_mode
            if not mode & stat.S_IXOTH:
                os.chmod(folder, stat.S_IMODE(mode) | stat.S_IXOTH)
                opened.append(str(folder))
    return opened


def _unprivileged(root: Path, why: str, folders: Folders = GRADESCOPE) -> Isolation:
    from hw3.sandbox import SANDBOX_UID, SandboxError

    if os.geteuid() != 0:
        return Isolation(None, f"{why}; running student code as another user needs root")
    if not _installed():  # a source checkout: its folders are not the autograder's to change
        return Isolation(None, f"{why}; hw3 runs from {_package_dir()}, not from an installed "
                               "wheel, so its files cannot be hidden from student code")
    opened = open_python_path()  # first: the check below runs this Python as uid SANDBOX_UID
    locked, problems = lock_down(root, folders)
    leaks = readable_by(SANDBOX_UID, secret_paths(root, folders)) if not problems else []
    if problems or leaks:
        return Isolation(None, f"{why}; the autograder's files could not be hidden from student "
                               f"code: {'; '.join(problems + leaks)[:500]}", locked)
    try:
        engine = _try_worker("unprivileged-user")
    except (SandboxError, OSError, ValueError) as e:
        return Isolation(None, f"{why}; unprivileged-user could not start either "
                               f"({str(e)[:300]})", locked)
    uid = SANDBOX_UID
    return Isolation("unprivileged-user", f"{why}. Student code ran as uid {uid} ({engine}); "
                     f"the autograder's files were made unreadable to it first (chmod o= on "
                     f"{len(locked)} paths, checked as uid {uid})"
                     + (f"; made traversable for Python's imports: {', '.join(opened)}"
                        if opened else ""), locked)


# ----------------------------------------------------------------------------- results


def gradescope_results(entry: dict[str, Any] | None, questions: dict[str, Any],
                       config: dict[str, Any] | None = None,
                       isolation: Isolation | None = None,
                       seconds: float = 0.0) -> dict[str, Any]:
    """One result entry in Gradescope's results.json format, shaped as Otter 7 shapes it
    (``results.gradescope_json``), and the isolation for instructors only."""
    config = {**OTTER_DEFAULTS, **(config or {})}
    refused = isolation is not None and isolation.mode is None
    typed = None
    if entry is not None and not refused:
        typed = SubmissionResult.from_json(entry, require_id=False)
    out = gradescope_json(typed, questions_from_json(questions), config, seconds)
    tests: list[dict[str, Any]] = out["tests"]
    if refused:
        out["output"] = STUDENT_REFUSED
    if isolation is not None:
        weak = isolation.mode != "bubblewrap"
        tests.append({"name": "Grading environment (instructors only)", "visibility": "hidden",
                      "status": "failed" if weak else "passed", "output_format": "text",
                      "output": ("Student code was NOT run: " if isolation.mode is None
                                 else f"Student code ran under {isolation.mode}: ")
                      + isolation.note + ("\nIsolation used by the engine: "
                                          f"{entry.get('isolation', '')}" if entry else "")})
        out["extra_data"] = {"hw3": {"isolation": isolation.mode or "refused",
                                     "isolation_note": isolation.note,
                                     "status": (entry or {}).get("status", "no notebook")}}
    return out


# ----------------------------------------------------------------------------- the entry


def _kill_children() -> None:
    """SIGKILL the process group of each of this process's children (the sandboxes, each
    started in its own session), before giving up on them."""
    me = str(os.getpid())
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[1] == me:
                    os.killpg(int(entry), signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            continue


class _Results:
    """results.json, written once: by the grading or by the deadline, whichever comes first."""

    def __init__(self, path: Path) -> None:
        self.path, self.lock, self.done = path, threading.Lock(), False

    def write(self, out: dict[str, Any]) -> bool:
        with self.lock:
            if self.done:
                return False
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(out, indent=1))
            tmp.replace(self.path)
            self.done = True
            return True


def within_deadline(path: Path, deadline: float, grade: Callable[[], dict[str, Any]],
                    late: Callable[[], dict[str, Any]],
                    failed: Callable[[Exception], dict[str, Any]],
                    finish: Callable[[dict[str, Any]], dict[str, Any]] = lambda out: out
                    ) -> dict[str, Any]:
    """Write what ``grade()`` returns to ``path`` (its folder made first), passed through
    ``finish``; ``failed(error)`` if it raises. If it has not returned by ``deadline`` (a
    ``time.monotonic()`` instant), ``late()`` is written instead and the process exits at once,
    its sandboxes killed: a stuck notebook still gets a result inside the platform's limit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    results = _Results(path)

    def out_of_time() -> None:
        if results.write(late()):
            print("hw3: grading did not finish in time", flush=True)
            _kill_children()
            os._exit(0)

    timer = threading.Timer(max(0.0, deadline - time.monotonic()), out_of_time)
    timer.daemon = True
    timer.start()
    try:
        out = grade()
    except Exception as e:  # noqa: BLE001 - the student still gets a results file
        out = failed(e)
    finally:
        timer.cancel()
    out = finish(out)
    results.write(out)
    return out


@dataclass
class Upload:
    """What grading one upload gave: the engine's entry (None: no upload found, or nothing
    ran), the isolation (None: nothing needed one), and the rubric."""

    entry: dict[str, Any] | None
    isolation: Isolation | None
    questions: dict[str, Any]


def grade_folder(root: Path, timeout: float, requested: str,
                 folders: Folders = GRADESCOPE, id_field: str = "sid") -> Upload:
    """Grade the one upload in root/folders.upload with the sandboxed engine, against the
    variant of the submitter Gradescope names in root/submission_metadata.json (``id_field``:
    "sid" or "email"; no such file: the notebook's own id)."""
    from hw3.grading.grade import Options, grade_paths, questions_summary
    from hw3.grading.identity import gradescope_id
    from hw3.grading.results import questions_json
    from hw3.grading.submission import read
    from hw3.grading.tree import find

    questions = questions_summary()
    # Found below the upload folder: a link (or a folder on the way that is one) is refused.
    subs = find([root / folders.upload], one=True)
    if not subs:
        return Upload(None, None, questions)
    sub = read(subs[0], "submission")
    if not sub.readable:  # nothing of it runs: no sandbox needed to say why
        from hw3.grading.grade import unreadable

        return Upload(unreadable(sub).to_json(), None, questions)
    isolation = choose_isolation(root, requested, folders)
    if isolation.mode is None:
        return Upload(None, isolation, questions)
    # The judges' budget fits between the notebook's limit and the deadline, so an overrun
    # costs its cases, never the partial scores of the whole submission.
    submitter = gradescope_id(root / "submission_metadata.json", id_field)
    graded = grade_paths(subs, Options(workers=1, timeout=timeout, cache_dir=None,
                                       isolation=isolation.mode, judge_budget=GRADESCOPE_JUDGING,
                                       gradescope_id=submitter))
    return Upload(graded.submissions[0].to_json(), isolation, questions_json(graded.questions))


def grade_upload(root: Path, timeout: float, requested: str, config: dict[str, Any],
                 id_field: str = "sid") -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Grade root/submission: (results.json content, the engine's entry or None), against the
    variant of the submitter Gradescope names (``id_field``: "sid" or "email")."""
    start = time.monotonic()
    done = grade_folder(root, timeout, requested, id_field=id_field)
    return gradescope_results(done.entry, done.questions, config, done.isolation,
                              time.monotonic() - start), done.entry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path("/autograder"),
                        help="Gradescope's folder (holds source/, submission/ and results/)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="wall seconds for the notebook (default: %(default)s)")
    parser.add_argument("--deadline", type=float, default=DEFAULT_DEADLINE,
                        help="seconds after which results.json is written whatever happens "
                             "(default: %(default)s)")
    parser.add_argument("--isolation", default=os.environ.get(ISOLATION_ENV, "gradescope"),
                        choices=["gradescope", "bubblewrap", "unprivileged-user", "none"],
                        help="gradescope (default): bubblewrap, else unprivileged-user as root")
    parser.add_argument("--id-field", default=os.environ.get(ID_FIELD_ENV),
                        choices=["sid", "email"], help="which of the submitter's fields in "
                        "submission_metadata.json picks the variant (default: the master's "
                        "`gradescope_id:`, else sid)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    config = otter_config(args.root / "source")
    result: dict[str, Any] = {}

    def grade() -> dict[str, Any]:
        from hw3.cases.variants import load_config

        out, result["entry"] = grade_upload(args.root, args.timeout, args.isolation, config,
                                            args.id_field or load_config().gradescope_id)
        return out

    def late() -> dict[str, Any]:
        from hw3.grading.grade import questions_summary

        out = gradescope_results(None, questions_summary(), config)
        took = (f"{args.deadline / 60:g} minutes" if args.deadline >= 120
                else f"{args.deadline:g} seconds")
        out["output"] = (f"Grading did not finish within {took}, so no points could be given; "
                         "please tell your instructor.")
        return out

    def failed(e: Exception) -> dict[str, Any]:
        from hw3.grading.grade import questions_summary

        out = gradescope_results(None, questions_summary(), config)
        out["output"] = "The grader failed on this submission; please tell your instructor."
        out["tests"].append({"name": "Grader error (instructors only)", "visibility": "hidden",
                             "status": "failed", "output": f"{type(e).__name__}: {e}"[:2000]})
        return out

    def finish(out: dict[str, Any]) -> dict[str, Any]:
        out["execution_time"] = max(0, round(time.monotonic() - started))
        return out

    out = within_deadline(args.root / "results" / "results.json", started + args.deadline,
                          grade, late, failed, finish)
    entry = result.get("entry")
    # stdout may be shown to students (show_stdout): the score only, no isolation details.
    status = entry.get("status", "") if entry else "not graded"
    print(f"hw3: {status}, score {out['score']}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
