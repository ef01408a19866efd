"""The master's variants: its ``# HW3 VARIANTS`` cell read and recorded, and the variants'
answers checked against the master's reference solution.

The cell (raw, YAML, anywhere in the master; Otter Assign never sees it)::

    # HW3 VARIANTS
    enabled: true
    salt: "udl-fall-2026"
    ranges:
      q4_6.K: [2, 40]

``hw3 build`` records it in ``hw3/cases/variants.json`` (it ships to students: the notebook
computes its own numbers from it), then runs the reference solution's cells of the varied
questions on a sample of variants and judges them with the hidden judges against the answers
the grader computes (``hw3.grading.variant_answers``): every one must pass.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import time
from dataclasses import dataclass
from typing import Any

import sympy as sp
import yaml

from hw3.build.errors import BuildError
from hw3.cases.variants import VARIED_QUESTIONS, Config, VariantError, notebook_names, params

MARKER = "# HW3 VARIANTS"
SAMPLE = 50  # variants the build checks the reference on (the book's numbers among them)


def _is_config(cell: Any) -> bool:
    return cell.cell_type == "raw" and cell.source.strip().startswith(MARKER)


def read_config(nb: Any) -> Config:
    """The master's variants (off when it has no ``# HW3 VARIANTS`` cell)."""
    cells = [c for c in nb.cells if _is_config(c)]
    if not cells:
        return Config()
    if len(cells) > 1:
        raise BuildError(f"the master has {len(cells)} '{MARKER}' cells; keep one")
    text = cells[0].source.strip()[len(MARKER):]
    try:
        return Config.from_json(yaml.safe_load(text) or {})
    except yaml.YAMLError as e:
        raise BuildError(f"the master's '{MARKER}' cell is not YAML: {e}") from None
    except VariantError as e:
        raise BuildError(f"the master's '{MARKER}' cell: {e}") from None


def without_config(nb: Any) -> Any:
    """The master without its variants cell (what Otter Assign is given)."""
    out = copy.deepcopy(nb)
    out.cells = [c for c in out.cells if not _is_config(c)]
    return out


def variants_json(config: Config) -> bytes:
    return (json.dumps(config.to_json(), indent=1, sort_keys=True) + "\n").encode()


@dataclass(frozen=True)
class CheckResult:
    variants: int
    seconds: float


def reference_cells(solution: Any) -> list[str]:
    """The reference solution's code cells that answer a varied question, in order."""
    names = tuple(f"{q}_" for q in VARIED_QUESTIONS)
    return [c.source for c in solution.cells if c.cell_type == "code"
            and any(f"\n{n}" in "\n" + c.source for n in names)]


def _namespace(student_id: str, config: Config) -> dict[str, Any]:
    D, K, D_i, D_o = sp.symbols("D K D_i D_o", positive=True, integer=True)  # noqa: N806
    return {"sp": sp, "np": __import__("numpy"), "D": D, "K": K, "D_i": D_i, "D_o": D_o,
            "display": lambda *a, **k: None, "STUDENT_ID": student_id,
            **notebook_names(student_id, config)}


def check_reference(solution: Any, config: Config, sample: int = SAMPLE) -> CheckResult:
    """Run the reference's varied cells on ``sample`` variants (the book's first) and judge
    them against the grader's answers for each; a failure stops the build naming the id."""
    from hw3.grading.registry import grader
    from hw3.grading.variant_answers import VARIED, expected_for

    registry = grader()
    start = time.perf_counter()
    cells = reference_cells(solution)
    if not cells:
        raise BuildError("the reference solution has no cells answering 4.4, 4.5 or 4.6")
    ids = [""] + [f"sample-{i}" for i in range(sample - 1)]
    for sid in ids:
        env = _namespace(sid, config)
        with contextlib.redirect_stdout(io.StringIO()):
            for src in cells:
                exec(compile(src, "<reference>", "exec"), env)  # noqa: S102 - the master's own
        want = expected_for(params(sid, config))
        probes = registry.run_probes(list(VARIED), env)
        for case_id in VARIED:
            verdict = registry.judge(registry.cases[case_id], probes[case_id], want)
            if not verdict.ok:
                raise BuildError(f"the reference solution fails {case_id} for the variant of "
                                 f"id {sid!r} ({params(sid, config)}): {verdict.message} "
                                 "(hw3.grading.variant_answers and the master disagree)")
    return CheckResult(len(ids), time.perf_counter() - start)
