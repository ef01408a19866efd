"""What a student sees: Run All on the blank template reaches the end in a real kernel (a short
"not done yet" note in place of each traceback), every check says what is missing in plain
words without the grader's internals or warnings, a missing checks zip or a renamed notebook
gets one sentence, and the export cell makes no zip of a blank notebook (one sentence instead)."""

from __future__ import annotations

import json
import re
import shutil

import nbformat
import pytest
from nbclient import NotebookClient

from hw3.build import CHECKS_ZIP
from hw3.grading.registry import grader

QUESTIONS = grader().questions

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def executed_template(root, tmp_path_factory):
    work = tmp_path_factory.mktemp("student")
    shutil.copy(root / "student_template" / "hw3.ipynb", work / "hw3.ipynb")
    shutil.copy(root / "student_template" / CHECKS_ZIP, work / CHECKS_ZIP)
    nb = nbformat.read(work / "hw3.ipynb", as_version=4)
    # Run All: any error stops here, as it stops Jupyter's Run All.
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=False,
                   resources={"metadata": {"path": str(work)}}).execute()
    return work, nb


def _text(cell) -> str:
    return "".join(o.get("text", "") + "".join(str(v) for v in o.get("data", {}).values())
                   for o in cell.get("outputs", []))


def test_run_all_reaches_the_end_with_short_notes_for_the_unfinished_examples(
        executed_template):
    _, nb = executed_template
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code)  # every cell ran
    assert not any(o.get("output_type") == "error" for c in code for o in c.get("outputs", []))
    notes = [c for c in code if "Not done yet: this example needs" in _text(c)]
    assert len(notes) >= 6
    for cell in notes:
        assert len(_text(cell).strip().splitlines()) <= 3, _text(cell)
        assert "Traceback" not in _text(cell)


def test_checks_show_no_grader_internals_or_warnings(executed_template):
    _, nb = executed_template
    for cell in nb.cells:
        if cell.cell_type == "code" and "grader.check" in cell.source:
            text = _text(cell)
            assert "Error at line" not in text and "check(" not in text, text[:500]
            assert "Warning" not in text and "hw3_checks.zip/" not in text, text[:500]
            assert not any(o.get("name") == "stderr" for o in cell.get("outputs", [])), text


def _run_first_cells(work, name: str, n: int):
    nb = nbformat.read(work / name, as_version=4)
    nb.cells = [c for c in nb.cells if c.cell_type == "code"][:n]
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=False,
                   resources={"metadata": {"path": str(work)}}).execute()
    return nb


def test_a_missing_checks_zip_gets_one_sentence_at_the_top_and_from_every_check(
        root, tmp_path, monkeypatch):
    # As on a student's machine, hw3 is importable from the checks zip only: the kernel is
    # kept from the copy installed for these tests.
    shadow = tmp_path / "shadow" / "hw3"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'hw3'\")\n")
    monkeypatch.setenv("PYTHONPATH", str(shadow.parent))
    shutil.copy(root / "student_template" / "hw3.ipynb", tmp_path / "hw3.ipynb")
    nb = nbformat.read(tmp_path / "hw3.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    first_check = next(i for i, c in enumerate(code) if "grader.check(" in c.source)
    nb = _run_first_cells(tmp_path, "hw3.ipynb", first_check + 1)
    for cell in (nb.cells[0], nb.cells[-1]):
        text = _text(cell)
        assert text.strip().count("\n") == 0 and "put hw3_checks.zip" in text, text
        assert "ModuleNotFoundError" not in text and "Traceback" not in text, text


def test_a_renamed_notebook_still_checks(root, tmp_path):
    name = "hw3 (1).ipynb"
    shutil.copy(root / "student_template" / "hw3.ipynb", tmp_path / name)
    shutil.copy(root / "student_template" / CHECKS_ZIP, tmp_path / CHECKS_ZIP)
    nb = nbformat.read(tmp_path / name, as_version=4)
    first_check = next(i for i, c in enumerate(c for c in nb.cells if c.cell_type == "code")
                       if "grader.check(" in c.source)
    nb = _run_first_cells(tmp_path, name, first_check + 1)
    assert "q3_1" in _text(nb.cells[-1]) and "not answered yet" in _text(nb.cells[-1])


def _check_outputs(nb) -> dict[str, str]:
    out = {}
    for cell in nb.cells:
        m = re.match(r'grader\.check\("(\w+)"\)', cell.source.strip())
        if m:
            out[m.group(1)] = json.dumps(cell.get("outputs", []))
    return out


def test_every_question_has_a_check_that_runs_from_the_template(executed_template):
    _, nb = executed_template
    outputs = _check_outputs(nb)
    assert set(outputs) == set(QUESTIONS)
    for question, text in outputs.items():
        assert '"output_type": "error"' not in text, f"grader.check({question!r}) crashed"
        assert "failed" in text, question


def test_failing_checks_say_what_is_missing_in_plain_words(executed_template):
    _, nb = executed_template
    outputs = _check_outputs(nb)
    plain = re.compile(r"not answered yet|returned None|did you forget a `return`|is None|got None|"
                       r"not defined")
    for question, text in outputs.items():
        assert plain.search(text), f"{question}: {text[:500]}"
        # The grader's own machinery never shows up as a traceback.
        assert "hw3/cases" not in text and "wire.py" not in text, question


def test_run_all_on_the_blank_template_makes_no_zip_and_says_so_in_one_sentence(
        executed_template):
    work, nb = executed_template
    export = next(c for c in nb.cells if "grader.export(" in c.source)
    text = _text(export)
    assert text.strip().count("\n") == 0 and "no zip was made" in text, text
    assert not any(o.get("output_type") == "error" or o.get("name") == "stderr"
                   for o in export.get("outputs", []))
    assert [p.name for p in work.glob("*.zip")] == [CHECKS_ZIP]


def test_the_template_has_one_submission_section(root):
    nb = nbformat.read(root / "student_template" / "hw3.ipynb", as_version=4)
    headings = [line for c in nb.cells if c.cell_type == "markdown"
                for line in c.source.splitlines() if re.match(r"#+ Submission", line)]
    assert headings == ["## Submission"]
