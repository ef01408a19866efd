"""The plain-data format that crosses from the student's side to the grader's.

Probes run next to the student's code and may only hand back plain data: numbers, strings,
lists, tuples, dicts, NumPy arrays and SymPy expressions rebuilt from a whitelist of node types.
``encode`` turns such data into JSON text; ``decode`` turns JSON text back into Python objects
and rejects anything else. The decoder never unpickles and never evaluates: a SymPy expression
is rebuilt node by node from names on the whitelist below, so nothing a student wrote can run in
the grader.

Decoding is bounded in time and memory before any work is done: the text's size and its count of
containers and items are checked before it is parsed, strings, integers and expressions are
capped, and SymPy nodes are rebuilt without evaluation (``evaluate=False``) after a cheap bound on
the size of their exact value (``MAX_BITS``): ``Pow(2, 10**398)`` is refused, never computed.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import sympy as sp

# The reference's largest probe data is about 190 kB with 10 000 numbers: these leave room.
MAX_TEXT = 16 * 2**20  # characters of JSON accepted from one probe run
MAX_DEPTH = 200  # nesting of containers and expression trees
MAX_ARRAY = 1_000_000  # elements in one array
MAX_CONTAINERS = 100_000  # `[` and `{` in one probe's text (counted before parsing)
MAX_ITEMS = 1_500_000  # `,` in one probe's text (counted before parsing)
MAX_NODES = 20_000  # SymPy nodes in one probe's data, all expressions together
MAX_STRING = 20_000  # characters in one string
MAX_DIGITS = 100  # decimal digits of one integer (Python or SymPy)
MAX_BITS = 2**20  # bound on the bits of an expression's exact value (see _size)
MAX_CHOICES = 64  # arguments of one Max, Min, And, Or or Piecewise
_SYMBOL_LOG2 = 7.0  # judges substitute values of magnitude below 2**7 for symbols
_SYMBOL_BITS = 11.0  # ... as rationals of at most 11 bits (numerator and denominator)

_DTYPES = {
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64",
}  # fmt: skip

# SymPy node types that may be rebuilt, by name. Symbols are rebuilt from their name only:
# answers are matched by name, whatever assumptions the student gave their own symbols.
_SYM_HEADS: dict[str, Any] = {
    "Add": sp.Add,
    "Mul": sp.Mul,
    "Pow": sp.Pow,
    "Max": sp.Max,
    "Min": sp.Min,
    "Abs": sp.Abs,
    "sign": sp.sign,
    "exp": sp.exp,
    "log": sp.log,
    "Heaviside": sp.Heaviside,
    "Piecewise": sp.Piecewise,
    "ExprCondPair": sp.functions.elementary.piecewise.ExprCondPair,
    "StrictGreaterThan": sp.StrictGreaterThan,
    "GreaterThan": sp.GreaterThan,
    "StrictLessThan": sp.StrictLessThan,
    "LessThan": sp.LessThan,
    "Equality": sp.Equality,
    "Unequality": sp.Unequality,
    "And": sp.And,
    "Or": sp.Or,
    "Not": sp.Not,
}
_SYM_ATOMS: dict[str, Any] = {
    "true": sp.true,
    "false": sp.false,
    "oo": sp.oo,
    "-oo": -sp.oo,
    "nan": sp.nan,
    "pi": sp.pi,
    "E": sp.E,
}


class WireError(ValueError):
    """Data from the student's side that is not of the plain-data format."""


# ----------------------------------------------------------------------------- encoding


def encode(obj: Any) -> str:
    """Encode plain data as JSON text; raises WireError for anything that is not plain data."""
    return json.dumps(_enc(obj, 0), allow_nan=False, separators=(",", ":"))


