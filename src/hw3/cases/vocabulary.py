"""The fixed vocabulary of what a student reads about a run that had hidden inputs within its
reach (a hidden case anywhere; any case of a graded run, see ``hw3.cases.feedback``).

A student's code can put anything it can reach into the data a probe sends: a hidden input, or
text of its own, in a value, in an exception's message or in its *type name* (a class made on
the fly). So that text never reaches the student: a hint is shown only if it is one of the
sentences written in the checks' own source (string constants of ``hw3/cases``, ``hw3/hidden``,
the hidden judges and the slip models, and the fixed type-mismatch sentences), and an exception
is named only if Python itself defines that exception. A choice among fixed sentences is all a
submission can steer, never their words.
"""

from __future__ import annotations

import ast
import builtins
import functools
import re
from importlib import resources
from typing import Any

# Source folders and files of the hw3 package whose string constants are the vocabulary; those a
# copy of the package lacks (the students' copy) are skipped.
SOURCES = ("cases", "runner", "hidden", "grading/judges", "grading/slips.py")
# Error kinds the probing machinery itself reports (hw3.runner.job, hw3.cases.run_probes).
OWN_KINDS = frozenset({"Missing", "Timeout", "NotPlainData", "Crashed", "NoResult"})
BUILTIN_EXCEPTIONS = frozenset(
    name for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException))
MAX_SENTENCE = 1000
# The kinds of value ``hw3.cases.type_mismatch`` names, in words.
KINDS = {"array": "a NumPy array", "list": "a list", "tuple": "a tuple", "number": "a number",
         "None": "None", "str": "a string"}
UNNAMED = "an exception of its own"


def exception_name(kind: Any) -> str:
    """``kind`` if Python (or the probing machinery) defines an exception of that name, else
    a fixed phrase: a class made on the fly can carry any text in its name."""
    kind = str(kind)
    return kind if kind in BUILTIN_EXCEPTIONS or kind in OWN_KINDS else UNNAMED


def fixed(text: Any) -> str:
    """``text`` if it is a sentence of the vocabulary, else ""."""
    return text if isinstance(text, str) and text in sentences() else ""


def missing_message(text: Any, names: set[str]) -> str:
    """A ``Missing`` message as ``hw3.cases.probing.fn`` words it for one of ``names`` (the
    assignment's functions), else ""."""
    m = re.fullmatch(r"`([a-z0-9_]{1,40})` is not defined", str(text)[:100])
    return f"`{m.group(1)}` is not defined" if m and m.group(1) in names else ""


@functools.lru_cache(maxsize=1)
def sentences() -> frozenset[str]:
    """Every sentence of the vocabulary (read once per process)."""
    found: set[str] = set(_mismatch_sentences())
    package = resources.files("hw3")
    for source in SOURCES:
        entry = package.joinpath(*source.split("/"))
        files = [entry] if entry.is_file() else \
            sorted((f for f in entry.iterdir() if f.name.endswith(".py")), key=lambda f: f.name) \
            if entry.is_dir() else []
        for f in files:
            try:
                tree = ast.parse(f.read_text(encoding="utf-8"))
            except (OSError, SyntaxError, ValueError):
                continue
            nodes = list(ast.walk(tree))
            # The literal pieces of an f-string are not sentences: only the whole would be.
            pieces = {id(v) for n in nodes if isinstance(n, ast.JoinedStr) for v in n.values}
            for node in nodes:
                if id(node) not in pieces:
                    found.update(s for s in _strings(node) or () if " " in s
                                 and len(s) <= MAX_SENTENCE)
    return frozenset(found)


def _strings(node: ast.AST) -> set[str] | None:
    """The strings an expression of constants can take (None: not such an expression)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        body, orelse = _strings(node.body), _strings(node.orelse)
        return body | orelse if body is not None and orelse is not None else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _strings(node.left), _strings(node.right)
        if left is None or right is None or len(left) * len(right) > 16:
            return None
        return {a + b for a in left for b in right}
    return None


def _mismatch_sentences() -> set[str]:
    """The sentences of ``hw3.cases.type_mismatch`` that name no number."""
    out = {"your function returned None: did you forget a `return`?"}
    for right in KINDS.values():
        for mine in [*KINDS.values(), "something else"]:
            out.add(f"your function returned {mine} where {right} is expected.")
    return out
