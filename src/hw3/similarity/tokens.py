"""A cell's code as normalised tokens (Python's ``tokenize``), robust to renaming and reformatting.

What a copier changes without changing the program disappears here:
- comments, blank lines, line breaks inside brackets and indentation widths (``tokenize`` keeps
  only logical lines), trailing commas, and docstrings (a string that is a statement alone);
- the names a student chooses: every identifier becomes ``V``, except keywords, the names after
  a dot (``np.exp``, ``.backward``) and the well-known modules and builtins (``np``, ``range``),
  which say what the code does rather than what its author likes to call things;
- literals: every number becomes ``N`` and every string ``S``;
- augmented assignments to a name: ``total += x`` reads as ``total = total + x``.

Each token keeps the line it starts on, so a match can be shown where it is. IPython's magics and
shell lines are blanked first; a cell Python cannot tokenize keeps the tokens read before the
error (a student's half-finished cell still counts for what it has).
"""

from __future__ import annotations

import io
import keyword
import re
import tokenize
from typing import NamedTuple

MAX_CELL_CHARS = 100_000  # a cell longer than this is cut: nobody hand-writes more

# Names kept as they are: they say what the code calls, not what the student named things.
KEPT = frozenset(
    """np numpy torch nn sp sympy plt math random optim F functional
    abs all any bool dict enumerate float int isinstance len list map max min print range
    reversed round set sorted str sum tuple zip self super""".split())

_MAGIC = re.compile(r"^(\s*)[%!].*$", re.M)
_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING,
         tokenize.ENDMARKER, tokenize.TYPE_COMMENT if hasattr(tokenize, "TYPE_COMMENT") else -1}
_STATEMENT_START = {"", ";", ":", "NEWLINE"}
_AUGMENTED = {"+=", "-=", "*=", "/=", "@=", "//=", "%=", "**="}


class Token(NamedTuple):
    text: str  # the normalised token
    line: int  # 1-based line in the cell where it starts


def normalise(source: str) -> list[Token]:
    """The cell's normalised tokens, in order (see the module's docstring)."""
    source = _MAGIC.sub(lambda m: m.group(1) + "pass", source[:MAX_CELL_CHARS])
    raw: list[tokenize.TokenInfo] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type not in _SKIP:
                raw.append(tok)
    except (tokenize.TokenError, IndentationError, SyntaxError, ValueError, RecursionError):
        pass  # keep what was read
    out: list[Token] = []
    prev = ""
    start = 0  # where the current statement's tokens begin in ``out``
    for i, tok in enumerate(raw):
        kind, text = tok.type, tok.string
        nxt = raw[i + 1] if i + 1 < len(raw) else None
        if kind == tokenize.NEWLINE or (kind == tokenize.OP and text == ";"):
            if out and out[-1].text != "NEWLINE":
                out.append(Token("NEWLINE", tok.start[0]))
            prev = "NEWLINE"
            start = len(out)
            continue
        if kind == tokenize.OP and text in _AUGMENTED and len(out) - start == 1 \
                and out[-1].text == "V":
            # `total += x` is `total = total + x`
            line = tok.start[0]
            out += [Token("=", line), Token("V", line), Token(text[:-1], line)]
            prev = "="
            continue
        if kind == tokenize.STRING or (kind == getattr(tokenize, "FSTRING_START", -1)):
            # a docstring or a string statement: a comment in effect
            if prev in _STATEMENT_START and (nxt is None or nxt.type == tokenize.NEWLINE):
                continue
            norm = "S"
        elif kind == tokenize.NUMBER:
            norm = "N"
        elif kind == tokenize.NAME:
            if keyword.iskeyword(text) or text in KEPT or prev == ".":
                norm = text
            else:
                norm = "V"
        elif kind == tokenize.OP:
            if text == "," and nxt is not None and nxt.string in (")", "]", "}"):
                continue  # a trailing comma is formatting
            norm = text
        else:
            norm = text if kind == tokenize.OP else tokenize.tok_name.get(kind, "?")
        if out and norm == "S" and out[-1].text == "S":
            continue  # implicit concatenation, or the pieces of an f-string
        out.append(Token(norm, tok.start[0]))
        prev = text if kind == tokenize.OP else ("NEWLINE" if kind == tokenize.NEWLINE else norm)
    return out


def function_spans(source: str) -> list[tuple[int, int, str]]:
    """``(first line, last line, name)`` of each top-level ``def``/``class`` in the cell, by
    indentation alone (cheap, and works on cells that do not parse)."""
    spans: list[tuple[int, int, str]] = []
    lines = source[:MAX_CELL_CHARS].splitlines()
    current: list = []
    for n, line in enumerate(lines, 1):
        m = re.match(r"(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)", line)
        if m:
            if current:
                spans.append((current[0], current[1], current[2]))
            current = [n, n, m.group(1)]
        elif current and (line[:1].isspace() or not line.strip() or line.lstrip().startswith("#")):
            current[1] = n if line.strip() else current[1]
        elif current:
            spans.append((current[0], current[1], current[2]))
            current = []
    if current:
        spans.append((current[0], current[1], current[2]))
    return spans
