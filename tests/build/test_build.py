"""`hw3 build`: the committed products match the master, and the template leaks nothing."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile

import nbformat
import pytest

from hw3.build import CHECKS_ZIP, check_master, normalize, read_test_cells
from hw3.cases import CASES


@pytest.fixture(scope="module")
def master(root):
    return nbformat.read(root / "assignment" / "hw3.ipynb", as_version=4)


def test_master_and_case_registry_agree(master):
    assert check_master(master) == []
    assert {c.case_id for c in read_test_cells(master)} == set(CASES)


def test_master_disagreeing_with_the_registry_is_reported(master):
    cell = next(c for c in master.cells if 'check("sigmoid.stable"' in c.source)
    cell.source = cell.source.replace("points: 2", "points: 5")
    problems = check_master(master)
    assert any("sigmoid.stable" in p and "points" in p for p in problems)


@pytest.mark.slow
def test_normalize_joins_stream_outputs_the_kernel_split():
    # The kernel flushes stdout when timing says: one run's "0.0" + "\n..." is another's one
    # output. Joined, equal builds give equal solution notebooks.
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print(0.0); print(1)")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="0.0"),
        nbformat.v4.new_output("stream", name="stdout", text="\n1\n"),
        nbformat.v4.new_output("stream", name="stderr", text="warning\n"),
        nbformat.v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=1),
        nbformat.v4.new_output("stream", name="stdout", text="3\n"),
    ]
    nb.cells = [cell]
    outputs = normalize(nb).cells[0].outputs
    assert [(o.output_type, o.get("name"), o.get("text")) for o in outputs] == [
        ("stream", "stdout", "0.0\n1\n"),
        ("stream", "stderr", "warning\n"),
        ("execute_result", None, None),
        ("stream", "stdout", "3\n"),
    ]


def test_committed_products_match_a_fresh_build(root):
    # Builds into a temporary folder (Otter Assign, two real kernel runs) and compares bytes.
    proc = subprocess.run([sys.executable, "-m", "hw3.cli", "build", "--check", "--root",
                           str(root)], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]


def _solution_lines(master) -> set[str]:
    """Lines of the master that only the solution has: `# SOLUTION` lines and BEGIN/END
    SOLUTION blocks inside code cells."""
    lines, inside = set(), False
    for cell in master.cells:
        if cell.cell_type != "code":
            continue
        for line in cell.source.splitlines():
            stripped = line.strip()
            if stripped == "# BEGIN SOLUTION":
                inside = True
            elif stripped == "# END SOLUTION":
                inside = False
            elif (inside or stripped.endswith("# SOLUTION")) and len(stripped) > 12:
                lines.add(re.sub(r"\s*# SOLUTION$", "", stripped))
    return lines


def test_template_contains_no_solution_code(root, master):
    template = (root / "student_template" / "hw3.ipynb").read_text()
    code = "\n".join("".join(c["source"]) for c in json.loads(template)["cells"])
    leaked = [line for line in _solution_lines(master) if line in code]
    assert len(_solution_lines(master)) > 30
    assert leaked == []


def test_template_ships_public_tests_and_public_data_only(root):
    nb = json.loads((root / "student_template" / "hw3.ipynb").read_text())
    tests = nb["metadata"]["otter"]["tests"]
    bodies = "\n".join(tests.values())
    hidden = [c.id for c in CASES.values() if c.hidden]
    public = [c.id for c in CASES.values() if not c.hidden]
    named = set(re.findall(r"check\(['\"]([\w.]+)['\"]", bodies))
    assert named == set(public) and not named & set(hidden)
    assert "hidden=True" not in bodies
    with zipfile.ZipFile(root / "student_template" / CHECKS_ZIP) as zf:
        names = set(zf.namelist())
        assert "hw3/data/expected_hidden.json" not in names
        data = json.loads(zf.read("hw3/data/expected_public.json"))
    assert set(data) == set(public)
    # Nothing of the grader itself goes to students.
    assert not names & {"hw3/grade.py", "hw3/sandbox.py", "hw3/build.py"}


def test_autograder_zip_has_every_test_and_all_data(root):
    with zipfile.ZipFile(root / "autograder" / "hw3-autograder.zip") as zf:
        names = set(zf.namelist())
        with zf.open(f"files/{CHECKS_ZIP}") as f:
            inner = zipfile.ZipFile(f)
            assert {"hw3/data/expected_public.json", "hw3/data/expected_hidden.json"} <= set(
                inner.namelist())
    questions = {c.question for c in CASES.values()}
    assert {f"tests/{q}.py" for q in questions} <= names
    assert "otter_config.json" in names
    # Otter folds the requirements into the image's conda environment: torch on its CPU index.
    env = zf_text(root / "autograder" / "hw3-autograder.zip", "environment.yml")
    assert "torch==2.13.0" in env and "download.pytorch.org/whl/cpu" in env
    assert "python=3.11" in env


def zf_text(path, name: str) -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read(name).decode()
