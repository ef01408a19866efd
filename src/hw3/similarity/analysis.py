"""One comparison of a class, top to bottom: read, fingerprint, compare, and what it found.

    read_class (reading)  -> Docs: fingerprints less the template's (template)
    answers_of (answers)  -> each field's value, right or wrong from the results or the reference
    ExplanationIndex      -> the explanations' words
    compare (compare)     -> pairs worth showing, scored and flagged, and clusters
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hw3.similarity.answers import AnswerEvidence, answers_of, outcomes_of, reference_keys
from hw3.similarity.compare import THRESHOLD, Pair, clusters, common_bounds, compare
from hw3.similarity.explanations import ExplanationIndex
from hw3.similarity.reading import Doc, read_class
from hw3.similarity.template import Template, load_template
from hw3.similarity.variants import add_variant_evidence, variant_fits


@dataclass
class Analysis:
    docs: list[Doc]
    pairs: list[Pair]
    clusters: list[list[str]]
    template: Template
    threshold: float
    answers: AnswerEvidence
    explanations: ExplanationIndex
    unreadable: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    with_results: bool = False
    seconds: float = 0.0

    @property
    def flagged(self) -> list[Pair]:
        return [p for p in self.pairs if p.flagged]

    def doc(self, sub_id: str) -> Doc:
        return next(d for d in self.docs if d.id == sub_id)

    @property
    def common(self) -> tuple[int, int]:
        return common_bounds(len(self.docs))


def analyse(files: Sequence[tuple[str, Path]], *, template: Template | None = None,
            results: Mapping[str, Any] | None = None,
            threshold: float = THRESHOLD) -> Analysis:
    """Compare every submission of ``files`` (``(id, path)``) with every other, by index."""
    start = time.monotonic()
    template = template if template is not None else load_template()
    klass = read_class(files, template.hashes, template.cells)
    outcomes, failures = outcomes_of(results)
    answers = AnswerEvidence({d.id: answers_of(d.cells) for d in klass.docs}, reference_keys(),
                             outcomes, failures)
    explanations = ExplanationIndex({d.id: d.explanations for d in klass.docs})
    pairs = compare(klass.docs, answers, explanations, threshold)
    read = {d.id for d in klass.docs}  # a fit names a pair only between readable hand-ins
    fits = {k: v for k, v in variant_fits(results).items() if k[0] in read and k[1] in read}
    pairs = add_variant_evidence(pairs, fits, threshold)
    return Analysis(klass.docs, pairs, clusters(pairs), template, threshold, answers,
                    explanations, klass.unreadable, klass.missing, bool(results),
                    time.monotonic() - start)
