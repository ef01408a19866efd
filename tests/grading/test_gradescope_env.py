"""The autograder zip grades in the environment it builds, the way Gradescope builds it.

One fresh virtual environment per module, made from nothing but the zip's environment.yml (its
pip part, handed to pip as conda hands it: a requirements file beside environment.yml, pip run
from there). The zip is unpacked into an /autograder-shaped tree (source/, submission/,
results/), which a private mount namespace shows at the real path /autograder, where Gradescope's
scripts and the zip's pinned wheel path expect it. Each test puts an upload in submission/ and
runs what run_autograder runs (source/run_otter.py, with the environment's Python, from
/autograder), then reads results/results.json.

The unpacking, the environment and the run are `hw3.build.try_zip.ZipImage`, the code behind
`hw3 try-zip`, which is tested here too on the environment the module built. PyTorch's CPU
index, which the zip names for Gradescope, cannot be reached from every machine (this
project's have only their package registries): when a 3-second connection to it fails, pip is
told not to retry (PIP_RETRIES=0), so each package costs one refused connection instead of
minutes of back-off. The zip itself is used unchanged. The environment is the one PrairieLearn's
image test uses when the two pinned lists and wheels are the same (``_image_env.shared_venv``),
so the suite installs PyTorch and the rest once.

Needs root (for the mount namespace and for the unprivileged-user mode), as on Gradescope and
in CI. An empty /autograder directory is made on the host as the mount point if there is none.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from hw3.build.autograder import WHEEL_DIR
from hw3.build.try_zip import MOUNT, READY, ZipImage, conda_python, pins_key, pip_requirements
from tests._support import AUTOGRADER, ROOT, SOLUTION, TEMPLATE
from tests.grading._gradescope_schema import schema_problems
from tests.grading._image_env import (
    env_key,
    mistake_in_an_export_zip,
    need_python,
    need_root_and_unshare,
    shared_venv,
)

pytestmark = pytest.mark.slow

MISTAKE = ROOT / "tests" / "fixtures" / "mistakes" / "sigmoid_naive.py"


class Image(ZipImage):
    """The package's ZipImage (what `hw3 try-zip` runs) at the real /autograder, each upload
    graded with /root private as on Gradescope."""

    def grade(self, *args, **kwargs):
        return super().grade(*args, private_root=True, **kwargs)


def _scratch() -> str | None:
    """Where the environment is built: in memory (/dev/shm) where it has room and allows
    programs, else the temporary folder. Its 1.5 GB of small files cost minutes of disk
    writes and deletes on a busy machine, and seconds in memory."""
    shm = Path("/dev/shm")
    try:
        options = next(line.split()[3] for line in Path("/proc/mounts").read_text().splitlines()
                       if line.split()[1] == str(shm))
        roomy = shutil.disk_usage(shm).free > 8 * 2**30
    except (OSError, StopIteration, IndexError):
        return None
    return str(shm) if roomy and "noexec" not in options.split(",") else None


@pytest.fixture(scope="module")
def image():
    need_root_and_unshare(MOUNT)
    with zipfile.ZipFile(AUTOGRADER) as zf:
        environment = zf.read("environment.yml").decode()
    need_python(conda_python(environment))
    # Not under pytest's tmp (mode 0700): student code runs as uid 65534 with this Python.
    base = Path(tempfile.mkdtemp(prefix="hw3-gradescope-", dir=_scratch()))
    base.chmod(0o755)
    img = Image(base, mount=True)
    try:
        img.unpack(AUTOGRADER)
        wheel = next((img.source / WHEEL_DIR).glob("*.whl")).read_bytes()

        def install(venv: Path) -> None:
            img.venv, img.python = venv, venv / "bin" / "python"
            img.build(python=sys.executable)

        venv, seconds = shared_venv(env_key(pip_requirements(environment), wheel), install)
        img.venv, img.python = venv, venv / "bin" / "python"
        if not img.ready():
            # Built by PrairieLearn's image test from the same pins and wheel (the key says so):
            # mark it as try-zip marks its own, so `hw3 try-zip --venv` reuses it as it is.
            (venv / READY).write_text(json.dumps({"pins": pins_key(img.requirements())}) + "\n")
        print("\nthe zip's environment: "
              + (f"built in {seconds:.0f} s" if seconds is not None else "reused"))
        yield img
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _isolation(results: dict) -> str:
    return results.get("extra_data", {}).get("hw3", {}).get("isolation", "")


def test_environment_is_the_zips_own(image):
    """hw3 comes from the zip's wheel, grader side and hidden data included, not this repo."""
    proc = image.run([str(image.python), "-I", "-c",
                      "import hw3, hw3.grading.grade, hw3.grading.slips, json;"
                      "from hw3.grading.registry import load_expected; print(hw3.__file__);"
                      "print(len(load_expected()))"])
    assert proc.returncode == 0, proc.stderr[-2000:]
    where, count = proc.stdout.split()
    assert str(image.venv) in where and str(ROOT) not in where
    from hw3.grading.registry import load_expected

    assert int(count) == len(load_expected())  # public and hidden expectations, all of them


