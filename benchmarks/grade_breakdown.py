"""Where a submission's time goes in `hw3 grade`, measured from outside the engine.

    python benchmarks/grade_breakdown.py [--class examples/sample_class] [--n 12]
                                         [--sizes 12,48] [--workers 2] [--json FILE]

Each phase runs separately, with the library's own functions, in this process tree, so the
engine is not changed to be measured:
- **floor** (a fresh process preloaded as the zygote is): per notebook, the CPU of the
  student's own cells (every cell, run with ``exec``), of the public probes, of the hidden
  probes and of the judges; the CPU of each probe summed over the class (the heaviest first);
- **start-up**: each entry of the zygote's preload (``hw3.grading.jail.PRELOAD``) imported in turn
  in a fresh process; a worker's start (``Worker.start``: sandbox + preload); the judge
  process's start (``JudgePool`` up to its first verdict);
- **job runner**: the engine's own ``hw3.runner.job.run_job`` on each notebook, in a forked child
  of a process preloaded as the zygote is, without the sandbox (the IPython shell and the fork),
  run twice in that child; and on four notebooks without the zygote's warm-up
  (``hw3.runner.job:preload``), to weigh what the warm-up saves each job against what it costs;
- **engine**: an empty job (fork, frames, clean-up), then every notebook's job
  (``execute_submission``) on one warm worker, wall and CPU of the worker's process tree; the
  same probe data judged in the judge process against in this process; results and cache (a
  second ``grade_paths`` over a warm cache);
- **scale**: ``grade_paths`` on each class size of ``--sizes``, wall and CPU of the whole tree;
  the line through them (intercept and slope per submission).
CPU figures are what a loaded machine does not inflate much; wall figures are. Shares are of
the per-submission total. Prints numbers; asserts nothing. This module is long because each
phase is run on its own, by the library's own functions, rather than timed inside the engine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from grade_speed import make_class  # noqa: E402 - the one way this folder makes a class

_TICK = os.sysconf("SC_CLK_TCK")

# The floor, phase by phase, in a fresh process that has imported what the zygote imports.
_FLOOR = r"""
import contextlib, io, json, sys, time, warnings
import matplotlib; matplotlib.use("Agg")
import importlib
from hw3.grading.jail import PRELOAD
from hw3.grading.registry import grader  # the hidden cases, with their judges
for entry in PRELOAD:  # as the zygote, warm-up included: first-use costs are not the floor's
    module, _, attr = entry.partition(":")
    if module != "hw3.hidden":
        m = importlib.import_module(module)
        if attr:
            getattr(m, attr)()
warnings.simplefilter("ignore")
registry = grader()
CASES, run_probes = registry.cases, registry.run_probes
from hw3.grading.grade import judge_probes
from hw3.grading.submission import read, strip_otter_cells
from pathlib import Path
expected = dict(registry.expected)
public = [c for c, case in CASES.items() if not case.hidden]
hidden = [c for c, case in CASES.items() if case.hidden]
groups = {}  # cases that share a probe share its run, as in a job; named by their first id
for c, case in CASES.items():
    groups.setdefault(case.probe, []).append(c)
out, per_probe = [], {}
for path in sys.argv[1:]:
    sub = read(Path(path), Path(path).stem)
    t = time.process_time()
    env = {"__name__": "__main__", "display": lambda *a, **k: None}
    for src in strip_otter_cells(sub.cells):  # every cell, the demonstrations too, as a job
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(src, "<cell>", "exec"), env)
        except BaseException:
            pass
    t_cells = time.process_time()
    data = {}
    for ids in groups.values():
        s = time.process_time()
        data.update(run_probes(ids, env))
        per_probe[ids[0]] = per_probe.get(ids[0], 0.0) + time.process_time() - s
    t_probes = time.process_time()
    judge_probes(data, expected, None)
    t_judge = time.process_time()
    out.append({"cells": t_cells - t, "probes": t_probes - t_cells, "judges": t_judge - t_probes})
