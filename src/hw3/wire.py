"""The plain-data format that crosses from the student's side to the grader's.

Probes run next to the student's code and may only hand back plain data: numbers, strings,
lists, tuples, dicts, NumPy arrays and SymPy expressions rebuilt from a whitelist of node types.
``encode`` turns such data into JSON text; ``decode`` turns JSON text back into Python objects
and rejects anything else. The decoder never unpickles and never evaluates: a SymPy expression
is rebuilt node by node from names on the whitelist below, so nothing a student wrote can run in
the grader.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import sympy as sp

MAX_TEXT = 64 * 1024 * 1024  # characters of JSON accepted from one probe run
MAX_DEPTH = 200  # nesting of containers and expression trees
MAX_ARRAY = 4_000_000  # elements in one array
MAX_NODES = 20_000  # nodes in one SymPy expression

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
    if len(text) > MAX_TEXT:
        raise WireError("data too large")
    try:
        raw = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as e:
        raise WireError(f"not valid JSON: {str(e)[:200]}") from e
    return _dec(raw, 0)


def _reject_constant(name: str) -> Any:
    raise WireError(f"bare {name} is not allowed")


def _dec(obj: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise WireError("data nested too deeply")
    if obj is None or isinstance(obj, (bool, str, int, float)):
        return obj
    if isinstance(obj, list):
        return [_dec(v, depth + 1) for v in obj]
    if not isinstance(obj, dict) or len(obj) != 1:
        raise WireError("unknown tagged value")
    (tag, val), = obj.items()
    if tag == "$float":
        if val not in ("nan", "inf", "-inf"):
            raise WireError("bad special float")
        return float(val)
    if tag == "$tuple":
        _need(isinstance(val, list), "bad tuple")
        return tuple(_dec(v, depth + 1) for v in val)
    if tag == "$dict":
        _need(isinstance(val, dict), "bad dict")
        return {str(k): _dec(v, depth + 1) for k, v in val.items()}
    if tag == "$nd":
        return _dec_array(val)
    if tag == "$np":
        _need(isinstance(val, dict) and val.get("dtype") in _DTYPES, "bad NumPy scalar")
        value = _dec(val.get("value"), depth + 1)
        _need(isinstance(value, (bool, int, float)), "bad NumPy scalar")
        return np.dtype(val["dtype"]).type(value)
    if tag == "$sym":
        return _dec_sym(val, [0], 0)
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
            v = _dec(v, 0)
        _need(isinstance(v, (bool, int, float)), "array entries must be numbers")
        flat.append(v)
    try:
        return np.array(flat, dtype=dtype).reshape(shape)
    except (OverflowError, ValueError) as e:
        raise WireError(f"bad array: {e}") from e


def _dec_sym(node: Any, count: list[int], depth: int) -> Any:
    count[0] += 1
    _need(count[0] <= MAX_NODES, "expression too large")
    _need(depth <= MAX_DEPTH, "expression nested too deeply")
    _need(isinstance(node, list) and node and isinstance(node[0], str), "bad expression node")
    head, args = node[0], node[1:]
    if head == "Symbol":
        _need(len(args) == 1 and isinstance(args[0], str) and args[0].isidentifier(),
              "bad symbol")
        return sp.Symbol(args[0])
    if head == "Integer":
        _need(len(args) == 1 and isinstance(args[0], str) and len(args[0]) < 400, "bad integer")
        return sp.Integer(int(args[0]))
    if head == "Rational":
        _need(len(args) == 2 and all(isinstance(a, str) and len(a) < 400 for a in args),
              "bad rational")
        return sp.Rational(int(args[0]), int(args[1]))
    if head == "Float":
        _need(len(args) == 1 and isinstance(args[0], str) and len(args[0]) < 40, "bad float")
        return sp.Float(float(args[0]))
    if head == "Atom":
        _need(len(args) == 1 and args[0] in _SYM_ATOMS, "bad atom")
        return _SYM_ATOMS[args[0]]
    _need(head in _SYM_HEADS, f"SymPy node {head} is not allowed")
    built = [_dec_sym(a, count, depth + 1) for a in args]
    if head == "ExprCondPair":
        _need(len(built) == 2, "bad piecewise pair")
        return tuple(built)
    if head == "Piecewise":
        _need(all(isinstance(b, tuple) for b in built), "bad piecewise")
    try:
        return _SYM_HEADS[head](*built)
    except (TypeError, ValueError) as e:
        raise WireError(f"bad {head}: {e}") from e
