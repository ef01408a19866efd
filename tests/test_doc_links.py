"""Every relative link in README.md, CHANGELOG.md and docs/*.md leads somewhere: the file exists,
and a `#fragment` names a heading of the page it points to (GitHub's anchors)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)


def _pages(root: Path) -> list[Path]:
    return [root / "README.md", root / "CHANGELOG.md", *sorted((root / "docs").glob("*.md"))]


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: its text, lower case, punctuation but `-` and `_` dropped,
    spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").replace("*", "")
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text())
    return {_slug(m.group(1)) for m in re.finditer(r"^#{1,6} +(.*?) *#* *$", text, re.M)}


def _links(page: Path) -> list[str]:
    text = FENCE.sub("", page.read_text())
    text = re.sub(r"`[^`\n]*`", "", text)  # code spans are not links
    return [t for t in LINK.findall(text) if not re.match(r"[a-z][a-z0-9+.-]*:", t)]


def test_the_pages_exist(root):
    assert all(p.is_file() for p in _pages(root))


@pytest.mark.parametrize("name", ["README.md", "CHANGELOG.md", "docs"])
def test_every_relative_link_resolves(root, name):
    pages = [p for p in _pages(root) if p.name == name or p.parent.name == name]
    broken = []
    for page in pages:
        for target in _links(page):
            path, _, fragment = target.partition("#")
            dest = (page.parent / path).resolve() if path else page
            if not dest.exists():
                broken.append(f"{page.relative_to(root)}: {target} (no such file)")
            elif fragment and dest.suffix == ".md" and fragment not in _anchors(dest):
                broken.append(f"{page.relative_to(root)}: {target} (no such heading)")
    assert pages and not broken, "\n".join(broken)


def test_the_anchor_rule_matches_github():
    """Anchors GitHub makes for headings of these docs."""
    assert _slug("Grade on Gradescope") == "grade-on-gradescope"
    assert _slug("Check for copying: the similarity report") == (
        "check-for-copying-the-similarity-report")
    assert _slug("Is the grading fair? The banks") == "is-the-grading-fair-the-banks"
    assert _slug("An LMS's bulk download") == "an-lmss-bulk-download"
    assert _slug("The judges' budget (`hw3.grading.judging`)") == (
        "the-judges-budget-hw3gradingjudging")
    assert _slug("`q3_1` and **bold**") == "q3_1-and-bold"
