"""Answers evidence: the same *wrong* theory answer, or the same unusual value, in two
submissions. The same right answer is no evidence at all: everyone who is right agrees.

Answers are read from the code, never run: the last top-level assignment to each answer field.
A value is compared by what it is, not how it is written:
- literals (numbers, strings, lists, dicts) as their value (``(20, 5)`` is ``[20, 5]``, ``4.0``
  is ``4``, strings in lower case);
- formulas (written in the template's symbols, or as strings) by their value at two fixed
  points, through a small evaluator of arithmetic (no code is run);
- anything else by its normalised source text (``sum(...)`` written the same way).

Right or wrong comes from the grading results' per-case outcomes when they are at hand
(``hw3 grade --out``, ``hw3 report``), else from the reference answers in the trusted package.
A value shared by many students is a common slip, not a sign of copying: the weight of a
shared value falls with how many share it (``rarity``). Fields with many right answers (a
counterexample, parameters with two regions) count when the shared value is rare, right or not.

With ``results``, the same unusual failure in a function (the same failed cases with the same
messages) counts too, more weakly.
"""

from __future__ import annotations

import ast
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# field -> (the case that judges it, the key of its answer in the expected data, open: many
# right answers)
FIELDS: dict[str, tuple[str, str, bool]] = {
    "q3_1_y_linear": ("q3_1.y_linear", "q3_1_y_linear", False),
    "q3_1_y_identity": ("q3_1.y_identity", "q3_1_y_identity", False),
    "q3_1_mapping": ("q3_1.mapping", "q3_1_mapping", False),
    "q3_5_counterexample": ("q3_5.counterexample", "counterexample", True),
    "q3_10_max_regions": ("q3_10.counts", "q3_10_max_regions", False),
    "q3_10_min_regions": ("q3_10.counts", "q3_10_min_regions", False),
    "q3_10_two_region_params": ("q3_10.two_regions", "q3_10_two_region_params", True),
    "q4_4_weight_shapes": ("q4_4.weight_shapes", "q4_4_weight_shapes", False),
    "q4_4_bias_sizes": ("q4_4.bias_sizes", "q4_4_bias_sizes", False),
    "q4_4_n_params": ("q4_4.n_params", "q4_4_n_params", False),
    "q4_5_depth": ("q4_5.depth", "q4_5_depth", False),
    "q4_5_width": ("q4_5.width", "q4_5_width", False),
    "q4_6_n_weights": ("q4_6.n_weights", "q4_6_n_weights", False),
    "q4_6_extra_weights_depth": ("q4_6.extra_depth", "q4_6_extra_weights_depth", False),
    "q4_6_extra_weights_width": ("q4_6.extra_width", "q4_6_extra_weights_width", False),
    "q4_6_answer": ("q4_6.answer", "q4_6_answer", False),
}
# Where two formulas are compared: fixed, unremarkable points (never 0 or 1, so slips show).
_POINTS = [
    {"x": 0.37, "z": -1.3, "alpha": 2.1, "psi0": 0.61, "psi1": -1.7, "D": 7.0, "K": 3.0,
     "D_i": 5.0, "D_o": 2.0, **{f"phi{i}": 0.3 + 0.41 * i for i in range(4)},
     **{f"theta{i}{j}": -0.9 + 0.53 * i - 0.29 * j for i in (1, 2, 3) for j in (0, 1)}},
    {"x": -2.2, "z": 0.8, "alpha": 0.45, "psi0": -0.3, "psi1": 1.9, "D": 11.0, "K": 4.0,
     "D_i": 3.0, "D_o": 6.0, **{f"phi{i}": -0.7 + 0.37 * i for i in range(4)},
     **{f"theta{i}{j}": 1.1 - 0.31 * i + 0.47 * j for i in (1, 2, 3) for j in (0, 1)}},
]
MAX_NODES = 400  # a formula larger than this is compared by its text
WRONG, UNUSUAL_RIGHT, UNKNOWN = 1.0, 0.6, 0.5  # strength of a rare shared value, by status
FIELD_WEIGHT = 0.45  # one rare shared wrong answer; two make about 0.7
OUTCOME_WEIGHT = 0.3  # the same unusual failure of a function's cases


class _NotArithmetic(Exception):
    pass


