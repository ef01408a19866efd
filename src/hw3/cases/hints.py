"""Errors a student's code raised, turned into messages a beginner understands (after Data 8)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hw3.cases.case import Case

# (question or None for any, error type or None for any, pattern in the message, hint); the
# first match wins, so the hints for one question come before the general ones.
_HINTS: list[tuple[str | None, str | None, str, str]] = [
    (None, "Missing", "", "Run the cell that defines it (and the cells above it), then check "
     "again."),
    (None, "NotImplementedError", "", "This part is still the template's stub: replace it with "
     "your code."),
    ("q3_5", "TypeError", r"truth value of Relational|cannot determine truth value",
     "Python's max and `if` cannot compare a SymPy symbol with 0: use SymPy's own functions "
     "(sp.Max, sp.Piecewise) instead."),
    ("relu", "TypeError", r"does not support item assignment|not subscriptable",
     "Assigning into the argument (z[z < 0] = 0) fails for a number and changes the caller's "
     "array: return a new array, e.g. np.maximum(0, z)."),
    ("relu", "TypeError", r"cannot be interpreted as an integer|axis|only integer scalar",
     "np.max(0, z) reads z as an axis: np.max reduces an array to its largest entry, "
     "np.maximum(0, z) compares elementwise."),
    (None, "TypeError",
     r"not supported between instances of 'list'|unsupported operand[^\n]{0,200}list",
     "A Python list cannot be compared or multiplied like an array: convert the input first "
     "with np.asarray(z)."),
    (None, "ValueError", r"truth value of an array",
     "`if`, `max` and `and` need one True/False, but an array holds many: use NumPy's "
     "elementwise functions (np.maximum, np.where) instead."),
    (None, "TypeError", r"only (length-1|size-1|0-dimensional) arrays",
     "A function of the math module takes one number: use NumPy's version (np.exp), which "
     "works on whole arrays."),
    (None, "TypeError", "NoneType", "Something was None where a value was needed: a function "
     "without `return` gives back None."),
    (None, "TypeError", "'ellipsis'", "A `...` placeholder is still in your code: replace it."),
    (None, "ValueError", r"matmul|not aligned|operands could not be "
     "broadcast|dimension mismatch", "The matrix shapes do not fit together: check the order "
     "of the product and which axis holds the samples (rows in 2.2, columns in 2.3)."),
    (None, "RuntimeError", r"mat1 and mat2 shapes|size mismatch", "A layer's input size does "
     "not match the previous layer's output size."),
    (None, "RuntimeError", r"element 0 of tensors does not require grad|backward through the "
     "graph", "The loss must come from the model's output in this step: compute it inside the "
     "batch loop."),
    (None, "NameError", "", "Your code uses a name that is not defined where it runs: define it "
     "inside your function, or use the function's arguments."),
    (None, "AttributeError", r"'NoneType' object has no attribute 'reshape'",
     "b=None means zero biases: replace None by np.zeros(...) before using b."),
    (None, "AttributeError", "", "Your code uses an attribute or method that does not exist on "
     "that object: check its type and spelling."),
    (None, "IndexError", "", "An index is out of range: check the shapes you assume."),
    (None, "RecursionError", "", "Your function calls itself without end."),
    (None, "ZeroDivisionError", "", "A division by zero happened."),
    (None, "FloatingPointError", "", "A numeric overflow or invalid operation happened: keep "
     "exponentials from overflowing."),
    (None, "Timeout", "", "It ran too long and was stopped: look for an endless loop or very "
     "slow code."),
    (None, "MemoryError", "", "It used too much memory."),
    (None, "NotPlainData", "", "It returned something that is not a number, array or formula."),
]


# Errors come from the student's side: only this much of a message is ever matched or shown,
# and every pattern above is linear (no nested or unbounded `.*` between two literals).
MAX_MESSAGE = 2000
MAX_KIND = 100
MAX_ERROR_SHOWN = 500  # characters of an error's message in a student's feedback
_COMPILED = [(where, kind, re.compile(pattern), hint) for where, kind, pattern, hint in _HINTS]


def hint_for(error_type: str, message: str, question: str | None = None) -> str:
    message = str(message or "")[:MAX_MESSAGE]
    error_type = str(error_type)[:MAX_KIND]
    for where, kind, pattern, hint in _COMPILED:
        if (where is None or where == question) and (kind is None or kind == error_type) and \
                pattern.search(message):
            return hint
    return ""


def explain_error(case: Case, error: dict[str, Any]) -> tuple[str, str]:
    """(message, hint) for an error raised while probing ``case``."""
    kind = str(error.get("type", "Error"))[:MAX_KIND]
    text = str(error.get("message", ""))[:MAX_ERROR_SHOWN]
    hint = hint_for(kind, text, case.question)
    if kind == "Missing":
        return f"{text}.", hint
    if kind == "Timeout":
        return "Your code ran too long while this was checked.", hint
    return f"Your code raised {kind}: {text}", hint
