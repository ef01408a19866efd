"""The package's layout is its trust boundary (docs/architecture.md): what each package may
import, no import cycle, and no module over ~500 lines without a reason at its top.

Every import counts, also those inside functions: a lazy import is still a dependency."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
LONG = 500
WHY_LONG = "This module is long because"

# package -> the hw3 packages it may import (besides itself and the two-line ``hw3``)
ALLOWED = {
    "hw3.cases": set(),  # ships to students and runs in the sandbox
    "hw3.hidden": {"hw3.cases"},
    "hw3.runner": {"hw3.cases"},  # the job runner: bound into the sandbox, never shipped
    "hw3.sandbox": set(),  # generic: knows nothing of the assignment
}
NEVER_FROM_GRADING = {"hw3.report", "hw3.build", "hw3.bank", "hw3.cli", "hw3.marking.app"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted((SRC / "hw3").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The hw3 modules that ``name`` imports, anywhere in it."""
    is_pkg = path.name == "__init__.py"
    package = name.split(".") if is_pkg else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in MODULES else mod
                       for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in MODULES:  # `import hw3.cases.wire.x` style: the module part
                t = t.rpartition(".")[0]
            if t and t != name:
                found.add(t)
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _package(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else module


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in GRAPH:
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle() -> None:
    assert _cycles() == []


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_what_it_may(package: str) -> None:
    allowed = ALLOWED[package] | {package, "hw3"}
    wrong = {f"{m} -> {t}" for m, targets in GRAPH.items() if _package(m) == package
             for t in targets if _package(t) not in allowed}
    assert not wrong


def test_grading_stays_trusted_and_small() -> None:
    wrong = {f"{m} -> {t}" for m, targets in GRAPH.items() if _package(m) == "hw3.grading"
             for t in targets if t in NEVER_FROM_GRADING or _package(t) in NEVER_FROM_GRADING}
    assert not wrong


def test_nothing_imports_the_command_line() -> None:
    assert not {m for m, targets in GRAPH.items() if "hw3.cli" in targets}
    # The command modules (hw3.commands) are the CLI layer: only the entry points (hw3.cli and
    # `python -m` modules) use them.
    assert not {m for m, targets in GRAPH.items()
                if _package(m) != "hw3.commands" and m != "hw3.cli" and not m.endswith(".__main__")
                and any(_package(t) == "hw3.commands" for t in targets)}


def test_long_modules_say_why() -> None:
    long = {}
    for name, path in MODULES.items():
        text = path.read_text()
        doc = ast.get_docstring(ast.parse(text)) or ""
        if text.count("\n") > LONG and WHY_LONG not in doc:
            long[name] = text.count("\n")
    assert not long, f"over {LONG} lines without '{WHY_LONG} ...' in the docstring: {long}"


def test_the_checker_sees_lazy_imports() -> None:
    # The checker itself: a function-level import is an edge like any other.
    assert "hw3.cases.wire" in GRAPH["hw3.runner.messages"]


# What the sandbox may read: the hidden probes and their inputs, never a judge (a judge holds
# the accepted answers, the rules and the hints that a student's code could read out).
JUDGING = {"hw3.cases.checking", "hw3.cases.hints", "hw3.grading", "hw3.grading.judges"}


def test_the_bound_hidden_package_holds_probes_only() -> None:
    hidden = {m: p for m, p in MODULES.items() if _package(m) == "hw3.hidden"}
    assert hidden
    for name, path in hidden.items():
        tree = ast.parse(path.read_text())
        judges = [n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
                  and (n.name.startswith("judge") or any(
                      getattr(d, "id", "") == "verdict_of" for d in n.decorator_list))]
        assert not judges, f"{name} defines judges {judges}: they belong in hw3.grading.judges"
        assert not GRAPH[name] & JUDGING, (name, GRAPH[name] & JUDGING)


def test_the_sandbox_binds_the_hidden_probes_and_no_judge() -> None:
    from hw3.grading.jail import BOUND

    assert "hidden" in BOUND and "grading" not in BOUND
    assert (SRC / "hw3" / "grading" / "judges").is_dir()


def test_every_hidden_case_runs_the_probe_the_sandbox_runs() -> None:
    import hw3.grading.judges
    from hw3.hidden import PROBES

    cases = {c.id: c for m in hw3.grading.judges.MODULES for c in m.CASES}
    assert set(cases) == set(PROBES)
    assert all(cases[i].probe is PROBES[i] for i in cases)
