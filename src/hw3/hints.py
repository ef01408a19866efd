"""Errors a student's code raised, turned into messages a beginner understands (after Data 8)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cases import Case

# (error type or None for any, pattern in the message, hint); the first match wins.
_HINTS: list[tuple[str | None, str, str]] = [
    ("Missing", "", "Run the cell that defines it (and the cells above it), then check again."),
    ("NotImplementedError", "", "This part is still the template's stub: replace it with your "
     "code."),
    ("TypeError", "NoneType", "Something was None where a value was needed: a function without "
     "`return` gives back None."),
    ("TypeError", "'ellipsis'", "A `...` placeholder is still in your code: replace it."),
    ("ValueError", r"matmul|not aligned|shapes .* not aligned|operands could not be broadcast",
     "The matrix shapes do not fit together: check the order of the product and which axis "
     "holds the samples (rows in 2.1, columns in 2.2)."),
    ("RuntimeError", r"mat1 and mat2 shapes|size mismatch", "A layer's input size does not match "
     "the previous layer's output size."),
    ("RuntimeError", r"element 0 of tensors does not require grad|backward through the graph",
     "The loss must come from the model's output in this step: compute it inside the batch loop."),
    ("NameError", "", "Your code uses a name that is not defined where it runs: define it inside "
     "your function, or use the function's arguments."),
    ("AttributeError", "", "Your code uses an attribute or method that does not exist on that "
     "object: check its type and spelling."),
    ("IndexError", "", "An index is out of range: check the shapes you assume."),
    ("RecursionError", "", "Your function calls itself without end."),
    ("ZeroDivisionError", "", "A division by zero happened."),
    ("FloatingPointError", "", "A numeric overflow or invalid operation happened: keep "
     "exponentials from overflowing."),
    ("Timeout", "", "It ran too long and was stopped: look for an endless loop or very slow "
     "code."),
    ("MemoryError", "", "It used too much memory."),
    ("NotPlainData", "", "It returned something that is not a number, array or formula."),
]


def hint_for(error_type: str, message: str) -> str:
    for kind, pattern, hint in _HINTS:
        if (kind is None or kind == error_type) and re.search(pattern, message or ""):
            return hint
    return ""


def explain_error(case: Case, error: dict[str, Any]) -> tuple[str, str]:
    """(message, hint) for an error raised while probing ``case``."""
    kind = str(error.get("type", "Error"))
    text = str(error.get("message", ""))
    if kind == "Missing":
        return f"{text}.", hint_for(kind, text)
    if kind == "Timeout":
        return "Your code ran too long while this was checked.", hint_for(kind, text)
    return f"Your code raised {kind}: {text}", hint_for(kind, text)
