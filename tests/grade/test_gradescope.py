"""The Gradescope zip's entry point grades with hw3's engine in Gradescope's folder layout."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile

import pytest
from support import AUTOGRADER, SOLUTION, TEMPLATE

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("notebook, score", [(SOLUTION, 100.0), (TEMPLATE, 0.0)])
def test_run_autograder_writes_gradescope_results(tmp_path, notebook, score):
    root = tmp_path / "autograder"
    for folder in ("source", "submission", "results"):
        (root / folder).mkdir(parents=True)
    zipfile.ZipFile(AUTOGRADER).extractall(root / "source")
    shutil.copy(notebook, root / "submission" / "my_homework.ipynb")
    # What Otter's run_autograder does after activating the image's environment:
    proc = subprocess.run([sys.executable, str(root / "source" / "run_otter.py"), "--root",
                           str(root)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == score
    assert len(results["tests"]) == 14
    assert sum(t["max_score"] for t in results["tests"]) == 100.0
    assert all(t["score"] == (t["max_score"] if score else 0) for t in results["tests"])


def test_an_upload_without_a_notebook_gets_a_message(tmp_path):
    root = tmp_path / "autograder"
    for folder in ("source", "submission", "results"):
        (root / folder).mkdir(parents=True)
    zipfile.ZipFile(AUTOGRADER).extractall(root / "source")
    (root / "submission" / "answers.pdf").write_bytes(b"%PDF-1.4")
    subprocess.run([sys.executable, str(root / "source" / "run_otter.py"), "--root", str(root)],
                   check=True, capture_output=True, timeout=600)
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 0 and "No notebook" in results["output"]
