"""Helpers of the marking tests: a small results folder made without grading (notebooks from
the student template with answers typed in, read by hw3's own reader) and a running
``hw3 mark`` server."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from hw3.grading.grade import questions_summary, scores
from hw3.grading.submission import assign_ids, discover, read
from hw3.marking.rubric import load_manual, manual_summary

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "student_template" / "hw3.ipynb"

# How long a browser test waits for what it reads (a page, a counter): generous, for a loaded
# 2-core machine; a wait that ends early costs nothing.
WAIT_MS = 60_000

SCRIPT = "<script>document.title='owned'</script><img src=x onerror=\"document.title='img'\">"
# Three students with written answers (one hostile), one who left the template as it was.
ANSWERS = {
    "amy": {"q3_1_explain": "Each unit is affine in $x$, so the sum $y = c_0 + c_1 x$ is "
                            "**affine** too.",
            "q3_5_explain": "For $\\alpha > 0$, $\\mathrm{ReLU}[\\alpha z] = \\alpha\\,"
                            "\\mathrm{ReLU}[z]$ by cases on the sign of $z$."},
    "ben": {"q3_1_explain": "It is linear because there is no activation.",
            "explore_explain": "A smaller learning rate is slower.\n\n$$L = \\sum_i (y_i - "
                               "\\hat y_i)^2$$"},
    "cat": {"q3_1_explain": f"Hostile answer: {SCRIPT} and $\\text{{{SCRIPT}}}$"},
    "dan": {},
}


def fill(nb, answers: dict[str, str]):
    """The template with each answer typed into the cell after its question's prompt."""
    nb = copy.deepcopy(nb)
    prompts = {q.name: q.prompt for q in load_manual()}
    for name, text in answers.items():
        i = next(i for i, c in enumerate(nb.cells) if prompts[name] in c.source)
        nb.cells[i + 1].source = text
    return nb


def make_results(folder: Path, answers: dict[str, dict[str, str]] = ANSWERS) -> Path:
    """``folder/results.json`` for notebooks holding ``answers``: explanations as hw3 grade
    collects them, auto-graded parts all zero (not graded: these tests are about marking)."""
    subs_dir = folder / "submissions"
    subs_dir.mkdir(parents=True, exist_ok=True)
    template = nbformat.read(TEMPLATE, as_version=4)
    for sid, per_q in answers.items():
        nbformat.write(fill(template, per_q), subs_dir / f"{sid}.ipynb")
    files = discover([subs_dir])
    ids = assign_ids(files)
    entries = []
    for f in files:
        sub = read(f, ids[f])
        entries.append({"path": str(f), "id": sub.id, "status": "graded", "message": "",
                        **scores({}).to_json(), "events": [], "isolation": "none", "seconds": 0.0,
                        "explanations": sub.explanations})
    results = {"assignment": "hw3", "questions": questions_summary(),
               "manual": manual_summary(), "submissions": entries}
    (folder / "results.json").write_text(json.dumps(results, indent=1))
    return folder


class Server:
    def __init__(self, folder: Path):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hw3.cli", "mark", str(folder)], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, cwd=folder)
        deadline = time.monotonic() + 120  # generous: a loaded machine starts Python slowly
        self.url = ""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"hw3 mark ended: {self.proc.stderr.read()}")
            m = re.search(r"(http://127\.0\.0\.1:(\d+)/)\?token=(\S+)", line)
            if m:
                self.base, self.port, self.token = m.group(1), int(m.group(2)), m.group(3)
                self.url = m.group(0)
                break
        if not self.url:
            raise RuntimeError("hw3 mark printed no address")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
