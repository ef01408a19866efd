"""Build the assignment from its master notebook: student template, executed solution, and the
Gradescope/Otter autograder zip (at a stable name), plus the expected data the judges compare with.

The flow, top to bottom:
1. check that the master's test cells and the case registry (``hw3.cases``) agree;
2. run Otter Assign on a staged copy of the master;
3. run the reference solution in a real Jupyter kernel and record every probe's data;
4. execute the solution notebook (with its checks, which must all pass) for ``solutions/``;
5. write the checks package (public data for students, all data for the autograder), the template
   and the autograder zip, byte for byte the same on every build from the same master.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from .submission import is_otter_cell

ASSIGNMENT = "hw3"
PACKAGE_DIR = Path(__file__).resolve().parent
CHECKS_ZIP = "hw3_checks.zip"  # the name the master's first cell puts on sys.path

# What students receive of the package: enough to run the public checks, nothing of the grader:
# no hidden case (hw3/hidden/, with their inputs), no slip model, no expected data but the
# public cases' (which public inputs give; the theory form cases record none).
STUDENT_MODULES = ["__init__.py", "wire.py", "checking.py", "hints.py", "cases/*.py"]
GRADER_MODULES = ["*.py", "cases/*.py", "hidden/*.py"]
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class BuildError(Exception):
    """The master notebook or the build's environment is not right; the message says how."""


@dataclass
class Layout:
    """Where a build reads the master and writes its products (the repository's folders)."""

    root: Path

    @property
    def master(self) -> Path:
        return self.root / "assignment" / "hw3.ipynb"

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
        return self.autograder / "hw3-autograder.zip"

    @property
    def data(self) -> Path:
        return self.root / "src" / "hw3" / "data"

    def products(self) -> list[Path]:
        """Every generated file, relative to root."""
        return [Path(p) for p in (
            "student_template/hw3.ipynb", f"student_template/{CHECKS_ZIP}",
            "solutions/hw3.ipynb", "autograder/hw3-autograder.zip",
            "src/hw3/data/expected_public.json", "src/hw3/data/expected_hidden.json",
        )]


def find_root(start: Path | None = None) -> Path:
    """The repository root: the nearest folder above ``start`` holding assignment/hw3.ipynb."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents, PACKAGE_DIR.parent.parent):
        if (folder / "assignment" / "hw3.ipynb").is_file():
            return folder
    raise BuildError("cannot find assignment/hw3.ipynb: run this from the repository")


# ----------------------------------------------------------------------------- 1. the master


@dataclass
class TestCell:
    question: str
    case_id: str
    points: float
    hidden: bool


def read_test_cells(nb: Any) -> list[TestCell]:
    """The master's test cells, in order, with the case each one runs."""
    cells, question, in_tests = [], None, False
    for cell in nb.cells:
        src = cell.source.strip()
        if cell.cell_type == "raw":
            if src.startswith("# BEGIN QUESTION"):
                question = re.search(r"name:\s*(\S+)", src).group(1)
            elif src.startswith("# BEGIN TESTS"):
                in_tests = True
            elif src.startswith("# END TESTS"):
                in_tests = False
            continue
        if not (in_tests and cell.cell_type == "code"):
            continue
        config = re.search(r'BEGIN TEST CONFIG(.*?)"""', src, re.S)
        points = re.search(r"points:\s*([\d.]+)", config.group(1)) if config else None
        hidden = re.search(r"hidden:\s*(\w+)", config.group(1)) if config else None
        calls = [n for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Call)
                 and getattr(n.func, "id", None) == "check"]
        if len(calls) != 1 or not isinstance(calls[0].args[0], ast.Constant):
            raise BuildError(f"a test cell of {question} must call check('<case id>', env) once:"
                             f"\n{src}")
        cells.append(TestCell(str(question), calls[0].args[0].value,
                              float(points.group(1)) if points else -1.0,
                              bool(hidden and hidden.group(1).lower() == "true")))
    return cells


