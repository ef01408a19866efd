"""The export hands in the notebook the kernel works in, or says in one sentence that it cannot
tell; it runs hw3's own public checks here and prints their real results (no re-run of the
notebook, no warning block); it makes no zip for a notebook where nothing is answered; and
repeated exports leave one zip, hw3_submission.zip. (Run All on the blank template making no
zip: tests/student/test_template_experience.py.)"""

from __future__ import annotations

import json
import shutil
import zipfile

import nbformat
import pytest
from nbclient import NotebookClient

from hw3.build import CHECKS_ZIP
from hw3.cases.handin import SUBMISSION_ZIP, notebook_file
from tests._support import TEMPLATE


def _notebook(path, cells=()):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, path)


# ----------------------------------------------------------------------------- which file


def test_a_stale_session_name_beside_two_notebooks_is_refused_in_one_sentence(
        tmp_path, monkeypatch):
    # A copy renamed while its kernel ran: the name the kernel was given is gone, and the
    # blank template lies beside the renamed copy. Guessing would hand in the template.
    monkeypatch.chdir(tmp_path)
    _notebook(tmp_path / "hw3.ipynb")
    _notebook(tmp_path / "alice.ipynb")
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "hw3-Copy1.ipynb"))
    path, why = notebook_file({})
    assert path is None
    assert "\n" not in why and "alice.ipynb, hw3.ipynb" in why and "no zip was made" in why


def test_the_session_name_is_used_when_its_file_is_there(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _notebook(tmp_path / "hw3.ipynb")
    _notebook(tmp_path / "alice.ipynb")
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "alice.ipynb"))
    assert notebook_file({}) == ("alice.ipynb", "")


def test_vs_code_names_its_notebook(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    _notebook(tmp_path / "hw3.ipynb")
    _notebook(tmp_path / "mine.ipynb")
    assert notebook_file({"__vsc_ipynb_file__": str(tmp_path / "mine.ipynb")})[0] == "mine.ipynb"


def test_a_lone_notebook_is_this_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    _notebook(tmp_path / "whatever.ipynb")
    assert notebook_file({}) == ("whatever.ipynb", "")


# ----------------------------------------------------------------------------- in a kernel


def _cells_of_template() -> tuple[list[str], str]:
    code = [c.source for c in nbformat.read(TEMPLATE, as_version=4).cells
            if c.cell_type == "code"]
    return code[:2], next(c for c in code if "grader.export(" in c)


def _run(work, name: str) -> nbformat.NotebookNode:
    nb = nbformat.read(work / name, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=False,
                   resources={"metadata": {"path": str(work)}}).execute()
    return nb


def _outputs(cell) -> tuple[str, list[str]]:
    text = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")
    other = [o.get("name") or o.get("output_type") for o in cell.outputs
             if o.get("name") not in ("stdout",) and o.get("output_type") != "display_data"]
    return text, other


@pytest.fixture(scope="module")
def exported_twice(tmp_path_factory, root):
    """A student's renamed copy beside the blank hw3.ipynb, with relu answered and sigmoid
    wrong, exported twice; the kernel is told its notebook's name as Jupyter tells it."""
    work = tmp_path_factory.mktemp("handin")
    shutil.copy(TEMPLATE, work / "hw3.ipynb")
    shutil.copy(root / "student_template" / CHECKS_ZIP, work / CHECKS_ZIP)
    first, export = _cells_of_template()
    answers = ["def relu(z):\n    return np.maximum(0, np.asarray(z))",
               "def sigmoid(z):\n    return np.tanh(z)"]
    _notebook(work / "mine.ipynb", [*first, *answers, export, export])
    mp = pytest.MonkeyPatch()
    mp.setenv("JPY_SESSION_NAME", str(work / "mine.ipynb"))
    try:
        nb = _run(work, "mine.ipynb")
    finally:
        mp.undo()
    return work, nb


@pytest.mark.slow
def test_export_prints_the_public_checks_real_results_and_no_warning(exported_twice):
    _, nb = exported_twice
    text, other = _outputs(nb.cells[-1])
    assert "hw3_submission.zip holds mine.ipynb" in text, text
    assert "Public checks, run now in this kernel:" in text and "sigmoid (0 of 2)" in text, text
    assert "relu (" not in text, text  # relu's public checks pass: it is not listed
    assert "Running your submission" not in text  # Otter's re-run of the whole notebook
    assert other == [], other  # no stderr: no warning block


@pytest.mark.slow
def test_repeated_exports_leave_one_zip_that_holds_the_kernels_notebook(exported_twice):
    work, _ = exported_twice
    assert sorted(p.name for p in work.glob("*.zip")) == sorted([CHECKS_ZIP, SUBMISSION_ZIP])
    with zipfile.ZipFile(work / SUBMISSION_ZIP) as zf:
        assert [n for n in zf.namelist() if n.endswith(".ipynb")] == ["mine.ipynb"]
        cells = ["".join(c["source"]) for c in json.loads(zf.read("mine.ipynb"))["cells"]]
    assert any("np.tanh" in c for c in cells)