print(json.dumps({"subs": out, "per_probe": per_probe, "public": public, "hidden": hidden}))
"""

# The engine's own job runner (hw3.runner.job.run_job) in a forked child of a process that has
# preloaded as the zygote does, without the sandbox: the shell's and the fork's cost.
_JOB = r"""
import importlib, json, os, sys, time
from pathlib import Path
from hw3.grading.jail import PRELOAD
for entry in PRELOAD:
    if entry == "hw3.runner.job:preload" and os.environ.get("HW3_BENCH_NO_WARMUP"):
        continue  # what a job pays when the zygote does not warm up
    module, _, attr = entry.partition(":")
    m = importlib.import_module(module)
    if attr:
        getattr(m, attr)()
from hw3.hidden import sandbox
from hw3.runner.job import run_job
CASES = sandbox().cases
from hw3.grading.submission import read, strip_otter_cells
out = []
for path in sys.argv[1:]:
    cells = strip_otter_cells(read(Path(path), Path(path).stem).cells)
    work = Path(os.environ["HW3_BENCH_WORK"])
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            runs = []
            for _ in range(2):  # the second run: the same job in a child that has run it once
                marks = {"start": time.process_time()}

                def send(m, marks=marks):
                    if "probe_start" in m and "probes" not in marks:
                        marks["probes"] = time.process_time()
                    if "job_end" in m:
                        marks["end"] = time.process_time()

                run_job({"cells": cells, "probe_ids": list(CASES)}, send, workdir=str(work))
                marks.setdefault("probes", marks["end"])
                runs.append([marks["probes"] - marks["start"], marks["end"] - marks["probes"]])
            os.write(w, json.dumps(runs).encode())
        finally:
            os._exit(0)
    os.close(w)
    text = b""
    while chunk := os.read(r, 65536):
        text += chunk
    os.close(r)
    _, _, usage = os.wait4(pid, 0)
    out.append({"child_cpu": usage.ru_utime + usage.ru_stime, "runs": json.loads(text)})
print(json.dumps(out))
"""

# Each preload entry of the zygote imported (or called) in turn, as the zygote does.
_PRELOAD = r"""
import importlib, json, os, sys, time
from hw3.grading.jail import ENV, PRELOAD
out = []
for entry in PRELOAD:
    w, c = time.perf_counter(), time.process_time()
    module, _, attr = entry.partition(":")
    m = importlib.import_module(module)
    if attr:
        getattr(m, attr)()
    out.append([entry, time.perf_counter() - w, time.process_time() - c])
