"""docs/authoring.md's worked example, replayed on a copy of the repository and built.

Every ``<!-- replay: ... -->`` comment of the guide is one edit of the copy's master; one build
of the copy (Otter Assign, two kernel runs) is shared by all the asserts.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow

_REPLAY = re.compile(r"<!-- replay: (.*?) -->\n(?:```python\n(.*?)```)?", re.S)


def _steps(guide: str) -> list[tuple[list[str], str]]:
    return [(shlex.split(m.group(1)), m.group(2) or "") for m in _REPLAY.finditer(guide)]


def _test_cell(nb, case_id: str) -> int:
    return next(i for i, c in enumerate(nb.cells)
                if c.cell_type == "code" and f'check("{case_id}"' in c.source)


def _replay(nb, steps: list[tuple[list[str], str]]) -> None:
    for words, code in steps:
        if words[0] == "points":
            cell = nb.cells[_test_cell(nb, words[1])]
            cell.source = re.sub(r"points: [\d.]+", f"points: {words[2]}", cell.source, count=1)
        elif words[0] == "prompt":
            cell = next(c for c in nb.cells if c.cell_type == "markdown" and words[1] in c.source)
            cell.source = cell.source.replace(words[1], words[2])
        elif words[:2] == ["add", "after"]:
            nb.cells.insert(_test_cell(nb, words[2]) + 1,
                            nbformat.v4.new_code_cell(code.strip()))
        else:
            raise AssertionError(f"unknown replay step {words}")


@pytest.fixture(scope="module")
def built(root, tmp_path_factory):
    copy = tmp_path_factory.mktemp("authoring") / "repo"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        if (root / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            (copy / name).write_bytes((root / name).read_bytes())
    steps = _steps((root / "docs" / "authoring.md").read_text())
    master = copy / "assignment" / "hw3.ipynb"
    nb = nbformat.read(master, as_version=4)
    _replay(nb, steps)
    nbformat.write(nb, master)
    # The copy's own package: the build reads and writes the copy's src/hw3.
    env = {**os.environ, "PYTHONPATH": str(copy / "src")}
    build = subprocess.run([sys.executable, "-m", "hw3.cli", "build"], cwd=copy, env=env,
                           capture_output=True, text=True, timeout=1200)
    rubric = subprocess.run([sys.executable, "-m", "hw3.cli", "rubric"], cwd=copy, env=env,
                            capture_output=True, text=True, timeout=300)
    return {"copy": copy, "steps": steps, "build": build, "rubric": rubric}


def test_the_guide_has_every_kind_of_step(built):
    kinds = [w[0] for w, _ in built["steps"]]
    assert kinds.count("points") == 2 and "prompt" in kinds and kinds.count("add") == 2


def test_the_edited_master_builds(built):
    assert built["build"].returncode == 0, built["build"].stderr[-3000:]


def test_points_come_from_the_master(built):
    cases = json.loads((built["copy"] / "src/hw3/cases/master.json").read_text())
    assert cases["sigmoid.stable"]["points"] == 3 and cases["sigmoid.array"]["points"] == 2
    rubric = built["rubric"].stdout
    assert "| `sigmoid` | `sigmoid.stable` | 3 | hidden |" in rubric
    assert "| `sigmoid` | `sigmoid.array` | 2 | hidden |" in rubric
    assert "| **total** | | **100** | | |" in rubric


def test_new_cases_are_recorded_public_and_hidden_apart(built):
    package = built["copy"] / "src/hw3"
    public = json.loads((package / "cases/expected_public.json").read_text())
    hidden = json.loads((package / "grading/expected_hidden.json").read_text())
    assert "relu.small_array" in public and "relu.small_array" not in hidden
    assert "relu.huge_values" in hidden and "relu.huge_values" not in public
    rubric = built["rubric"].stdout
    assert "`relu.small_array` | 0 | public | ReLU of a small array |" in rubric
    assert "`relu.huge_values` | 0 | hidden |" in rubric


def test_students_get_the_public_case_and_not_the_hidden_one(built):
    copy = built["copy"]
    template = (copy / "student_template/hw3.ipynb").read_text()
    assert "negative values become 0" in template  # the edited prompt
    tests = json.loads(template)["metadata"]["otter"]["tests"]["relu"]
    assert "relu.small_array" in tests and "relu.huge_values" not in tests
    with zipfile.ZipFile(copy / "student_template/hw3_checks.zip") as zf:
        shipped = json.loads(zf.read("hw3/cases/master.json"))
        assert "relu.small_array" in shipped and "relu.huge_values" not in shipped
        assert "relu.huge_values" not in zf.read("hw3/cases/expected_public.json").decode()


def test_the_solution_passes_the_new_cases_and_a_mistake_fails_them(built):
    # The copy's registry judges the reference's own data and a ReLU that forgets negatives.
    code = (
        "import json, numpy as np\n"
        "from hw3.grading.registry import grader\n"
        "reg = grader()\n"
        "CASES, judge, run_probes, exp = reg.cases, reg.judge, reg.run_probes, reg.expected\n"
        "ids = ['relu.small_array', 'relu.huge_values']\n"
        "right = run_probes(ids, {'np': np, 'relu': lambda z: np.maximum(0, np.asarray(z))})\n"
        "wrong = run_probes(ids, {'np': np, 'relu': lambda z: np.abs(np.asarray(z))})\n"
        "print(json.dumps({k: [judge(CASES[k], right[k], exp).ok,"
        " judge(CASES[k], wrong[k], exp).ok] for k in ids}))\n")
    env = {**os.environ, "PYTHONPATH": str(built["copy"] / "src")}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=300, cwd=Path(built["copy"]))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout) == {"relu.small_array": [True, False],
                                       "relu.huge_values": [True, False]}
