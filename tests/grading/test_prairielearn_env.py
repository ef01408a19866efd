"""PrairieLearn's external grader grades in the environment its image recipe builds.

One fresh virtual environment per module, made from nothing but the files of
``autograder/prairielearn/image/`` (its pinned requirements.txt and hw3's wheel, installed as
its Dockerfile installs them, with the Python it names). Each test lays out a job as
PrairieLearn does (``student/``, ``tests/``, ``serverFilesCourse/``, ``data/data.json``; no
``results/``: the entry makes it), shows it at /grade in a private mount namespace, runs the
question's entrypoint from ``info.json`` and reads ``/grade/results/results.json``.

Needs root and unshare(1), as in CI; the shared helpers are in ``_image_env``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests._support import ROOT, SOLUTION, TEMPLATE
from tests.grading._image_env import (
    env_key,
    make_venv,
    mistake_in_an_export_zip,
    need_python,
    need_root_and_unshare,
    pip_env,
    root_overlay,
    run_mounted,
    shared_venv,
)
from tests.grading._prairielearn_schema import problems

pytestmark = pytest.mark.slow

MOUNT = "/grade"
FOLDER = ROOT / "autograder" / "prairielearn"
MISTAKE = ROOT / "tests" / "fixtures" / "mistakes" / "sigmoid_naive.py"


class Job:
    """The image's environment and a PrairieLearn-shaped job folder shown at /grade."""

    def __init__(self, base: Path):
        self.base, self.image = base, base / "image"
        self.tree = base / "grade"
        self.venv = base / "venv"  # until build(): the shared environment's
        info = json.loads((FOLDER / "question" / "info.json").read_text())
        self.options = info["externalGradingOptions"]
        self.dockerfile = (FOLDER / "image" / "Dockerfile").read_text()
        self.setup_seconds: float | None = None

    def build(self) -> None:
        """The venv as the Dockerfile makes it: pip install -r requirements.txt WHEEL (or the
        one already built from the same list and wheel: ``_image_env.shared_venv``)."""
        shutil.copytree(FOLDER / "image", self.image)  # only the image's own files
        wheel = next(self.image.glob("*.whl"))
        pins = (self.image / "requirements.txt").read_text().splitlines()

        def install(venv: Path) -> None:
            make_venv(venv)
            proc = subprocess.run(
                [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-r",
                 "requirements.txt", wheel.name], cwd=self.image,
                env={**pip_env(), "PATH": "/usr/bin:/bin", "HOME": "/root",
                     **{k: v for k, v in os.environ.items() if k.startswith("PIP_")}},
                capture_output=True, text=True, timeout=1500)
            assert proc.returncode == 0, proc.stderr[-4000:]

        self.venv, self.setup_seconds = shared_venv(env_key(pins, wheel.read_bytes()), install)

    def entrypoint(self) -> list[str]:
        """info.json's entrypoint, with the image's venv (``/opt/hw3``) where this one is."""
        venv = re.search(r"uv venv .*?(/\S+) ", self.dockerfile).group(1)
        cmd = shlex.split(self.options["entrypoint"])
        return [c.replace(venv, str(self.venv)) for c in cmd]

    def grade(self, upload: Path | None, name: str = "hw3.ipynb", data: bytes | None = None,
              env: dict[str, str] | None = None) -> tuple[dict, subprocess.CompletedProcess]:
        shutil.rmtree(self.tree, ignore_errors=True)
        for folder in ("student", "tests", "serverFilesCourse", "data"):
            (self.tree / folder).mkdir(parents=True)
        (self.tree / "data" / "data.json").write_text(json.dumps({"params": {}, "options": {}}))
        self.tree.chmod(0o755)
        if upload is not None or data is not None:
            target = self.tree / "student" / name
            target.write_bytes(data if data is not None else upload.read_bytes())
        # The entry may chmod o+x the folders above this Python (in /root here): in the
        # namespace only, on a private /root.
        proc = run_mounted(self.tree, MOUNT, self.entrypoint(), env=env,
                           timeout=self.options["timeout"] + 60, cwd="/",
                           setup=root_overlay(self.base))
        results = json.loads((self.tree / "results" / "results.json").read_text())
        return results, proc


