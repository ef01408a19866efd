"""Memory of one Gradescope run: the peak PSS of the whole process tree (the entry, its
sandboxes, the student's code) while the autograder zip's entry grades one notebook.

    .venv/bin/python benchmarks/gradescope_memory.py [--notebook solutions/hw3.ipynb]
        [--python PYTHON] [--runs 1]

The zip is unpacked into a temporary /autograder-shaped tree and its run_otter.py runs with
``--root`` (``--python``: an environment built from the zip; default: this one). PSS counts
pages shared between processes once, split among them, so the tree's sum is what the
container is charged. Prints the peak against Gradescope's default of 768 MB; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT_MB = 768  # Gradescope's default memory for an autograder (MB)


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def tree(pid: int) -> list[int]:
    kids, out, todo = _children(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def one_run(python: str, notebook: Path) -> tuple[float, float, int, dict]:
    """Grade ``notebook`` once; (peak PSS MiB, seconds, most processes at once, results)."""
    with tempfile.TemporaryDirectory(prefix="hw3-gs-mem-") as tmp:
        root = Path(tmp) / "autograder"
        for folder in ("source", "submission", "results"):
            (root / folder).mkdir(parents=True)
        zipfile.ZipFile(ROOT / "autograder" / "hw3-autograder.zip").extractall(root / "source")
        shutil.copy(notebook, root / "submission" / "hw3.ipynb")
        t0 = time.monotonic()
        proc = subprocess.Popen([python, str(root / "source" / "run_otter.py"), "--root",
                                 str(root)], stdout=subprocess.DEVNULL, cwd=root)
        peak, most = 0, 0
        while proc.poll() is None:
            pids = tree(proc.pid)
            peak = max(peak, sum(pss_kib(p) for p in pids))
            most = max(most, len(pids))
            time.sleep(0.1)
        seconds = time.monotonic() - t0
        results = json.loads((root / "results" / "results.json").read_text())
    return peak / 1024, seconds, most, results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notebook", type=Path, default=ROOT / "solutions" / "hw3.ipynb")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    peaks = []
    for i in range(args.runs):
        peak, seconds, most, results = one_run(args.python, args.notebook)
        peaks.append(peak)
        isolation = results.get("extra_data", {}).get("hw3", {}).get("isolation", "?")
        print(f"run {i + 1}: score {results['score']}, {seconds:.1f} s, isolation {isolation}, "
              f"up to {most} processes, peak PSS {peak:.0f} MiB")
    peak = max(peaks)
    print(f"peak PSS of the process tree: {peak:.0f} MiB = {peak * 2**20 / 1e6:.0f} MB, "
          f"{peak * 2**20 / 1e6 / LIMIT_MB:.2f} of Gradescope's default {LIMIT_MB} MB")


if __name__ == "__main__":
    main()
