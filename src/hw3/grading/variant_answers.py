"""Each variant's right answers to 4.4, 4.5 and 4.6, computed in the trusted process.

Trusted: never shipped to students nor bound into the sandbox (it lives in ``hw3.grading``).
The formulas follow the contract's reference answers; ``hw3 build`` checks them against the
master's reference solution on a sample of variants (``hw3.build.variant_check``) and on the
book's numbers against the recorded reference data. The answers are in the form the hidden
judges compare with: what the cases' probes give on a namespace holding them.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from hw3.cases import wire
from hw3.cases.checking import CANONICAL
from hw3.cases.theory import probe_4_4, probe_4_5, probe_4_6
from hw3.cases.variants import DEFAULT, Config, load_config, params

# The hidden cases whose right answer depends on the variant, by question.
VARIED_CASES = {
    "q4_4": ("q4_4.weight_shapes", "q4_4.bias_sizes", "q4_4.n_params"),
    "q4_5": ("q4_5.depth", "q4_5.width"),
    "q4_6": ("q4_6.extra_depth", "q4_6.extra_width", "q4_6.answer"),
}
VARIED = tuple(c for cs in VARIED_CASES.values() for c in cs)
_D, _K, _DI, _DO = (CANONICAL[n] for n in ("D", "K", "D_i", "D_o"))
N_WEIGHTS = _DI * _D + (_K - 1) * _D**2 + _D * _DO  # q4_6_n_weights: does not vary


def extra_weights(k: int, d: int) -> tuple[int, int]:
    """The weights one more hidden layer adds, and one more unit in every hidden layer, with
    D_i = D_o = 1: N_WEIGHTS at K + 1 (and at D + 1) minus at (K, D), in closed form (fast
    enough to compare a submission with every classmate's variant)."""
    return d * d, 2 + (k - 1) * (2 * d + 1)


def answers(p: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The right answer fields for the params ``p`` (``hw3.cases.variants.params``)."""
    sizes = [int(v) for v in p["q4_4"]["sizes"]]
    shapes = [(sizes[k + 1], sizes[k]) for k in range(4)]
    k, d = int(p["q4_6"]["K"]), int(p["q4_6"]["D"])
    depth, width = extra_weights(k, d)
    return {
        "q4_4_weight_shapes": shapes, "q4_4_bias_sizes": sizes[1:],
        "q4_4_n_params": sum(r * c for r, c in shapes) + sum(sizes[1:]),
        "q4_5_depth": int(p["q4_5"]["K"]), "q4_5_width": int(p["q4_5"]["D"]),
        "q4_6_n_weights": N_WEIGHTS, "q4_6_extra_weights_depth": depth,
        "q4_6_extra_weights_width": width, "q4_6_answer": "depth" if depth > width else "width",
    }


_PROBES = {"q4_4": probe_4_4, "q4_5": probe_4_5, "q4_6": probe_4_6}


def expected_for(p: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The varied cases' expected data for params ``p``, as the recorded data is (decoded probe
    data); 4.6's cases also carry the variant's K and D (``"variant"``) for the judges that
    follow a student's own formula."""
    env = answers(p)
    out: dict[str, Any] = {}
    for question, case_ids in VARIED_CASES.items():
        data = wire.decode(wire.encode(_PROBES[question](env)))
        for case_id in case_ids:
            out[case_id] = {**data, "variant": dict(p[question])}
    return out


def expected_with(expected: dict[str, Any], student_id: str,
                  config: Config | None = None) -> dict[str, Any]:
    """``expected`` (the recorded data) with the varied cases' data for ``student_id``'s
    variant; unchanged for the book's numbers, whose data the reference recorded."""
    p = params(student_id, config if config is not None else load_config())
    if p == DEFAULT:
        return expected
    return {**expected, **expected_for(p)}


def right_for(got: dict[str, Any], p: dict[str, dict[str, Any]]) -> dict[str, bool]:
    """For each varied question, whether every answer field in ``got`` (the answer fields'
    values, as the student's namespace held them) is the right one for params ``p``."""
    want = answers(p)
    fields = {"q4_4": ("q4_4_weight_shapes", "q4_4_bias_sizes", "q4_4_n_params"),
              "q4_5": ("q4_5_depth", "q4_5_width"),
              "q4_6": ("q4_6_extra_weights_depth", "q4_6_extra_weights_width")}
    out = {}
    for q, names in fields.items():
        try:
            out[q] = all(_same(got.get(n), want[n]) for n in names)
        except (TypeError, ValueError):
            out[q] = False
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(b, (list, tuple)):
        return isinstance(a, (list, tuple)) and len(a) == len(b) and \
            all(_same(x, y) for x, y in zip(a, b))
    if isinstance(b, sp.Basic):
        return False
    return isinstance(a, int) and not isinstance(a, bool) and a == b


def groups(p: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Each varied question's group of variants, for the report's "are some variants harder?":
    the book's numbers, or a kind of problem (a larger network, which change wins)."""
    if p == DEFAULT:
        return {q: "the book's numbers" for q in VARIED_CASES}
    a = answers(p)
    return {"q4_4": "under 1500 parameters" if a["q4_4_n_params"] < 1500
            else "1500 parameters or more",
            "q4_5": "more layers than units" if a["q4_5_depth"] > a["q4_5_width"]
            else "more units than layers",
            "q4_6": f"{a['q4_6_answer']} adds more"}
