"""``hw3 mark DIR``: mark the explanations of a graded class in a local web app."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "mark the explanations of DIR in a local web app"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, metavar="DIR", help="a folder written by hw3 grade "
                        "--out")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a "
                        "free one)")


def run(args: argparse.Namespace) -> int:
    from hw3.marking.app import serve

    def announce(url: str) -> None:
        print(f"Marking {args.dir}: open this address in a browser (Ctrl-C to stop):\n  {url}",
              flush=True)

    serve(args.dir, port=args.port, announce=announce)
    return 0
