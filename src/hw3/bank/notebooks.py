"""The bank's notebooks: the reference solution with a fixture's code as a new cell right after
the solution cell that defines the same names (several independent fixtures to a notebook for
the slow runner), so that every later cell uses it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from hw3.bank.fixtures import BankError, Fixture, defined_names


def _cell_names(source: str) -> set[str]:
    try:
        return defined_names(source)
    except SyntaxError:
        return set()


def insertion_index(sources: Sequence[str], names: Iterable[str]) -> int:
    """Index of the code cell (among ``sources``) the fixture goes right after: the last solution
    cell that defines one of its names (any cell if no solution cell does)."""
    wanted = set(names)
    defining = [i for i, src in enumerate(sources) if _cell_names(src) & wanted]
    solution = [i for i in defining if "SOLUTION" in sources[i]]
    chosen = solution or defining
    if not chosen:
        raise BankError(f"no cell of the solution defines any of {', '.join(sorted(wanted))}")
    return chosen[-1]


def solution_path(root: Path) -> Path:
    return root / "solutions" / "hw3.ipynb"


def fixture_notebook(solution: Any, fixture: Fixture | Sequence[Fixture],
                     demos: bool = True) -> Any:
    """A copy of the solution notebook (outputs cleared) with the fixture's cell inserted (or
    each of several fixtures' cells, after its own cell); without the demonstration cells (see
    ``is_demo``) unless ``demos``."""
    import nbformat

    group = [fixture] if isinstance(fixture, Fixture) else list(fixture)
    nb = copy.deepcopy(solution)
    if not demos:
        nb.cells = [c for c in nb.cells if c.cell_type != "code" or not is_demo(c.source)]
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code:
        cell.outputs, cell.execution_count = [], None
    sources = [c.source for c in code]
    places = [(nb.cells.index(code[insertion_index(sources, fx.names)]), k)
              for k, fx in enumerate(group)]
    # From the last place up, so that the earlier places stay where they were.
    for place, k in sorted(places, reverse=True):
        cell = nbformat.v4.new_code_cell(group[k].code)
        cell.pop("id", None)
        nb.cells.insert(place + 1, cell)
    # Ids of the form Otter's build writes, unique after the insertion.
    for i, c in enumerate(nb.cells):
        c["id"] = f"cell-{i:03d}"
    return nb


def _independent(f: Fixture, group: Sequence[Fixture]) -> bool:
    """``f`` can share a notebook with ``group``: no name defined twice, none used by another
    member's code, and (mistakes) no question lost by two members."""
    for o in group:
        if f.names & o.names or f.loses & o.loses:
            return False
        if any(re.search(rf"\b{re.escape(n)}\b", o.code) for n in f.names) or any(
                re.search(rf"\b{re.escape(n)}\b", f.code) for n in o.names):
            return False
    return True


def group_right_answers(fixtures: Sequence[Fixture], mistakes_too: bool = False
                        ) -> list[list[Fixture]]:
    """Fewer notebooks for the slow runner. Right answers together where they define different
    names (together they must still lose nothing). Mistakes one by one, or with
    ``mistakes_too`` several to a notebook where they are independent (``_independent``): the
    notebook must then lose exactly the union of their questions, and each mistake is judged on
    its own questions plus any question no member owns (see ``split_outcome``)."""
    groups: list[list[Fixture]] = []
    for f in (f for f in fixtures if f.kind == "mistake"):
        home = next((g for g in groups if _independent(f, g)), None) if mistakes_too else None
        if home is None:
            groups.append([f])
        else:
            home.append(f)
    right: list[list[Fixture]] = []
    for f in (f for f in fixtures if f.kind == "right"):
        home = next((g for g in right if not any(f.names & o.names for o in g)), None)
        if home is None:
            right.append([f])
        else:
            home.append(f)
    return groups + right


def write_notebooks(fixtures: Sequence[Fixture] | Sequence[Sequence[Fixture]], root: Path,
                    folder: Path, demos: bool = True) -> dict[str, Path]:
    """One notebook per fixture (or per group of fixtures) in ``folder`` (created); fixture
    name -> notebook path (the fixtures of a group share one)."""
    import nbformat

    solution = nbformat.read(solution_path(root), as_version=4)
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for item in fixtures:
        group = [item] if isinstance(item, Fixture) else list(item)
        slug = group[0].slug if len(group) == 1 else \
            f"{group[0].kind}__group{len(set(paths.values())):03d}"
        path = folder / f"{slug}.ipynb"
        nbformat.write(fixture_notebook(solution, group, demos), path)
        paths.update({fx.name: path for fx in group})
    return paths


def is_demo(source: str) -> bool:
    """Whether a cell is an ungraded demonstration: a plot or a training run of the worked
    examples (no definitions, so no graded name depends on it; it only costs time)."""
    return ("plt." in source or "= train(" in source) and "def " not in source