@pytest.fixture(scope="module")
def job():
    need_root_and_unshare(MOUNT)
    dockerfile = (FOLDER / "image" / "Dockerfile").read_text()
    need_python(re.search(r"--python (\S+)", dockerfile).group(1))
    # Not under pytest's tmp (mode 0700): student code runs as uid 65534 with this Python.
    base = Path(tempfile.mkdtemp(prefix="hw3-prairielearn-"))
    base.chmod(0o755)
    j = Job(base)
    try:
        j.build()
        print("\nthe image's environment: " + ("reused (same list and wheel)"
                                                if j.setup_seconds is None
                                                else f"built in {j.setup_seconds:.0f} s"))
        yield j
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_the_question_asks_for_the_notebook_or_zip_and_is_graded_externally():
    info = json.loads((FOLDER / "question" / "info.json").read_text())
    assert info["gradingMethod"] == "External"
    options = info["externalGradingOptions"]
    assert options["enabled"] and 0 < options["timeout"] <= 600
    assert options["image"] and options["entrypoint"].startswith("/")
    assert not options.get("enableNetworking")
    html = (FOLDER / "question" / "question.html").read_text()
    assert re.search(r'<pl-file-upload [^>]*\*\.ipynb[^>]*\*\.zip', html)
    assert "<pl-external-grader-results>" in html
    dockerfile = (FOLDER / "image" / "Dockerfile").read_text()
    assert dockerfile.splitlines()[3].startswith("FROM prairielearn/grader-python")
    # Self-contained: everything it copies is in its own folder.
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            for name in line.split()[1:-1]:
                assert (FOLDER / "image" / name).is_file(), name


def test_reference_scores_one(job):
    results, proc = job.grade(SOLUTION)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert problems(results) == []
    assert results["gradable"] is True and results["score"] == 1.0, results
    assert len(results["tests"]) == 14
    assert all(t["points"] == t["max_points"] for t in results["tests"])
    assert "isolation: bubblewrap" in proc.stdout  # for the job's log, which staff read


def test_blank_template_scores_zero(job):
    results, proc = job.grade(TEMPLATE)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert problems(results) == []
    assert results["gradable"] is True and results["score"] == 0.0
    assert all(t["points"] == 0 for t in results["tests"])


def test_a_mistake_in_an_export_zip_scores_as_hw3_grade(job, tmp_path):
    notebook, upload = mistake_in_an_export_zip(tmp_path, MISTAKE, SOLUTION)
    results, proc = job.grade(upload, name=upload.name)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert problems(results) == []
    local = subprocess.run([sys.executable, "-m", "hw3.cli", "grade", str(notebook), "--json",
                            str(tmp_path / "grades.json")], capture_output=True, text=True,
                           timeout=600, env={"PATH": "/usr/bin:/bin",
                                             "XDG_CACHE_HOME": str(tmp_path)})
    assert local.returncode == 0, local.stderr[-3000:]
    entry = json.loads((tmp_path / "grades.json").read_text())["submissions"][0]
    per_question = {t["name"]: t["points"] for t in results["tests"]}
    assert per_question == {q: v["score"] for q, v in entry["questions"].items()}
    assert per_question["sigmoid"] < 8
    assert results["score"] == round(entry["score"] / entry["possible"], 6)
    # Hidden cases say which property failed, never their inputs or expected values.
    hidden = (ROOT / "src" / "hw3" / "grading" / "expected_hidden.json").read_text()
    numbers = set(re.findall(r"-?\d+\.\d{6,}", hidden))
    text = json.dumps(results)
    assert numbers and not [n for n in numbers if n in text]


def test_a_file_that_is_not_a_notebook_is_not_gradable(job):
    results, proc = job.grade(None, name="hw3.ipynb", data=b"%PDF-1.4 not a notebook")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert problems(results) == []
    assert results["gradable"] is False
    (error,) = results["format_errors"]
    assert error.startswith("Your submission could not be graded: hw3.ipynb is not a "
                            "Jupyter notebook") and len(error) < 300


def test_without_namespaces_students_run_as_nobody_and_the_log_says_so(job):
    """HW3_BWRAP=/nonexistent: as in a Docker container whose seccomp profile forbids user
    namespaces. As root, the entry hides the job's own folders and the grader's files
    (chmod o=) and runs student code as uid 65534; the job's log says so, results do not."""
    results, proc = job.grade(SOLUTION, env={"HW3_BWRAP": "/nonexistent"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert results["score"] == 1.0 and problems(results) == []
    assert "isolation: unprivileged-user" in proc.stdout
    assert "unprivileged" not in json.dumps(results)
