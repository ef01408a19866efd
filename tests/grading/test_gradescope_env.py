"""The autograder zip grades in the environment it builds, the way Gradescope builds it.

One fresh virtual environment per module, made from nothing but the zip's environment.yml (its
pip part, handed to pip as conda hands it: a requirements file beside environment.yml, pip run
from there). The zip is unpacked into an /autograder-shaped tree (source/, submission/,
results/), which a private mount namespace shows at the real path /autograder, where Gradescope's
scripts and the zip's pinned wheel path expect it. Each test puts an upload in submission/ and
runs what run_autograder runs (source/run_otter.py, with the environment's Python, from
/autograder), then reads results/results.json.

PyTorch's CPU index, which the zip names for Gradescope, cannot be reached from every machine
(this project's have only their package registries): when a 3-second connection to it fails,
pip is told not to retry (PIP_RETRIES=0), so each package costs one refused connection instead
of minutes of back-off. The zip itself is used unchanged.

Needs root (for the mount namespace and for the unprivileged-user mode), as on Gradescope and
in CI. An empty /autograder directory is made on the host as the mount point if there is none.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest
from _gradescope_schema import schema_problems
from support import AUTOGRADER, ROOT, SOLUTION, TEMPLATE

pytestmark = pytest.mark.slow

MOUNT = "/autograder"
MISTAKE = ROOT / "tests" / "fixtures" / "mistakes" / "sigmoid_naive.py"
TORCH_INDEX = ("download.pytorch.org", 443)


def _can_reach(address: tuple[str, int]) -> bool:
    try:
        socket.create_connection(address, timeout=3).close()
        return True
    except OSError:
        return False


def _pip_requirements(environment_yml: str) -> list[str]:
    """The pip part of a conda environment file (what conda writes to a requirements file)."""
    import yaml

    env = yaml.safe_load(environment_yml)
    pip = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    return pip[0] if pip else []


def _conda_python(environment_yml: str) -> str:
    import yaml

    deps = yaml.safe_load(environment_yml)["dependencies"]
    return next(d.split("=", 1)[1] for d in deps if isinstance(d, str) and d.startswith("python="))


class Image:
    """The unpacked zip, its environment, and a way to run commands at /autograder."""

    def __init__(self, base: Path):
        self.base = base
        self.tree = base / "autograder"
        self.source = self.tree / "source"
        self.venv = base / "venv"
        self.python = self.venv / "bin" / "python"
        self.setup_seconds = 0.0

    def run(self, cmd: list[str], env: dict[str, str] | None = None, timeout: float = 900,
            cwd: str = MOUNT, private_root: bool = False) -> subprocess.CompletedProcess[str]:
        """``cmd`` in a private mount namespace where the tree is /autograder; with
        ``private_root``, /root is an overlay whose changes (the entry's chmod o+x, as on
        Gradescope, where Miniforge's Python lives in /root) stay in this namespace."""
        overlay = ""
        if private_root:
            upper, work = self.base / "root-upper", self.base / "root-work"
            for d in (upper, work):
                shutil.rmtree(d, ignore_errors=True)
                d.mkdir()
            upper.chmod(0o700)  # /root as Gradescope's image has it: closed to others
            overlay = (f"mount -t overlay overlay -o lowerdir=/root,upperdir={upper},"
                       f"workdir={work} /root && ")
        script = f'mount --bind "$0" /autograder && {overlay}cd "$1" && shift && exec "$@"'
        full = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script,
                str(self.tree), cwd, *cmd]
        base_env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/root", "LANG": "C.UTF-8"}
        for key in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CERT",
                    "PIP_DEFAULT_TIMEOUT", "PIP_CONFIG_FILE", "PIP_DISABLE_PIP_VERSION_CHECK"):
            if key in os.environ:  # how this machine reaches its package registries
                base_env[key] = os.environ[key]
        return subprocess.run(full, env={**base_env, **(env or {})}, capture_output=True,
                              text=True, timeout=timeout)

    def build(self) -> None:
        """A fresh venv from the zip's environment.yml only, as Gradescope's setup.sh does."""
        environment = (self.source / "environment.yml").read_text()
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "venv", str(self.venv)], check=True, timeout=300)
        reqs = self.source / "condaenv.hw3test.requirements.txt"
        reqs.write_text("\n".join(_pip_requirements(environment)) + "\n")
        env = {} if _can_reach(TORCH_INDEX) else {"PIP_RETRIES": "0", "PIP_TIMEOUT": "10"}
        proc = self.run([str(self.python), "-m", "pip", "install", "-q", "-U", "-r",
                         f"{MOUNT}/source/{reqs.name}"], env=env, timeout=1500,
                        cwd=f"{MOUNT}/source")
        reqs.unlink()
        assert proc.returncode == 0, proc.stderr[-4000:]
        self.setup_seconds = time.monotonic() - started

    def grade(self, upload: Path | None, name: str = "hw3.ipynb", data: bytes | None = None,
              env: dict[str, str] | None = None) -> tuple[dict, subprocess.CompletedProcess]:
        """Gradescope's run: a fresh submission/ and results/, then run_otter.py."""
        for folder in ("submission", "results"):
            shutil.rmtree(self.tree / folder, ignore_errors=True)
            (self.tree / folder).mkdir()
        if upload is not None or data is not None:
            target = self.tree / "submission" / name
            target.write_bytes(data if data is not None else upload.read_bytes())
        proc = self.run([str(self.python), f"{MOUNT}/source/run_otter.py"], env=env,
                        timeout=900, private_root=True)
        results = json.loads((self.tree / "results" / "results.json").read_text())
        return results, proc


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
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare(1) to show the tree at /autograder (as in CI)")
    with zipfile.ZipFile(AUTOGRADER) as zf:
        environment = zf.read("environment.yml").decode()
    want = _conda_python(environment)
    if f"{sys.version_info.major}.{sys.version_info.minor}" != want:
        pytest.skip(f"the image's Python is {want}; this is {sys.version.split()[0]}")
    Path(MOUNT).mkdir(exist_ok=True)  # the mount point (empty; its contents stay private)
    # Not under pytest's tmp (mode 0700): student code runs as uid 65534 with this Python.
    base = Path(tempfile.mkdtemp(prefix="hw3-gradescope-", dir=_scratch()))
    base.chmod(0o755)
    img = Image(base)
    try:
        for folder in ("source", "submission", "results"):
            (img.tree / folder).mkdir(parents=True)
        zipfile.ZipFile(AUTOGRADER).extractall(img.source)
        img.build()
        print(f"\nthe zip's environment was built in {img.setup_seconds:.0f} s")
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
    import nbformat

    from hw3.bank import fixture_notebook, parse_fixture

    nb = fixture_notebook(nbformat.read(SOLUTION, as_version=4),
                          parse_fixture(MISTAKE, "mistake"))
    notebook = tmp_path / "hw3.ipynb"
    nbformat.write(nb, notebook)
    upload = tmp_path / "hw3_2026_12_01T10_00_00.zip"
    with zipfile.ZipFile(upload, "w") as zf:
        zf.write(notebook, "hw3.ipynb")
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
