"""The hidden cases: the same properties as the public cases (``hw3.cases``) on other inputs,
plus robustness, and whether the theory answers are right.

Grader-only: the build never puts this package in the students' checks (``hw3_checks.zip``);
the autograder zip and ``hw3 grade`` carry it. Importing it adds its cases to the registry
(``hw3.cases.register``): the trusted side imports it (``hw3.grading.registry``), and so does
the sandbox's zygote, since the hidden probes run beside the student's code. Their expected
data is not here (``hw3/grading/expected_hidden.json``, never bound into the sandbox).
"""

from __future__ import annotations

from hw3.cases import register
from hw3.hidden import activations, numpy_net, theory, torch_train

MODULES = (theory, numpy_net, activations, torch_train)

register(MODULES)
