"""The one convention for test fixtures (pieces of code as a student would write them) and its
one parser, used by the bank and by the hostile-submission and sandbox tests.

A fixture is a Python file whose module docstring says, on its first line, what the code does,
then any number of ``key: value`` lines (the key an identifier); the code follows the docstring::

    \"\"\"Naive sigmoid 1/(1 + exp(-z)): exp overflows for large negative z.

    loses: sigmoid
    \"\"\"
    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

The keys in use:

- the bank (``mistakes/``, ``right/``): ``loses:`` the questions the code must lose points on
  (empty for a right answer);
- ``hostile/``: a fixture with ``expect:`` (``score=N; event=KIND``) is a submission of the
  graded batch, made from ``base:`` (solution or template) with the code inserted at
  ``insert:`` (start, end, or ``into MARKER``), handed in as ``name:`` (default: the file's
  stem), and checked only where ``isolation:`` is available, with ``leaks:`` the text it tries
  to read out, which must reach nothing a student reads (feedback pages, Gradescope's
  results); one without ``expect:`` is a cell for the sandbox tests, whose ``placeholders:``
  the test replaces before running it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

KINDS = {"mistakes": "mistake", "right": "right"}


class BankError(Exception):
    """A fixture or the repository is not as the bank expects; the message says what."""


@dataclass(frozen=True)
class FixtureMeta:
    """What a fixture file says of itself, and its code."""

    path: Path
    what: str  # the docstring's first line
    keys: dict[str, str]  # its `key: value` lines
    code: str  # everything after the docstring
    lines: tuple[str, ...]  # the docstring's lines, stripped

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.keys.get(key, default)

    def __getitem__(self, key: str) -> str:
        return self.keys[key]

    def __contains__(self, key: object) -> bool:
        return key in self.keys


def read_meta(path: Path) -> FixtureMeta:
    """Parse one fixture file by the convention above; BankError if it is not valid Python,
    has no docstring, or gives a key twice."""
    text = path.read_text(encoding="utf-8")
    try:
        tree = ast.parse(text)
    except SyntaxError as e:
        raise BankError(f"{path}: not valid Python ({e})") from e
    doc = ast.get_docstring(tree, clean=True)
    if not doc:
        raise BankError(f"{path}: needs a module docstring (what the code does, then its "
                        "`key: value` lines)")
    lines = tuple(line.strip() for line in doc.splitlines())
    keys: dict[str, str] = {}
    for line in lines[1:]:
        key, sep, value = line.partition(":")
        if sep and key.isidentifier():
            if key.lower() in keys:
                raise BankError(f"{path}: the docstring gives `{key}:` twice")
            keys[key.lower()] = value.strip()
    code_lines = text.splitlines()[tree.body[0].end_lineno:]
    code = "\n".join(code_lines).strip("\n") + "\n"
    return FixtureMeta(path, lines[0], keys, code, lines)


@dataclass(frozen=True)
class Fixture:
    """One piece of student code and the questions it must lose points on."""

    name: str  # "mistakes/sigmoid_naive"
    kind: str  # "mistake" | "right"
    path: Path
    description: str
    loses: frozenset[str]
    code: str  # the code without its docstring, as it goes into the notebook
    names: frozenset[str]  # the top-level names it defines

    @property
    def slug(self) -> str:
        """A file-name-safe id, unique across both banks."""
        return self.name.replace("/", "__")


def defined_names(source: str) -> set[str]:
    """Top-level names a piece of code binds by ``def``, ``class`` or assignment (not import)."""
    names: set[str] = set()

    def targets(node: ast.AST) -> None:
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for elt in node.elts:
                targets(elt)
        elif isinstance(node, ast.Starred):
            targets(node.value)

    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                targets(t)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets(node.target)
    return names


def parse_fixture(path: Path, kind: str) -> Fixture:
    """Read one bank fixture; BankError if its docstring lacks the description or ``loses:``."""
    from hw3.grading.registry import grader

    meta = read_meta(path)
    if "loses" not in meta:
        raise BankError(f"{path}: the docstring needs exactly one `loses:` line")
    loses = frozenset(q.strip() for q in meta["loses"].split(",") if q.strip())
    unknown = sorted(loses - set(grader().questions))
    if unknown:
        raise BankError(f"{path}: `loses:` names unknown questions {', '.join(unknown)}")
    if kind == "mistake" and not loses:
        raise BankError(f"{path}: a mistake must lose points somewhere (`loses:` is empty)")
    if kind == "right" and loses:
        raise BankError(f"{path}: a right answer must have an empty `loses:`")
    names = frozenset(defined_names(meta.code))
    if not names:
        raise BankError(f"{path}: defines no function or answer")
    return Fixture(f"{path.parent.name}/{path.stem}", kind, path, meta.what, loses, meta.code,
                   names)


def load_fixtures(folder: Path, only: str | None = None) -> list[Fixture]:
    """Every fixture of both banks under ``folder`` (``tests/fixtures`` in the repository;
    names containing ``only``)."""
    found: list[Fixture] = []
    for sub, kind in KINDS.items():
        for path in sorted((folder / sub).glob("*.py")):
            if not path.name.startswith("_"):
                found.append(parse_fixture(path, kind))
    if only:
        found = [f for f in found if only in f.name]
    return found
