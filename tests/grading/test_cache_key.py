"""The autograder key of the results cache hashes exactly what can change a grade: the cases,
the hidden cases, the grading code, the sandbox and their data; the report, the marking app,
the build, the bank and the command line never. Checked on a copy of the package."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import hw3
from hw3.grading.cache import GRADE_PACKAGES, autograder_key

PACKAGE = Path(hw3.__file__).resolve().parent


@pytest.fixture()
def package(tmp_path: Path) -> Path:
    copy = tmp_path / "hw3"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def _touch(path: Path, text: str = "\n/* edited */\n") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write(text)


def test_the_copy_has_the_packages_own_key(package: Path) -> None:
    assert autograder_key(package) == autograder_key()


@pytest.mark.parametrize("edited", [
    "report/templates/report.css",  # the report's CSS
    "report/pages.py", "report/templates/feedback.html.j2",
    "marking/app.py", "marking/manual.json", "build/__init__.py", "bank/__init__.py", "cli.py",
    "__init__.py",
])
def test_what_only_changes_how_results_look_keeps_the_key(package: Path, edited: str) -> None:
    assert (package / edited).is_file(), edited
    before = autograder_key(package)
    _touch(package / edited)
    assert autograder_key(package) == before


@pytest.mark.parametrize("edited", [
    "cases/activations.py", "cases/master.json", "cases/expected_public.json",
    "hidden/theory.py", "grading/judging.py", "grading/expected_hidden.json",
    "sandbox/__init__.py",
])
def test_what_can_change_a_grade_changes_the_key(package: Path, edited: str) -> None:
    assert (package / edited).is_file(), edited
    before = autograder_key(package)
    _touch(package / edited, "\n# edited\n")
    assert autograder_key(package) != before


def test_a_new_module_in_a_grading_package_changes_the_key(package: Path) -> None:
    before = autograder_key(package)
    _touch(package / "sandbox" / "policy.py", "X = 1\n")
    assert autograder_key(package) != before
    assert "sandbox" in GRADE_PACKAGES


def test_compiled_files_do_not_count(package: Path) -> None:
    before = autograder_key(package)
    _touch(package / "cases" / "__pycache__" / "wire.cpython-311.pyc", "junk")
    assert autograder_key(package) == before
