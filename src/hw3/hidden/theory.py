"""Probes of the hidden theory cases: the public form probes (``hw3.cases.theory``) describe the
answers; whether they are right is judged in ``hw3.grading.judges.theory``."""

from __future__ import annotations

from hw3.cases.theory import probe_3_1, probe_3_5, probe_3_10, probe_4_4, probe_4_5, probe_4_6

PROBES = {
    "q3_1.y_linear": probe_3_1, "q3_1.y_identity": probe_3_1, "q3_1.mapping": probe_3_1,
    "q3_5.is_relu": probe_3_5, "q3_5.homogeneous": probe_3_5, "q3_5.counterexample": probe_3_5,
    "q3_10.counts": probe_3_10, "q3_10.two_regions": probe_3_10,
    "q4_4.weight_shapes": probe_4_4, "q4_4.bias_sizes": probe_4_4, "q4_4.n_params": probe_4_4,
    "q4_5.depth": probe_4_5, "q4_5.width": probe_4_5,
    "q4_6.n_weights": probe_4_6, "q4_6.extra_depth": probe_4_6, "q4_6.extra_width": probe_4_6,
    "q4_6.answer": probe_4_6,
}
