"""Judges for tests of hw3.grading.judging's budget (a stand-in for hw3.cases, loaded by name in the
judge process): one that never ends, one that allocates without bound, one that kills its
process, and right ones beside them."""

from __future__ import annotations

import os
from typing import Any

from hw3.cases.checking import Verdict


def _fine(text: str | None) -> Verdict:
    return Verdict(text == "right", "" if text == "right" else f"got {text!r}")


def _loops(text: str | None) -> Verdict:
    while True:
        pass


def _eats(text: str | None) -> Verdict:
    hoard = []
    while True:
        hoard.append(bytearray(2**26))


def _dies(text: str | None) -> Verdict:
    os._exit(9)


def _long_message(text: str | None) -> Verdict:
    return Verdict(False, "x" * 10_000_000, "y" * 10_000_000)


CASES: dict[str, Any] = {"before": _fine, "loops": _loops, "middle": _fine, "eats": _eats,
                         "dies": _dies, "long": _long_message, "after": _fine}


def load_expected() -> dict[str, Any]:
    return {}


def judge(case: Any, got_text: str | None, expected: Any) -> Verdict:
    return case(got_text)
