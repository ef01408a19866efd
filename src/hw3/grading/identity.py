"""Whose submission it is, and so which variant it is graded against.

The id comes from, in order: the roster (``hw3 grade --roster``: the ``student_id`` of the
row whose ``submission`` matches), Gradescope's ``submission_metadata.json`` (the submitter's
SID, or e-mail by option), the notebook's own ``STUDENT_ID``. The notebook's id is read from
its source, never by running it: the last top-level ``STUDENT_ID = "..."`` with a literal text.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hw3.cases.variants import normalize_id, params, variant_name
from hw3.grading.variant_answers import groups

SOURCES = ("roster", "gradescope", "notebook", "none")  # the contract's closed vocabulary
MAX_ID = 200  # characters of an id kept: anything longer is not an id
MAX_SOURCE = 200_000  # characters of one cell parsed for the id


@dataclass(frozen=True)
class Identity:
    """The authoritative id, where it came from, and the id the notebook declares."""

    student_id: str
    source: str  # one of SOURCES
    declared: str

    @property
    def mismatch(self) -> bool:
        """The notebook declares another id than the roster's or Gradescope's."""
        return self.source in ("roster", "gradescope") and bool(self.declared) and \
            normalize_id(self.declared) != normalize_id(self.student_id)

    def to_json(self) -> dict[str, Any]:
        return {"student_id": self.student_id, "source": self.source,
                "declared": self.declared, "mismatch": self.mismatch,
                "name": variant_name(self.student_id), "params": params(self.student_id),
                "groups": groups(params(self.student_id))}

    def note(self) -> str:
        """What the result says about a mismatch ("" if none)."""
        if not self.mismatch:
            return ""
        where = "the roster" if self.source == "roster" else "Gradescope"
        return (f"This notebook's STUDENT_ID is {self.declared!r}, but {where} says it is "
                f"{self.student_id!r}'s: it was graded with {self.student_id!r}'s numbers.")


def _clean(value: Any) -> str:
    return str(value).strip()[:MAX_ID] if isinstance(value, (str, int)) else ""


def declared_id(cells: Sequence[str]) -> str:
    """The notebook's ``STUDENT_ID``: the last top-level assignment of a literal text to it."""
    found = ""
    for src in cells:
        if "STUDENT_ID" not in src or len(src) > MAX_SOURCE:
            continue
        try:
            tree = ast.parse(src)
        except (SyntaxError, ValueError):
            continue
        for node in tree.body:
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)
                    and node.targets[0].id == "STUDENT_ID"
                    and isinstance(node.value, ast.Constant)
                    and isinstance(node.value.value, str)):
                found = _clean(node.value.value)
    return found


def resolve(declared: str, roster: str | None = None, gradescope: str | None = None
            ) -> Identity:
    """The authoritative id: the roster's, else Gradescope's, else the notebook's."""
    for source, value in (("roster", roster), ("gradescope", gradescope)):
        if value is not None and _clean(value):
            return Identity(_clean(value), source, declared)
    if declared:
        return Identity(declared, "notebook", declared)
    return Identity("", "none", "")


def gradescope_id(metadata: Path, field: str = "sid") -> str | None:
    """The submitter's SID (``field`` "sid") or e-mail ("email") in Gradescope's
    ``submission_metadata.json``; None if the file or the field is absent."""
    try:
        data = json.loads(metadata.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    users = data.get("users") if isinstance(data, dict) else None
    if not isinstance(users, list) or not users or not isinstance(users[0], dict):
        return None
    value = users[0].get(field)
    return _clean(value) or None


def same_identity(recorded: Any, identity: Identity) -> bool:
    """Whether a recorded result's ``variant`` is for this identity (a cached grade is kept
    only for the same id, source and declared id, and the same numbers)."""
    if not isinstance(recorded, dict):
        return False
    now = identity.to_json()
    return all(recorded.get(k) == now[k] for k in ("student_id", "source", "declared",
                                                    "params"))
