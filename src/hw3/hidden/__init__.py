"""The hidden cases: the same properties as the public cases (``hw3.cases``) on other inputs,
plus robustness, and whether the theory answers are right.

Grader-only: the build never puts this package in the students' checks (``hw3_checks.zip``);
the autograder zip and ``hw3 grade`` carry it. ``hw3.cases`` registers these cases when this
package is present.
"""

from __future__ import annotations

from hw3.hidden import activations, numpy_net, theory, torch_train

MODULES = (theory, numpy_net, activations, torch_train)
