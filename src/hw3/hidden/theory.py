"""Probes of the hidden theory cases: the public form probes (``hw3.cases.theory``) describe the
answers; whether they are right is judged in ``hw3.grading.judges.theory``."""

from __future__ import annotations

from hw3.cases.theory import _3_1, _3_10, _4_4, _4_5, _4_6, probe_3_5

PROBES = {
    "q3_1.y_linear": _3_1, "q3_1.y_identity": _3_1, "q3_1.mapping": _3_1,
    "q3_5.is_relu": probe_3_5, "q3_5.homogeneous": probe_3_5, "q3_5.counterexample": probe_3_5,
    "q3_10.counts": _3_10, "q3_10.two_regions": _3_10,
    "q4_4.weight_shapes": _4_4, "q4_4.bias_sizes": _4_4, "q4_4.n_params": _4_4,
    "q4_5.depth": _4_5, "q4_5.width": _4_5,
    "q4_6.n_weights": _4_6, "q4_6.extra_depth": _4_6, "q4_6.extra_width": _4_6,
    "q4_6.answer": _4_6,
}
