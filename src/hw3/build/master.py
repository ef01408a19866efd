"""The master notebook's test cells: their format checked (a mistake is one line naming the
cell), their fit with the Python cases (``hw3.cases``, ``hw3.grading.judges``), and every case's
points and visibility as ``hw3/cases/master.json`` records them.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hw3.build.errors import BuildError


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
    """The ids of the hidden cases (hw3/grading/judges, their probes in hw3/hidden; never
    shipped to students)."""
    from hw3.grading.judges import MODULES

    return {case.id for module in MODULES for case in module.CASES}


def check_master(nb: Any) -> list[str]:
    """Where the master's test cells and the Python cases (``hw3/cases/*.py``) do not fit
    together (empty: in step). Points and visibility are the master's alone."""
    from hw3.cases.registry import defined, public_modules
    from hw3.grading.judges import MODULES

    python = defined([*public_modules(), *MODULES])  # the master tests the hidden cases too
    grader_only = _grader_only_cases()
    problems, seen = [], set()
    for cell in read_test_cells(nb):
        where = f"cell {cell.cell}"
        case = python.get(cell.case_id)
        if cell.case_id in seen:
            problems.append(f"{where}: case {cell.case_id} is tested twice")
        seen.add(cell.case_id)
        if not cell.hidden and cell.points:
            problems.append(f"{where}: case {cell.case_id} is public and has points: public "
                            "cases carry none (their inputs and expected data ship to students); "
                            "give the points to a hidden case that checks the same property")
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
            # hw3/hidden and hw3/grading/judges (grader-only), the public ones' in hw3/cases.
            home = "src/hw3/grading/judges (its probe in src/hw3/hidden)" if cell.hidden \
                else "src/hw3/cases"
            kind = "hidden" if cell.hidden else "public"
            problems.append(f"{where}: case {cell.case_id} is {kind} in the master: move its "
                            f"Python definition to {home}/ (hidden cases stay out of the "
                            "students' checks)")
    for case_id in python.keys() - seen:
        problems.append(f"case {case_id} has no test cell in the master")
    return problems