def _enc(obj: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise WireError("data nested too deeply")
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int) and type(obj) in (int, bool):
        if obj.bit_length() > _INT_BITS:
            raise WireError("an integer too large")
        return obj
    if type(obj) is float:
        return obj if math.isfinite(obj) else {"$float": repr(obj)}
    if isinstance(obj, np.ndarray):
        dtype = str(obj.dtype)
        if dtype not in _DTYPES:
            raise WireError(f"array of dtype {dtype} is not plain data")
        flat = [_enc(float(v), depth + 1) if obj.dtype.kind == "f" else v
                for v in obj.ravel().tolist()]
        return {"$nd": {"dtype": dtype, "shape": list(obj.shape), "data": flat}}
    if isinstance(obj, np.generic):
        dtype = str(obj.dtype)
        if dtype not in _DTYPES:
            raise WireError(f"NumPy scalar of dtype {dtype} is not plain data")
        value = obj.item()
        return {"$np": {"dtype": dtype, "value": _enc(value, depth + 1)}}
    if type(obj) is list:
        return [_enc(v, depth + 1) for v in obj]
    if type(obj) is tuple:
        return {"$tuple": [_enc(v, depth + 1) for v in obj]}
    if type(obj) is dict:
        if not all(type(k) is str for k in obj):
            raise WireError("dict keys must be strings")
        return {"$dict": {k: _enc(v, depth + 1) for k, v in obj.items()}}
    if isinstance(obj, sp.Basic):
        return {"$sym": _enc_sym(obj, [0])}
    raise WireError(f"{type(obj).__name__} is not plain data")


def _enc_sym(e: Any, count: list[int]) -> Any:
    count[0] += 1
    if count[0] > MAX_NODES:
        raise WireError("expression too large")
    if isinstance(e, sp.Symbol):
        return ["Symbol", str(e.name)]
    if isinstance(e, sp.Rational) and max(abs(int(e.p)), int(e.q)).bit_length() > _INT_BITS:
        raise WireError("an integer too large")
    if isinstance(e, sp.Integer):
        return ["Integer", str(int(e))]
    if isinstance(e, sp.Rational):
        return ["Rational", str(int(e.p)), str(int(e.q))]
    if isinstance(e, sp.Float):
        return ["Float", repr(float(e))]
    for name, atom in _SYM_ATOMS.items():
        if e == atom and not e.args:
            return ["Atom", name]
    head = type(e).__name__
    if head not in _SYM_HEADS or not isinstance(e, _SYM_HEADS[head]):
        raise WireError(f"SymPy node {head} is not supported")
    return [head, *[_enc_sym(a, count) for a in e.args]]


# ----------------------------------------------------------------------------- decoding


