"""``hw3 rubric``: every test case with its points, as a Markdown table."""

from __future__ import annotations

import argparse

HELP = "print every test case with its points (Markdown)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options."""


def run(args: argparse.Namespace) -> int:
    from hw3.grading.registry import grader  # the rubric lists every case

    questions = grader().questions

    print("| question | case | points | visibility | what it checks |")
    print("| --- | --- | ---: | --- | --- |")
    for question, cases in questions.items():
        for c in cases:
            description = c.description.replace("|", "\\|")
            print(f"| `{question}` | `{c.id}` | {c.points:g} | {c.visibility} | "
                  f"{description} |")
    total = sum(c.points for cs in questions.values() for c in cs)
    print(f"| **total** | | **{total:g}** | | |")
    return 0
