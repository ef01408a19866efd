"""The `hw3` command: build the assignment, grade a class, rebuild reports, show the rubric."""

from __future__ import annotations

import argparse
import sys
from types import ModuleType

from hw3 import __version__
from hw3.commands import (
    bank,
    build,
    grade,
    mark,
    merge,
    report,
    rubric,
    similarity,
    try_zip,
    variant,
)
from hw3.commands.grade import summary_line

# The subcommands in the order `hw3 --help` lists them; each module has HELP, add_arguments and
# run (see hw3.commands).
COMMANDS: dict[str, ModuleType] = {"build": build, "try-zip": try_zip, "grade": grade,
                                   "merge": merge, "report": report, "mark": mark,
                                   "similarity": similarity, "bank": bank, "rubric": rubric,
                                   "variant": variant}

__all__ = ["COMMANDS", "main", "parser", "summary_line"]


def parser() -> argparse.ArgumentParser:
    """The one argparse tree of every subcommand."""
    top = argparse.ArgumentParser(prog="hw3", description=__doc__)
    top.add_argument("--version", action="version", version=f"hw3 {__version__}")
    sub = top.add_subparsers(dest="command", required=True)
    for name, module in COMMANDS.items():
        p = sub.add_parser(name, help=module.HELP,
                           description=getattr(module, "DESCRIPTION", None))
        module.add_arguments(p)
        p.set_defaults(run=module.run)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print(f"hw3 {args.command}: interrupted", file=sys.stderr)
        return 130
    except (OSError, ValueError) as e:
        from hw3.layout import terminal_text  # a path or a name a student chose

        print(f"hw3 {args.command}: {terminal_text(str(e))}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
