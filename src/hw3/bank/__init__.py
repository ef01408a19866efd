"""The bank of mistakes and right answers: is the grading fair and sharp?

Each fixture under ``mistakes/`` and ``right/`` of the fixture folder (``tests/fixtures`` in
the repository, or ``--fixtures DIR``) is a piece of code
as a student would write it, with a docstring that says what it is and which questions it must
lose points on (``loses: q4_4, predict``; empty for a right answer)::

    \"\"\"Naive sigmoid 1/(1 + exp(-z)): exp overflows for large negative z.

    loses: sigmoid
    \"\"\"
    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

For every fixture a notebook is made from the reference solution (``solutions/hw3.ipynb``) with
the fixture's code as a new cell right after the solution cell that defines the same names, so
that every later cell uses it. The notebooks are graded by one of three runners:

- ``inprocess``: the cells run in this process and every case is probed and judged here (fast);
- ``grade``: ``hw3 grade``'s engine (``hw3.grading.grade.grade_paths``: sandboxed child,
  trusted judges);
- ``otter``: ``otter run`` with the autograder zip, two notebooks at a time (slow).

A mistake is *caught* when it loses points on exactly its ``loses:`` questions and on no other;
a right answer raises a *false alarm* when it loses anything. ``hw3 bank`` prints both rates per
runner and lists every miss.

The modules: ``fixtures`` (the one fixture convention and its parser), ``notebooks``, ``runners``,
``otter`` (the one ``otter run`` wrapper), ``rates``; this one re-exports them. The command
is ``hw3.commands.bank``.
"""

from __future__ import annotations

from hw3.bank.fixtures import (
    KINDS,
    BankError,
    Fixture,
    FixtureMeta,
    defined_names,
    load_fixtures,
    parse_fixture,
    read_meta,
)
from hw3.bank.notebooks import (
    fixture_notebook,
    group_right_answers,
    insertion_index,
    is_demo,
    solution_path,
    write_notebooks,
)
from hw3.bank.otter import OtterRun, otter_run
from hw3.bank.rates import (
    CODE_QUESTIONS,
    Outcome,
    PublicSignal,
    Rates,
    costs_table,
    public_signal,
    rates,
    split_outcome,
)
from hw3.bank.runners import RUNNERS, run, run_cells, run_grade, run_inprocess, run_otter

__all__ = ["CODE_QUESTIONS", "KINDS", "RUNNERS", "BankError", "Fixture", "FixtureMeta",
           "OtterRun", "Outcome", "PublicSignal", "Rates", "costs_table", "defined_names",
           "fixture_notebook", "group_right_answers", "insertion_index", "is_demo",
           "load_fixtures", "otter_run", "parse_fixture", "public_signal", "rates",
           "read_meta", "run", "run_cells", "run_grade", "run_inprocess", "run_otter",
           "solution_path", "split_outcome", "write_notebooks"]
