"""Build the assignment from its master notebook: student template, executed solution, and the
Gradescope/Otter autograder zip (at a stable name), plus the expected data the judges compare with.

The flow, top to bottom:
1. read the master's test cells (format checked: a mistake is one line naming the cell), check
   that they fit the Python cases (``hw3.cases``), and take every case's points and visibility
   from them (written to ``hw3/cases/master.json``);
2. run Otter Assign on a staged copy of the master;
3. run the reference solution in a real Jupyter kernel and record every probe's data;
4. execute the solution notebook (with its checks, which must all pass) for ``solutions/``;
5. write the checks package (public data for students, all data for the autograder), the template
   and the autograder zip, byte for byte the same on every build from the same master.

Each step has its module: ``master`` (1), ``reference`` (3), ``notebooks`` (executing and
normalising), ``products`` (where things go, the checks zips), ``autograder`` (the wheel and the
Gradescope zip), ``equivalence`` (``--check``'s comparison); this one runs them in order.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from hw3.build import equivalence
from hw3.build.autograder import autograder_entries, build_wheel, project_table, read_pins
from hw3.build.equivalence import difference, same_file
from hw3.build.errors import BuildError
from hw3.build.master import (
    MasterError,
    check_master,
    master_cases,
    master_json,
    read_test_cells,
)
from hw3.build.notebooks import (
    execute_except_export,
    fixed_emoji,
    normalize,
    require_checks_passed,
    write_notebook,
)
from hw3.build.prairielearn import FOLDER as PRAIRIELEARN_FOLDER
from hw3.build.prairielearn import prairielearn_files
from hw3.build.products import (
    CHECKS_ZIP,
    MANUAL_DATA,
    VARIANTS_DATA,
    Layout,
    package_files,
    package_tree,
    write_zip,
    zip_bytes,
)
from hw3.build.reference import expected_files, record_reference, verify_reference
from hw3.build.variant_check import SAMPLE as VARIANT_SAMPLE
from hw3.build.variant_check import check_reference, read_config, variants_json, without_config
from hw3.cases import EXPECTED_PUBLIC
from hw3.layout import PACKAGE_DIR
from hw3.marking.rubric import manual_data

# What tests and the command line use, from its home module.
__all__ = ["CHECKS_ZIP", "PACKAGE_DIR", "BuildError", "BuildResult", "Layout", "MasterError",
           "build", "check_master", "differing_products", "equivalence", "master_cases",
           "normalize", "package_files", "package_tree", "product_differences", "read_pins",
           "read_test_cells", "stale_products", "write_zip"]


def _run(cmd: list[str], cwd: Path, what: str) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode:
        raise BuildError(f"{what} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


@dataclass
class BuildResult:
    out: Path
    written: list[Path] = field(default_factory=list)


def build(root: Path, out: Path | None = None, progress: Any = None) -> BuildResult:
    """Build every product from ``root``'s master into ``out`` (default: ``root`` itself)."""
    layout = Layout(root)
    target = Layout(out or root)
    say = progress or (lambda msg: None)
    if not layout.master.is_file():
        raise BuildError(f"no master notebook at {layout.master}")
    master = nbformat.read(layout.master, as_version=4)
    problems = check_master(master)
    if problems:
        raise BuildError("the master's test cells and hw3/cases disagree:\n- " +
                         "\n- ".join(problems))
    # The master's points and visibility (and its expression cases) make the registry.
    from hw3.grading.registry import grader

    cases = master_cases(read_test_cells(master))
    registry = grader().following(cases)
    variants = read_config(master)  # the course's salt and ranges (hw3/cases/variants.json)

    with tempfile.TemporaryDirectory(prefix="hw3-build-") as tmp:
        tmp_path = Path(tmp)
        stage, dist = tmp_path / "stage", tmp_path / "dist"
        stage.mkdir()
        nbformat.write(without_config(master), stage / "hw3.ipynb")
        shutil.copy(layout.requirements, stage / "requirements.txt")
        write_zip(stage / CHECKS_ZIP, package_files(student=True, data={}, master=cases))

        say("Otter Assign")
        _run([sys.executable, "-m", "otter", "assign", "--no-pdfs", "--no-run-tests",
              str(stage / "hw3.ipynb"), str(dist)], stage, "Otter Assign")
        solution = nbformat.read(dist / "autograder" / "hw3.ipynb", as_version=4)
        otter_zip = next((dist / "autograder").glob("hw3-autograder_*.zip"))

        say("recording the reference solution's answers")
        ref_dir = tmp_path / "reference"
        ref_dir.mkdir()
        recorded = record_reference(solution, ref_dir,
                                    zip_bytes(package_files(False, {}, cases)))
        verify_reference(recorded, registry)
        data = {**expected_files(recorded, registry), VARIANTS_DATA: variants_json(variants)}
        student_zip = zip_bytes(package_files(True, {EXPECTED_PUBLIC: data[EXPECTED_PUBLIC],
                                                     VARIANTS_DATA: data[VARIANTS_DATA]},
                                              cases))
        full_zip = zip_bytes(package_files(False, data, cases))

        say("executing the solution notebook")
        run_dir = tmp_path / "solution"
        run_dir.mkdir()
        (run_dir / CHECKS_ZIP).write_bytes(full_zip)
        shutil.copy(dist / "autograder" / "hw3.ipynb", run_dir / "hw3.ipynb")
        executed = execute_except_export(solution, run_dir)
        require_checks_passed(executed)

        say(f"checking the reference on {VARIANT_SAMPLE} variants")
        checked = check_reference(solution, variants, VARIANT_SAMPLE)
        say(f"the reference is right on all {checked.variants} variants "
            f"({checked.seconds:.1f} s)")

        say("writing the products")
        for path, blob in data.items():
            (target.package / path).parent.mkdir(parents=True, exist_ok=True)
            (target.package / path).write_bytes(blob)
        target.master_cases.parent.mkdir(parents=True, exist_ok=True)
        target.master_cases.write_bytes(master_json(cases))
        # The hand-graded questions' names, points and prompts, for hw3 grade and hw3 mark.
        (target.package / MANUAL_DATA).parent.mkdir(parents=True, exist_ok=True)
        (target.package / MANUAL_DATA).write_bytes(manual_data(master))
        write_notebook(fixed_emoji(executed), target.solutions / "hw3.ipynb")
        write_notebook(nbformat.read(dist / "student" / "hw3.ipynb", as_version=4),
                       target.template / "hw3.ipynb")
        (target.template / CHECKS_ZIP).write_bytes(student_zip)
        wheel = build_wheel(project_table(root), data)
        pins = read_pins(layout.requirements)
        write_zip(target.autograder_zip, autograder_entries(otter_zip, full_zip, wheel, pins))
        # PrairieLearn's question and image recipe, with the same wheel and pins.
        for rel, blob in prairielearn_files(project_table(root), wheel, pins):
            path = target.root / PRAIRIELEARN_FOLDER / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(blob)
    return BuildResult(target.root, [target.root / p for p in target.products()])


