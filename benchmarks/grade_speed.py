"""How much faster `hw3 grade` is than `otter run` on each notebook in turn, on one class.

    python benchmarks/grade_speed.py [--class examples/sample_class] [--n 12] [--workers 2]
                                     [--runs 3] [--no-breakdown] [--sizes 12,48]

Both run in this process tree, on the same machine, on the same notebooks; the script checks
that they give the same score on every question, then prints:
- the ratio of wall times (serial `otter run` / `hw3 grade --workers N`);
- the per-submission cost of each, against the physical floor: the CPU time of the student's own
  code plus the checks (probes and judges), measured in one warm process;
- the largest memory (RSS) of any one process of a worker, and of a worker's whole tree;
- then (unless ``--no-breakdown``) where a submission's time goes and how the total grows with
  the class (``benchmarks/grade_breakdown.py``, on the same class and ``--sizes``).
Prints numbers; asserts nothing but equal scores (timings depend on the machine).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from hw3.bank.otter import otter_run

ROOT = Path(__file__).resolve().parent.parent
AUTOGRADER = ROOT / "autograder" / "hw3-autograder.zip"


def make_class(source: Path, n: int, folder: Path) -> list[Path]:
    """``n`` notebooks cycled from ``source`` (each made unique, as real submissions are)."""
    pool = [p for p in sorted(source.glob("*.ipynb")) if _is_notebook(p)]
    if not pool:
        raise SystemExit(f"no notebooks in {source}")
    out = []
    for i in range(n):
        nb = json.loads(pool[i % len(pool)].read_text())
        nb["cells"].append({"cell_type": "markdown", "id": f"student-{i}", "metadata": {},
                            "source": f"Submitted by student {i}."})
        path = folder / f"student{i:02d}.ipynb"
        path.write_text(json.dumps(nb))
        out.append(path)
    return out


def _is_notebook(path: Path) -> bool:
    # The sample class holds a file that is not a notebook and one without metadata: `otter run`
    # crashes on both, and the comparison needs both graders' scores.
    try:
        nb = json.loads(path.read_text())
    except ValueError:
        return False
    return "cells" in nb and bool(nb.get("metadata"))


def otter_serial(notebooks: list[Path], work: Path) -> tuple[float, dict[str, Any]]:
    scores: dict[str, Any] = {}
    start = time.perf_counter()
    for nb in notebooks:
        # Otter as an instructor runs it: alone, with its default threads.
        ran = otter_run(nb, AUTOGRADER, work / f"otter-{nb.stem}", env=os.environ)
        if ran.error:
            raise RuntimeError(f"{nb.name}: {ran.error}")
        scores[nb.stem] = {name: got for name, (got, _) in ran.scores().items()}
    return time.perf_counter() - start, scores


class MemoryWatch:
    """Samples the RSS of every descendant of this process (bubblewrap's included)."""

    def __init__(self) -> None:
        self.max_process = 0
        self.max_tree = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        # Cheap enough not to slow what it measures: the process table every 0.25 s, and the
        # memory of this process's descendants only.
        me = os.getpid()
        while not self._stop.wait(0.25):
            parents = {}
            for entry in os.scandir("/proc"):
                if entry.name.isdigit():
                    try:
                        stat = Path(f"/proc/{entry.name}/stat").read_text()
                    except OSError:
                        continue
                    parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
            trees: dict[int, int] = {}
            for pid in parents:
                p, top = pid, None
                while p in parents and p != me:
                    top, p = p, parents[p]
                if p != me or top is None:
                    continue
                rss = _rss(pid)
                trees[top] = trees.get(top, 0) + rss
                self.max_process = max(self.max_process, rss)
            if trees:
                self.max_tree = max(self.max_tree, max(trees.values()))


def _rss(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    kb = [line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")]
    return int(kb[0]) * 1024 if kb else 0


def hw3_parallel(notebooks: list[Path], workers: int) -> tuple[float, dict[str, Any], Any]:
    from hw3.grading.grade import Options, grade_paths

    with MemoryWatch() as memory:
        start = time.perf_counter()
        results = grade_paths(notebooks, Options(workers=workers, cache_dir=None)).to_json()
        seconds = time.perf_counter() - start
    scores = {Path(e["path"]).stem: {q: v["score"] for q, v in e["questions"].items()}
              for e in results["submissions"]}
    return seconds, scores, (memory, results)


_FLOOR = r"""
import json, sys, time, warnings
import matplotlib; matplotlib.use("Agg")
import numpy, sympy, torch, IPython  # the floor excludes imports: warm workers pay them once
torch.set_num_threads(1)
warnings.simplefilter("ignore")
from hw3.grading.registry import grader
from hw3.grading.submission import strip_otter
registry = grader()
CASES, judge, run_probes, expected = registry.cases, registry.judge, registry.run_probes, \
    registry.expected
out = []
for path in sys.argv[1:]:
    cells = [''.join(c["source"]) for c in json.load(open(path))["cells"]
             if c["cell_type"] == "code"]
    env = {"__name__": "__main__"}
    start = time.process_time()
    for src in map(strip_otter, cells):
        try:
            exec(compile(src, "<cell>", "exec"), env)
        except BaseException:
            pass
    data = run_probes(list(CASES), env)
    for case_id, case in CASES.items():
        judge(case, data[case_id], expected)
    out.append(time.process_time() - start)
print(json.dumps(out))
"""


def floor(notebooks: list[Path]) -> list[float]:
    proc = subprocess.run([sys.executable, "-c", _FLOOR, *map(str, notebooks)],
                          capture_output=True, text=True, check=True,
                          env={**os.environ, "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"})
    return json.loads(proc.stdout.strip().splitlines()[-1])


def machine() -> str:
    """The date, the CPU and the cores, as the README quotes them."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return f"{date}; {cpu}; {os.cpu_count()} cores"


def load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def one_run(notebooks: list[Path], work: Path, workers: int) -> dict[str, Any]:
    """hw3, then serial Otter, then the floor, on the same notebooks; what each run prints."""
    before = load()
    hw3_seconds, hw3_scores, (memory, results) = hw3_parallel(notebooks, workers)
    otter_seconds, otter_scores = otter_serial(notebooks, work)
    floors = floor(notebooks)
    busy = statistics.fmean(e["seconds"] for e in results["submissions"])
    return {"hw3": hw3_seconds, "otter": otter_seconds, "same": hw3_scores == otter_scores,
            "hw3_scores": hw3_scores, "otter_scores": otter_scores,
            "floor": statistics.fmean(floors), "busy": busy, "memory": memory,
            "isolation": {e["isolation"] for e in results["submissions"]},
            "load": f"{before} before, {load()} after (1/5/15 min)"}


def report(run: dict[str, Any], n: int, workers: int) -> None:
    print(f"same score on every question: {'yes' if run['same'] else 'NO'}")
    if not run["same"]:
        for k, theirs in run["otter_scores"].items():
            if theirs != run["hw3_scores"].get(k):
                print(f"  {k}: otter {theirs} / hw3 {run['hw3_scores'].get(k)}")
    print(f"otter run, serial:        {run['otter']:7.1f} s  ({run['otter'] / n:.2f} s per "
          "submission)")
    print(f"hw3 grade --workers {workers}:    {run['hw3']:7.1f} s  ({run['hw3'] / n:.2f} s per "
          f"submission, wall; isolation: {', '.join(sorted(run['isolation']))})")
    print(f"speed-up:                 {run['otter'] / run['hw3']:7.1f} x")
    print(f"physical floor:           {run['floor']:7.2f} s CPU per submission (student code + "
          f"checks); hw3 spends {run['busy']:.2f} s wall per submission in a worker, "
          f"{run['busy'] / max(run['floor'], 1e-9):.2f}x the floor")
    print(f"memory: largest process {run['memory'].max_process / 2**20:.0f} MiB, largest worker "
          f"tree {run['memory'].max_tree / 2**20:.0f} MiB")
    print(f"load average: {run['load']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--class", dest="klass", type=Path, default=ROOT / "examples" /
                    "sample_class", help="folder of notebooks to cycle through")
    ap.add_argument("--n", type=int, default=12, help="notebooks in the class")
    ap.add_argument("--workers", type=int, default=2, help="hw3's sandboxes at once")
    ap.add_argument("--runs", type=int, default=1,
                    help="repeat the comparison; prints each run and the ratios' range")
    ap.add_argument("--no-breakdown", action="store_true",
                    help="skip the breakdown of a submission's time (grade_breakdown.py)")
    ap.add_argument("--sizes", default="12,48",
                    help="class sizes for the breakdown's scale line (intercept and slope)")
    args = ap.parse_args()

    print(f"machine: {machine()}")
    work = Path(tempfile.mkdtemp(prefix="hw3-bench-"))
    runs = []
    try:
        notebooks = make_class(args.klass, args.n, work)
        print(f"class: {len(notebooks)} notebooks cycled from {args.klass}")
        for i in range(args.runs):
            if args.runs > 1:
                print(f"\nrun {i + 1} of {args.runs}:")
            runs.append(one_run(notebooks, work, args.workers))
            report(runs[-1], len(notebooks), args.workers)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.runs > 1:
        speed = [r["otter"] / r["hw3"] for r in runs]
        near = [r["busy"] / max(r["floor"], 1e-9) for r in runs]
        print(f"\nover {args.runs} runs: speed-up {min(speed):.1f}x to {max(speed):.1f}x; "
              f"hw3 in a worker {min(near):.2f}x to {max(near):.2f}x the floor; same scores in "
              f"{sum(r['same'] for r in runs)} of {args.runs}")
    same = all(r["same"] for r in runs)
    if not args.no_breakdown:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from grade_breakdown import run

        print("\nwhere the time goes (benchmarks/grade_breakdown.py):")
        run(args.klass, args.n, [int(s) for s in args.sizes.split(",") if s.strip()],
            args.workers)
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
