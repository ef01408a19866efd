"""What a student sees: the template runs in a real kernel, every check says what is missing in
plain words, and the export cell makes a zip without pandoc or TeX."""

from __future__ import annotations

import json
import re
import shutil
import zipfile

import nbformat
import pytest
from nbclient import NotebookClient

from hw3.build import CHECKS_ZIP
from hw3.cases import QUESTIONS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def executed_template(root, tmp_path_factory):
    work = tmp_path_factory.mktemp("student")
    shutil.copy(root / "student_template" / "hw3.ipynb", work / "hw3.ipynb")
    shutil.copy(root / "student_template" / CHECKS_ZIP, work / CHECKS_ZIP)
    nb = nbformat.read(work / "hw3.ipynb", as_version=4)
    # A student runs every cell; the worked examples fail until the functions exist.
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(work)}}).execute()
    return work, nb


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


def test_export_cell_makes_a_zip_without_pandoc_or_tex(executed_template):
    work, nb = executed_template
    export = next(c for c in nb.cells if "grader.export(" in c.source)
    assert "pdf=False" in export.source
    assert not any(o.get("output_type") == "error" for o in export.get("outputs", []))
    zips = [p for p in work.glob("*.zip") if p.name != CHECKS_ZIP]
    assert len(zips) == 1
    with zipfile.ZipFile(zips[0]) as zf:
        assert "hw3.ipynb" in zf.namelist()
