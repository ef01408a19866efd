"""Where a build reads the master and writes its products, and the code archives it makes: the
package's files by folder (the students' checks: ``hw3/__init__.py`` and the ``hw3/cases/``
package; the grader's: the whole package) and zips whose bytes depend only on their entries.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hw3.build.master import master_json
from hw3.build.prairielearn import FILES as PRAIRIELEARN_FILES
from hw3.build.prairielearn import FOLDER as PRAIRIELEARN_FOLDER
from hw3.cases import EXPECTED_HIDDEN, EXPECTED_PUBLIC
from hw3.cases.declared import MASTER_FILE
from hw3.cases.variants import VARIANTS_FILE
from hw3.layout import ASSIGNMENT, MASTER, PACKAGE_DIR
from hw3.marking.rubric import MANUAL_FILE

CHECKS_ZIP = f"{ASSIGNMENT}_checks.zip"  # the name the master's first cell puts on sys.path
# What students receive of the package: enough to run the public checks, nothing of the grader
# (no hidden case, no slip model, no expected data but the public cases'). By folder, so that a
# new module of hw3.cases ships without a list to keep.
STUDENT_PARTS = ("__init__.py", "cases")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
# The recorded data, each file in the package whose trust it shares: the public expectations
# ship with the checks, the hidden ones stay with the grader, the manual questions with marking.
MANUAL_DATA = f"marking/{MANUAL_FILE}"
# The course's variants (salt and ranges): they ship with the checks, which compute a student's
# numbers from them; never anyone's answers (``hw3.grading.variant_answers``).
VARIANTS_DATA = f"cases/{VARIANTS_FILE}"


@dataclass
class Layout:
    """Where a build reads the master and writes its products (the repository's folders)."""

    root: Path

    @property
    def master(self) -> Path:
        return self.root / MASTER

    @property
    def requirements(self) -> Path:
        return self.root / "assignment" / "requirements.txt"

    @property
    def template(self) -> Path:
        return self.root / "student_template"

    @property
    def solutions(self) -> Path:
        return self.root / "solutions"

    @property
    def autograder(self) -> Path:
        return self.root / "autograder"

    @property
    def autograder_zip(self) -> Path:
        return self.autograder / f"{ASSIGNMENT}-autograder.zip"

    @property
    def package(self) -> Path:
        """The hw3 package's source folder: each data file lives in the package whose trust it
        shares (``EXPECTED_PUBLIC``, ``EXPECTED_HIDDEN``, ``MANUAL_DATA``: paths inside it)."""
        return self.root / "src" / "hw3"

    @property
    def master_cases(self) -> Path:
        return self.root / "src" / "hw3" / "cases" / MASTER_FILE

    def products(self) -> list[Path]:
        """Every generated file, relative to root."""
        return [Path(p) for p in (
            "student_template/hw3.ipynb", f"student_template/{CHECKS_ZIP}",
            "solutions/hw3.ipynb", "autograder/hw3-autograder.zip",
            f"src/hw3/{EXPECTED_PUBLIC}", f"src/hw3/{EXPECTED_HIDDEN}",
            f"src/hw3/cases/{MASTER_FILE}",
            f"src/hw3/{MANUAL_DATA}", f"src/hw3/{VARIANTS_DATA}",
            *(f"{PRAIRIELEARN_FOLDER}/{f}" for f in PRAIRIELEARN_FILES),
        )]


def _package_files(parts: Iterable[str] = ("",)) -> dict[str, bytes]:
    """Every file of the hw3 package under ``parts`` (files or folders, relative to it) as it
    installs: no caches, no hidden files."""
    files: dict[str, bytes] = {}
    for part in parts:
        top = PACKAGE_DIR / part
        for p in sorted([top] if top.is_file() else top.rglob("*")):
            rel = p.relative_to(PACKAGE_DIR)
            if (not p.is_file() or p.suffix in (".pyc", ".pyo")
                    or any(x == "__pycache__" or x.startswith(".") for x in rel.parts)):
                continue
            files[f"hw3/{rel.as_posix()}"] = p.read_bytes()
    return files


def package_tree(data: dict[str, bytes]) -> list[tuple[str, bytes]]:
    """Every file of the hw3 package as it installs (every module, grader side included, and
    any data), with this build's expected data (paths inside the package) in its places: not a
    hand-kept list."""
    files = _package_files()
    files.update({f"hw3/{path}": blob for path, blob in data.items()})
    return sorted(files.items())


def package_files(student: bool, data: dict[str, bytes],
                  master: dict[str, dict[str, Any]] | None = None) -> list[tuple[str, bytes]]:
    """The hw3 package's files for a checks zip: the students' part (``STUDENT_PARTS``), or all
    of it; with ``data`` (this build's expected data, by path inside the package), and with
    ``master`` (see
    ``master_cases``) the cases' master.json made from it (the students' without hidden cases)."""
    files = _package_files(STUDENT_PARTS if student else ("",))
    files.update({f"hw3/{path}": blob for path, blob in data.items()})
    if master is not None:
        files[f"hw3/cases/{MASTER_FILE}"] = master_json(master, student)
    return sorted(files.items())


def write_zip(path: Path, files: Iterable[tuple[str, bytes]]) -> None:
    """A zip whose bytes depend only on its entries: sorted, fixed times and modes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted(files):
            info = zipfile.ZipInfo(name, _ZIP_TIME)
            info.external_attr = (0o755 if name.endswith("run_autograder") else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)


def zip_bytes(files: Iterable[tuple[str, bytes]]) -> bytes:
    """The bytes ``write_zip`` would write."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "z.zip"
        write_zip(path, files)
        return path.read_bytes()