print(json.dumps(out))
"""


def _subprocess_json(code: str, *args: str, **extra: str) -> Any:
    from hw3.grading.jail import ENV

    env = {**os.environ, **{k: os.path.expanduser(v) for k, v in ENV.items()}, **extra}
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          check=True, env=env)
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- CPU of a tree


def _tree(root: int) -> dict[int, list[str]]:
    """The ``/proc/PID/stat`` fields (after the command name) of ``root`` and its descendants."""
    stats: dict[int, list[str]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stats[int(entry.name)] = (
                Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split())
        except OSError:
            continue
    parents = {pid: int(stat[1]) for pid, stat in stats.items()}
    out = {}
    for pid, stat in stats.items():
        p = pid
        while p in parents and p != root:
            p = parents[p]
        if p == root:
            out[pid] = stat
    return out


def _tree_cpu(root: int) -> float:
    """CPU seconds of ``root`` and its descendants, the children they reaped included."""
    # utime stime cutime cstime
    return sum(sum(int(x) for x in stat[11:15]) for stat in _tree(root).values()) / _TICK


class CpuWatch:
    """The CPU of every process of this tree while a block runs, sampled every ``every`` s:
    processes that end (a sandbox closed, a job's child) are reaped outside this tree, so their
    time would be lost to ``_tree_cpu``. Each process's own time, as last seen: a process's last
    ``every`` seconds may be missed."""

    def __init__(self, every: float = 0.1) -> None:
        self.every = every
        self._seen: dict[tuple[int, str], float] = {}  # (pid, start time) -> own CPU seconds
        self._start: dict[tuple[int, str], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> CpuWatch:
        self._start = self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._seen.update(self._sample())

    @property
    def seconds(self) -> float:
        return sum(v - self._start.get(k, 0.0) for k, v in self._seen.items())

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self._seen.update(self._sample())

    @staticmethod
    def _sample() -> dict[tuple[int, str], float]:
        # (pid, starttime) -> the process's own utime + stime
        return {(pid, stat[19]): (int(stat[11]) + int(stat[12])) / _TICK
                for pid, stat in _tree(os.getpid()).items()}


@contextmanager
def _measure(pid: int, into: list[tuple[float, float]]) -> Iterator[None]:
    """Appends (wall, CPU of ``pid``'s tree) of the block."""
    w, c = time.perf_counter(), _tree_cpu(pid)
    yield
    into.append((time.perf_counter() - w, _tree_cpu(pid) - c))


# ----------------------------------------------------------------------------- phases


def startup() -> dict[str, Any]:
    """The preload's entries; a worker's start; the judge process's start to its first verdict."""
    from hw3.grading.jail import payload
    from hw3.grading.judging import JudgePool
    from hw3.grading.registry import grader
    from hw3.sandbox import Worker

    CASES = grader().cases  # noqa: N806 - the registry's table, named as elsewhere
    preload = _subprocess_json(_PRELOAD)
    t = time.perf_counter()
    worker = Worker(payload=payload())
    worker.start()
    worker_s = time.perf_counter() - t
    worker.close()
    t = time.perf_counter()
    pool = JudgePool(1)
    pool.judge_all({}, list(CASES)[:1])
    judge_s = time.perf_counter() - t
    pool.close()
    return {"preload": preload, "worker_start_s": worker_s, "judge_start_s": judge_s}


def engine(notebooks: list[Path]) -> dict[str, Any]:
    """Empty jobs, every notebook's job, judging in the judge process, on warm processes."""
    from hw3.grading.execute import execute_submission
    from hw3.grading.grade import judge_probes, probe_data
    from hw3.grading.jail import payload
    from hw3.grading.judging import JudgePool
    from hw3.grading.registry import grader
    from hw3.grading.submission import read, strip_otter_cells
    from hw3.sandbox import Worker

    CASES = grader().cases  # noqa: N806 - the registry's table, named as elsewhere
    expected = dict(grader().expected)
    # This process's tree: the sandbox (its children reaped by the zygote included), the judge
    # process and this process, which reads the frames. Each phase leaves the others idle.
    me = os.getpid()
    worker = Worker(payload=payload())
    pool = JudgePool(1)
    try:
        worker.start()
        pool.judge_all({}, list(CASES)[:1])
        empty: list[tuple[float, float]] = []
        for _ in range(5):
            with _measure(me, empty):
                execute_submission(worker, [], [])
        jobs: list[tuple[float, float]] = []
        there: list[tuple[float, float]] = []
        for path in notebooks:
            sub = read(path, path.stem)
            with _measure(me, jobs):
                run = execute_submission(worker, strip_otter_cells(sub.cells), list(CASES))
            probes = probe_data(run)
            with _measure(me, there):
                judge_probes(probes, expected, pool)
    finally:
        worker.close()
        pool.close()
    return {"empty_job": empty, "jobs": jobs, "judge_process": there}


def cached(notebooks: list[Path], workers: int) -> dict[str, float]:
    """``grade_paths`` twice over one cache: the second run is results and cache only."""
    from hw3.grading.grade import Options, grade_paths

    with tempfile.TemporaryDirectory(prefix="hw3-bench-cache-") as folder:
        options = Options(workers=workers, cache_dir=Path(folder))
        t = time.perf_counter()
        grade_paths(notebooks, options)
        cold = time.perf_counter() - t
        t = time.perf_counter()
        grade_paths(notebooks, options)
        warm = time.perf_counter() - t
    return {"cold_s": cold, "all_hits_s": warm}


def scale(klass: Path, sizes: list[int], workers: int, folder: Path
          ) -> list[tuple[int, float, float]]:
    """(class size, wall seconds, CPU seconds of this process tree) of ``grade_paths``."""
    from hw3.grading.grade import Options, grade_paths

    out = []
    for n in sizes:
        sub = folder / f"class{n}"
        sub.mkdir()
        notebooks = make_class(klass, n, sub)
        t = time.perf_counter()
        with CpuWatch() as cpu:
            grade_paths(notebooks, Options(workers=workers, cache_dir=None))
        out.append((n, time.perf_counter() - t, cpu.seconds))
    return out


def line(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least-squares intercept and slope of (n, seconds)."""
    if len(points) < 2:
        return float("nan"), float("nan")
    slope, intercept = statistics.linear_regression([float(n) for n, _ in points],
                                                    [s for _, s in points])
    return intercept, slope


# ----------------------------------------------------------------------------- report


def _mean(xs: list[float]) -> float:
    return statistics.fmean(xs) if xs else 0.0


def report(floor: dict[str, Any], start: dict[str, Any], eng: dict[str, Any],
           cache: dict[str, float], points: list[tuple[int, float, float]], n: int,
           say: Callable[[str], Any] = print) -> dict[str, Any]:
    subs = floor["subs"]
    cells = _mean([s["cells"] for s in subs])
    public = set(floor["public"])
    pp = floor["per_probe"]
    pub = sum(v for k, v in pp.items() if k in public) / len(subs)
    hid = sum(v for k, v in pp.items() if k not in public) / len(subs)
    judges = _mean([s["judges"] for s in subs])
    job_wall = _mean([w for w, _ in eng["jobs"]])
    job_cpu = _mean([c for _, c in eng["jobs"]])
    empty_wall = _mean([w for w, _ in eng["empty_job"]])
    empty_cpu = _mean([c for _, c in eng["empty_job"]])
    judge_wall = _mean([w for w, _ in eng["judge_process"]])
    judge_cpu = _mean([c for _, c in eng["judge_process"]])
    in_sandbox = cells + pub + hid
    fj = floor["forked_jobs"]
    first = [sum(j["runs"][0]) for j in fj]
    forked = _mean(first)
    # Differences of measurements: within noise they may come out below 0, shown as they are.
    shell_cpu = forked - in_sandbox  # IPython's cells and a forked child's first touches
    sandbox_cpu = job_cpu - forked  # the sandbox, the zygote's wire, the clean-up
    results_cache = cache["all_hits_s"] / n
    parts = {
        "student cells": cells,
        "public probes": pub,
        "hidden probes": hid,
        "judges (work)": judges,
        "judge process (wire, budget)": judge_cpu - judges,
        "engine: the job runner (IPython shell, fork)": shell_cpu,
        "engine: sandbox, frames, limits, clean-up": sandbox_cpu,
        "results and cache": results_cache,
    }
    total = sum(parts.values())
    say(f"per submission ({len(subs)} notebooks), CPU seconds and share of the total:")
    for name, v in parts.items():
        say(f"  {name:46s} {v:6.3f} s  {100 * v / total:5.1f} %")
    say(f"  {'total':46s} {total:6.3f} s")
    say(f"  the floor (cells + probes + judges) is {100 * (in_sandbox + judges) / total:.0f} % "
        f"of it; the probes alone {100 * (pub + hid) / total:.0f} %")
    say(f"engine, per job: empty job {empty_wall:.3f} s wall ({empty_cpu:.3f} s CPU); a "
        f"notebook's job {job_wall:.2f} s wall, {job_cpu:.2f} s CPU of the worker's tree against "
        f"{in_sandbox:.2f} s in one warm process ({job_cpu / max(in_sandbox, 1e-9):.2f}x) and "
        f"{forked:.2f} s for run_job in a forked child without the sandbox")
    say(f"run_job in a forked child, first run / the same job again in that child: cells "
        f"{_mean([j['runs'][0][0] for j in fj]):.2f} / {_mean([j['runs'][1][0] for j in fj]):.2f}"
        f" s, probes {_mean([j['runs'][0][1] for j in fj]):.2f} / "
        f"{_mean([j['runs'][1][1] for j in fj]):.2f} s CPU (in one warm process with exec: cells "
        f"{cells:.2f}, probes {pub + hid:.2f})")
    say(f"judging, per submission: {judges * 1000:.0f} ms in this process, {judge_wall * 1000:.0f}"
        f" ms wall through the judge process ({judge_cpu * 1000:.0f} ms CPU there)")
    say("heaviest probes (CPU per submission):")
    for k, v in sorted(pp.items(), key=lambda kv: -kv[1])[:8]:
        say(f"  {k:40s} {1000 * v / len(subs):7.1f} ms  {'public' if k in public else 'hidden'}")
    cold = floor["cold_jobs"]
    warm4 = _mean([j["child_cpu"] for j in fj[:len(cold)]])
    cold4 = _mean([j["child_cpu"] for j in cold])
    pre = start["preload"]
    warm_up = sum(c for e, _, c in pre if e == "hw3.runner.job:preload")
    say(f"the zygote's warm-up (hw3.runner.job:preload): {warm_up:.2f} s CPU once per worker; a "
        f"job's child (the job run twice) without it {cold4:.2f} s CPU, with it {warm4:.2f} s: "
        f"it pays for itself after {warm_up / max(cold4 - warm4, 1e-9):.1f} jobs")
    pre_total = sum(w for _, w, _ in pre)
    say(f"start-up: a worker {start['worker_start_s']:.2f} s wall (preload alone "
        f"{pre_total:.2f} s in a plain process); the judge process {start['judge_start_s']:.2f} s"
        f" to its first verdict; in units of one job: {start['worker_start_s'] / job_wall:.1f} "
        f"and {start['judge_start_s'] / job_wall:.1f}")
    for entry, w, c in pre:
        say(f"  preload {entry:36s} {w:6.2f} s wall {100 * w / max(pre_total, 1e-9):5.1f} %"
            f" ({c:.2f} s CPU)")
    say(f"results and cache: a second grade_paths over a warm cache {cache['all_hits_s']:.2f} s "
        f"for {n} ({1000 * results_cache:.0f} ms each); the first {cache['cold_s']:.2f} s")
    intercept, slope = line([(k, w) for k, w, _ in points])
    cpu_intercept, cpu_slope = line([(k, c) for k, _, c in points])
    if points:
        say("scale (grade_paths, wall / CPU of the whole tree): " + ", ".join(
            f"{k} notebooks {w:.1f} / {c:.1f} s" for k, w, c in points))
        say(f"  wall: intercept {intercept:.1f} s, slope {slope:.2f} s per submission "
            f"(intercept = {intercept / slope:.1f} submissions); CPU: intercept "
            f"{cpu_intercept:.1f} s, slope {cpu_slope:.2f} s per submission (intercept = "
            f"{cpu_intercept / cpu_slope:.1f} submissions)")
    return {"parts": parts, "total": total, "empty_job": [empty_wall, empty_cpu],
            "job": [job_wall, job_cpu], "judge_process": [judge_wall, judge_cpu],
            "startup": start, "warm_up": {"once_s": warm_up, "job_cold_cpu": cold4,
                                          "job_warm_cpu": warm4}, "cache": cache, "scale": points,
            "line": {"intercept": intercept, "slope": slope, "cpu_intercept": cpu_intercept,
                     "cpu_slope": cpu_slope},
            "per_probe": {k: v / len(subs) for k, v in pp.items()}}


def run(klass: Path, n: int, sizes: list[int], workers: int,
        say: Callable[[str], Any] = print) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="hw3-breakdown-") as tmp:
        folder = Path(tmp)
        notebooks = make_class(klass, n, folder)
        floor = _subprocess_json(_FLOOR, *map(str, notebooks))
        scratch = folder / "scratch"
        scratch.mkdir()
        floor["forked_jobs"] = _subprocess_json(_JOB, *map(str, notebooks),
                                                HW3_BENCH_WORK=str(scratch))
        floor["cold_jobs"] = _subprocess_json(_JOB, *map(str, notebooks[:4]),
                                              HW3_BENCH_WORK=str(scratch), HW3_BENCH_NO_WARMUP="1")
        start = startup()
        eng = engine(notebooks)
        cache = cached(notebooks, workers)
        points = scale(klass, sizes, workers, folder)
    return report(floor, start, eng, cache, points, n, say)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--class", dest="klass", type=Path, default=ROOT / "examples" /
                    "sample_class")
    ap.add_argument("--n", type=int, default=12, help="notebooks for the per-phase figures")
    ap.add_argument("--sizes", default="12,48", help="class sizes for the scale line ('' none)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    figures = run(args.klass, args.n, sizes, args.workers)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, default=str))


if __name__ == "__main__":
    main()
