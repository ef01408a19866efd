"""The Slurm example runs for real: a one-node cluster (examples/slurm/one-node-cluster.sh:
munged, slurmctld and slurmd as root, in a temporary folder), the sample class queued with
examples/slurm/submit.sh as 3 array tasks and a dependent merge job, and the merged results
equal to one `hw3 grade` of the same class on this machine.

Skips, saying why, where Slurm is not installed (Debian: apt-get install -y slurm-wlm munge) or
cannot start (not root, a node that does not come up). Prints the figures: cluster start,
the array's wall time, the merge's, and the single-machine run's."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests._support import ROOT

pytestmark = pytest.mark.slow

SLURM = ROOT / "examples" / "slurm"
SAMPLE = ROOT / "examples" / "sample_class"
SHARDS = 3


def _wait(what: str, done, timeout: float) -> None:
    end = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < end, f"{what} did not finish within {timeout:g} s"
        time.sleep(1)


@pytest.fixture(scope="module")
def cluster():
    missing = [p for p in ("munged", "slurmctld", "slurmd", "sbatch") if not shutil.which(p)]
    if missing:
        pytest.skip(f"Slurm is not installed ({', '.join(missing)} not found): "
                    "apt-get install -y slurm-wlm munge")
    if os.geteuid() != 0:
        pytest.skip("a one-node Slurm cluster runs its daemons as root")
    hw3 = Path(sys.executable).parent / "hw3"
    if not hw3.exists():
        pytest.skip(f"no hw3 command beside {sys.executable} (pip install -e .)")
    # Not under pytest's tmp (mode 0700): jobs run student code as uid 65534 with this Python.
    base = Path(tempfile.mkdtemp(prefix="hw3-slurm-"))
    base.chmod(0o755)
    started = time.monotonic()
    proc = subprocess.run([str(SLURM / "one-node-cluster.sh"), "start", str(base / "cluster")],
                          capture_output=True, text=True, timeout=180)
    if proc.returncode:
        subprocess.run([str(SLURM / "one-node-cluster.sh"), "stop", str(base / "cluster")],
                       capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"Slurm could not start here: {proc.stderr.strip()[-500:]}")
    env = {**os.environ, "SLURM_CONF": str(base / "cluster" / "slurm.conf"),
           "HW3": str(hw3), "XDG_CACHE_HOME": str(base / "cache")}
    try:
        yield base, env, time.monotonic() - started
    finally:
        subprocess.run([str(SLURM / "one-node-cluster.sh"), "stop", str(base / "cluster")],
                       capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


def _squeue(env: dict[str, str], job: str) -> str:
    return subprocess.run(["squeue", "-h", "-j", job], capture_output=True, text=True,
                          env=env, timeout=60).stdout.strip()


def test_the_array_job_and_merge_equal_one_run(cluster):
    base, env, start_seconds = cluster
    out = base / "out"
    started = time.monotonic()
    proc = subprocess.run([str(SLURM / "submit.sh"), str(SAMPLE), str(out), str(SHARDS)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    words = proc.stdout.split()
    grade_job, merge_job = words[words.index("job") + 1], words[words.index("merging:") + 2]
    _wait("the array job", lambda: not _squeue(env, grade_job), 1800)
    array_seconds = time.monotonic() - started

    def logs() -> str:
        return "\n".join(p.read_text()[-1500:] for p in sorted((out / "logs").glob("*.log")))

    # A failed task leaves the merge waiting for ever (afterok): say so now, with the logs.
    assert all((out / f"shard-{i}" / "results.json").is_file()
               for i in range(1, SHARDS + 1)), logs()
    _wait("the merge job", lambda: not _squeue(env, merge_job), 600)
    merge_seconds = time.monotonic() - started - array_seconds
    assert (out / "merged" / "results.json").is_file(), logs()
    for i in range(1, SHARDS + 1):
        assert json.loads((out / f"shard-{i}" / "results.json").read_text())["shard"][
            "index"] == i

    started = time.monotonic()
    whole = subprocess.run([env["HW3"], "grade", str(SAMPLE), "--out", str(base / "whole"),
                            "--quiet", "--no-cache"], capture_output=True, text=True, env=env,
                           timeout=1800)
    whole_seconds = time.monotonic() - started
    assert whole.returncode == 0, whole.stderr[-3000:]

    def entries(folder: Path) -> list[dict]:
        subs = json.loads((folder / "results.json").read_text())["submissions"]
        return [{k: v for k, v in s.items() if k not in ("seconds", "cached")} for s in subs]

    merged = entries(out / "merged")
    assert len(merged) == 11 and merged == entries(base / "whole")
    assert (out / "merged" / "grades.csv").read_text() == \
        (base / "whole" / "grades.csv").read_text()
    print(f"\nSlurm, one node: cluster start {start_seconds:.1f} s; array of {SHARDS} "
          f"(queued to finished) {array_seconds:.1f} s; merge job {merge_seconds:.1f} s; "
          f"the same class on this machine with hw3 grade: {whole_seconds:.1f} s")
