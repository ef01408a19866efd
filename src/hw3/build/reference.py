"""The reference solution's answers: every probe's data recorded in a real kernel, checked
against the cases (the reference must pass them all), and split into the expected data files
(public ones ship to students, hidden ones stay with the grader).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat

from hw3.build.errors import BuildError
from hw3.build.notebooks import execute_notebook, without_otter
from hw3.build.products import CHECKS_ZIP
from hw3.cases import EXPECTED_HIDDEN, EXPECTED_PUBLIC
from hw3.cases.registry import Registry

_PROBE_CELL = """
import json as _json
from hw3.hidden import sandbox as _sandbox
_registry = _sandbox()  # the public cases and the hidden probes, as the sandbox runs them
_out = _registry.run_probes(list(_registry.cases), globals())
with open({path!r}, "w") as _f:
    _json.dump(_out, _f)
"""


def record_reference(solution_nb: Any, work: Path, full_zip: bytes) -> dict[str, str]:
    """Run the reference solution (without Otter's cells) and record every probe's data."""
    nb = nbformat.reads(nbformat.writes(solution_nb), as_version=4)
    nb.cells = [without_otter(c) for c in nb.cells]
    out = work / "reference.json"
    nb.cells.append(nbformat.v4.new_code_cell(_PROBE_CELL.format(path=str(out))))
    (work / CHECKS_ZIP).write_bytes(full_zip)
    execute_notebook(nb, work)
    return json.loads(out.read_text())


def verify_reference(recorded: dict[str, str], registry: Registry) -> None:
    """The reference must pass every case of the grader's ``registry`` against its own data
    (catches judge bugs)."""
    from hw3.cases import wire

    expected = {k: wire.decode(v) for k, v in recorded.items()}
    failures = []
    for case_id, case in registry.cases.items():
        verdict = registry.judge(case, recorded.get(case_id), expected)
        if not verdict.ok:
            failures.append(f"{case_id}: {verdict.message} {verdict.hint}")
    if failures:
        raise BuildError("the reference solution fails its own cases:\n" + "\n".join(failures))


def expected_files(recorded: dict[str, str], registry: Registry) -> dict[str, bytes]:
    """The recorded data split into the public and the hidden expected data files, by the
    visibility of ``registry``'s cases (a form case's data would be the answer itself)."""
    cases = registry.cases
    split: dict[str, dict[str, str]] = {"public": {}, "hidden": {}}
    for case_id in sorted(recorded):
        if cases[case_id].uses_expected:  # a form case's data would be the answer itself
            split[cases[case_id].visibility][case_id] = recorded[case_id]
    place = {"public": EXPECTED_PUBLIC, "hidden": EXPECTED_HIDDEN}
    return {place[k]: (json.dumps(v, indent=0, sort_keys=True) + "\n").encode()
            for k, v in split.items()}

