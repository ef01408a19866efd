"""The hidden cases' judges: whether each hidden probe's data is right, with their hints and
the theory questions' accepted answers and rules.

Trusted: it lives in ``hw3.grading``, which is never bound into the sandbox
(``hw3.grading.jail``) nor shipped to students. Each case here pairs a probe of ``hw3.hidden``
(bound into the sandbox, where it runs beside the student's code) with its judge. ``MODULES``
are the hidden cases' modules: the grader's registry (``hw3.grading.registry.grader``) holds
them after the public ones.
"""

from __future__ import annotations

from hw3.grading.judges import activations, numpy_net, theory, torch_train

MODULES = (theory, numpy_net, activations, torch_train)