def decode(text: str | bytes) -> Any:
    """Decode JSON text from the student's side into plain Python data, strictly."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise WireError("not UTF-8 text") from e
    if not isinstance(text, str):
        raise WireError("not text")
    if len(text) > MAX_TEXT:
        raise WireError("data too large")
    # Counting is linear and allocates nothing: a flood of tiny containers is refused before
    # json.loads would build millions of objects.
    if text.count("[") + text.count("{") > MAX_CONTAINERS or text.count(",") > MAX_ITEMS:
        raise WireError("data too large (too many values)")
    try:
        raw = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as e:
        raise WireError(f"not valid JSON: {str(e)[:200]}") from e
    try:
        return _dec(raw, 0, [0])
    except (TypeError, ValueError, OverflowError, RecursionError) as e:
        if isinstance(e, WireError):
            raise
        raise WireError(f"bad data ({type(e).__name__})") from e


def _reject_constant(name: str) -> Any:
    raise WireError(f"bare {name} is not allowed")


def _dec(obj: Any, depth: int, nodes: list[int]) -> Any:
    if depth > MAX_DEPTH:
        raise WireError("data nested too deeply")
    if obj is None or isinstance(obj, (bool, float)):
        return obj
    if isinstance(obj, str):
        _need(len(obj) <= MAX_STRING, "a string too long")
        return obj
    if isinstance(obj, int):
        _need(obj.bit_length() <= _INT_BITS, "an integer too large")
        return obj
    if isinstance(obj, list):
        return [_dec(v, depth + 1, nodes) for v in obj]
    if not isinstance(obj, dict) or len(obj) != 1:
        raise WireError("unknown tagged value")
    (tag, val), = obj.items()
    if tag == "$float":
        if val not in ("nan", "inf", "-inf"):
            raise WireError("bad special float")
        return float(val)
    if tag == "$tuple":
        _need(isinstance(val, list), "bad tuple")
        return tuple(_dec(v, depth + 1, nodes) for v in val)
    if tag == "$dict":
        _need(isinstance(val, dict), "bad dict")
        _need(all(len(k) <= MAX_STRING for k in val), "a key too long")
        return {str(k): _dec(v, depth + 1, nodes) for k, v in val.items()}
    if tag == "$nd":
        return _dec_array(val)
    if tag == "$np":
        _need(isinstance(val, dict) and val.get("dtype") in _DTYPES, "bad NumPy scalar")
        value = _dec(val.get("value"), depth + 1, nodes)
        _need(isinstance(value, (bool, int, float)), "bad NumPy scalar")
        try:
            return np.dtype(val["dtype"]).type(value)
        except (OverflowError, ValueError, TypeError) as e:
            raise WireError("bad NumPy scalar") from e
    if tag == "$sym":
        expr, _, _ = _dec_sym(val, nodes, depth)
        return expr
    raise WireError(f"unknown tag {tag!r}")


def _need(ok: bool, why: str) -> None:
    if not ok:
        raise WireError(why)


def _dec_array(val: Any) -> np.ndarray:
    _need(isinstance(val, dict), "bad array")
    dtype, shape, data = val.get("dtype"), val.get("shape"), val.get("data")
    _need(dtype in _DTYPES, "bad array dtype")
    _need(isinstance(shape, list) and all(type(n) is int and 0 <= n for n in shape), "bad shape")
    _need(len(shape) <= 32, "too many dimensions")
    size = math.prod(shape)
    _need(size <= MAX_ARRAY, "array too large")
    _need(isinstance(data, list) and len(data) == size, "array data does not match its shape")
    flat = []
    for v in data:
        if isinstance(v, dict) and set(v) == {"$float"}:
            v = _dec(v, 0, [0])
        _need(isinstance(v, (bool, int, float)), "array entries must be numbers")
        flat.append(v)
    try:
        return np.array(flat, dtype=dtype).reshape(shape)
    except (OverflowError, ValueError, TypeError) as e:
        raise WireError(f"bad array: {e}") from e


_INT_BITS = int(MAX_DIGITS * math.log2(10)) + 1
_ATOM_SIZES = {"pi": 2.0, "E": 2.0}  # log2 of magnitude; the others (oo, nan, true...) are 1
# Arguments of each node (0: one or more); the relations and Pow take 2, Heaviside 1 or 2
# (its value at 0).
_ARITY = {"Add": 0, "Mul": 0, "Max": 0, "Min": 0, "And": 0, "Or": 0, "Piecewise": 0,
          "exp": 1, "log": 1, "Abs": 1, "sign": 1, "Heaviside": 0, "Not": 1}  # fmt: skip


def _int_text(text: Any) -> int:
    _need(isinstance(text, str) and 0 < len(text.lstrip("-")) <= MAX_DIGITS,
          "an integer too large")
    try:
        return int(text)
    except ValueError as e:
        raise WireError("bad integer") from e


def _dec_sym(node: Any, count: list[int], depth: int) -> tuple[Any, float, float]:
    """(expression, log2 bound of its magnitude, bound of its exact value's bits).

    The bounds hold when every symbol is replaced by a rational of magnitude below
    2**_SYMBOL_LOG2 and at most _SYMBOL_BITS bits, as the judges do: anything whose exact value
    could exceed MAX_BITS (a huge power, a tower of powers) is refused before it is built, and
    nothing is evaluated while building."""
    count[0] += 1
    _need(count[0] <= MAX_NODES, "expression too large")
    _need(depth <= MAX_DEPTH, "expression nested too deeply")
    _need(isinstance(node, list) and bool(node) and isinstance(node[0], str), "bad expression node")
    head, args = node[0], node[1:]
    if head == "Symbol":
        _need(len(args) == 1 and isinstance(args[0], str) and len(args[0]) <= 100
              and args[0].isidentifier(), "bad symbol")
        return sp.Symbol(args[0]), _SYMBOL_LOG2, _SYMBOL_BITS
    if head == "Integer":
        _need(len(args) == 1, "bad integer")
        n = _int_text(args[0])
        bits = float(max(n.bit_length(), 1))
        return sp.Integer(n), bits, bits + 1
    if head == "Rational":
        _need(len(args) == 2, "bad rational")
        p, q = _int_text(args[0]), _int_text(args[1])
        _need(q != 0, "bad rational")
        bits_p, bits_q = float(max(p.bit_length(), 1)), float(max(q.bit_length(), 1))
        return sp.Rational(p, q), bits_p, bits_p + bits_q
    if head == "Float":
        _need(len(args) == 1 and isinstance(args[0], str) and len(args[0]) < 40, "bad float")
        try:
            value = float(args[0])
        except ValueError as e:
            raise WireError("bad float") from e
        size = math.log2(abs(value) + 1) if math.isfinite(value) else 1.0
        return sp.Float(value), size, 64.0
    if head == "Atom":
        _need(len(args) == 1 and args[0] in _SYM_ATOMS, "bad atom")
        return _SYM_ATOMS[args[0]], _ATOM_SIZES.get(args[0], 1.0), 2.0
    _need(head in _SYM_HEADS, f"SymPy node {head} is not allowed")
    arity = _ARITY.get(head, 2)
    _need(len(args) == arity if arity else len(args) >= 1, f"bad {head}")
    # Max, Min, And, Or and Piecewise compare their arguments pairwise when evaluated.
    _need(head in ("Add", "Mul") or len(args) <= MAX_CHOICES, f"{head} of too many arguments")
    _need(head != "Heaviside" or len(args) <= 2, "bad Heaviside")
    built = [_dec_sym(a, count, depth + 1) for a in args]
    exprs = [b[0] for b in built]
    mag, bits = _size(head, built, args)
    _need(bits <= MAX_BITS, "a formula too large to check (a power with a huge exponent)")
    if head == "ExprCondPair":
        return tuple(exprs), mag, bits
    if head == "Piecewise":
        _need(all(isinstance(b, tuple) for b in exprs), "bad piecewise")
    else:
        _need(all(isinstance(e, sp.Basic) for e in exprs), f"bad {head}")
    try:
        return _SYM_HEADS[head](*exprs, evaluate=False), mag, bits
    except (TypeError, ValueError, AttributeError) as e:
        raise WireError(f"bad {head}: {str(e)[:200]}") from e


def _size(head: str, built: list[tuple[Any, float, float]], raw: list[Any]) -> tuple[float, float]:
    """Bounds (log2 magnitude, bits) of a node from its arguments' (see ``_dec_sym``); floats,
    inf beyond any cap."""
    mags, bits = [b[1] for b in built], [b[2] for b in built]
    if head == "Add":
        return max(mags) + math.log2(len(mags)), sum(bits) + 1
    if head == "Mul":
        return sum(mags), sum(bits)
    if head in ("Pow", "exp"):
        if head == "Pow":
            (base_mag, base_bits), (exp_mag, exp_bits) = (mags[0], bits[0]), (mags[1], bits[1])
            exponent = raw[1]
        else:
            # exp(n*log(m)) is m**n: the exponent's bits stand for the base's too
            base_mag, base_bits, exp_mag, exp_bits = 1.5, max(2.0, bits[0]), mags[0], bits[0]
            exponent = raw[0]
        # |exponent|: a number's own value; for a formula, 2**(its log2 bound), capped early
        # so that towers of powers cannot overflow the arithmetic here.
        kind = exponent[0] if isinstance(exponent, list) and exponent else None
        if kind in ("Integer", "Rational"):
            times = float(abs(int(exponent[1])))
        elif kind == "Float":
            times = abs(float(exponent[1]))
        else:
            times = 2.0 ** min(exp_mag, 1000.0)
        # A negative exponent turns a small fraction into a large number: use its bits.
        mag = max(base_mag, base_bits, 1.0) * times
        return mag, max(base_bits, 1.0) * times + exp_bits
    if head == "log":
        return math.log2(max(mags[0], bits[0], 1.0)) + 1.0, bits[0] + 1
    return max(mags), sum(bits)
