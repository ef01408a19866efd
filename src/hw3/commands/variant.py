"""``hw3 variant STUDENT_ID [--json]``: a student's numbers for 4.4, 4.5 and 4.6 (the course's
salt as ``hw3 build`` recorded it)."""

from __future__ import annotations

import argparse
import json

HELP = "print a student's numbers (their variant) for problems 4.4, 4.5 and 4.6"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("student_id", metavar="STUDENT_ID", help="the id as the roster and "
                        "Gradescope hold it (\"\" for the book's numbers)")
    parser.add_argument("--json", action="store_true", help="print JSON: student_id, variant "
                        "and params (for graders outside hw3)")


def run(args: argparse.Namespace) -> int:
    from hw3.cases.variants import describe, load_config, params, variant_name

    config = load_config()
    sid = str(args.student_id).strip()
    if args.json:
        print(json.dumps({"student_id": sid, "variant": variant_name(sid, config),
                          "params": params(sid, config)}))
        return 0
    print(describe(sid, config))
    print(f"  variant: {variant_name(sid, config)}" +
          ("" if config.enabled else " (variants are off in this build)"))
    return 0
