"""``hw3 build``: template, solution and autograder from the master (or ``--check`` them)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "build template, solution and autograder from the master"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", type=Path, default=None, help="repository root (default: "
                        "found from the current folder)")
    parser.add_argument("--check", action="store_true", help="build into a temporary folder "
                        "and fail if the committed files differ")


def run(args: argparse.Namespace) -> int:
    from hw3.build import BuildError, build, stale_products
    from hw3.layout import LayoutError, find_root

    try:
        root = args.root or find_root()
        if args.check:
            stale = stale_products(root, progress=lambda msg: print(f"- {msg}",
                                                                    file=sys.stderr))
            if stale:
                print("out of step with assignment/hw3.ipynb (run `hw3 build`), beyond "
                      "another CPU's float noise:\n  " + "\n  ".join(stale), file=sys.stderr)
                return 1
            print("generated files match the master")
            return 0
        result = build(root, progress=lambda msg: print(f"- {msg}", file=sys.stderr))
    except (BuildError, LayoutError) as e:
        print(f"hw3 build: {e}", file=sys.stderr)
        return 1
    for path in result.written:
        print(path.relative_to(result.out))
    return 0
