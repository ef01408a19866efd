"""What a student waits for: the solution notebook top to bottom, and each `grader.check`.

    python benchmarks/student_experience.py

Runs the executed solution's code in a real Jupyter kernel (as a student would, from the
student folder's layout), then times every question's `grader.check` in that kernel. Goals:
the whole notebook under 30 s, every check under 2 s. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent

_TIMER = """
import json as _json, time as _time
_times = {}
for _q in %r:
    _t = _time.perf_counter()
    grader.check(_q)
    _times[_q] = _time.perf_counter() - _t
print(_json.dumps(_times))
"""


def main() -> None:
    from hw3.grading.registry import grader

    QUESTIONS = grader().questions  # noqa: N806

    work = Path(tempfile.mkdtemp(prefix="hw3-student-"))
    try:
        shutil.copy(ROOT / "solutions" / "hw3.ipynb", work / "hw3.ipynb")
        shutil.copy(ROOT / "student_template" / "hw3_checks.zip", work / "hw3_checks.zip")
        nb = nbformat.read(work / "hw3.ipynb", as_version=4)
        nb.cells = [c for c in nb.cells if "grader.export(" not in c.source]
        client = NotebookClient(nb, timeout=600, kernel_name="python3",
                                resources={"metadata": {"path": str(work)}})
        with client.setup_kernel():
            start = time.perf_counter()
            for i, cell in enumerate(nb.cells):
                client.execute_cell(cell, i)
            whole = time.perf_counter() - start
            timer = nbformat.v4.new_code_cell(_TIMER % (list(QUESTIONS),))
            nb.cells.append(timer)
            client.execute_cell(timer, len(nb.cells) - 1)
        text = "".join(o.get("text", "") for o in timer.outputs if o.get("name") == "stdout")
        times = json.loads(text.strip().splitlines()[-1])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"solution notebook, top to bottom in a warm kernel: {whole:.1f} s (goal < 30 s)")
    slowest = max(times, key=times.get)
    for question, seconds in times.items():
        print(f"  grader.check({question!r}): {seconds:.2f} s")
    print(f"slowest check: {slowest} {times[slowest]:.2f} s (goal < 2 s)")


if __name__ == "__main__":
    main()
