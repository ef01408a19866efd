"""Numbers, shares, dates and long messages as people read them in the pages."""

from __future__ import annotations

import math
from datetime import datetime, timezone

MESSAGE_CHARS = 400  # longer messages are cut in the instructor page (feedback shows all)


def disp(x: float | None, digits: int = 2) -> str:
    """A number for people: at most ``digits`` decimals, no trailing zeros, '—' if undefined."""
    if x is None or not math.isfinite(x):
        return "—"
    text = f"{x:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def plural(n: int, word: str, many: str | None = None) -> str:
    """A count and its noun, in the singular for one: "1 submission", "2 submissions"."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def pct(x: float | None) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{100 * x:.0f}%"


def clip(text: str, limit: int = MESSAGE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def when(stamp: str) -> str:
    """An ISO time stamp as "2026-11-26 10:00 UTC"; anything else as it is."""
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    return moment.strftime("%Y-%m-%d %H:%M")
