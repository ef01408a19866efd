"""``hw3 grade PATH...``: grade a class in the sandbox, write the results (and reports), and say
in one line what needs a look; Ctrl-C keeps what is finished."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from hw3.commands import missing_paths
from hw3.grading import timeouts  # light: constants only

if TYPE_CHECKING:
    from hw3.grading.grade import Options
    from hw3.grading.results import ClassResults, SubmissionResult

HELP = "grade submissions (notebooks, export zips, folders)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    p = parser
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="submissions: "
                   "notebooks, export zips, or folders searched for them")
    p.add_argument("--out", type=Path, metavar="DIR", help="write results.json, grades.csv, "
                   "LMS files (with --roster), report.html and feedback pages here")
    p.add_argument("--json", type=Path, metavar="FILE", help="(also) write the grading "
                   "results (JSON) to FILE; at least one of --out and --json is needed")
    p.add_argument("--roster", type=Path, metavar="FILE", help="roster CSV: whose submission "
                   "each is (its student_id picks the variant) and LMS exports (with --out)")
    p.add_argument("--workers", type=int, default=2, metavar="N",
                   help="submissions graded at once (default 2)")
    p.add_argument("--timeout", type=float, default=timeouts.SUBMISSION_SECONDS, metavar="S",
                   help="wall-time limit per submission in seconds (default "
                   f"{timeouts.SUBMISSION_SECONDS:g})")
    p.add_argument("--cell-timeout", type=float, default=timeouts.CELL_SECONDS, metavar="S",
                   help=f"wall-time limit per cell in seconds (default {timeouts.CELL_SECONDS:g})")
    p.add_argument("--isolation", choices=["auto", "bubblewrap", "unprivileged-user", "none"],
                   default="auto", help="sandbox for students' code: bubblewrap (auto, the "
                   "default; refuses to grade if it cannot start), unprivileged-user (root, no "
                   "namespaces: jobs as uid 65534), or none (rlimits only: unsafe)")
    p.add_argument("--no-cache", action="store_true", help="regrade everything and keep "
                   "nothing in the results cache (see docs/security.md: the results cache)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--shard", metavar="I/N", help="grade only part I of N of the class (the "
                   "same part on any machine, in any order); join the parts with hw3 merge")
    p.add_argument("--shard-salt", default="", metavar="TEXT", help="reshuffle which "
                   "submissions go to which shard (the same for every shard of a class)")


def run(args: argparse.Namespace) -> int:
    from hw3.grading.grade import Interrupted, grade_paths
    from hw3.layout import terminal_text
    from hw3.sandbox import SandboxError

    refused = _refuse_input(args)
    if refused is not None:
        return refused
    options = _options(args)
    if options is None:
        return 2
    if not _isolation_ok(args.isolation):
        return 3
    bar = _ProgressBar(quiet=args.quiet)
    interrupted: Interrupted | None = None
    try:
        results = grade_paths(args.paths, options, progress=bar.update, on_total=bar.open,
                              say=lambda line: print(f"hw3 grade: {terminal_text(line)}",
                                                     file=sys.stderr))
    except SandboxError as e:
        print(f"hw3 grade: {e}", file=sys.stderr)
        return 3
    except Interrupted as e:
        interrupted, results = e, e.results
    finally:
        bar.close()
    if options.shard is not None:
        from hw3.grading.shards import class_record

        results = replace(results, shard=class_record(options.shard, args.paths,
                                                      results.autograder))
    # Interrupted: the finished results at once (reports take seconds: `hw3 report` makes them).
    written = _write_results(results, args, reports=interrupted is None)
    if interrupted is not None:
        print(terminal_text(_interrupted_line(results, written, interrupted.cached, args.out)),
              file=sys.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        # Grading threads may still be unwinding from their killed sandboxes; waiting for them
        # (as a normal exit does) would take seconds. Their sandboxes die with them.
        os._exit(130)
    # Ids and paths are names students chose: no control character reaches the terminal, and
    # the line prints even where stdout is strict UTF-8.
    print(terminal_text(summary_line(results, args.roster) + f"; results in "
                        f"{' and '.join(written)}"))
    return 0


def _refuse_input(args: argparse.Namespace) -> int | None:
    """The exit status for arguments that cannot make a class (said in one sentence); None:
    go on. Picks an earlier run's roster for ``--out`` without ``--roster``."""
    from hw3.grading.tree import find
    from hw3.layout import terminal_text

    if missing_paths("grade", args.paths):
        return 2
    if args.out is None and args.json is None:
        print("hw3 grade: say where the results go: --out DIR (results.json and reports) "
              "and/or --json FILE", file=sys.stderr)
        return 2
    # Every file found gets an entry (a PDF beside the notebooks too), but a folder with no
    # notebook or zip at all is not a class.
    if not any(f.candidate or f.root is None for f in find(list(args.paths))):
        print(f"hw3 grade: no submissions (.ipynb or .zip files) in "
              f"{terminal_text(', '.join(map(str, args.paths)))}; nothing was written",
              file=sys.stderr)
        return 2
    if args.out is not None and args.roster is None:  # an earlier --roster run's, if any
        from hw3.report.recorded_roster import choose_roster

        choice = choose_roster(args.out, None)
        args.roster = choice.path
        if choice.note:
            print(f"hw3 grade: {choice.note}", file=sys.stderr)
    return None


