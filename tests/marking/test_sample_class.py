"""End to end on the bundled sample class: ``hw3 grade --out`` collects the explanations, every
answer is marked in the app with the keyboard, and ``hw3 report`` merges the marks, from the
app's database and from the CSV file the app exports."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys

import pytest

from hw3.marking.store import DB_NAME
from tests.marking._marking_support import ROOT, WAIT_MS, Server

pytestmark = pytest.mark.slow
expect = pytest.importorskip("playwright.sync_api", reason="Playwright for Python not installed"
                             ).expect
MANUAL = {"q3_1_explain": 2, "q3_5_explain": 2, "q3_10_explain": 2, "q4_6_explain": 2,
          "explore_explain": 3}


def _rows(path):
    with path.open(encoding="utf-8", newline="") as f:
        return {r["id"]: r for r in csv.DictReader(f)}


def _hw3(*args, cache=None, check=True):
    env = {**os.environ, **({"XDG_CACHE_HOME": str(cache)} if cache else {})}
    r = subprocess.run([sys.executable, "-m", "hw3.cli", *map(str, args)], capture_output=True,
                       text=True, timeout=900, env=env)
    if check:
        assert r.returncode == 0, r.stderr[-3000:]
    return r


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sample")
    r = _hw3("grade", ROOT / "examples" / "sample_class", "--json", tmp / "grades.json",
             "--out", tmp / "out", "--quiet", cache=tmp / "cache")
    assert "provisional: 50 of 50 explanation answers are not marked yet" in r.stderr
    return tmp / "out"


def test_explanations_are_collected(out):
    results = json.loads((out / "results.json").read_text())
    assert {q: v["possible"] for q, v in results["manual"].items()} == MANUAL
    subs = {s["id"]: s for s in results["submissions"]}
    assert subs["henry"]["status"] == "invalid" and subs["henry"]["explanations"] == {}
    graded = [s for s in subs.values() if s["status"] == "graded"]
    assert len(graded) == 10
    assert all(list(s["explanations"]) == list(MANUAL) for s in graded)
    assert subs["bob"]["explanations"]["q3_1_explain"]["text"].startswith(
        "Both are straight lines in $x$")
    assert not any(e["answered"] for e in subs["carol"]["explanations"].values())
    assert subs["grace"]["explanations"]["q3_1_explain"]["text"] == (
        "Because the function is <b>linear</b>.")
    assert all(s["score"] <= s["possible"] == 100 for s in graded)  # auto-graded part as before


def test_mark_with_the_keyboard_then_merge(out, browser, tmp_path):
    server = Server(out)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        page.set_default_timeout(WAIT_MS)
        page.goto(server.url)
        for name, possible in MANUAL.items():
            page.goto(server.base + f"q/{name}")
            expect(page.locator("#progress")).to_contain_text("of 10", timeout=WAIT_MS)
            for points, text in [(possible, "complete"), (possible / 2, "partial"),
                                 (0, "missing")]:
                page.fill("#new-item [name=points]", f"{points:g}")
                page.fill("#new-item [name=text]", text)
                page.press("#new-item [name=text]", "Enter")
                page.wait_for_selector(f"#items li:has-text('{text}')")
            page.locator("aside h1").click()
            cards = page.locator(".answer")
            for i in range(cards.count()):
                if i:
                    page.keyboard.press("j")
                page.keyboard.press("3" if cards.nth(i).locator(".empty").count() else "1")
            expect(page.locator("#progress")).to_have_text("10 of 10 marked", timeout=WAIT_MS)
        # Waited for, not read at once: a poll answered after the last mark's answer shows the
        # state before it for a moment ("49 of 50") until the next poll, 5 s later.
        expect(page.locator("#overall")).to_contain_text("all questions: 50 of 50",
                                                         timeout=WAIT_MS)
        exported = page.request.get(server.base + "export.csv").text()
        page.close()
    finally:
        server.stop()

    r = _hw3("report", out)
    assert "provisional" not in r.stderr
    rows = _rows(out / "grades.csv")
    results = {s["id"]: s for s in json.loads((out / "results.json").read_text())["submissions"]}
    answered = {sid: sum(MANUAL[q] for q, e in s["explanations"].items() if e["answered"])
                for sid, s in results.items()}
    for sid, row in rows.items():
        assert float(row["total"]) == results[sid]["score"] + answered[sid], sid
        assert row["provisional"] == ""
    assert rows["carol"]["q3_1_explain"] == "0" and rows["alice"]["explore_explain"] == "3"
    assert rows["henry"]["q3_1_explain"] == ""  # nothing to mark for an unreadable file
    assert "Every answer is marked" in (out / "report.html").read_text()

    # The same marks as a spreadsheet, merged without the database: the same grades.
    other = tmp_path / "from-csv"
    shutil.copytree(out, other)
    (other / DB_NAME).unlink()
    (tmp_path / "marks.csv").write_text(exported)
    _hw3("report", other, "--marks", tmp_path / "marks.csv")
    assert _rows(other / "grades.csv") == rows
