"""A student's Markdown and LaTeX as safe HTML, on the server, with no script and no network.

Markdown goes through markdown-it-py with raw HTML off: a ``<script>`` the student typed comes out
as the text ``&lt;script&gt;``. Math (``$...$``, ``$$...$$``, amsmath environments) becomes
MathML, which browsers draw natively, via latex2mathml; its output is parsed again and kept only
if it is made of MathML elements and attributes (latex2mathml copies ``\\text{...}`` through
unescaped), else the TeX is shown as code. Link targets other than http(s) and mailto are
dropped by markdown-it's own link check; images load nothing, since the pages' Content Security
Policy allows images only from the app itself.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from functools import lru_cache

from markdown_it import MarkdownIt
from mdit_py_plugins.amsmath import amsmath_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin

MAX_TEX = 2000  # characters of one formula converted; longer ones are shown as TeX

_ELEMENTS = set("""math mrow mi mn mo ms mtext mspace msup msub msubsup mfrac msqrt mroot mover
munder munderover mtable mtr mtd mlabeledtr mstyle menclose mpadded mphantom semantics
annotation mfenced merror mmultiscripts mprescripts none""".split())
_ATTRIBUTES = set("""xmlns display mathvariant stretchy fence separator lspace rspace accent
accentunder columnalign columnlines columnspacing rowalign rowlines rowspacing frame framespacing
width height depth linethickness displaystyle scriptlevel notation open close separators minsize
maxsize movablelimits form largeop symmetric mathsize encoding""".split())
_MATHML_NS = "{http://www.w3.org/1998/Math/MathML}"


def _tex(content: str, display: bool) -> str:
    tag = "pre" if display else "code"
    return f'<{tag} class="tex">{html.escape(content)}</{tag}>'


def _clean_mathml(markup: str) -> str | None:
    if "<!" in markup or "<?" in markup:
        return None
    try:
        root = ET.fromstring(markup)
    except ET.ParseError:
        return None
    for el in root.iter():
        name = el.tag.removeprefix(_MATHML_NS)
        if name not in _ELEMENTS or any(a not in _ATTRIBUTES for a in el.attrib):
            return None
        el.tag = name
    root.set("xmlns", "http://www.w3.org/1998/Math/MathML")
    return ET.tostring(root, encoding="unicode", short_empty_elements=False)


def math_html(content: str, display: bool) -> str:
    """One formula as MathML, or as escaped TeX when it cannot be converted safely."""
    if len(content) > MAX_TEX:
        return _tex(content, display)
    try:
        from latex2mathml.converter import convert

        markup = convert(content, display="block" if display else "inline")
    except Exception:  # noqa: BLE001 - TeX the converter cannot take (or no converter): as TeX
        return _tex(content, display)
    return _clean_mathml(markup) or _tex(content, display)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table").enable("strikethrough")
    md.use(dollarmath_plugin, allow_space=True, double_inline=True,
           renderer=lambda c, opts: math_html(c, bool(opts.get("display_mode"))))
    md.use(amsmath_plugin, renderer=lambda c: math_html(c, True))
    return md


_LINK_OK = re.compile(r"^(https?:|mailto:|#)", re.I)


def render_markdown(text: str) -> str:
    """The student's Markdown as HTML that is safe to put in a page as is."""
    md = _parser()
    tokens = md.parse(text)
    for tok in tokens:
        for child in tok.children or []:
            if child.type == "link_open" and not _LINK_OK.match(str(child.attrGet("href") or "")):
                child.attrSet("href", "#")
            if child.type in ("link_open", "image"):
                child.attrSet("rel", "noopener noreferrer nofollow")
    return md.renderer.render(tokens, md.options, {})