def test_reference_gets_full_marks_sandboxed(image):
    results, proc = image.grade(SOLUTION)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert results["score"] == 100.0, results.get("output")
    assert schema_problems(results) == []
    graded = [t for t in results["tests"] if "max_score" in t]
    assert len(graded) == 14 and sum(t["max_score"] for t in graded) == 100.0
    assert all(t["status"] == "passed" for t in results["tests"])
    # The zip's otter_config.json says show_hidden: false, show_stdout: true (as Otter renders).
    assert {t["visibility"] for t in graded} == {"hidden"}
    public = next(t for t in results["tests"] if t["name"] == "Public Tests")
    assert public["visibility"] == "visible"
    assert results["stdout_visibility"] == "after_published"
    # Isolation is for instructors only, and bubblewrap wherever it can start (CI, Gradescope).
    assert _isolation(results) == "bubblewrap"
    env_test = next(t for t in results["tests"] if t["name"].startswith("Grading environment"))
    assert env_test["visibility"] == "hidden"
    assert "bubblewrap" not in proc.stdout and "bubblewrap" not in results["output"]


def test_blank_template_gets_zero(image):
    results, proc = image.grade(TEMPLATE)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert _isolation(results) == "bubblewrap"  # graded, not refused
    assert results["score"] == 0.0
    assert schema_problems(results) == []
    assert all(t["status"] == "failed" for t in results["tests"] if "max_score" in t)


def test_a_mistake_in_an_export_zip_scores_as_hw3_grade(image, tmp_path):
    """The naive sigmoid from the bank of mistakes, handed in as the export cell's zip, gets
    the score `hw3 grade` gives the same notebook, question by question."""
    notebook, upload = mistake_in_an_export_zip(tmp_path, MISTAKE, SOLUTION)
    results, proc = image.grade(upload, name=upload.name)
    assert proc.returncode == 0, proc.stderr[-3000:]
    local = subprocess.run([sys.executable, "-m", "hw3.cli", "grade", str(notebook), "--json",
                            str(tmp_path / "grades.json")], capture_output=True, text=True,
                           timeout=600, env={**os.environ, "XDG_CACHE_HOME": str(tmp_path)})
    assert local.returncode == 0, local.stderr[-3000:]
    entry = json.loads((tmp_path / "grades.json").read_text())["submissions"][0]
    assert 0 < results["score"] < 100
    assert results["score"] == entry["score"]
    per_question = {t["name"]: t["score"] for t in results["tests"] if "max_score" in t}
    assert per_question == {q: v["score"] for q, v in entry["questions"].items()}
    assert per_question["sigmoid"] < 8


def test_a_file_that_is_not_a_notebook_gets_one_clear_message(image):
    results, proc = image.grade(None, name="hw3.ipynb", data=b"%PDF-1.4 not a notebook")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert results["score"] == 0.0
    # The engine's one sentence on why, and nothing else (no traceback, no grader detail).
    assert results["output"].startswith("Your submission could not be graded: hw3.ipynb is "
                                        "not a Jupyter notebook")
    assert "Traceback" not in results["output"] and len(results["output"]) < 300
    assert schema_problems(results) == []
    nothing, _ = image.grade(None, name="answers.pdf", data=b"%PDF-1.4")
    assert nothing["score"] == 0.0 and "No notebook" in nothing["output"]


