"""The hidden cases' probes and their inputs: what runs beside the student's code in the sandbox.

Grader-only (never in the students' checks, ``hw3.build``), and bound into the sandbox: the
probes must run there. Nothing here judges: the hidden cases' judges, hints and accepted answers
live in ``hw3.grading.judges`` (trusted, never bound), which pairs each probe below with its
judge. ``PROBES`` maps every hidden case id to its probe; ``sandbox()`` builds the sandbox's
registry (the public cases and these probes), which the job's runner probes by id.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from hw3.cases.case import Probe
from hw3.cases.registry import ProbesOnly, Registry, build, public_modules
from hw3.hidden import activations, numpy_net, theory, torch_train

PROBES: Mapping[str, Probe] = {**theory.PROBES, **numpy_net.PROBES, **activations.PROBES,
                               **torch_train.PROBES}


@functools.cache
def sandbox() -> Registry:
    """The sandbox's registry: the public cases and the hidden cases by their probes alone (no
    judge, no expected data), in the master's order (built once; the zygote builds it before
    it forks, ``hw3.grading.jail.PRELOAD``)."""
    return build([*public_modules(), ProbesOnly(PROBES)])