def _num(node: ast.AST, env: Mapping[str, float], budget: list[int]) -> float:
    budget[0] -= 1
    if budget[0] < 0:
        raise _NotArithmetic
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.Name) and node.id in env:
        return env[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _num(node.operand, env, budget)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        a, b = _num(node.left, env, budget), _num(node.right, env, budget)
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Sub):
            return a - b
        if isinstance(node.op, ast.Mult):
            return a * b
        if isinstance(node.op, ast.Div) and b != 0:
            return a / b
        if isinstance(node.op, ast.Pow) and abs(b) <= 12 and (a > 0 or float(b).is_integer()):
            return a ** b
        raise _NotArithmetic
    if isinstance(node, ast.Call) and not node.keywords:
        name = node.func.attr if isinstance(node.func, ast.Attribute) else \
            getattr(node.func, "id", "")
        args = [_num(a, env, budget) for a in node.args]
        if name in ("Max", "max") and args:
            return max(args)
        if name in ("Min", "min") and args:
            return min(args)
        if name in ("Integer", "Float", "Rational", "S", "sympify", "nsimplify", "int",
                    "float") and len(args) in (1, 2):
            return args[0] / args[1] if len(args) == 2 else args[0]
    raise _NotArithmetic


def _formula_key(node: ast.AST) -> str | None:
    try:
        values = [_num(node, env, [MAX_NODES]) for env in _POINTS]
    except (_NotArithmetic, OverflowError, ZeroDivisionError, ValueError, TypeError,
            RecursionError):
        return None
    if not all(math.isfinite(v) for v in values):
        return None
    return "≈" + ",".join(f"{v:.8g}" for v in values)


def _plain(value: Any) -> Any:
    """A literal's value in a form that compares as a person would: tuples as lists, 4.0 as 4."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            return int(value)
        return round(value, 9) if isinstance(value, float) else value
    if isinstance(value, str):
        return " ".join(value.lower().split())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    return repr(value)


def value_key(node: ast.AST) -> str | None:
    """What an answer's right-hand side is, as a comparable key; None: not answered."""
    if isinstance(node, ast.Constant) and (node.value is Ellipsis or node.value is None):
        return None
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        value = None
    else:
        if isinstance(value, str):
            try:
                parsed = ast.parse(value.strip(), mode="eval").body
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                parsed = None
            key = _formula_key(parsed) if parsed is not None and not isinstance(
                parsed, ast.Constant) else None
            if key:
                return key
        return repr(_plain(value))
    key = _formula_key(node)
    if key:
        return key
    try:
        return "src:" + " ".join(ast.unparse(node).split())[:500]
    except (ValueError, RecursionError):
        return None


