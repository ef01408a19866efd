"""Every argument of every `hw3` subcommand says what it is in `--help`."""

from __future__ import annotations

import argparse

from hw3.cli import COMMANDS, parser


def test_every_argument_has_help_text():
    top = parser()
    sub = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    silent = [f"hw3 {name} {a.dest}" for name, p in sub.choices.items() for a in p._actions
              if not isinstance(a, argparse._HelpAction) and not a.help]
    assert set(sub.choices) == set(COMMANDS)
    assert silent == []
