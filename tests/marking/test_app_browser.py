"""The marking app in a real headless Chromium, against a real ``hw3 mark`` server and SQLite.

Needs Debian's ``chromium`` (CI apt-installs it) and Playwright for Python; skips without them.
"""

from __future__ import annotations

import re

import pytest

from hw3.marking.rubric import load_manual
from hw3.marking.store import DB_NAME, Store
from tests.marking._marking_support import WAIT_MS, Server, make_results

Q = "q3_1_explain"
expect = pytest.importorskip("playwright.sync_api", reason="Playwright for Python not installed"
                             ).expect


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return make_results(tmp_path_factory.mktemp("marking"))


@pytest.fixture(scope="module")
def server(folder):
    s = Server(folder)
    yield s
    s.stop()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(server.url)  # the token becomes a cookie; the address loses it
    assert "token=" not in page.url
    yield page
    context.close()
    assert not errors, errors


def _card(page, n: int):
    return page.locator(".answer").nth(n)


def _by_text(page, text: str):
    return page.locator(".answer", has_text=text)


def _wait_progress(page, text: str) -> None:
    expect(page.locator("#progress")).to_have_text(text, timeout=WAIT_MS)


def _expect_scores(cards: dict, wanted: dict[str, str]) -> None:
    """Each card's score as shown, waited for: a poll answered late may show an older state for
    a moment (the page polls every 5 s), so a score is read only once it is the one wanted."""
    for name, text in wanted.items():
        expect(cards[name].locator("[data-score]")).to_have_text(text, timeout=WAIT_MS)


@pytest.mark.slow  # over 5 s here (--durations)
def test_mark_three_answers_reload_edit_item(page, server, folder):
    page.goto(server.base + f"q/{Q}")
    _wait_progress(page, "0 of 4 marked")
    for points, text in [("2", "names affine and why"), ("-1", "no reason given"),
                         ("1", "partly right")]:
        page.fill("#new-item [name=points]", points)
        page.fill("#new-item [name=text]", text)
        page.click("#new-item button")
        page.wait_for_selector(f"#items li:has-text('{text}')")
    page.locator("body").click(position={"x": 5, "y": 5})  # focus back on the page

    # With the keyboard: each answer is selected with j/k and marked with number keys.
    amy, ben, cat = (_by_text(page, t) for t in ("affine in", "no activation", "Hostile"))
    order = [page.locator(".answer").nth(i).get_attribute("data-key") for i in range(4)]
    wanted = {amy.get_attribute("data-key"): ["1"], ben.get_attribute("data-key"): ["1", "2"],
              cat.get_attribute("data-key"): ["3"]}
    done = 0
    for i, key in enumerate(order):
        if i:
            page.keyboard.press("j")
        for k in wanted.get(key, []):
            page.keyboard.press(k)
        if key in wanted:
            done += 1
            _wait_progress(page, f"{done} of 4 marked")
    # A comment on ben's answer: c focuses it, Escape leaves it (and saves it).
    # The reload waits for the comment's save to be answered (not for a fixed time).
    ben.click(position={"x": 5, "y": 5})
    page.keyboard.press("c")
    page.keyboard.type("Say why a sum of affine maps is affine.")
    with page.expect_response(lambda r: r.url.endswith("/api/comment") and r.ok):
        page.keyboard.press("Escape")
    page.wait_for_function("() => !document.activeElement.matches('textarea')")
    cards = {"amy": amy, "ben": ben, "cat": cat}

    page.reload()
    _wait_progress(page, "3 of 4 marked")
    _expect_scores(cards, {"amy": "2 / 2", "ben": "1 / 2", "cat": "1 / 2"})
    expect(ben.locator("textarea")).to_have_value("Say why a sum of affine maps is affine.")
    expect(ben.locator("input[type=checkbox]:checked")).to_have_count(2)

    # Edit the first item: every answer it is applied to changes.
    page.locator("#items li").first.locator("button").click()
    page.fill("#items li form [name=points]", "1.5")
    page.locator("#items li form button[type=submit]").click()
    expect(page.locator("#items li b").first).to_have_text("+1.5", timeout=WAIT_MS)
    _expect_scores(cards, {"amy": "1.5 / 2", "ben": "0.5 / 2", "cat": "1 / 2"})
    page.reload()
    _wait_progress(page, "3 of 4 marked")
    _expect_scores(cards, {"amy": "1.5 / 2", "ben": "0.5 / 2", "cat": "1 / 2"})

    # The database, read as hw3 report reads it, holds the same.
    with Store(folder / DB_NAME) as store:
        marks = store.marks({q.name: q.points for q in load_manual()})
    assert marks["amy"][Q].score == 1.5 and marks["ben"][Q].score == 0.5
    assert marks["ben"][Q].comment == "Say why a sum of affine maps is affine."
    assert sorted(t for t, _ in marks["ben"][Q].items) == ["names affine and why",
                                                          "no reason given"]
    assert "dan" not in marks or Q not in marks["dan"] or not marks["dan"][Q].marked


def test_anonymous_by_default_and_reveal(page, server):
    page.goto(server.base + f"q/{Q}")
    text = page.locator("main.answers").inner_text()
    assert not re.search(r"\b(amy|ben|cat|dan)\b", text)
    assert not re.search(r"\b(amy|ben|cat|dan)\b", page.content())
    page.click("text=Reveal names")
    expect(page.locator(".answer .who")).to_have_count(4, timeout=WAIT_MS)
    assert {w.inner_text() for w in page.locator(".answer .who").all()} == {
        "amy", "ben", "cat", "dan"}


def test_script_in_an_answer_is_shown_as_text(page, server):
    page.goto(server.base + f"q/{Q}")
    hostile = _by_text(page, "Hostile")
    shown = hostile.locator(".md").inner_text()
    assert "<script>document.title='owned'</script>" in shown
    assert "onerror=" in shown
    assert hostile.locator(".md script, .md img").count() == 0
    page.wait_for_timeout(200)
    assert page.title() == f"{Q} · hw3 mark"
    # Math renders as MathML (no network, no script); the TeX source stays for what cannot.
    assert _by_text(page, "affine in").locator("math").count() >= 2
