"""``hw3 merge DIR_1 ... DIR_N --out DIR``: join the outputs of ``hw3 grade --shard I/N`` into
one result set, and write every report as ``hw3 report`` does."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "join the outputs of hw3 grade --shard I/N into one result set and its reports"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shards", nargs="+", type=Path, metavar="DIR",
                        help="each shard's --out folder (or its results.json)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="where the merged results.json and the reports go")
    parser.add_argument("--roster", type=Path, metavar="FILE", help="roster CSV for LMS exports")


def run(args: argparse.Namespace) -> int:
    from hw3.commands.grade import _write_out, summary_line
    from hw3.grading.shards import merge
    from hw3.report import load_results

    out = args.out.resolve()
    if any(out in (d.resolve(), d.resolve().parent) for d in args.shards):
        print(f"hw3 merge: --out {args.out} is one of the shards' folders; merge into a new "
              "folder", file=sys.stderr)
        return 2
    if args.roster is not None:
        from hw3.report import read_roster

        read_roster(args.roster)  # a bad roster stops here, before anything is written
    parts = [load_results(d) for d in args.shards]
    try:
        merged = merge(parts, [str(d) for d in args.shards])
    except ValueError as e:
        print(f"hw3 merge: {e}; nothing was written", file=sys.stderr)
        return 2
    _write_out(merged, args.out, args.roster)
    print(summary_line(merged, args.roster) + f"; merged {len(parts)} shards into {args.out}/")
    return 0

