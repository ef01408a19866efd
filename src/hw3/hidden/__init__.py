"""The hidden cases' probes and their inputs: what runs beside the student's code in the sandbox.

Grader-only (never in the students' checks, ``hw3.build``), and bound into the sandbox: the
probes must run there. Nothing here judges: the hidden cases' judges, hints and accepted answers
live in ``hw3.grading.judges`` (trusted, never bound), which pairs each probe below with its
judge. ``PROBES`` maps every hidden case id to its probe; the sandbox's zygote calls
``register_probes`` so that ``hw3.cases.run_probes`` can run them by id.
"""

from __future__ import annotations

from collections.abc import Mapping

from hw3.cases.case import Probe
from hw3.hidden import activations, numpy_net, theory, torch_train

PROBES: Mapping[str, Probe] = {**theory.PROBES, **numpy_net.PROBES, **activations.PROBES,
                               **torch_train.PROBES}


def register_probes() -> None:
    """Add the hidden cases to ``hw3.cases``' registry as probes only (the sandbox's view)."""
    from hw3.cases import register_probes as register

    register(PROBES)
