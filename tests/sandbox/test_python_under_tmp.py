"""Python (or a clone of the repository with its ``.venv``) under /tmp, the sandbox's scratch.

The sandbox mounts a fresh tmpfs on /tmp and binds Python back onto it; the wipe after each job
must keep those mounts and the folders leading to them, and students' uid must be able to
traverse them (lazy imports happen in the job, not only in the warm zygote).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import hw3
from hw3.sandbox import bwrap_candidates
from tests.sandbox._sandbox_helpers import hostile

pytestmark = pytest.mark.slow  # every test over 5 s here (--durations)

SCRIPT = r"""
import json, sys
from hw3.grading.execute import execute_submission
from hw3.grading.jail import payload
from hw3.sandbox import Limits, Worker

w = Worker(Limits(cell_seconds=20.0, total_seconds=60.0), isolation="bubblewrap",
           payload=payload())
try:
    w.start()
    first = execute_submission(w, [sys.argv[1]], [])
    # pygments.formatters.html is not preloaded by the zygote: imported from /tmp in the job.
    second = execute_submission(
        w, ["import os, pygments.formatters.html\nprint(sorted(os.listdir('/tmp')))"], []
    )
    print(json.dumps({"first": [c.__dict__ for c in first.cells],
                      "second": [c.__dict__ for c in second.cells], "starts": w.starts,
                      "isolation": w.isolation}))
finally:
    w.close()
"""


@pytest.fixture(scope="module")
def python_in_tmp() -> Path:
    """A hard-linked copy of this virtual environment in /tmp (seconds, no disk)."""
    if sys.prefix == sys.base_prefix:
        pytest.skip("not running from a virtual environment")
    if not bwrap_candidates()[0]:
        pytest.skip("no bwrap here")
    top = Path(tempfile.mkdtemp(prefix="hw3-venv-", dir="/tmp"))
    copy = top / "clone" / ".venv"
    copy.parent.mkdir()
    done = subprocess.run(["cp", "-al", sys.prefix, str(copy)], capture_output=True, text=True)
    if done.returncode:
        shutil.rmtree(top, ignore_errors=True)
        pytest.skip(f"cannot hard-link the environment into /tmp: {done.stderr.strip()}")
    yield copy
    shutil.rmtree(top, ignore_errors=True)


def test_jobs_import_from_python_under_tmp_after_a_hostile_job(python_in_tmp: Path) -> None:
    top = python_in_tmp.parents[1]  # /tmp/hw3-venv-XXXX: the folder the job sees in /tmp
    cell = hostile("hide_python_dirs", __TOP__=str(top))
    done = subprocess.run(
        [str(python_in_tmp / "bin" / "python"), "-c", SCRIPT, cell],
        capture_output=True, text=True, timeout=300, cwd="/",
    )
    assert done.returncode == 0, done.stderr[-3000:]
    res = json.loads(done.stdout.strip().splitlines()[-1])
    if "bubblewrap" not in res["isolation"]:
        pytest.skip(f"bubblewrap unavailable: {res['isolation']}")
    assert [c["status"] for c in res["first"]] == ["ok"]
    # The next job still imports lazily and sees only the way to Python in /tmp.
    second = res["second"][0]
    assert second["status"] == "ok", second.get("error")
    # Besides Python's folder, /tmp shows the folder of a clone that itself lives under /tmp
    # (the package the job imports is bound from there).
    shown = {top.name}
    for place in (Path(hw3.__file__).resolve().parent, Path(sys.base_prefix).resolve()):
        if place.is_relative_to("/tmp"):
            shown.add(place.relative_to("/tmp").parts[0])
    assert second["output"].strip() == repr(sorted(shown))
    # As root the student's uid cannot touch root's folders: nothing done, the sandbox reused.
    # Unprivileged, a change is caught by the wipe and the sandbox restarted.
    if "done: []" in res["first"][0]["output"]:
        assert res["starts"] == 1
