"""A student's Markdown and math become safe HTML: raw HTML as text, math as checked MathML."""

from __future__ import annotations

from hw3.marking.render import MAX_TEX, render_markdown


def test_raw_html_is_text():
    out = render_markdown("<script>alert(1)</script> <img src=x onerror=alert(1)> **ok**")
    assert "<script" not in out and "<img" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out and "<strong>ok</strong>" in out


def test_math_becomes_mathml():
    out = render_markdown("Inline $y = c_0 + c_1 x$ and\n\n$$\\frac{a}{b}$$")
    assert out.count("<math") == 2 and "<mfrac>" in out and 'display="block"' in out


def test_text_inside_math_cannot_inject():
    # latex2mathml copies \text{...} through unescaped: such output is shown as TeX instead.
    out = render_markdown("$\\text{<script>alert(1)</script>}$ $a<b$")
    assert "<script" not in out and "&lt;script&gt;" in out
    assert "<mo>&lt;</mo>" in out  # a real "less than" still renders as math


def test_links_images_and_hostile_math():
    out = render_markdown("[a](javascript:alert(1)) [b](https://example.org) ![c](data:x)")
    assert "href=\"javascript" not in out and "<a href=\"https://example.org\"" in out
    assert "<img" not in out  # a data: image is not made an image
    huge = render_markdown("$" + "x+" * MAX_TEX + "$")
    assert "<math" not in huge and 'class="tex"' in huge
    deep = render_markdown("$" + "{" * 3000 + "$")  # the converter's recursion gives up
    assert "<math" not in deep and 'class="tex"' in deep