def stale_products(root: Path, progress: Any = None) -> list[str]:
    """Build into a temporary folder and say, one sentence per product, which committed
    products differ from it by more than another CPU's float noise (see
    ``hw3.build.equivalence``), naming the nested member that differs."""
    with tempfile.TemporaryDirectory(prefix="hw3-check-") as tmp:
        build(root, Path(tmp), progress)
        return product_differences(root, Path(tmp))


def product_differences(root: Path, fresh: Path) -> list[str]:
    """One sentence for each product under ``root`` that is missing or differs from the one
    under ``fresh``, compared by content with the tolerance of ``hw3.build.equivalence``."""
    found = []
    for p in Layout(root).products():
        if not (root / p).is_file():
            found.append(f"{p} is missing")
        elif not (fresh / p).is_file():
            found.append(f"{p} is not made by the build")
        elif problem := difference(str(p), (root / p).read_bytes(), (fresh / p).read_bytes()):
            found.append(problem)
    return found


def differing_products(root: Path, fresh: Path) -> list[str]:
    """The products under ``root`` that are missing or differ from those under ``fresh``,
    compared by content with the tolerance of ``hw3.build.equivalence``."""
    return [str(p) for p in Layout(root).products()
            if not (root / p).is_file() or not (fresh / p).is_file()
            or not same_file(p.name, (root / p).read_bytes(), (fresh / p).read_bytes())]
