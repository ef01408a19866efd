"""Collecting explanation cells: found by Otter's markers and the recorded prompts, robust to
what students do to notebooks, capped against hostile ones; the rubric recorded at build."""

from __future__ import annotations

import copy
import json

import nbformat
import pytest

from hw3.grading.submission import read
from hw3.marking.collect import END, MAX_ANSWER_CHARS, PLACEHOLDER, find_explanations
from hw3.marking.rubric import load_manual, read_manual_questions
from tests.marking._marking_support import ROOT, TEMPLATE, fill

MANUAL = ["q3_1_explain", "q3_5_explain", "q3_10_explain", "q4_6_explain", "explore_explain"]


@pytest.fixture(scope="module")
def template():
    return nbformat.read(TEMPLATE, as_version=4)


def _cells(nb) -> list[dict]:
    return json.loads(nbformat.writes(nb))["cells"]


def _prompt_index(nb, name: str) -> int:
    prompt = next(q.prompt for q in load_manual() if q.name == name)
    return next(i for i, c in enumerate(nb.cells) if prompt in c.source)


def test_recorded_rubric_is_the_masters():
    master = nbformat.read(ROOT / "assignment" / "hw3.ipynb", as_version=4)
    from_master = read_manual_questions(master)
    assert [q.name for q in from_master] == MANUAL
    assert [q.points for q in from_master] == [2, 2, 2, 2, 3]
    assert tuple(from_master) == load_manual()  # data/manual.json is up to date


def test_template_has_every_question_unanswered(template):
    got = find_explanations(_cells(template))
    assert list(got) == MANUAL
    assert all(e["found"] and not e["answered"] and e["text"] == "" for e in got.values())


def test_answers_as_written_markdown_and_latex(template):
    text = "By cases: if $z \\ge 0$ then $\\mathrm{ReLU}[\\alpha z] = \\alpha z$.\n\n* one\n* two"
    got = find_explanations(_cells(fill(template, {"q3_5_explain": text})))
    assert got["q3_5_explain"] == {"text": text, "found": True, "answered": True,
                                   "truncated": False}
    assert not got["q3_1_explain"]["answered"]


def test_answer_split_over_cells_and_extra_cells(template):
    nb = fill(template, {"q4_6_explain": "First part."})
    i = _prompt_index(nb, "q4_6_explain")
    nb.cells.insert(i + 2, nbformat.v4.new_markdown_cell("Second part, in a cell I added."))
    nb.cells.insert(i + 3, nbformat.v4.new_code_cell("print('scratch')"))
    got = find_explanations(_cells(nb))["q4_6_explain"]
    assert got["text"] == "First part.\n\nSecond part, in a cell I added."


def test_without_tags_metadata_or_markers(template):
    # A notebook round-tripped through a tool that drops metadata and HTML comments.
    nb = fill(template, {"q3_10_explain": "At most one kink per unit."})
    for c in nb.cells:
        c.metadata = {}
        c.source = c.source.replace("<!-- BEGIN QUESTION -->", "").replace(END, "")
    got = find_explanations(_cells(nb))
    assert got["q3_10_explain"]["text"] == "At most one kink per unit."
    assert got["q3_1_explain"]["found"] and not got["q3_1_explain"]["answered"]


def test_answer_typed_into_the_prompt_cell(template):
    nb = copy.deepcopy(template)
    i = _prompt_index(nb, "explore_explain")
    nb.cells[i].source += "\n\nMy answer: momentum speeds it up."
    got = find_explanations(_cells(nb))["explore_explain"]
    assert got["text"] == "My answer: momentum speeds it up."


def test_prompt_deleted_or_reordered(template):
    nb = fill(template, {"q3_1_explain": "one", "q4_6_explain": "four six"})
    del nb.cells[_prompt_index(nb, "q3_5_explain")]
    got = find_explanations(_cells(nb))
    assert not got["q3_5_explain"]["found"] and got["q3_5_explain"]["text"] == ""
    assert got["q3_1_explain"]["text"] == "one" and got["q4_6_explain"]["text"] == "four six"


def test_placeholder_left_beside_an_answer(template):
    nb = fill(template, {"q3_1_explain": f"{PLACEHOLDER}\n\nAffine."})
    assert find_explanations(_cells(nb))["q3_1_explain"]["text"] == "Affine."


def test_huge_answer_is_cut(template):
    nb = fill(template, {"q3_1_explain": "x" * (5 * MAX_ANSWER_CHARS)})
    got = find_explanations(_cells(nb))["q3_1_explain"]
    assert got["truncated"] and len(got["text"]) == MAX_ANSWER_CHARS


def test_junk_cells_cost_nothing():
    junk = [None, 3, "text", {"cell_type": "markdown", "source": 5},
            {"cell_type": "markdown", "source": ["a", 7, None]}, {"cell_type": ["x"]},
            {"cell_type": "markdown", "metadata": "m", "source": "y"}]
    got = find_explanations(junk)
    assert all(not e["found"] for e in got.values())


def test_reader_keeps_explanations(template, tmp_path):
    path = tmp_path / "s.ipynb"
    nbformat.write(fill(template, {"q3_1_explain": "Read from disk."}), path)
    sub = read(path, "s")
    assert sub.explanations["q3_1_explain"]["text"] == "Read from disk."
    assert read(tmp_path / "missing.ipynb", "m").explanations == {}


def test_a_prompt_reworded_after_hand_out_still_finds_answers_by_its_label(template):
    """Students keep the template they were given: an instructor who rewords a prompt later
    (its bold label kept) must not lose their answers."""
    nb = copy.deepcopy(template)
    i = _prompt_index(nb, "explore_explain")
    prompt = next(q.prompt for q in load_manual() if q.name == "explore_explain")
    label = prompt.split("**", 2)[1]
    nb.cells[i].source = nb.cells[i].source.replace(
        prompt, f"**{label}** An older wording of the question, as the class received it.")
    nb.cells[i + 1].source = "Momentum speeds the descent."
    found = find_explanations(_cells(nb))["explore_explain"]
    assert found["found"] and found["answered"]
    assert found["text"] == "Momentum speeds the descent."
