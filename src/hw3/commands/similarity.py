"""``hw3 similarity PATH... --out DIR``: which submissions are alike, with the evidence side by
side (similarity.csv and similarity.html); nothing is executed."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hw3.commands import missing_paths

HELP = "compare submissions for copying (similarity.csv, similarity.html); runs nothing"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from hw3.similarity.compare import THRESHOLD  # light: constants and the stdlib

    p = parser
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH",
                   help="notebooks, export zips, or folders of them (as hw3 grade takes)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR",
                   help="write similarity.csv and similarity.html here")
    p.add_argument("--threshold", type=float, default=THRESHOLD, metavar="T",
                   help=f"flag pairs scoring at least T, 0 to 1 (default {THRESHOLD}; see "
                   "docs/similarity.md)")
    p.add_argument("--roster", type=Path, metavar="FILE", help="roster CSV: adds names")
    p.add_argument("--results", type=Path, metavar="FILE", help="results.json of hw3 grade "
                   "for the same submissions: right and wrong answers from its outcomes")
    p.add_argument("--template", type=Path, metavar="NOTEBOOK", help="the notebook students "
                   "started from (default: student_template/hw3.ipynb of the repository)")


def run(args: argparse.Namespace) -> int:
    from hw3.similarity import analyse, files_of_paths
    from hw3.similarity.report import roster_names, write
    from hw3.similarity.template import load_template

    if missing_paths("similarity", args.paths):
        return 2
    if not 0 <= args.threshold <= 1:
        print(f"hw3 similarity: --threshold must be between 0 and 1, not {args.threshold:g}",
              file=sys.stderr)
        return 2
    files = files_of_paths(args.paths)
    if len(files) < 2:
        print(f"hw3 similarity: {len(files)} submission(s) in {', '.join(map(str, args.paths))}:"
              " at least two are needed; nothing was written", file=sys.stderr)
        return 2
    names = roster_names(args.roster)  # a bad roster stops here, before anything is written
    results = None
    if args.results is not None:
        try:
            results = json.loads(args.results.read_text())
        except (OSError, ValueError) as e:
            print(f"hw3 similarity: {args.results}: not grading results ({e})", file=sys.stderr)
            return 2
    template = load_template(args.template)
    analysis = analyse(files, template=template, results=results, threshold=args.threshold)
    written = write(analysis, args.out, names)
    flagged = analysis.flagged
    print(f"{len(analysis.docs)} submissions compared in {analysis.seconds:.1f} s; "
          f"{len(flagged)} flagged pair(s) in {len(analysis.clusters)} cluster(s) at threshold "
          f"{args.threshold:g}" + (f"; not read: {', '.join(analysis.unreadable)}"
                                   if analysis.unreadable else "")
          + f"; {' and '.join(map(str, written))}")
    if not template.found:
        print(f"hw3 similarity: {template.source}", file=sys.stderr)
    return 0
