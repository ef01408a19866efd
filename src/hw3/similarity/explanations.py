"""Explanations evidence: the hand-graded texts, compared for lightly paraphrased copies.

Each answer becomes its content words (lower case, stop words dropped, a crude stem: "layers"
and "layer" are one word). Two answers to the same question are alike by the mean of the cosine
of their content words, weighted by rarity in the class (the words everyone needs, "affine",
"linear", weigh little), and the share of runs of three content words they have in common. A
synonym here and a reordered sentence there leave most of both. Short answers converge (there
are few ways to say "a sum of affine maps is affine"): below ``LONG`` content words, likeness
counts in proportion.

Candidates come from an inverted index of word pairs shared by few students, never from all
pairs of the class.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Mapping

MIN_WORDS = 12  # an answer shorter than this (content words) says too little to compare
LONG = 30  # content words from which an answer's likeness counts fully
_WORD = re.compile(r"[a-z][a-z0-9]*")
STOP = frozenset("""a an the and or but if then than so of to in on at by for with from as is
are was were be been being it its this that these those there here which who whom what when
where why how we i you he she they them our your their not no do does did can could would
should will shall may might must have has had also just only very more most much many such
into out up down over under again each both all any some because while about""".split())


def stem(word: str) -> str:
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def words(text: str) -> list[str]:
    """The content words of ``text``, stemmed, in order."""
    text = re.sub(r"\$[^$]*\$", " ", text.lower())  # formulas: compared by the code's answers
    return [stem(w) for w in _WORD.findall(text) if w not in STOP]


def bigrams(ws: list[str]) -> set[tuple[str, str]]:
    return set(zip(ws, ws[1:]))


def trigrams(ws: list[str]) -> set[tuple[str, str, str]]:
    return set(zip(ws, ws[1:], ws[2:]))


class ExplanationIndex:
    """The class's explanations, question by question."""

    def __init__(self, texts: Mapping[str, Mapping[str, str]]) -> None:
        self.words: dict[str, dict[str, list[str]]] = defaultdict(dict)  # question -> id -> words
        for sid, per in texts.items():
            for q, text in per.items():
                ws = words(text)
                if len(ws) >= MIN_WORDS:
                    self.words[q][sid] = ws
        self.df: dict[str, Counter] = {}
        self.n: dict[str, int] = {}
        self.idf2: dict[str, dict[str, float]] = {}  # question -> word -> idf squared
        self.norm: dict[str, dict[str, float]] = defaultdict(dict)  # question -> id -> norm
        self.tri: dict[str, dict[str, set]] = defaultdict(dict)  # question -> id -> trigrams
        for q, per in self.words.items():
            self.df[q] = df = Counter(w for ws in per.values() for w in set(ws))
            self.n[q] = n = len(per)
            self.idf2[q] = {w: math.log((n + 1) / (k + 0.5)) ** 2 for w, k in df.items()}
            for sid, ws in per.items():
                self.norm[q][sid] = math.sqrt(sum(self.idf2[q][w] for w in set(ws)))
                self.tri[q][sid] = trigrams(ws)

    def candidates(self, cap_share: float = 0.01) -> set[tuple[str, str]]:
        """Pairs that share a run of three words few others use (an inverted index, per
        question)."""
        out: set[tuple[str, str]] = set()
        for per in self.tri.values():
            cap = max(3, math.ceil(cap_share * len(per)))
            posting: dict[tuple, list[str]] = defaultdict(list)
            for sid, tris in per.items():
                for t in tris:
                    posting[t].append(sid)
            for ids in posting.values():
                if 2 <= len(ids) <= cap:
                    for i, a in enumerate(ids):
                        for b in ids[i + 1:]:
                            out.add((a, b) if a < b else (b, a))
        return out

    def similarity(self, q: str, a: str, b: str) -> float | None:
        """How alike two answers to ``q`` are, in [0, 1]; None if either is too short."""
        per = self.words.get(q, {})
        if a not in per or b not in per:
            return None
        wa, wb = per[a], per[b]
        idf2 = self.idf2[q]
        dot = sum(idf2[w] for w in set(wa) & set(wb))
        norm = self.norm[q][a] * self.norm[q][b]
        cosine = dot / norm if norm else 0.0
        ta, tb = self.tri[q][a], self.tri[q][b]
        overlap = len(ta & tb) / max(1, min(len(ta), len(tb)))
        # short answers converge: full strength from LONG words on
        length = min(1.0, min(len(wa), len(wb)) / LONG)
        return max(0.0, min(1.0, (0.5 * cosine + 0.5 * overlap) * length))

    def questions(self) -> list[str]:
        return sorted(self.words)