def test_without_namespaces_students_run_as_nobody_and_cannot_read_the_grader(image):
    """HW3_BWRAP=/nonexistent: no bubblewrap. As root, the entry hides the autograder's files
    (chmod o=) and runs student code as uid 65534; instructors are told, students are not."""
    results, proc = image.grade(SOLUTION, env={"HW3_BWRAP": "/nonexistent"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert _isolation(results) == "unprivileged-user"
    assert results["score"] == 100.0
    env_test = next(t for t in results["tests"] if t["name"].startswith("Grading environment"))
    assert env_test["visibility"] == "hidden" and env_test["status"] == "failed"
    assert "unprivileged-user" in env_test["output"]
    assert "unprivileged" not in results["output"] and "unprivileged" not in proc.stdout
    # What student code could have tried: the installed hidden data, the zip's tests. Read
    # as uid 65534 in the same setting (Python's folders opened to traversal by the entry).
    site = next((image.venv / "lib").glob("python3*/site-packages"))
    secret = [site / "hw3" / "grading" / "expected_hidden.json", f"{MOUNT}/source/tests/q3_1.py",
              f"{MOUNT}/source/files/hw3_checks.zip", f"{MOUNT}/results"]
    attempt = ("import subprocess, sys\n"
               "from hw3.grading.gradescope import open_python_path\n"
               "open_python_path()\n"
               "code = ('import os, sys\\nfor p in sys.argv[1:]:\\n    try:\\n'\n"
               "        '        os.listdir(p) if os.path.isdir(p) else open(p).read(1)\\n'\n"
               "        '        print(\"READ\", p)\\n    except OSError:\\n'\n"
               "        '        print(\"DENIED\", p)\\n')\n"
               "out = subprocess.run([sys.executable, '-I', '-S', '-c', code, *sys.argv[1:]],\n"
               "                     user=65534, group=65534, extra_groups=[],\n"
               "                     capture_output=True, text=True)\n"
               "print(out.stdout, out.stderr)\n")
    probe = image.run([str(image.python), "-I", "-c", attempt, *map(str, secret)],
                      private_root=True)
    assert probe.returncode == 0, probe.stderr[-2000:]
    assert probe.stdout.count("DENIED") == len(secret), probe.stdout
    assert "READ" not in probe.stdout


def test_no_sandbox_at_all_means_no_student_code_runs(image):
    """Asked for bubblewrap where it cannot start: nothing runs, the student is told to ask
    the instructor, the instructor is told why. Never a silent fallback."""
    results, proc = image.grade(SOLUTION, env={"HW3_BWRAP": "/nonexistent",
                                               "HW3_GRADESCOPE_ISOLATION": "bubblewrap"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert results["score"] == 0.0
    assert "could not start its sandbox" in results["output"]
    assert _isolation(results) == "refused"
    assert schema_problems(results) == []


def test_try_zip_grades_an_upload_with_the_zips_own_wheel(image, tmp_path):
    """`hw3 try-zip`, on the environment this module built (kept: only the wheel is
    reinstalled), prints the score and the tests that Gradescope would show."""
    saved = tmp_path / "results.json"
    proc = subprocess.run([sys.executable, "-m", "hw3.cli", "try-zip", str(AUTOGRADER),
                           str(SOLUTION), "--venv", str(image.venv), "--results", str(saved)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "reinstalling the zip's wheel" in proc.stderr  # the kept environment, reused
    lines = proc.stdout.splitlines()
    assert lines[0] == "score 100.0 / 100 (isolation: bubblewrap)", proc.stdout
    assert any(ln.startswith("- Public Tests [visible]") for ln in lines)
    assert any(ln.startswith("- sigmoid [hidden] 8.0/8 passed") for ln in lines), proc.stdout
    assert json.loads(saved.read_text())["score"] == 100.0
    # hw3 in that environment is still the zip's wheel, not this checkout.
    where = image.run([str(image.python), "-I", "-c", "import hw3; print(hw3.__file__)"])
    assert str(image.venv) in where.stdout and str(ROOT) not in where.stdout


def test_try_zip_says_what_is_wrong_in_one_sentence(tmp_path):
    not_zip = tmp_path / "hw3-autograder.zip"
    not_zip.write_text("not a zip")
    proc = subprocess.run([sys.executable, "-m", "hw3.cli", "try-zip", str(not_zip),
                           str(SOLUTION)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"hw3 try-zip: {not_zip} is not a zip file"


def test_without_the_mount_the_wheel_and_root_are_pointed_at_the_unpacked_zip(image):
    """How `hw3 try-zip` runs for a user who cannot mount /autograder: the kept environment,
    the wheel reinstalled from the unpacked zip, the entry given --root."""
    base = Path(tempfile.mkdtemp(prefix="hw3-try-zip-test-"))
    base.chmod(0o755)
    try:
        plain = ZipImage(base, venv=image.venv, mount=False)
        plain.unpack(AUTOGRADER)
        wheel = next(r for r in plain.requirements() if r.startswith("hw3 @ "))
        assert wheel == f"hw3 @ file://{plain.source}/wheels/hw3-0.1.0-py3-none-any.whl"
        assert plain.ready()  # the module's environment has the same pins
        plain.build()
        results, proc = plain.grade(TEMPLATE)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert results["score"] == 0.0 and _isolation(results) == "bubblewrap"
        assert not Path(MOUNT, "results", "results.json").exists()  # written under --root
    finally:
        shutil.rmtree(base, ignore_errors=True)
