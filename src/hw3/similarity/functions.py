"""Function by function, how unusual each pair's likeness is in its class.

Students who copy a function carry over its whole body: its common fragments too, in the same
combination. Students who write it alone converge on fragments, rarely on all of them at once.
So, for every function name the class writes (``sigmoid``, ``train``, ...), every pair's
*containment* (the share of the smaller body's fingerprints, common ones included, that the
other has) is measured against the same function's containment over all pairs of the class:
its surprise is ``-ln`` of the share of pairs at least as alike. A function that half the class
writes identically (a one-line ``relu``) surprises nobody; an identical ``train`` does.

A function less than ``MIN_CONTAINMENT`` alike adds nothing (half-alike functions are what
honest students write). The pair's evidence is the sum of its ``TOP`` most surprising
functions, set against the surprise the most alike honest pairs reach in a class of its size
(``even_odds``: more pairs, more coincidences). Counting is a matrix product per function
(NumPy), never a Python loop over pairs.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np

from hw3.similarity.reading import Doc

MIN_FINGERPRINTS = 3  # bodies smaller than this say nothing
MIN_CONTAINMENT = 0.8  # a function shared less than this is no sign of a copy
TOP = 4  # the pair's evidence: its TOP most surprising functions


def surprise_matrix(docs: Sequence[Doc]) -> np.ndarray:
    """n × n: the sum of each pair's TOP largest function surprises (symmetric, 0 diagonal)."""
    n = len(docs)
    by_name: dict[str, list[tuple[int, list[int]]]] = defaultdict(list)
    for i, d in enumerate(docs):
        per: dict[int, list[int]] = defaultdict(list)
        for h, p in d.fingerprints.items():
            per[p].append(h)
        for p, hs in per.items():
            name = d.places[p]
            if not name.startswith("code cell") and len(hs) >= MIN_FINGERPRINTS:
                by_name[name].append((i, hs))
    layers = []
    for rows in by_name.values():
        if len(rows) < 2:
            continue
        df = Counter(h for _, hs in rows for h in hs)
        vocab = {h: k for k, h in enumerate(h for h, c in df.items() if c >= 2)}
        x = np.zeros((len(rows), max(1, len(vocab))), dtype=np.float32)
        size = np.empty(len(rows), dtype=np.float32)
        for r, (_, hs) in enumerate(rows):
            size[r] = len(hs)
            for h in hs:
                k = vocab.get(h)
                if k is not None:
                    x[r, k] = 1.0
        inter = x @ x.T
        cont = inter / np.minimum.outer(size, size)
        iu = np.triu_indices(len(rows), 1)
        background = np.sort(cont[iu])
        # share of pairs at least as alike, for every pair
        tail = 1.0 - np.searchsorted(background, cont, side="left") / background.size
        s = -np.log(np.maximum(tail, 1.0 / background.size))
        s[cont < MIN_CONTAINMENT] = 0.0
        np.fill_diagonal(s, 0.0)
        full = np.zeros((n, n), dtype=np.float32)
        idx = np.array([i for i, _ in rows])
        full[np.ix_(idx, idx)] = s
        layers.append(full)
    if not layers:
        return np.zeros((n, n), dtype=np.float32)
    stack = np.stack(layers)
    k = min(TOP, stack.shape[0])
    top = -np.partition(-stack, k - 1, axis=0)[:k]
    return top.sum(axis=0)


# The surprise at which a pair is even odds, against the class's number of pairs P: the most
# surprising honest pair grows with ln P (more pairs, more coincidences). Calibrated on the
# synthetic classes of 100 to 1,000 students (docs/similarity.md).
EVEN_AT, EVEN_SLOPE, EVEN_SPREAD = 13.0, 0.54, 1.0


def even_odds(n: int) -> float:
    pairs = max(1.0, n * (n - 1) / 2)
    return EVEN_AT + EVEN_SLOPE * (math.log(pairs) - math.log(4950))


def function_evidence(total: float, n: int) -> float:
    """A pair's code evidence in (0, 1): 0.5 at the class's even-odds surprise."""
    z = (total - even_odds(n)) / EVEN_SPREAD
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))
