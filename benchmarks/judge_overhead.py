"""What judging in the budgeted judge process (hw3.grading.judging) costs over judging in the
grader's own process, per submission, on the real probe data of a class.

    python benchmarks/judge_overhead.py [--class examples/sample_class] [--repeat 3]

The class's notebooks are run and probed in this process (the sample class is trusted: this
is a measurement, not grading), then every submission's data is judged both ways; the script
checks that the verdicts are equal and prints the medians and their difference. Prints
numbers; asserts nothing but equal verdicts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--class", dest="folder", type=Path, default=ROOT / "examples" /
                        "sample_class")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    import matplotlib

    matplotlib.use("Agg")
    from hw3.bank import run_cells
    from hw3.grading.judging import JudgePool
    from hw3.grading.registry import grader
    from hw3.grading.submission import discover, read

    registry = grader()
    CASES, judge, run_probes = registry.cases, registry.judge, registry.run_probes  # noqa: N806
    expected = dict(registry.expected)
    data = []
    for path in discover([args.folder]):
        sub = read(path, path.stem)
        if sub.readable:
            data.append(run_probes(list(CASES), run_cells(sub.cells)))
    start = time.monotonic()
    pool = JudgePool(1)
    pool.judge_all({}, list(CASES)[:1])
    started = time.monotonic() - start
    here, there = [], []
    try:
        for _ in range(args.repeat):
            for probes in data:
                t = time.perf_counter()
                mine = {c: judge(CASES[c], probes.get(c), expected) for c in CASES}
                here.append(time.perf_counter() - t)
                t = time.perf_counter()
                theirs, _ = pool.judge_all(probes, list(CASES))
                there.append(time.perf_counter() - t)
                differ = [c for c in CASES if mine[c] != theirs[c]]
                assert not differ, [(c, mine[c], theirs[c]) for c in differ]
    finally:
        pool.close()
    print(json.dumps({
        "submissions": len(data), "judge_process_start_s": round(started, 2),
        "in_grader_median_ms": round(1000 * statistics.median(here), 1),
        "judge_process_median_ms": round(1000 * statistics.median(there), 1),
        "overhead_per_submission_ms": round(1000 * (statistics.median(there)
                                                    - statistics.median(here)), 1),
        "probe_bytes_median": int(statistics.median(sum(map(len, d.values())) for d in data)),
    }, indent=1))


if __name__ == "__main__":
    main()
