"""Nothing a student receives holds a reference answer or a hidden case.

Every file under ``student_template/`` is opened (zips recursively, notebooks as text) and
searched for the theory answers in the forms they are printed in, for the solution's Part 1
lines, and for every hidden case's id, inputs and code (the source lines of ``hw3.hidden`` and
``hw3.grading.judges``).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
import sympy as sp

from hw3.build import PACKAGE_DIR
from hw3.cases import wire
from hw3.cases.checking import answer_expr, answer_value
from hw3.grading.registry import grader

CASES = grader().cases

THEORY = ("q3_1", "q3_5", "q3_10", "q4_4", "q4_5", "q4_6")


def _texts(name: str, blob: bytes) -> Iterator[tuple[str, str]]:
    """(where, text) for a file and, for a zip, every file inside it, recursively."""
    if zipfile.is_zipfile(io.BytesIO(blob)):
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:
            for inner in zf.namelist():
                yield from _texts(f"{name}/{inner}", zf.read(inner))
        return
    text = blob.decode("utf-8", errors="replace")
    yield name, text
    if name.endswith(".ipynb"):
        # The same notebook as one decoded text (JSON escapes \n and quotes).
        nb = nbformat.reads(text, as_version=4)
        yield name + " (cells)", "\n".join(c.source for c in nb.cells) + json.dumps(
            nb.metadata)


@pytest.fixture(scope="module")
def shipped(root: Path) -> list[tuple[str, str]]:
    files = sorted(p for p in (root / "student_template").rglob("*") if p.is_file())
    assert any(p.name == "hw3_checks.zip" for p in files)
    return [t for p in files for t in _texts(str(p.relative_to(root)), p.read_bytes())]


def _hidden_expected(root: Path) -> dict:
    data = json.loads((root / "src" / "hw3" / "grading" / "expected_hidden.json").read_text())
    return {k: wire.decode(v) for k, v in data.items()}


def _printed(expr: sp.Basic) -> set[str]:
    """The forms a formula is printed in: str, expanded, factored, LaTeX, without spaces."""
    forms = {str(expr), str(sp.expand(expr)), str(sp.factor(expr)), sp.latex(expr),
             sp.latex(sp.expand(expr)), str(sp.simplify(expr))}
    return forms | {f.replace(" ", "") for f in forms}


def _answers(root: Path) -> dict[str, set[str]]:
    """Each theory answer field -> the telling texts of its reference answer."""
    expected = _hidden_expected(root)
    out: dict[str, set[str]] = {}
    for case_id, data in expected.items():
        if CASES[case_id].question not in THEORY or not isinstance(data, dict):
            continue
        for field, ans in data.items():
            if not isinstance(ans, dict) or "kind" not in ans:
                continue
            if ans["kind"] in ("expr", "str") and "expr" in ans and field.endswith(
                    ("_linear", "_identity", "_n_weights")):
                out[field] = _printed(answer_expr(ans, field))
            elif field == "q3_1_mapping":
                out[field] = {str(answer_value(ans))}
            elif field == "q3_10_two_region_params":
                params = answer_value(ans)
                out[field] = {repr(params), json.dumps(params)}
            elif field in ("q4_4_n_params", "q4_6_extra_weights_width"):
                out[field] = {str(answer_value(ans))}
    return out


def test_the_answers_searched_for_are_the_reference_ones(root):
    answers = _answers(root)
    assert {"q3_1_y_linear", "q3_1_y_identity", "q3_1_mapping", "q3_10_two_region_params",
            "q4_4_n_params", "q4_6_extra_weights_width", "q4_6_n_weights"} <= set(answers)
    assert answers["q3_1_mapping"] == {"affine"} and answers["q4_4_n_params"] == {"439"}
    assert answers["q4_6_extra_weights_width"] == {"191"}


def _found(needle: str, text: str) -> bool:
    if needle.isdigit():  # a whole number alone, not a digit run inside another number
        return re.search(rf"(?<![\w.]){needle}(?![\w]|\.\d)", text) is not None
    if needle.isalpha():
        return re.search(rf"\b{needle}\b", text, re.I) is not None
    return needle in text


def test_no_reference_answer_is_shipped(root, shipped):
    leaks = [(field, needle, where) for field, needles in _answers(root).items()
             for needle in needles for where, text in shipped if _found(needle, text)]
    assert leaks == []


def _solution_lines(root: Path) -> list[str]:
    """The right-hand sides of the master's Part 1 solution lines (but those a prompt offers
    as a choice, such as "width" of "depth" or "width")."""
    nb = nbformat.read(root / "assignment" / "hw3.ipynb", as_version=4)
    part2 = next(i for i, c in enumerate(nb.cells) if c.source.startswith("# Part 2"))
    prompts = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    rhs = []
    for cell in nb.cells[:part2]:
        for line in cell.source.splitlines():
            if line.rstrip().endswith("# SOLUTION"):
                code = line.split("# SOLUTION")[0].strip()
                rhs.append(code.split("=", 1)[1].strip() if "=" in code else code)
    return [r for r in rhs if len(r) > 3 and r not in prompts]


def test_no_solution_line_of_part_1_is_shipped(root, shipped):
    lines = _solution_lines(root)
    assert len(lines) >= 10
    assert [(line, where) for line in lines for where, text in shipped if line in text] == []


def _hidden_source_lines() -> list[str]:
    """Every distinctive line of the hidden cases' modules: inputs and probes (hw3/hidden), judges
    and accepted answers (hw3/grading/judges)."""
    lines = []
    for path in sorted([*(PACKAGE_DIR / "hidden").glob("*.py"),
                        *(PACKAGE_DIR / "grading" / "judges").glob("*.py")]):
        for line in path.read_text().splitlines():
            s = line.strip()
            if len(s) > 30 and not s.startswith(("from ", "import ", "#", '"""', "def ")):
                lines.append(s)
    return lines


def test_no_hidden_case_is_shipped(shipped):
    hidden = [c for c in CASES.values() if c.hidden]
    assert len(hidden) > 30
    ids = [c.id for c in hidden]
    lines = _hidden_source_lines()
    assert len(lines) > 100
    assert [(i, where) for i in ids for where, text in shipped
            if re.search(rf"(?<![\w.]){re.escape(i)}(?!\w)", text)] == []
    assert [(line, where) for line in lines for where, text in shipped if line in text] == []
    assert not any("hw3/hidden/" in where or "hw3/grading/" in where for where, _ in shipped)


def test_students_checks_hold_public_data_only(root):
    with zipfile.ZipFile(root / "student_template" / "hw3_checks.zip") as zf:
        data = json.loads(zf.read("hw3/cases/expected_public.json"))
    assert data and all(not CASES[i].hidden and CASES[i].uses_expected for i in data)
    assert not any(CASES[i].question in THEORY for i in data)
