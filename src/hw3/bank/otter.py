"""The one way hw3 runs ``otter run`` (Otter Grader's own grader, with the autograder zip): the
bank's slow runner, the tests that compare Otter with ``hw3 grade``, and the speed benchmark.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hw3.layout import single_thread_env

PUBLIC_TESTS = "Public Tests"  # Otter's summary entry, not a question


@dataclass
class OtterRun:
    """What one ``otter run`` wrote: the tests of its results.json, or why there are none."""

    tests: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""  # empty when Otter wrote its results
    seconds: float = 0.0

    def scores(self) -> dict[str, tuple[float, float]]:
        """Question -> (score, possible), Otter's summary entry left out."""
        return {t["name"]: (float(t["score"]), float(t["max_score"])) for t in self.tests
                if "score" in t and t.get("name") != PUBLIC_TESTS}

    def failing_outputs(self) -> dict[str, str]:
        """Question -> what Otter printed for it, for the questions that lost points."""
        return {t["name"]: str(t.get("output", "")) for t in self.tests
                if "score" in t and float(t["score"]) < float(t["max_score"])}


def otter_run(notebook: Path, autograder: Path, out: Path, timeout: float = 600.0,
              env: Mapping[str, str] | None = None) -> OtterRun:
    """``otter run -a autograder -o out notebook``, in ``out`` (created); never raises for
    Otter's failure: the result's ``error`` says it. By default one thread per numeric library
    (two runs share two cores without fighting over them); a baseline that runs Otter alone, as
    an instructor would, passes ``env=os.environ``."""
    out.mkdir(parents=True, exist_ok=True)
    run_env = dict(env) if env is not None else single_thread_env(MPLBACKEND="Agg")
    start = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, "-m", "otter", "run", "-a", str(autograder),
                               "-o", str(out), str(notebook)], cwd=out,
                              env=run_env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return OtterRun(error=f"otter run took longer than {timeout:g} s",
                        seconds=time.monotonic() - start)
    seconds = time.monotonic() - start
    results = out / "results.json"
    if not results.is_file():
        return OtterRun(error=f"otter run wrote no results (exit {proc.returncode}): "
                              f"{(proc.stderr or proc.stdout)[-500:]}", seconds=seconds)
    return OtterRun(json.loads(results.read_text()).get("tests", []), seconds=seconds)
