"""Which pairs of a class are alike, and how much: the code's fingerprints through an inverted
index, then the answers and the explanations of the pairs worth a look, one score per pair.

Never all pairs: each fingerprint's list of submissions is walked only when few share it. A
fingerprint's weight falls with the share of the class that has it (``weight``): a line most
students write alike (``return 1 / (1 + np.exp(-z))``) says nothing, while a group of a few
who copied one source still shares fingerprints of full weight.

The pair's code evidence is built function by function (``code_similarity``): the share of a
function's own distinctive code the other one has, each function adding at most ``PER_PLACE``,
so one function alike is never enough on its own; a pair sharing most of all its fingerprints
(common ones too) adds up to ``RAW_WEIGHT`` more.

The score combines the three kinds of evidence as independent signs (noisy-or):
``1 - (1 - code) (1 - answers) (1 - EXPLANATION_WEIGHT * explanations)``, in [0, 1].
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from hw3.similarity.answers import AnswerEvidence, Shared
from hw3.similarity.explanations import ExplanationIndex
from hw3.similarity.functions import even_odds, function_evidence, surprise_matrix
from hw3.similarity.reading import Doc

THRESHOLD = 0.5  # the default flag threshold (docs/similarity.md explains it)
SHOW = 0.2  # pairs below this score are neither written nor shown
PER_PLACE = 0.4  # the most one function (or cell) alike can say
PLACE_SHARE = 0.6  # sharing this share of a place's own weight is full evidence
PLACE_FLOOR = 8.0  # a place's own weight (fingerprints of full weight) that counts fully
SURPRISE_BELOW = 3.0  # pairs surprising less than even odds minus this: not read further
MIN_SHARED = 4.0  # pairs sharing less code weight than this are compared on the rest only
RAW_FROM, RAW_WEIGHT = 0.5, 0.5  # share of all fingerprints in common: counts from, at most
# A fragment has full weight in up to COMMON_FROM students, none from COMMON_TO of the class
# (and at least 10 students).
COMMON_FROM, COMMON_TO = 3, 0.05
EXPLANATION_FROM, EXPLANATION_TO = 0.5, 0.9  # explanation similarity mapped to 0..1
EXPLANATION_WEIGHT = 0.45  # explanations alone never reach the default threshold


def common_bounds(n: int) -> tuple[int, int]:
    """(lo, hi): a fingerprint in at most lo submissions has full weight, in more than hi none."""
    lo = COMMON_FROM
    hi = max(10, math.ceil(COMMON_TO * n))
    return lo, hi


def weight(df: int, lo: int, hi: int) -> float:
    if df <= lo:
        return 1.0
    if df >= hi:
        return 0.0
    return 1.0 - math.log(df / lo) / math.log(hi / lo)


@dataclass
class Pair:
    a: str
    b: str
    code: float = 0.0  # 0..1
    shared: int = 0  # fingerprints in common (weighted ones)
    places_a: list[str] = field(default_factory=list)  # where the shared code is, most first
    places_b: list[str] = field(default_factory=list)
    answers: list[Shared] = field(default_factory=list)
    answer_score: float = 0.0
    explanations: dict[str, float] = field(default_factory=dict)  # question -> similarity
    explanation_score: float = 0.0
    score: float = 0.0
    flagged: bool = False
    cluster: int = 0  # 1-based cluster of flagged pairs; 0: none
    variant_fit: list[str] = field(default_factory=list)  # right for the other's numbers

    def evidence(self) -> str:
        """What made the pair stand out, in a few words."""
        parts = []
        if self.code >= 0.05:
            where = ", ".join(self.places_a[:4]) + (" …" if len(self.places_a) > 4 else "")
            parts.append(f"code {self.code:.0%} alike ({self.shared} fragments"
                         + (f": {where}" if where else "") + ")")
        parts = self.variant_fit + parts + [s.words() for s in self.answers]
        for q, sim in sorted(self.explanations.items(), key=lambda kv: -kv[1]):
            if sim >= EXPLANATION_FROM:
                parts.append(f"explanation {q} {sim:.0%} alike")
        return "; ".join(parts) or "little in common"


def combine(code: float, answers: float, explanations: float) -> float:
    return 1 - (1 - code) * (1 - answers) * (1 - EXPLANATION_WEIGHT * explanations)


def code_pairs(docs: Sequence[Doc]) -> tuple[dict[tuple[int, int], float], Counter]:
    """Each pair's shared weight (through the inverted index; pairs that share nothing of
    weight are not there) and every fingerprint's document frequency."""
    n = len(docs)
    lo, hi = common_bounds(n)
    df: Counter = Counter()
    for d in docs:
        df.update(d.fingerprints.keys())
    posting: dict[int, list[int]] = defaultdict(list)
    for i, d in enumerate(docs):
        for h in d.fingerprints:
            if 2 <= df[h] < hi:
                posting[h].append(i)
    acc: dict[tuple[int, int], float] = defaultdict(float)
    for h, ids in posting.items():
        w = weight(df[h], lo, hi)
        for x, i in enumerate(ids):
            for j in ids[x + 1:]:
                acc[(i, j)] += w
    return acc, df


@dataclass
class Weights:
    """Fingerprint weights of a class, and each doc's own weight by place (function)."""

    df: Counter
    lo: int
    hi: int
    own: list[dict[int, float]]  # doc index -> place index -> weight

    @classmethod
    def of(cls, docs: Sequence[Doc], df: Counter) -> Weights:
        lo, hi = common_bounds(len(docs))
        own = []
        for d in docs:
            per: dict[int, float] = defaultdict(float)
            for h, p in d.fingerprints.items():
                per[p] += weight(df[h], lo, hi)
            own.append(dict(per))
        return cls(df, lo, hi, own)


