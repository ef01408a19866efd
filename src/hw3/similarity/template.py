"""The template's own code: every k-gram of the notebook students start from, never evidence.

The stubs, the import cell, the worked examples and Otter's cells are in every submission;
a fingerprint that also occurs in the template is dropped before anything is compared, and
shown greyed out in the report. The template is ``student_template/hw3.ipynb`` of the
repository (``hw3 build`` makes it from the master), or any notebook given with ``--template``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hw3.grading.submission import read
from hw3.layout import LayoutError, find_root
from hw3.similarity.fingerprints import kgram_hashes
from hw3.similarity.reading import code_cells
from hw3.similarity.tokens import normalise

TEMPLATE = Path("student_template") / "hw3.ipynb"


@dataclass(frozen=True)
class Template:
    hashes: frozenset[int]
    source: str  # where it came from, or why there is none (said in the report)
    cells: frozenset[str] = frozenset()  # its code cells as written (Otter's lines stripped)

    @property
    def found(self) -> bool:
        return bool(self.hashes)


def template_hashes(cells: list[str]) -> frozenset[int]:
    """Every k-gram hash of ``cells`` (not only the winnowed ones: any overlap counts)."""
    return frozenset(h for cell in cells for h in kgram_hashes(normalise(cell)))


def load_template(path: Path | None = None) -> Template:
    """The template of ``path``, else of the repository; without one, an empty Template that
    says why (the comparison still runs, with the template's code counted)."""
    if path is None:
        try:
            path = find_root(needs=(TEMPLATE,)) / TEMPLATE
        except LayoutError:
            return Template(frozenset(), f"no {TEMPLATE} found (give one with --template): "
                            "the template's code was not removed")
    sub = read(Path(path), "template")
    if not sub.readable:
        raise ValueError(f"template {path}: {sub.problem}")
    cells = code_cells(sub)
    return Template(template_hashes(cells), str(path), frozenset(cells))