def _options(args: argparse.Namespace) -> Options | None:
    """The engine's options from the arguments; None: a bad --shard (said). A bad roster
    stops the run here, before any grading; its ids say whose variant each is."""
    from hw3.grading.grade import Options

    roster_ids: dict[str, str] = {}
    if args.roster is not None:
        from hw3.report import read_roster

        roster_ids = {e.submission: e.student_id for e in read_roster(args.roster)
                      if e.student_id.strip()}
    options = Options(workers=max(1, args.workers), timeout=args.timeout,
                      cell_timeout=args.cell_timeout, isolation=args.isolation,
                      roster_ids=roster_ids)
    if args.no_cache:
        options.cache_dir = None
    if args.shard is not None:
        from hw3.grading.shards import Shard

        try:
            options.shard = Shard.parse(args.shard, args.shard_salt)
        except ValueError as e:
            print(f"hw3 grade: {e}", file=sys.stderr)
            return None
    return options


class _ProgressBar:
    """A tqdm bar on stderr, made once the batch is read and its size is known."""

    def __init__(self, quiet: bool):
        self.quiet, self.bar = quiet, None

    def open(self, n: int) -> None:
        if not self.quiet:
            from tqdm import tqdm

            self.bar = tqdm(total=n, unit="submission", desc="grading", file=sys.stderr)

    def update(self, k: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(k)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _results_text(results: ClassResults) -> str:
    return json.dumps(results.to_json(), indent=1) + "\n"


def _write_results(results: ClassResults, args: argparse.Namespace,
                   reports: bool = True) -> list[str]:
    written = []
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(_results_text(results))
        written.append(str(args.json))
    if args.out is not None:
        if reports:
            _write_out(results, args.out, args.roster)
            written.append(f"{args.out}/")
        else:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / "results.json").write_text(_results_text(results))
            written.append(str(args.out / "results.json"))
    return written


def _interrupted_line(results: ClassResults, written: list[str], cached: bool,
                      out: Path | None) -> str:
    from hw3.report.text import plural

    info = results.interrupted or {}
    done, total = info["finished"], info["total"]
    kept = f"kept the {done} finished of {plural(total, 'submission')} in {' and '.join(written)}"
    if out is not None:
        kept += f" (no reports: `hw3 report {out}` makes them)"
    if cached:
        rest = "they are also cached: run the same command to grade the other " \
               f"{total - done}"
    else:
        rest = f"run the command again to grade the other {total - done}"
    return f"hw3 grade: interrupted; {kept}; {rest}"


def _names(entries: list[SubmissionResult], limit: int = 5) -> str:
    ids = [e.id or Path(e.path).stem for e in entries]
    more = f" and {len(ids) - limit} more" if len(ids) > limit else ""
    return ", ".join(ids[:limit]) + more


def summary_line(results: ClassResults, roster: Path | None = None) -> str:
    """One line for the end of a run: counts and mean, then every submission that needs a
    look by name: not graded, timed out, weakly isolated; and unmatched roster entries."""
    from hw3.grading.results import Status
    from hw3.report.text import plural

    subs = results.submissions
    graded = [s for s in subs if s.graded]
    parts = [f"{plural(len(subs), 'submission')}, {len(graded)} graded"
             + (f", mean {sum(s.score for s in graded) / len(graded):.1f}/"
                f"{graded[0].possible:.0f}" if graded else "")]
    for status in (Status.INVALID, Status.ERROR):
        bad = [s for s in subs if s.status == status]
        if bad:
            parts.append(f"{status}: {_names(bad)}")
    timed_out = [s for s in graded if any(str(e.get("kind", "")).endswith("timeout")
                                          for e in s.events)]
    if timed_out:
        parts.append(f"timed out: {_names(timed_out)}")
    weak = [s for s in graded if not str(s.isolation or "").startswith("bubblewrap")]
    if weak:
        modes = sorted({str(s.isolation or "unknown").split(" ")[0] for s in weak})
        parts.append(f"weakly isolated ({', '.join(modes)}): {_names(weak)}")
    if roster is not None:
        from hw3.report import unmatched

        for problem, ids in unmatched(results, roster).items():
            if ids:
                more = f" and {len(ids) - 5} more" if len(ids) > 5 else ""
                parts.append(f"{problem}: {', '.join(ids[:5])}{more}")
    return "; ".join(parts)


def _isolation_ok(isolation: str) -> bool:
    """Say loudly, before anything runs, when students' code will not be fully sandboxed."""
    from hw3.sandbox import ENV_VAR, requested_mode

    try:
        mode = requested_mode(isolation)
    except ValueError as e:
        print(f"hw3 grade: {ENV_VAR}: {e}", file=sys.stderr)
        return False
    if mode == "none":
        print("hw3 grade: WARNING: --isolation none: students' code runs WITHOUT A SANDBOX, "
              "as your user, able to read and change your files (rlimits only); every result "
              "says so.", file=sys.stderr)
    elif mode == "unprivileged-user":
        print("hw3 grade: WARNING: --isolation unprivileged-user: students' code runs without "
              "namespaces as uid 65534, one submission at a time; it can read every file that "
              "others may read (chmod o= the grader's files first); every result says so.",
              file=sys.stderr)
    return True


def _write_out(typed: ClassResults, out: Path, roster: Path | None) -> None:
    from hw3.marking.merge import find_marks, say_provisional
    from hw3.report import write_reports
    from hw3.similarity import for_results

    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(_results_text(typed))
    for_results(typed.to_json(), out, roster)  # similarity.html first: report.html links it
    marks = find_marks(typed, out, None)
    write_reports(typed, out, roster, marks=marks)
    say_provisional(typed, marks)
