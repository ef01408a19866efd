"""Checking helpers shared by every judge: verdicts, numeric and symbolic comparison.

Judges run on plain data (see ``hw3.cases.wire``): NumPy arrays, numbers, strings and SymPy
expressions whose symbols carry no assumptions. Everything here is pure and trusted.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Protocol

import numpy as np
import sympy as sp


@dataclass(frozen=True)
class Verdict:
    """The outcome of one case. ``message`` may show values; ``hint`` names a likely mistake.

    For hidden cases only the case's description and the hint reach the student."""

    ok: bool
    message: str = ""
    hint: str = ""

    @classmethod
    def passed(cls) -> Verdict:
        return cls(True)

    @classmethod
    def fail(cls, message: str, hint: str = "") -> Verdict:
        return cls(False, message, hint)


PASS = Verdict.passed()


class SlipModels(Protocol):
    """What a known slip gives, recomputed so a hint can name it: the grader's models
    (``hw3.grading.slips``, which this package never imports) carried by the grader's registry
    (``hw3.grading.registry.grader``). Without them (a student's kernel, the sandbox) the judges
    give the same verdicts with generic hints."""

    def feedforward(self, x: np.ndarray, ws: Sequence[np.ndarray],
                    hidden: Callable[[np.ndarray], np.ndarray] | str,
                    output: Callable[[np.ndarray], np.ndarray] | None = ...,
                    from_z: bool = ...) -> list[list[np.ndarray]]: ...

    def predict(self, x: np.ndarray, ws: Sequence[np.ndarray]) -> dict[str, np.ndarray]: ...

    def bias_trick(self, w: np.ndarray, a: np.ndarray, b: np.ndarray,
                   f: Callable[[np.ndarray], np.ndarray]) -> dict[str, np.ndarray]: ...

    def without_f(self, w: np.ndarray, a: np.ndarray) -> np.ndarray: ...

    def training(self, variant: str, run: str) -> tuple[np.ndarray, list[np.ndarray]]: ...


# The slip models of the registry judging now (``hw3.cases.registry.Registry.judge``).
_SLIPS: contextvars.ContextVar[SlipModels | None] = contextvars.ContextVar("slips", default=None)


@contextlib.contextmanager
def slips_in_use(slips: SlipModels | None) -> Iterator[None]:
    """Let the judges called inside name the slips ``slips`` models (None: generic hints)."""
    token = _SLIPS.set(slips)
    try:
        yield
    finally:
        _SLIPS.reset(token)


def slip_models() -> SlipModels | None:
    """The slip models of the registry judging now, or None: then hints stay generic."""
    return _SLIPS.get()