def answers_of(cells: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Each answered field's ``(key, the answer as written)``, from the last assignment."""
    found: dict[str, tuple[str, str]] = {}
    for cell in cells:
        if not any(f in cell for f in FIELDS):
            continue
        try:
            tree = ast.parse(cell)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                    and isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id in FIELDS:
                key = value_key(stmt.value)
                if key is None:
                    found.pop(stmt.targets[0].id, None)
                else:
                    text = ast.get_source_segment(cell, stmt.value) or ""
                    found[stmt.targets[0].id] = (key, " ".join(text.split())[:200])
    return found


def _expected_key(value: Any) -> str | None:
    """The reference answer's key, from the expected data's decoded answer."""
    from hw3.cases.checking import answer_value

    if not isinstance(value, dict):
        return None
    kind = value.get("kind")
    if kind == "expr":
        expr = value["expr"]
        try:
            values = [float(expr.subs({s: env.get(s.name, 0.5) for s in expr.free_symbols}))
                      for env in _POINTS]
        except (TypeError, ValueError, AttributeError):
            return None
        return "≈" + ",".join(f"{v:.8g}" for v in values)
    return repr(_plain(answer_value(value)))


def reference_keys() -> dict[str, str]:
    """The key of every closed field's reference answer (default variant)."""
    from hw3.grading.registry import load_expected

    expected = load_expected()
    out = {}
    for name, (case, key, is_open) in FIELDS.items():
        data = expected.get(case)
        if not is_open and isinstance(data, dict) and key in data:
            k = _expected_key(data[key])
            if k is not None:
                out[name] = k
    return out


@dataclass(frozen=True)
class Shared:
    """One shared answer of a pair, and how much it says."""

    field: str
    written: str  # as the first of the two wrote it
    status: str  # "wrong", "unusual", "unknown", "failure"
    count: int  # submissions in the class with this value
    strength: float

    def words(self) -> str:
        what = {"wrong": "same wrong", "unusual": "same unusual", "unknown": "same unusual",
                "failure": "same failure of"}[self.status]
        return f"{what} {self.field}" + (f" ({self.written[:40]})" if self.written else "") \
            + (f", {self.count} in class" if self.count > 2 else "")


def rarity(count: int, n: int) -> float:
    """How much sharing a value says, from how many in a class of ``n`` have it."""
    cap = max(3, math.ceil(0.05 * n))
    if count <= 2:
        return 1.0
    return 0.0 if count > cap else 2.0 / count


class AnswerEvidence:
    """Answers of the whole class, and what each pair shares."""

    def __init__(self, answers: dict[str, dict[str, tuple[str, str]]],
                 reference: Mapping[str, str],
                 outcomes: Mapping[str, Mapping[str, bool]] | None = None,
                 failures: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self.answers = answers  # id -> field -> (key, written)
        self.reference = reference
        self.outcomes = outcomes or {}  # id -> case id -> passed
        self.failures = failures or {}  # id -> question -> signature of failed cases
        self.n = len(answers)
        self.counts: dict[str, Counter] = {f: Counter() for f in FIELDS}
        for per in answers.values():
            for f, (key, _) in per.items():
                self.counts[f][key] += 1
        self.failure_counts: dict[str, Counter] = {}
        for per in self.failures.values():
            for q, sig in per.items():
                self.failure_counts.setdefault(q, Counter())[sig] += 1

    def status(self, sub: str, field: str, key: str) -> str:
        case, _, is_open = FIELDS[field]
        if self.reference.get(field) == key:
            return "right"
        passed = self.outcomes.get(sub, {}).get(case)
        if passed is True and (is_open or case != "q3_10.counts"):
            return "unusual" if is_open else "right"
        if passed is False:
            return "wrong"
        if is_open:
            return "unusual"
        return "unknown" if key.startswith("src:") else "wrong"

    def shared(self, a: str, b: str) -> list[Shared]:
        out = []
        mine, theirs = self.answers.get(a, {}), self.answers.get(b, {})
        for f, (key, written) in mine.items():
            if f not in theirs or theirs[f][0] != key:
                continue
            st_a, st_b = self.status(a, f, key), self.status(b, f, key)
            if "right" in (st_a, st_b):
                continue
            status = "wrong" if "wrong" in (st_a, st_b) else st_a
            base = {"wrong": WRONG, "unusual": UNUSUAL_RIGHT, "unknown": UNKNOWN}[status]
            count = self.counts[f][key]
            s = base * rarity(count, self.n)
            if s > 0:
                out.append(Shared(f, written, status, count, s))
        fa, fb = self.failures.get(a, {}), self.failures.get(b, {})
        for q, sig in fa.items():
            if sig and fb.get(q) == sig:
                count = self.failure_counts[q][sig]
                s = rarity(count, self.n)
                if s > 0:
                    out.append(Shared(q, "", "failure", count, s))
        return out

    @staticmethod
    def score(shared: Sequence[Shared]) -> float:
        """In [0, 1): each shared answer adds to it, noisy-or."""
        keep = 1.0
        for s in shared:
            keep *= 1 - (OUTCOME_WEIGHT if s.status == "failure" else FIELD_WEIGHT) * s.strength
        return 1 - keep


def outcomes_of(results: Mapping[str, Any] | None) -> tuple[dict, dict]:
    """Per submission id: each case's outcome, and each question's failure signature (the
    failed cases and their messages), from grading results."""
    outcomes: dict[str, dict[str, bool]] = {}
    failures: dict[str, dict[str, str]] = {}
    if not results:
        return outcomes, failures
    from hw3.grading.results import CaseResult

    for s in results.get("submissions", []):
        if not isinstance(s, dict) or s.get("status") != "graded":
            continue
        sid = str(s.get("id") or "")
        per, sigs = {}, {}
        for c in s.get("cases", []) if isinstance(s.get("cases"), list) else []:
            if not isinstance(c, dict):
                continue
            case = CaseResult.from_json(c)
            per[case.id] = case.ok
            if not case.ok and not case.id.startswith("q"):
                sigs.setdefault(case.question, []).append(f"{case.id}: {case.message[:200]}")
        outcomes[sid] = per
        failures[sid] = {q: " | ".join(sorted(v)) for q, v in sigs.items()}
    return outcomes, failures
