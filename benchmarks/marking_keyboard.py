"""How long marking a class's explanations takes with the keyboard in ``hw3 mark``.

    python benchmarks/marking_keyboard.py [--dir OUT] [--screenshot docs/marking.png]
        [--shot-question q3_5_explain]

Without ``--dir``, grades ``examples/sample_class`` into a temporary folder first. Then starts
``hw3 mark`` on a copy of the folder (the marks of the run are thrown away), and in headless
Chromium (Debian's ``/usr/bin/chromium``) marks every answer of every question as a TA would
with the keyboard: three rubric items per question are typed in once, then per answer one
number key and ``j``. Prints the seconds spent per question and in all, and the seconds per
answer, for the keystrokes and the server's saving only (a TA's reading time is not in it).
Asserts nothing about time.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def grade_sample(out: Path) -> None:
    subprocess.run([sys.executable, "-m", "hw3.cli", "grade", str(ROOT / "examples" /
                    "sample_class"), "--json", str(out / "grades.json"), "--out", str(out),
                    "--quiet"], check=True)


def start(folder: Path) -> tuple[subprocess.Popen, str, str]:
    proc = subprocess.Popen([sys.executable, "-m", "hw3.cli", "mark", str(folder)],
                            stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:  # type: ignore[union-attr]
        m = re.search(r"(http://127\.0\.0\.1:\d+/)\?token=\S+", line)
        if m:
            return proc, m.group(0), m.group(1)
    raise SystemExit("hw3 mark printed no address")


def mark_question(page, base: str, name: str, possible: float) -> tuple[float, int]:
    page.goto(base + f"q/{name}")
    page.wait_for_function("() => /of/.test(document.getElementById('progress').textContent)")
    for points, text in [(possible, "complete and correct"), (possible / 2, "partly right"),
                         (0, "no answer or off the point")]:
        page.fill("#new-item [name=points]", f"{points:g}")
        page.fill("#new-item [name=text]", text)
        page.press("#new-item [name=text]", "Enter")
        page.wait_for_selector(f"#items li:has-text('{text}')")
    page.locator("aside h1").click()
    cards = page.locator(".answer")
    n = cards.count()
    keys = ["3" if cards.nth(i).locator(".empty").count() else "1" if i % 3 else "2"
            for i in range(n)]
    start = time.perf_counter()
    for i, key in enumerate(keys):
        if i:
            page.keyboard.press("j")
        page.keyboard.press(key)
    page.wait_for_function("n => document.getElementById('progress').textContent === "
                           "`${n} of ${n} marked`", arg=n)
    return time.perf_counter() - start, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", type=Path, help="a folder written by hw3 grade --out")
    ap.add_argument("--screenshot", type=Path, help="save the marking page here (PNG)")
    ap.add_argument("--shot-question", default="q3_5_explain", help="the page to screenshot")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="hw3-mark-bench-") as tmp:
        folder = Path(tmp) / "out"
        if args.dir:
            shutil.copytree(args.dir, folder)
            (folder / "marks.sqlite").unlink(missing_ok=True)
        else:
            folder.mkdir()
            grade_sample(folder)
        import json

        manual = json.loads((folder / "results.json").read_text())["manual"]
        proc, url, base = start(folder)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=args.chromium, args=ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 860})
                page.goto(url)
                total, answers = 0.0, 0
                for name, q in manual.items():
                    seconds, n = mark_question(page, base, name, float(q["possible"]))
                    total += seconds
                    answers += n
                    print(f"{name}: {n} answers in {seconds:.2f} s")
                print(f"all: {answers} answers in {total:.2f} s "
                      f"({total / max(answers, 1):.3f} s per answer, keystrokes and saving)")
                if args.screenshot:
                    page.goto(base + f"q/{args.shot_question}")
                    page.wait_for_function("() => /marked/.test("
                                           "document.getElementById('progress').textContent)")
                    page.locator(".answer").nth(1).click(position={"x": 8, "y": 8})
                    page.screenshot(path=str(args.screenshot))
                    print(f"screenshot: {args.screenshot}")
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
