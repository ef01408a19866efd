"""Similarity: which submissions of a class are alike, with the evidence side by side.

``hw3 similarity PATH... --out DIR`` and ``hw3 grade --out DIR`` (through :func:`for_results`)
write ``DIR/similarity.csv`` and ``DIR/similarity.html``. Nothing a student wrote is run.

One job a module, in the order a comparison runs (``analysis`` drives them):
``reading`` (submissions as ``hw3 grade`` reads them, into Docs), ``tokens`` (normalised
tokens), ``fingerprints`` (winnowed k-grams), ``template`` (the template's own code, removed),
``answers`` (same wrong or unusual answers), ``explanations`` (paraphrased texts), ``compare``
(the inverted index, weights, scores and clusters), ``views`` and ``report`` (the CSV and the
page from ``templates/``). ``synthetic`` makes classes with a known truth for the tests and the
benchmark. docs/similarity.md says how to read the report and what it cannot tell.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hw3.similarity.analysis import Analysis, analyse
from hw3.similarity.compare import THRESHOLD
from hw3.similarity.reading import files_of_paths, files_of_results

__all__ = ["THRESHOLD", "Analysis", "analyse", "files_of_paths", "for_results"]


def for_results(results: dict[str, Any], out: Path, roster: Path | None = None) -> list[Path]:
    """The hook of ``hw3 grade --out`` and ``hw3 report``: compare the graded class (its files,
    ids and per-case outcomes from ``results``) and write the report into ``out``. A failure
    here costs the grades nothing: it is said in one line, and nothing is written."""
    from hw3.similarity.report import roster_names, write

    try:
        files = [(i, p) for i, p in files_of_results(results) if p.exists()]
        if len(files) < 2:  # the submissions are gone (or one): keep any earlier report
            return []
        analysis = analyse(files, results=results)
        return write(analysis, Path(out), roster_names(roster))
    except (OSError, ValueError) as e:
        print(f"hw3: similarity report not written: {e}", file=sys.stderr)
        return []
