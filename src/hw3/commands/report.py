"""``hw3 report DIR``: rebuild the reports from DIR/results.json without regrading."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "rebuild reports from DIR/results.json without regrading"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, metavar="DIR", help="the folder of an earlier "
                        "`hw3 grade --out DIR`: reads DIR/results.json, writes the reports there")
    parser.add_argument("--roster", type=Path, metavar="FILE", help="the class roster (CSV; "
                        "format in docs/reports.md) for canvas.csv, gradescope.csv and "
                        "unmatched.csv (default: DIR/roster-used.csv, kept by an earlier "
                        "--roster run)")
    parser.add_argument("--marks", type=Path, metavar="FILE.csv", help="hand-graded marks: "
                        "columns id and one per manual question (default: DIR/marks.sqlite "
                        "from hw3 mark)")


def run(args: argparse.Namespace) -> int:
    from hw3.marking.merge import find_marks, say_provisional
    from hw3.report import load_results, write_reports
    from hw3.report.recorded_roster import choose_roster
    from hw3.similarity import for_results

    results = load_results(args.dir)
    roster = choose_roster(args.dir, args.roster)
    for path in for_results(results.to_json(), args.dir, roster.path):  # report.html links it
        print(path)
    marks = find_marks(results, args.dir, args.marks)
    written = write_reports(results, args.dir, roster.path, marks=marks)
    for path in written:
        print(path)
    if roster.note:
        print(f"hw3 report: {roster.note}", file=sys.stderr)
    say_provisional(results, marks)
    return 0
