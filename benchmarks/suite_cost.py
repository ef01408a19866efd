"""Where the test suite's time goes, file by file: CPU seconds and wall seconds.

    PYTHONPATH=benchmarks .venv/bin/python -m pytest -p suite_cost     # records, per worker
    python benchmarks/suite_cost.py                                    # prints the table

As a pytest plugin it adds, per test file, the CPU time of the test process and of the
children it waited for (sandboxes, kernels, Otter, pip) and the wall time of its tests
(setup and teardown included), and writes them to $SUITE_COST_DIR (default
/tmp/hw3-suite-cost), one JSON file per xdist worker. Run as a script it prints the files by
CPU seconds with each one's share: on a shared machine wall times say how loaded it was, CPU
seconds what the suite costs (a child's CPU is counted when it is reaped, so a session-long
sandbox's lands on the test that closes it). Prints numbers; asserts nothing.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

OUT = Path(os.environ.get("SUITE_COST_DIR", "/tmp/hw3-suite-cost"))
_cpu: dict[str, float] = defaultdict(float)
_wall: dict[str, float] = defaultdict(float)


def _cpu_now() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


try:
    import pytest

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(item: Any, nextitem: Any) -> Iterator[None]:
        cpu, wall = _cpu_now(), time.monotonic()
        yield
        _cpu[item.location[0]] += _cpu_now() - cpu
        _wall[item.location[0]] += time.monotonic() - wall

    def pytest_sessionfinish(session: Any) -> None:
        OUT.mkdir(parents=True, exist_ok=True)
        name = os.environ.get("PYTEST_XDIST_WORKER", "main")
        (OUT / f"{name}.json").write_text(json.dumps({"cpu": _cpu, "wall": _wall}, indent=1))
except ImportError:  # the script alone needs no pytest
    pass


def main() -> int:
    cpu: dict[str, float] = defaultdict(float)
    wall: dict[str, float] = defaultdict(float)
    files = sorted(OUT.glob("*.json"))
    if not files:
        print(f"nothing recorded in {OUT}: run pytest with -p suite_cost first", file=sys.stderr)
        return 1
    for path in files:
        data = json.loads(path.read_text())
        for key, value in data["cpu"].items():
            cpu[key] += value
        for key, value in data["wall"].items():
            wall[key] += value
    total_cpu, total_wall = sum(cpu.values()), sum(wall.values())
    print(f"{'CPU s':>8} {'share':>6} {'wall s':>8}  file")
    for key in sorted(cpu, key=lambda k: -cpu[k]):
        print(f"{cpu[key]:8.1f} {cpu[key] / total_cpu:6.1%} {wall[key]:8.1f}  {key}")
    print(f"{total_cpu:8.1f} {'':6} {total_wall:8.1f}  all ({len(files)} processes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