def check_master(nb: Any) -> list[str]:
    """Differences between the master's test cells and the case registry (empty: in step)."""
    from .cases import CASES

    problems, seen = [], set()
    for cell in read_test_cells(nb):
        case = CASES.get(cell.case_id)
        if case is None:
            problems.append(f"test cell runs unknown case {cell.case_id!r}")
            continue
        if cell.case_id in seen:
            problems.append(f"case {cell.case_id} is tested twice")
        seen.add(cell.case_id)
        for what, mine, theirs in (("question", cell.question, case.question),
                                   ("points", cell.points, float(case.points)),
                                   ("hidden", cell.hidden, case.hidden)):
            if mine != theirs:
                problems.append(f"{cell.case_id}: the master says {what} = {mine}, the case "
                                f"registry says {theirs}")
    for case_id in CASES.keys() - seen:
        problems.append(f"case {case_id} has no test cell in the master")
    return problems


# ----------------------------------------------------------------------------- helpers


def _run(cmd: list[str], cwd: Path, what: str) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode:
        raise BuildError(f"{what} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def _kernel_env() -> dict[str, str]:
    # One thread and a fixed hash seed: the executed solution comes out the same every time.
    return {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1", "PYTHONHASHSEED": "0", "MPLBACKEND": "module://"
            "matplotlib_inline.backend_inline"}


def execute_notebook(nb: Any, cwd: Path, timeout: int = 300) -> Any:
    """Execute a notebook in a real Jupyter kernel (the running Python's), in ``cwd``."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    old = dict(os.environ)
    os.environ.update(_kernel_env())
    try:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(cwd)}}, record_timing=False)
        client.execute()
    except CellExecutionError as e:
        raise BuildError(f"the reference solution raised an error:\n{str(e)[-3000:]}") from e
    finally:
        os.environ.clear()
        os.environ.update(old)
    return nb


def _is_otter_cell(cell: Any) -> bool:
    return cell.cell_type == "code" and is_otter_cell(cell.source)


def _is_export_cell(cell: Any) -> bool:
    return cell.cell_type == "code" and "grader.export(" in cell.source


def execute_except_export(nb: Any, cwd: Path) -> Any:
    """Execute every cell but the export cell, which stays as students get it: running it would
    write a time-stamped zip into the outputs."""
    runnable = nbformat.reads(nbformat.writes(nb), as_version=4)
    runnable.cells = [c for c in nb.cells if not _is_export_cell(c)]
    execute_notebook(runnable, cwd)
    executed = iter(runnable.cells)
    nb.cells = [c if _is_export_cell(c) else next(executed) for c in nb.cells]
    return nb


def normalize(nb: Any) -> Any:
    """Stable cell ids and no volatile metadata, so equal builds give equal files."""
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
        cell.metadata.pop("execution", None)
        if "outputs" in cell:
            cell["outputs"] = _coalesce_streams(cell["outputs"])
        for output in cell.get("outputs", []):
            output.get("metadata", {}).pop("execution", None)
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def _coalesce_streams(outputs: list[Any]) -> list[Any]:
    """One output per run of stdout (or stderr) text: the kernel splits it where timing says."""
    merged: list[Any] = []
    for out in outputs:
        prev = merged[-1] if merged else None
        if (out.get("output_type") == "stream" and prev is not None
                and prev.get("output_type") == "stream" and prev.get("name") == out.get("name")):
            prev["text"] = "".join(prev["text"]) + "".join(out["text"])
        else:
            merged.append(out)
    return merged


def write_notebook(nb: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(normalize(nb)) + "\n", encoding="utf-8")


def write_zip(path: Path, files: Iterable[tuple[str, bytes]]) -> None:
    """A zip whose bytes depend only on its entries: sorted, fixed times and modes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted(files):
            info = zipfile.ZipInfo(name, _ZIP_TIME)
            info.external_attr = (0o755 if name.endswith("run_autograder") else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)


def package_files(student: bool, data: dict[str, bytes]) -> list[tuple[str, bytes]]:
    """The hw3 package's files for a checks zip: the student subset, or all of it."""
    patterns = STUDENT_MODULES if student else GRADER_MODULES
    files = {p for pattern in patterns for p in PACKAGE_DIR.glob(pattern)}
    out = [(f"hw3/{p.relative_to(PACKAGE_DIR).as_posix()}", p.read_bytes()) for p in files]
    out += [(f"hw3/data/{name}", blob) for name, blob in data.items()]
    return out


def _zip_bytes(files: Iterable[tuple[str, bytes]]) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "z.zip"
        write_zip(path, files)
        return path.read_bytes()


# ----------------------------------------------------------------------------- 3. reference


_PROBE_CELL = """
import json as _json
from hw3.cases import CASES as _CASES, run_probes as _run_probes
_out = _run_probes(list(_CASES), globals())
with open({path!r}, "w") as _f:
    _json.dump(_out, _f)
"""


def record_reference(solution_nb: Any, work: Path, full_zip: bytes) -> dict[str, str]:
    """Run the reference solution (without Otter's cells) and record every probe's data."""
    nb = nbformat.reads(nbformat.writes(solution_nb), as_version=4)
    nb.cells = [c for c in nb.cells if not _is_otter_cell(c)]
    out = work / "reference.json"
    nb.cells.append(nbformat.v4.new_code_cell(_PROBE_CELL.format(path=str(out))))
    (work / CHECKS_ZIP).write_bytes(full_zip)
    execute_notebook(nb, work)
    return json.loads(out.read_text())


def verify_reference(recorded: dict[str, str]) -> None:
    """The reference must pass every case against its own data (catches judge bugs)."""
    from . import wire
    from .cases import CASES, judge

    expected = {k: wire.decode(v) for k, v in recorded.items()}
    failures = []
    for case_id, case in CASES.items():
        verdict = judge(case, recorded.get(case_id), expected)
        if not verdict.ok:
            failures.append(f"{case_id}: {verdict.message} {verdict.hint}")
    if failures:
        raise BuildError("the reference solution fails its own cases:\n" + "\n".join(failures))


def expected_files(recorded: dict[str, str]) -> dict[str, bytes]:
    from .cases import CASES

    split: dict[str, dict[str, str]] = {"public": {}, "hidden": {}}
    for case_id in sorted(recorded):
        if CASES[case_id].uses_expected:  # a form case's data would be the answer itself
            split[CASES[case_id].visibility][case_id] = recorded[case_id]
    return {f"expected_{k}.json": (json.dumps(v, indent=0, sort_keys=True) + "\n").encode()
            for k, v in split.items()}


# ----------------------------------------------------------------------------- the build


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

    with tempfile.TemporaryDirectory(prefix="hw3-build-") as tmp:
        tmp_path = Path(tmp)
        stage, dist = tmp_path / "stage", tmp_path / "dist"
        stage.mkdir()
        shutil.copy(layout.master, stage / "hw3.ipynb")
        shutil.copy(layout.requirements, stage / "requirements.txt")
        write_zip(stage / CHECKS_ZIP, package_files(student=True, data={}))

        say("Otter Assign")
        _run([sys.executable, "-m", "otter", "assign", "--no-pdfs", "--no-run-tests",
              str(stage / "hw3.ipynb"), str(dist)], stage, "Otter Assign")
        solution = nbformat.read(dist / "autograder" / "hw3.ipynb", as_version=4)
        otter_zip = next((dist / "autograder").glob("hw3-autograder_*.zip"))

        say("recording the reference solution's answers")
        ref_dir = tmp_path / "reference"
        ref_dir.mkdir()
        recorded = record_reference(solution, ref_dir, _zip_bytes(package_files(False, {})))
        verify_reference(recorded)
        data = expected_files(recorded)
        student_zip = _zip_bytes(package_files(True, {"expected_public.json":
                                                      data["expected_public.json"]}))
        full_zip = _zip_bytes(package_files(False, data))

        say("executing the solution notebook")
        run_dir = tmp_path / "solution"
        run_dir.mkdir()
        (run_dir / CHECKS_ZIP).write_bytes(full_zip)
        shutil.copy(dist / "autograder" / "hw3.ipynb", run_dir / "hw3.ipynb")
        executed = execute_except_export(solution, run_dir)
        _require_checks_passed(executed)

        say("writing the products")
        for name, blob in data.items():
            (target.data).mkdir(parents=True, exist_ok=True)
            (target.data / name).write_bytes(blob)
        write_notebook(_fixed_emoji(executed), target.solutions / "hw3.ipynb")
        write_notebook(nbformat.read(dist / "student" / "hw3.ipynb", as_version=4),
                       target.template / "hw3.ipynb")
        (target.template / CHECKS_ZIP).write_bytes(student_zip)
        write_zip(target.autograder_zip, _autograder_entries(otter_zip, full_zip))
    return BuildResult(target.root, [target.root / p for p in target.products()])


_EMOJI = re.compile(r"(passed!) [^\s<\"]+")


def _fixed_emoji(nb: Any) -> Any:
    """Otter cheers each passed check with a random emoji; one fixed emoji keeps builds equal."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            for mime, value in output.get("data", {}).items():
                if isinstance(value, str) and mime.startswith("text/"):
                    output["data"][mime] = _EMOJI.sub("\\1 \u2728", value)
    return nb


def _require_checks_passed(nb: Any) -> None:
    """Every grader.check in the executed solution must report that all tests passed."""
    failed = []
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith("grader.check("):
            text = json.dumps(cell.get("outputs", []))
            if "passed" not in text or "failed" in text:
                failed.append(cell.source.strip())
    if failed:
        raise BuildError("the solution fails public checks: " + ", ".join(failed))


# Gradescope runs Otter's run_autograder, which runs this file: hw3's sandboxed engine grades
# instead of Otter's in-kernel tests (which `otter run` with this zip still uses).
RUN_HW3 = '''"""Gradescope entry, written by `hw3 build`: grade with hw3's sandboxed engine."""

import sys
import zipfile
from pathlib import Path

here = Path(__file__).resolve().parent
package = here / "hw3_package"
if not (package / "hw3").is_dir():
    zipfile.ZipFile(here / "files" / "hw3_checks.zip").extractall(package)
sys.path.insert(0, str(package))

from hw3.gradescope import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
'''

# bubblewrap lets the engine sandbox student code fully where the image allows it.
SETUP_EXTRA = "\n# hw3: the sandbox for student code\napt-get install -y bubblewrap || true\n"


def _autograder_entries(otter_zip: Path, full_zip: bytes) -> list[tuple[str, bytes]]:
    """Otter's zip with the full checks package (hidden data included) in place of the stub,
    hw3's engine as Gradescope's entry point, and bubblewrap in the image."""
    with zipfile.ZipFile(otter_zip) as zf:
        entries = dict((n, zf.read(n)) for n in zf.namelist() if not n.endswith("/"))
    entries[f"files/{CHECKS_ZIP}"] = full_zip
    entries["run_otter.py"] = RUN_HW3.encode()
    entries["setup.sh"] = entries["setup.sh"] + SETUP_EXTRA.encode()
    return list(entries.items())


def digest(paths: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode())
        h.update(p.read_bytes() if p.is_file() else b"<missing>")
    return h.hexdigest()


def stale_products(root: Path) -> list[str]:
    """Build into a temporary folder and list the committed products that differ from it."""
    with tempfile.TemporaryDirectory(prefix="hw3-check-") as tmp:
        build(root, Path(tmp))
        return [str(p) for p in Layout(root).products()
                if not (root / p).is_file()
                or (root / p).read_bytes() != (Path(tmp) / p).read_bytes()]
