"""Measure the sandbox's costs: zygote start, per-job overhead on a warm worker, memory.

    /work/venv/bin/python benchmarks/sandbox_overhead.py [--jobs 30] [--isolation auto|none]

Prints numbers; asserts nothing (timings depend on the machine).
"""

from __future__ import annotations

import argparse
import statistics
import time

from hw3.grading.execute import execute_submission
from hw3.grading.jail import payload
from hw3.sandbox import Limits, Worker


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=30)
    ap.add_argument("--isolation", default="auto", choices=["auto", "bubblewrap", "none"])
    args = ap.parse_args()

    t0 = time.perf_counter()
    with Worker(Limits(), isolation=args.isolation, payload=payload()) as worker:
        worker.start()
        start = time.perf_counter() - t0
        info = worker.zygote_info
        print(f"isolation:          {worker.isolation}")
        print(f"zygote start:       {start:.2f} s (numpy, sympy, torch, matplotlib, IPython)")
        print(f"zygote RSS:         {info['rss_bytes'] / 2**20:.0f} MiB")
        if info.get("preload_errors"):
            print(f"preload errors:     {info['preload_errors']}")

        for label, cells in [
            ("empty job", []),
            ("1 empty cell", ["pass"]),
            ("10 small cells", [f"x{i} = {i} * 2" for i in range(10)]),
            (
                "numpy + torch cell",
                ["import numpy as np, torch\nnp.ones(3) @ np.ones(3)\ntorch.ones(3).sum()"],
            ),  # fmt: skip
        ]:
            execute_submission(worker, cells, [])  # warm
            times = []
            for _ in range(args.jobs):
                t = time.perf_counter()
                res = execute_submission(worker, cells, [])
                times.append(time.perf_counter() - t)
                assert all(c.status == "ok" for c in res.cells), res.cells
            print(
                f"{label + ':':<20}median {_ms(statistics.median(times))}, "
                f"p90 {_ms(sorted(times)[int(0.9 * len(times))])}, max {_ms(max(times))}"
            )


if __name__ == "__main__":
    main()
