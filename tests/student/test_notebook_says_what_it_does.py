"""The template says what it does and does what it says: Part 1's prompts say their checks look at
the form only; the 3.10 answer cell gives an incomplete dict one sentence, not a traceback;
PyTorch trains on one thread; a blank relu or feedforward is told what is missing without
being handed the answer; the exploration's model answer agrees with what its cell trains."""

from __future__ import annotations

import re
import subprocess
import sys

import nbformat
import pytest

from hw3.cases import CheckFailed, check
from hw3.grading.registry import grader
from tests._support import ROOT, SOLUTION, TEMPLATE, code_cells, run_cells

MASTER = ROOT / "assignment" / "hw3.ipynb"
PART1 = ["q3_1", "q3_5", "q3_10", "q4_4", "q4_5", "q4_6"]


def _prompt_before_check(nb, question: str) -> str:
    """The last markdown cell before the question's check cell."""
    text = ""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            text = cell.source
        elif cell.source.strip() == f'grader.check("{question}")':
            return text
    raise AssertionError(f"no check cell for {question}")


@pytest.mark.parametrize("question", PART1)
def test_part1_prompts_say_their_checks_check_the_form_only(question):
    nb = nbformat.read(TEMPLATE, as_version=4)
    prompt = _prompt_before_check(nb, question)
    assert f'grader.check("{question}")' in prompt and "the form only" in prompt, prompt
    assert "passes wrong answers" in prompt and "graded when you hand in" in prompt, prompt
    public = [c for c in grader().cases.values() if c.question == question and not c.hidden]
    assert public and all(c.id.endswith(".form") for c in public)  # what the prompt claims


def _cell(nb_path, marker: str) -> str:
    return next(c for c in code_cells(nb_path) if marker in c)


@pytest.mark.parametrize("params, words", [
    ("{'phi0': 1.0}", "lacks phi1"),
    ("{'phi0': 'a', 'phi1': 1, 'phi2': 1, 'phi3': 1, 'theta10': 1, 'theta11': 1, "
     "'theta20': 1, 'theta21': 1, 'theta30': 1, 'theta31': 1}", "should be a number"),
    ("[1, 2]", "should be a dict"),
])
def test_an_unusable_310_dict_gets_one_sentence_not_a_traceback(capsys, params, words):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    env = {"np": np, "plt": plt}
    exec(_cell(TEMPLATE, "def plot_shallow"), env)
    answer = _cell(TEMPLATE, "q3_10_two_region_params =")
    exec(answer.replace("q3_10_two_region_params = ...", f"q3_10_two_region_params = {params}"),
         env)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and words in out, out


@pytest.mark.slow  # over 5 s here (--durations)
def test_pytorch_trains_on_one_thread_in_the_notebook():
    cell = _cell(TEMPLATE, "import torch")
    probe = cell + "\nprint(torch.get_num_threads())"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         env={"OMP_NUM_THREADS": "4", "PATH": "/usr/bin:/bin"}, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "1", out.stderr


@pytest.fixture(scope="module")
def blank_messages() -> dict[str, str]:
    """What grader.check says in a student's kernel. This checkout holds the grader's side too,
    which would make check() speak as a graded run does (hw3.cases.vocabulary); the students'
    copy has none, so check() is told it is the students' copy."""
    import hw3.cases as cases

    env = run_cells(code_cells(TEMPLATE))
    with pytest.raises(CheckFailed):
        check("relu.values", env)  # loads what check() judges with, once
    loaded = cases.otter_checks()
    out = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cases, "otter_checks", lambda: cases.OtterChecks(loaded.registry, False))
        for case_id in ("relu.values", "relu.unchanged_example", "feedforward.example",
                        "feedforward.unchanged_example", "forward_propagation.unchanged_example"):
            with pytest.raises(CheckFailed) as failed:
                check(case_id, env)
            out[case_id] = str(failed.value)
    return out


def test_a_blank_relu_is_not_handed_np_maximum(blank_messages):
    for case_id in ("relu.values", "relu.unchanged_example"):
        assert "maximum" not in blank_messages[case_id], blank_messages[case_id]


def test_a_blank_function_is_told_it_returned_none_not_that_it_left_its_arguments_unchanged(
        blank_messages):
    for case_id in ("feedforward.unchanged_example", "forward_propagation.unchanged_example"):
        message = blank_messages[case_id]
        assert "unchanged" not in message and "returned None" in message, message


@pytest.mark.slow
def test_the_exploration_model_answer_agrees_with_what_its_cell_trains():
    """The explanation's claims hold for the curves the cell draws (after its 30 epochs), with
    margins far above another CPU's last digits."""
    nb = nbformat.read(MASTER, as_version=4)
    prompt = next(i for i, c in enumerate(nb.cells) if "**Explain (2.4).**" in c.source)
    answer = next(c.source for c in nb.cells[prompt + 1:] if c.cell_type == "markdown")
    assert "30 epochs" in answer and "100 epochs" not in answer
    env = run_cells(code_cells(SOLUTION))
    worked = _cell(SOLUTION, "x_train = torch.randn")
    explore = _cell(SOLUTION, "def losses_with")
    exec(worked.split("with example_needs")[0], env)  # the data of the worked example
    exec(explore.split("with example_needs")[0], env)  # losses_with and the settings
    assert re.search(r"range\(1, 31\)", explore) and "n_epochs=30" in explore
    last = {label: env["losses_with"](**kwargs)[-1] for label, kwargs in env["settings"].items()}
    base, wide = last["base: lr=0.1, momentum=0.9, 40 units"], last["160 hidden units"]
    wide_slow = last["160 hidden units, lr=0.01"]
    # "of the settings with 40 units the base ends lowest"
    assert base < 0.9 * last["lr=0.01"] and base < 0.9 * last["momentum=0"], last
    # "with 160 hidden units and the same learning rate the loss ends highest of all"
    assert wide > 1.3 * max(v for k, v in last.items() if k != "160 hidden units"), last
    # "with a learning rate of 0.01 the 160 units end lowest of all, far below the base"
    assert wide_slow < 0.5 * base, last
