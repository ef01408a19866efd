"""The figures docs/scale.md does its arithmetic with: CPU-seconds per submission, the fixed
cost of a run, and the memory of a run's process tree, for `hw3 grade` on this machine.

    python benchmarks/scale_figures.py [--class examples/sample_class] [--n 12] [--workers 2]

Grades one notebook, then ``n`` (cycled from the class, each made unique), with ``--no-cache``,
in this process tree. CPU time is that of every process of the run (workers, sandboxes, student
code, judges), read from a cpuacct cgroup made for it (cgroup v1, or cpu.stat on v2; as root);
without one, from the children's rusage, which misses processes hw3 does not wait for. The
per-submission cost is the difference of the two runs over ``n - 1``, so start-up (Python,
imports, the warm sandboxes) is counted once.
Memory is the peak PSS of the whole tree, sampled every 0.2 s. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grade_speed import make_class
from gradescope_memory import pss_kib, tree

ROOT = Path(__file__).resolve().parent.parent


def _rusage() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


class Accounting:
    """A cgroup that counts the CPU time of a process and all it starts (None: rusage)."""

    def __init__(self) -> None:
        self.folder: Path | None = None
        for base, name in ((Path("/sys/fs/cgroup/cpuacct"), "cpuacct.usage"),
                           (Path("/sys/fs/cgroup"), "cpu.stat")):
            if (base / name).exists():
                folder = base / f"hw3-scale-{os.getpid()}-{time.monotonic_ns()}"
                try:
                    folder.mkdir()
                except OSError:
                    continue
                self.folder, self.name = folder, name
                break
        self.start = _rusage()

    def enter(self) -> None:  # in the child, before exec
        if self.folder is not None:
            (self.folder / "cgroup.procs").write_text(str(os.getpid()))

    def seconds(self) -> float:
        if self.folder is None:
            return _rusage() - self.start
        text = (self.folder / self.name).read_text()
        if self.name == "cpuacct.usage":
            return int(text) / 1e9
        return int(text.split("usage_usec")[1].split()[0]) / 1e6

    def close(self) -> None:
        if self.folder is not None:
            for _ in range(50):  # empty once every process of the run has exited
                try:
                    self.folder.rmdir()
                    return
                except OSError:
                    time.sleep(0.1)


def run(paths: list[Path], workers: int, out: Path) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak PSS MiB) of one `hw3 grade`."""
    account, t0 = Accounting(), time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "hw3.cli", "grade", *map(str, paths),
                             "--json", str(out), "--workers", str(workers), "--no-cache",
                             "--quiet"], stdout=subprocess.DEVNULL, preexec_fn=account.enter)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, sum(pss_kib(p) for p in tree(proc.pid)))
        time.sleep(0.2)
    wall = time.monotonic() - t0
    time.sleep(1)  # the last sandboxes' exits
    cpu = account.seconds()
    account.close()
    if proc.returncode:
        raise SystemExit(f"hw3 grade failed ({proc.returncode})")
    return wall, cpu, peak / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--class", dest="source", type=Path, default=ROOT / "examples" / "sample_class")
    ap.add_argument("--n", type=int, default=12)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="hw3-scale-") as tmp:
        notebooks = make_class(args.source, args.n, Path(tmp))
        wall1, cpu1, mem1 = run(notebooks[:1], 1, Path(tmp) / "one.json")
        wall, cpu, mem = run(notebooks, args.workers, Path(tmp) / "all.json")
    per = (cpu - cpu1) / (args.n - 1)
    print(f"one submission, 1 worker: {wall1:.1f} s wall, {cpu1:.1f} CPU-s, peak {mem1:.0f} MiB")
    print(f"{args.n} submissions, {args.workers} workers: {wall:.1f} s wall "
          f"({wall / args.n:.2f} s each), {cpu:.1f} CPU-s, peak {mem:.0f} MiB")
    print(f"CPU-seconds per submission: {per:.2f} (fixed cost of a run: "
          f"{max(0.0, cpu1 - per):.1f} CPU-s); memory per worker: about "
          f"{(mem - mem1) / max(1, args.workers - 1):.0f} MiB beyond the first "
          f"({mem1:.0f} MiB with one)")


if __name__ == "__main__":
    main()
