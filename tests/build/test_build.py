"""`hw3 build`: the committed products match the master, and the template leaks nothing."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from hw3.build import (
    CHECKS_ZIP,
    MasterError,
    check_master,
    master_cases,
    normalize,
    read_test_cells,
)
from hw3.grading.registry import grader

CASES = grader().cases

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def master(root):
    return nbformat.read(root / "assignment" / "hw3.ipynb", as_version=4)


@pytest.fixture
def master_copy(master):
    """A copy of the master a test may edit."""
    return nbformat.reads(nbformat.writes(master), as_version=4)


def test_master_and_case_registry_agree(master):
    assert check_master(master) == []
    assert {c.case_id for c in read_test_cells(master)} == set(CASES)


def test_points_and_visibility_come_from_the_master_alone(master_copy):
    # A point change needs no edit of src/hw3/cases: the master drives.
    from hw3.cases import declared

    master = master_copy
    cell = next(c for c in master.cells if 'check("sigmoid.stable"' in c.source)
    cell.source = cell.source.replace("points: 4", "points: 5")
    assert check_master(master) == []
    cases = declared.apply(grader().definitions, master_cases(read_test_cells(master)))
    assert cases["sigmoid.stable"].points == 5 and cases["sigmoid.stable"].hidden
    # A hidden case made public must first move out of the grader-only hw3/hidden, whose code
    # (with the hidden inputs) never ships to students; and a public case carries no points.
    cell.source = cell.source.replace("hidden: true", "hidden: false")
    problems = check_master(master)
    assert any("sigmoid.stable" in p and "src/hw3/cases/" in p for p in problems)
    assert any("sigmoid.stable is public and has points" in p for p in problems)
    # The committed registry is the master's.
    for c in read_test_cells(nbformat.read(ROOT / "assignment" / "hw3.ipynb", as_version=4)):
        assert (CASES[c.case_id].points, CASES[c.case_id].hidden) == (c.points, c.hidden)


def test_a_test_cell_for_an_unknown_case_is_reported(master_copy):
    master = master_copy
    cell = next(c for c in master.cells if 'check("sigmoid.stable"' in c.source)
    cell.source = cell.source.replace("sigmoid.stable", "sigmoid.stabel")
    problems = check_master(master)
    assert any("sigmoid.stabel" in p and "expression:" in p for p in problems)
    assert any("sigmoid.stable has no test cell" in p for p in problems)


def _replace(old: str, new: str):
    def edit(nb):
        cell = next(c for c in nb.cells if old in c.source)
        cell.source = cell.source.replace(old, new, 1)
    return edit


def _delete_first(source: str):
    def edit(nb):
        nb.cells.remove(next(c for c in nb.cells if c.source.strip() == source))
    return edit


@pytest.mark.parametrize("edit, words", [
    (_replace("# END TESTS", "# END TEST"), ["'# END TEST'", "did you mean '# END TESTS'"]),
    (_replace("name: q3_5", "nmae: q3_5"), ["'nmae'", "question config", "'name'"]),
    (_replace("hidden: true", "hidden: ture"), ["`hidden: ture`", "true or false"]),
    (_replace("points: 2", "pionts: 2"), ["'pionts'", "test config", "'points'"]),
    (_replace("check_all_cell: true", "check_all_cel: true"), ["'check_all_cel'", "assignment"]),
    (_delete_first("# END SOLUTION"), ["'# BEGIN TESTS' before the '# END SOLUTION'"]),
    (_replace("# BEGIN SOLUTION", "# BEGIN SOLUTON"), ["'# BEGIN SOLUTON'"]),
    (_replace('""" # END TEST CONFIG', '""" # END TEST CONFG'), ["'# BEGIN TEST CONFIG' has no"]),
    (_replace("points: 1\n", "points: one\n"), ["`points: one`", "a number"]),
    (_replace("# END QUESTION", "# END QUESTON"), ["'# END QUESTON'"]),
    (_replace('check("q3_1.form", env)', 'check("q3_5.form", env)'), ["'q3_1.<property>'"]),
])
def test_master_format_mistakes_give_one_line_naming_cell_and_marker(master_copy, edit, words):
    edit(master_copy)
    with pytest.raises(MasterError) as info:
        check_master(master_copy)
    message = str(info.value)
    assert "\n" not in message and re.match(r"cell \d+", message), message
    for w in words:
        assert w in message, message


@pytest.mark.slow  # over 5 s here (--durations)
def test_a_format_mistake_stops_the_build_with_one_line(tmp_path, root):
    import shutil

    (tmp_path / "assignment").mkdir()
    shutil.copy(root / "assignment" / "requirements.txt", tmp_path / "assignment")
    nb = nbformat.read(root / "assignment" / "hw3.ipynb", as_version=4)
    _replace("hidden: true", "hidden: ture")(nb)
    nbformat.write(nb, tmp_path / "assignment" / "hw3.ipynb")
    proc = subprocess.run([sys.executable, "-m", "hw3.cli", "build", "--root", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "must be true or false" in proc.stderr, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["assignment"]  # nothing written


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


@pytest.mark.slow
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
        assert "hw3/grading/expected_hidden.json" not in names
        data = json.loads(zf.read("hw3/cases/expected_public.json"))
    # The theory form cases compare with nothing: their data would be the answers.
    assert set(data) == {i for i in public if CASES[i].uses_expected}
    # Nothing of the grader itself goes to students.
    assert not names & {"hw3/grading/grade.py", "hw3/sandbox/__init__.py", "hw3/build/__init__.py"}


def test_autograder_zip_has_every_test_and_all_data(root):
    with zipfile.ZipFile(root / "autograder" / "hw3-autograder.zip") as zf:
        names = set(zf.namelist())
        with zf.open(f"files/{CHECKS_ZIP}") as f:
            inner = zipfile.ZipFile(f)
            assert {"hw3/cases/expected_public.json", "hw3/grading/expected_hidden.json"} <= set(
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


def test_students_checks_zip_holds_no_job_runner():
    # The job runner and its protocol are bound into the sandbox (hw3.grading.jail.BOUND) and
    # never shipped: the students' checks are hw3/__init__.py and hw3/cases/ only.
    from hw3.build.products import package_files
    from hw3.grading.jail import BOUND

    names = {name for name, _ in package_files(student=True, data={})}
    assert "hw3/cases/__init__.py" in names and "runner" in BOUND
    assert not {n for n in names if n.startswith("hw3/runner/") or n == "hw3/cases/job.py"}
    assert {n.split("/")[1] for n in names} == {"__init__.py", "cases"}
