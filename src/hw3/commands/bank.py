"""``hw3 bank`` (and ``python -m hw3.bank``; the bank is ``hw3.bank``): grade the bank with one
runner or all, print the rates, and exit 0 only if every rate is perfect."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from hw3.bank.runners import RUNNERS
from hw3.layout import LayoutError, find_root

HELP = ("grade the banks of real mistakes and right answers; print catch and false-alarm "
        "rates (--help for options)")
DESCRIPTION = ("Grade the bank of mistakes and right answers (tests/fixtures) and print the "
               "catch and false-alarm rates.")
FIXTURES = Path("tests") / "fixtures"  # in the repository: the wheel holds no fixture


def _find_root(fixtures: Path | None) -> Path:
    """The repository: the solution, and the banks unless ``--fixtures`` says where they are."""
    from hw3.bank.fixtures import BankError

    needs = [Path("solutions") / "hw3.ipynb"]
    if fixtures is None:
        needs.insert(0, FIXTURES / "mistakes")
    try:
        return find_root(needs=needs, what=" and ".join(p.as_posix() for p in needs))
    except LayoutError as e:
        raise BankError(f"{e} or pass --root") from None


def _progress(o: Any) -> None:
    # Otter takes seconds a notebook: say how it goes.
    print(f"  {o.fixture.name}: {'ok' if o.ok else 'MISS'} ({o.seconds:.0f} s)", file=sys.stderr,
          flush=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runner", choices=[*RUNNERS, "all"], default="inprocess",
                        help="in this process (fast), hw3 grade's engine, otter run, or all")
    parser.add_argument("--root", type=Path, default=None, help="repository root (default: "
                        "found from the current folder)")
    parser.add_argument("--fixtures", type=Path, default=None, metavar="DIR", help="the "
                        "banks: DIR/mistakes and DIR/right (default: ROOT/tests/fixtures)")
    parser.add_argument("--only", metavar="TEXT", help="only fixtures whose name contains TEXT")
    parser.add_argument("--jobs", type=int, default=2, metavar="N",
                        help="notebooks graded at once by grade and otter (default 2)")
    parser.add_argument("--isolation", choices=["auto", "bubblewrap", "none"], default="auto",
                        help="hw3 grade's sandbox (default auto)")
    parser.add_argument("--no-demos", action="store_true", help="leave the ungraded plots and "
                        "training demonstrations out of the notebooks (faster)")
    parser.add_argument("--separate", action="store_true", help="otter: one notebook per "
                        "fixture (by default right answers with different names share "
                        "notebooks, and so do independent mistakes)")
    parser.add_argument("--out", type=Path, metavar="DIR", help="keep the notebooks and "
                        "Otter's results here (default: a temporary folder)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every outcome "
                        "as JSON")
    parser.add_argument("--messages", action="store_true", help="print what each failing "
                        "case tells the student")
    parser.add_argument("--costs", action="store_true", help="print what each mistake costs "
                        "(a Markdown table, for the rubric)")


def run(args: argparse.Namespace) -> int:
    from hw3.bank.fixtures import BankError, load_fixtures
    from hw3.bank.rates import costs_table, public_signal
    from hw3.bank.runners import run as run_bank

    try:
        root = (args.root or _find_root(args.fixtures)).resolve()
        fixtures = load_fixtures((args.fixtures or root / FIXTURES).resolve(), args.only)
    except BankError as e:
        print(f"hw3 bank: {e}", file=sys.stderr)
        return 2
    if not fixtures:
        print("hw3 bank: no fixtures match", file=sys.stderr)
        return 2
    runners = list(RUNNERS) if args.runner == "all" else [args.runner]
    with contextlib.ExitStack() as stack:
        work = args.out or Path(stack.enter_context(tempfile.TemporaryDirectory(
            prefix="hw3-bank-")))
        report: dict[str, Any] = {}
        all_rates = []
        for runner in runners:
            outcomes, r = run_bank(runner, fixtures, root, work, jobs=args.jobs,
                              isolation=args.isolation, demos=not args.no_demos,
                              group_right=not args.separate, progress=_progress)
            all_rates.append(r)
            print(r.text(), flush=True)
            if runner != "otter":
                print(public_signal(outcomes).text(), flush=True)
            if args.costs and runner != "otter":
                print(costs_table(outcomes))
            if args.messages:
                for o in outcomes:
                    for case_id, text in sorted(o.messages.items()):
                        print(f"    {o.fixture.name} {case_id}: {text}")
            report[runner] = {"catch_rate": r.catch_rate, "false_alarm_rate":
                              r.false_alarm_rate, "seconds": r.seconds, "outcomes": [
                                  {"fixture": o.fixture.name, "kind": o.fixture.kind,
                                   "loses": sorted(o.fixture.loses), "lost": sorted(o.lost),
                                   "ok": o.ok, "error": o.error, "scores": o.scores,
                                   "messages": o.messages} for o in outcomes]}
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0 if all(r.perfect for r in all_rates) else 1



def main(argv: list[str] | None = None) -> int:
    """``python -m hw3.bank``: the same command as ``hw3 bank``."""
    parser = argparse.ArgumentParser(prog="hw3 bank", description=DESCRIPTION)
    add_arguments(parser)
    return run(parser.parse_args(argv))