def code_similarity(a: Doc, b: Doc, wa: dict[int, float], wb: dict[int, float],
                    w: Weights) -> tuple[float, int, list[str], list[str]]:
    """The pair's code evidence in [0, 1), its shared fingerprints, and where they are in each
    (places, most shared first).

    Place by place (a function, or a cell's loose code): the share of the place's own weight
    that the other has. A place counts fully from ``PLACE_FLOOR`` weight up (a few lines of
    code nobody else wrote alike); the places combine as independent signs, each at most
    ``PER_PLACE``, so one function alike is not enough on its own, and several are."""
    shared_a: dict[int, float] = defaultdict(float)
    shared_b: dict[int, float] = defaultdict(float)
    k = 0
    small, large = (a, b) if len(a.fingerprints) <= len(b.fingerprints) else (b, a)
    for h, p in small.fingerprints.items():
        q = large.fingerprints.get(h)
        if q is None or w.df[h] >= w.hi:
            continue
        x = weight(w.df[h], w.lo, w.hi)
        pa, pb = (p, q) if small is a else (q, p)
        shared_a[pa] += x
        shared_b[pb] += x
        k += 1

    def evidence(shared: dict[int, float], own: dict[int, float]) -> float:
        keep = 1.0
        for p, s in shared.items():
            keep *= 1 - PER_PLACE * min(1.0, s / (PLACE_SHARE * max(own.get(p, 0.0), PLACE_FLOOR)))
        return 1 - keep

    code = max(evidence(shared_a, wa), evidence(shared_b, wb))
    # How much of the smaller one's code (common fragments too) the other has: whole copies
    # share nearly all of it, students who converged on some functions much less.
    raw = len(small.fingerprints.keys() & large.fingerprints.keys()) / max(
        1, len(small.fingerprints))
    code = 1 - (1 - code) * (1 - RAW_WEIGHT * min(1.0, max(0.0, (raw - RAW_FROM)
                                                           / (1 - RAW_FROM))))
    places_a = [a.places[p] for p, _ in sorted(shared_a.items(), key=lambda kv: -kv[1])]
    places_b = [b.places[p] for p, _ in sorted(shared_b.items(), key=lambda kv: -kv[1])]
    return code, k, places_a, places_b


def compare(docs: Sequence[Doc], answers: AnswerEvidence, explanations: ExplanationIndex,
            threshold: float = THRESHOLD) -> list[Pair]:
    """Every pair worth showing (score at least ``SHOW``, or flagged), highest score first."""
    acc, df = code_pairs(docs)
    w = Weights.of(docs, df)
    index = {d.id: i for i, d in enumerate(docs)}
    surprise = surprise_matrix(docs)
    # Code candidates: pairs whose functions surprise enough (the rest score on code nothing
    # that could matter); answers and explanations add theirs below.
    near = np.triu(surprise >= even_odds(len(docs)) - SURPRISE_BELOW, 1)
    candidates = {(int(i), int(j)) for i, j in zip(*np.nonzero(near), strict=True)}
    for a, b in explanations.candidates():
        if a in index and b in index:
            i, j = sorted((index[a], index[b]))
            candidates.add((i, j))
    # Answers: pairs that share a rare value (few per value, through the counts).
    by_value: dict[tuple[str, str], list[int]] = defaultdict(list)
    for d_i, d in enumerate(docs):
        for f, (key, _) in answers.answers.get(d.id, {}).items():
            if answers.counts[f][key] <= 2:
                by_value[(f, key)].append(d_i)
    for ids in by_value.values():
        if len(ids) == 2:
            candidates.add((min(ids), max(ids)))

    pairs = []
    for i, j in candidates:
        a, b = docs[i], docs[j]
        _, k, places_a, places_b = code_similarity(a, b, w.own[i], w.own[j], w)
        code = function_evidence(float(surprise[i, j]), len(docs))
        shared = answers.shared(a.id, b.id)
        ans = AnswerEvidence.score(shared)
        sims = {}
        for q in explanations.questions():
            s = explanations.similarity(q, a.id, b.id)
            if s is not None:
                sims[q] = s
        best = max(sims.values(), default=0.0)
        expl = min(1.0, max(0.0, (best - EXPLANATION_FROM) / (EXPLANATION_TO - EXPLANATION_FROM)))
        score = combine(code, ans, expl)
        if score < SHOW and score < threshold:
            continue
        pairs.append(Pair(a.id, b.id, code, k, places_a, places_b, shared, ans, sims, expl,
                          score, score >= threshold))
    pairs.sort(key=lambda p: (-p.score, p.a, p.b))
    clusters(pairs)
    return pairs


def clusters(pairs: Sequence[Pair]) -> list[list[str]]:
    """Groups of students linked by flagged pairs (connected components), largest first;
    each flagged pair gets its cluster's number."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in pairs:
        if p.flagged:
            ra, rb = find(p.a), find(p.b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = defaultdict(list)
    for x in list(parent):
        groups[find(x)].append(x)
    ordered = sorted((sorted(g) for g in groups.values()), key=lambda g: (-len(g), g))
    number = {x: n for n, g in enumerate(ordered, 1) for x in g}
    for p in pairs:
        p.cluster = number[p.a] if p.flagged else 0
    return ordered