class Reject(Exception):
    """Raised inside a judge to fail the case with a message (and optional hint)."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message, self.hint = message, hint


def verdict_of(fn: Any) -> Any:
    """Decorator for judges written with ``require``/``Reject``: returns PASS unless rejected."""

    def wrapped(got: Any, expected: Any) -> Verdict:
        try:
            result = fn(got, expected)
        except Reject as r:
            return Verdict.fail(r.message, r.hint)
        return PASS if result is None else result

    wrapped.__name__ = fn.__name__
    wrapped.__doc__ = fn.__doc__
    return wrapped


def require(ok: Any, message: str, hint: str = "") -> None:
    if not ok:
        raise Reject(message, hint)


# ----------------------------------------------------------------------------- numbers


def fmt(a: Any, limit: int = 6) -> str:
    """A short, readable rendering of a value for a student message."""
    if isinstance(a, np.ndarray):
        if a.size > limit * limit:
            return f"array of shape {a.shape}"
        return np.array2string(a, precision=4, suppress_small=True, separator=", ")
    if isinstance(a, (float, np.floating)):
        return f"{float(a):.6g}"
    if isinstance(a, np.integer):
        return str(int(a))
    text = repr(a)
    return text if len(text) < 200 else text[:200] + "..."


def type_name(a: Any) -> str:
    if a is None:
        return "None"
    if isinstance(a, np.ndarray):
        return f"a NumPy array of shape {a.shape}"
    return f"a {type(a).__name__}"


def is_number(a: Any) -> bool:
    return isinstance(a, (int, float, np.integer, np.floating)) and not isinstance(a, bool)


def require_array(got: Any, what: str, shape: tuple[int, ...] | None = None,
                  hint: str = "") -> np.ndarray:
    """``got`` must be a numeric NumPy array (of ``shape`` when given; ``hint`` for a wrong
    shape, else a generic one)."""
    require(got is not None, f"{what} is None: did you forget a `return`?",
            "a function that ends without `return` gives back None")
    require(isinstance(got, np.ndarray), f"{what} should be a NumPy array, got {type_name(got)}.")
    require(got.dtype.kind in "biuf", f"{what} should hold numbers, got dtype {got.dtype}.")
    if shape is not None:
        require(got.shape == tuple(shape),
                f"{what} should have shape {tuple(shape)}, got shape {got.shape}.",
                hint or _shape_hint(got.shape, tuple(shape)))
    return got


def _shape_hint(got: tuple[int, ...], want: tuple[int, ...]) -> str:
    if len(got) == 2 and got == want[::-1]:
        return "the shape is transposed: check the order of the matrix product and which axis " \
               "holds the samples"
    return ""


def require_close(got: Any, expected: Any, what: str, rtol: float = 1e-6, atol: float = 1e-8,
                  hint: str | Callable[[], str] = "") -> None:
    """``got`` must match ``expected`` in shape and values, within tolerances.

    ``hint`` may be a function, called only when the check fails: naming a slip can cost a
    recomputation (a training loop's), which a right answer should not pay."""
    if not callable(hint):
        _require_close(got, expected, what, rtol, atol, hint)
        return
    try:
        _require_close(got, expected, what, rtol, atol, "")
    except Reject as r:
        raise Reject(r.message, hint() or r.hint) from None


def _require_close(got: Any, expected: Any, what: str, rtol: float, atol: float,
                   hint: str) -> None:
    exp = np.asarray(expected, dtype=float)
    if isinstance(got, np.ndarray) or exp.ndim:
        arr = require_array(got, what, exp.shape, hint)
    else:
        require(is_number(got) or (isinstance(got, np.ndarray) and got.ndim == 0),
                f"{what} should be a number, got {type_name(got)}.")
        arr = np.asarray(got, dtype=float)
    arr = arr.astype(float)
    require(not np.isnan(arr).any() or np.isnan(exp).any(),
            f"{what} contains NaN (not a number).",
            hint or "NaN often comes from inf/inf or inf-inf: keep exponentials from overflowing")
    if not np.allclose(arr, exp, rtol=rtol, atol=atol, equal_nan=True):
        bad = np.argwhere(~np.isclose(arr, exp, rtol=rtol, atol=atol, equal_nan=True))
        where = tuple(int(i) for i in bad[0]) if arr.ndim else ()
        got_v = arr[where] if arr.ndim else arr
        exp_v = exp[where] if exp.ndim else exp
        at = f" at index {where}" if arr.ndim else ""
        raise Reject(f"{what} is wrong{at}: expected {fmt(float(exp_v))}, got {fmt(float(got_v))}"
                     f" ({len(bad)} of {max(arr.size, 1)} values differ).", hint)


def as_int(a: Any) -> int | None:
    """An integer answer in any form the contract allows (Python, NumPy or SymPy integer, or an
    integral float); None if it is not one."""
    if isinstance(a, bool):
        return None
    if isinstance(a, (int, np.integer)):
        return int(a)
    if isinstance(a, (float, np.floating)) and math.isfinite(a) and float(a).is_integer():
        return int(a)
    if isinstance(a, sp.Basic) and a.is_Integer:
        return int(a)
    return None


def as_fraction(a: Any) -> Fraction | None:
    """An exact rational for a real number in any plain form; None if it is not one."""
    if isinstance(a, bool):
        return None
    if isinstance(a, (int, np.integer)):
        return Fraction(int(a))
    if isinstance(a, (float, np.floating)) and math.isfinite(a):
        return Fraction(float(a))
    if isinstance(a, sp.Basic) and a.is_Rational:
        return Fraction(int(a.p), int(a.q))
    if isinstance(a, sp.Basic) and a.is_Float:
        return Fraction(float(a))
    return None


def require_int(a: Any, what: str) -> int:
    value = as_int(a)
    require(value is not None, f"{what} should be a whole number, got {type_name(a)} {fmt(a)}.")
    return value  # type: ignore[return-value]


# ----------------------------------------------------------------------------- symbols

_REAL = dict(real=True)
# The template's symbols, by name, with the assumptions the contract gives them. A student's
# answer is rebuilt with these: symbols are matched by name, whatever assumptions they used.
CANONICAL: dict[str, sp.Symbol] = {
    **{n: sp.Symbol(n, **_REAL) for n in ("x", "z", "psi0", "psi1")},
    "alpha": sp.Symbol("alpha", positive=True),
    **{f"phi{i}": sp.Symbol(f"phi{i}", **_REAL) for i in range(4)},
    **{f"theta{d}{j}": sp.Symbol(f"theta{d}{j}", **_REAL) for d in (1, 2, 3) for j in (0, 1)},
    **{n: sp.Symbol(n, positive=True, integer=True) for n in ("D", "K", "D_i", "D_o")},
}


def canonical(expr: Any) -> sp.Expr:
    """Replace every symbol by the template's symbol of the same name (a plain one if unknown)."""
    if isinstance(expr, bool) or not isinstance(expr, (sp.Basic, int, float, Fraction)):
        # Never sympify anything else: sympify evaluates strings (with eval).
        raise TypeError(f"not a formula: {type(expr).__name__}")
    expr = expr if isinstance(expr, sp.Basic) else sp.nsimplify(expr)
    mapping = {s: CANONICAL.get(s.name, sp.Symbol(s.name)) for s in expr.free_symbols}
    return expr.xreplace(mapping)


def unknown_symbols(expr: sp.Basic, allowed: set[str]) -> list[str]:
    return sorted(s.name for s in expr.free_symbols if s.name not in allowed)


def sym_equal(a: sp.Basic, b: sp.Basic, trials: int = 6) -> bool:
    """Whether two expressions are equal for all values of their symbols.

    Random rational substitutions reject quickly; equality is then proved by simplification.
    The substitutions are evaluated numerically at a fixed precision (``evalf(subs=...)``),
    never exactly: a student's ``D**(10**9)`` costs a few squarings, not a huge integer."""
    a, b = canonical(a), canonical(b)
    symbols = sorted(a.free_symbols | b.free_symbols, key=lambda s: s.name)
    rng = random.Random(1234)
    for _ in range(trials):
        values = {s: _sample(s, rng) for s in symbols}
        va, vb = _numeric(a, values), _numeric(b, values)
        if va is None or vb is None or min(abs(va), abs(vb)) > 1e50:
            continue  # not a finite number here (a Piecewise left open, a pole): no verdict
        if abs(va - vb) > 1e-9 * max(1.0, abs(va), abs(vb)):
            return False
    diff = sp.simplify(sp.expand(a - b))
    return bool(diff == 0) or bool(sp.simplify(diff).equals(0))


def _numeric(expr: sp.Basic, values: dict[sp.Symbol, sp.Rational]) -> complex | None:
    """``expr`` at ``values``, as a complex number at bounded precision; None if it is not a
    finite number there."""
    try:
        value = expr.evalf(30, subs=values, maxn=60)
        number = complex(value)
    except (TypeError, ValueError, ArithmeticError, AttributeError, RecursionError):
        return None
    if not (math.isfinite(number.real) and math.isfinite(number.imag)):
        return None
    return number


def _sample(s: sp.Symbol, rng: random.Random) -> sp.Rational:
    if s.is_integer:
        return sp.Integer(rng.randint(1, 12))
    value = sp.Rational(rng.randint(1, 97), rng.randint(1, 13))
    return value if s.is_positive or rng.random() < 0.5 else -value


# ----------------------------------------------------------------------------- answers


def answer_expr(ans: dict[str, Any], what: str) -> sp.Basic:
    """Judge-side: the SymPy expression of a described answer, or a Reject saying what is off."""
    kind = ans.get("kind")
    require(kind != "missing", f"{what} is not answered yet (it is still `...` or None).")
    if kind == "str":
        require("expr" in ans, f"{what} = {ans['value']!r} could not be read as a formula "
                f"({ans.get('parse_error', '')}).", "write it as Python/SymPy, e.g. 'phi0 + "
                "phi1*x', using * for products and ** for powers")
        return ans["expr"]
    if kind == "number":
        return sp.nsimplify(ans["value"])
    require(kind == "expr", f"{what} should be a SymPy expression or a string, got a {kind}.")
    return ans["expr"]


def answer_value(ans: dict[str, Any]) -> Any:
    """Judge-side: the plain value of a described answer (numbers, strings, sequences)."""
    kind = ans.get("kind")
    if kind in ("number", "bool"):
        return ans["value"]
    if kind == "str":
        return ans["value"]
    if kind == "expr":
        return ans["expr"]
    if kind == "seq":
        return [answer_value(i) for i in ans["items"]]
    if kind == "dict":
        return {k: answer_value(v) for k, v in ans["items"].items()}
    return None
