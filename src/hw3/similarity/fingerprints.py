"""Winnowed k-gram fingerprints (Schleimer, Wilkerson and Aiken, SIGMOD 2003), as MOSS uses.

Each run of ``K`` normalised tokens is hashed; of every ``WINDOW`` consecutive hashes the
smallest is kept. Any match of at least ``K + WINDOW - 1`` tokens shares a fingerprint, and a
notebook of n tokens keeps about 2n/(WINDOW + 1) of them. k-grams never cross cells, so cells
and functions may be put in any order.

Hashes are stable across processes and runs (CRC-32 of each token, then a polynomial rolling
hash), so two machines give the same fingerprints.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from hw3.similarity.tokens import Token

K = 10  # tokens in a k-gram: about one short statement
WINDOW = 5  # matches of K + WINDOW - 1 = 14 tokens or more are always seen
_MASK = (1 << 61) - 1
_BASE = 1_000_003
_TOKEN_HASH: dict[str, int] = {}


def _token_hash(text: str) -> int:
    h = _TOKEN_HASH.get(text)
    if h is None:
        h = _TOKEN_HASH[text] = zlib.crc32(text.encode("utf-8", "replace")) + 1
    return h


def kgram_hashes(tokens: Sequence[Token], k: int = K) -> list[int]:
    """The hash of every k-gram, in order (none if there are fewer than ``k`` tokens)."""
    n = len(tokens)
    if n < k:
        return []
    codes = [_token_hash(t.text) for t in tokens]
    top = pow(_BASE, k - 1, _MASK)
    h = 0
    for c in codes[:k]:
        h = (h * _BASE + c) % _MASK
    out = [h]
    for i in range(k, n):
        h = ((h - codes[i - k] * top) * _BASE + codes[i]) % _MASK
        out.append(h)
    return out


@dataclass(frozen=True)
class Fingerprint:
    hash: int
    start: int  # index of the k-gram's first token


def winnow(hashes: Sequence[int], window: int = WINDOW) -> list[Fingerprint]:
    """The rightmost smallest hash of every window, each position once."""
    if not hashes:
        return []
    if len(hashes) <= window:
        i = min(range(len(hashes)), key=lambda j: (hashes[j], -j))
        return [Fingerprint(hashes[i], i)]
    out: list[Fingerprint] = []
    last = -1
    for s in range(len(hashes) - window + 1):
        best = s
        for j in range(s + 1, s + window):
            if hashes[j] <= hashes[best]:
                best = j
        if best != last:
            out.append(Fingerprint(hashes[best], best))
            last = best
    return out
