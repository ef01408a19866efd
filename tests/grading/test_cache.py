"""The results cache: keyed by the isolation actually used, never weaker for stronger, never
`none`, sealed against forged entries; and `hw3 grade` refusing to run without a sandbox."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hw3.grading.cache import Cache
from hw3.grading.grade import Options, grade_paths
from hw3.grading.results import Scores, Status, SubmissionResult
from hw3.grading.submission import Submission

ROOT = Path(__file__).resolve().parents[2]
SOLUTION = ROOT / "solutions" / "hw3.ipynb"
TEMPLATE = ROOT / "student_template" / "hw3.ipynb"
HOSTILE = ROOT / "tests" / "fixtures" / "hostile"


def _sub(tmp_path: Path, name: str = "a.ipynb") -> Submission:
    return Submission(tmp_path / name, "a", "d" * 64)


def _result(isolation: str, score: float = 50.0) -> SubmissionResult:
    return SubmissionResult("a.ipynb", "a", Status.GRADED, "", Scores(score, 100.0, {}, []),
                            isolation=isolation)


def test_a_result_is_served_to_runs_no_stronger_than_its_own(tmp_path: Path) -> None:
    sub = _sub(tmp_path)
    weak = Cache(tmp_path / "c", "k", "unprivileged-user")
    weak.put(sub, _result("unprivileged-user (no namespaces)"))
    assert weak.get(sub).score == 50.0
    strong = Cache(tmp_path / "c", "k", "bubblewrap")
    assert strong.get(sub) is None  # weaker is never served to a stronger run
    strong.put(sub, _result("bubblewrap", 70.0))
    assert strong.get(sub).score == 70.0
    assert weak.get(sub).score == 70.0  # stronger serves weaker: it is at least as good
    assert Cache(tmp_path / "c", "other-key", "bubblewrap").get(sub) is None


def test_results_graded_without_a_sandbox_are_never_cached(tmp_path: Path) -> None:
    sub = _sub(tmp_path)
    Cache(tmp_path / "c", "k", "bubblewrap").put(sub, _result("none (asked for by name)"))
    assert not (tmp_path / "c").exists()
    none_run = Cache(tmp_path / "c", "k", "none")
    none_run.put(sub, _result("none (asked for by name)"))
    assert none_run.get(sub) is None and not (tmp_path / "c").exists()


def test_forged_or_foreign_entries_are_never_served(tmp_path: Path) -> None:
    sub = _sub(tmp_path)
    cache = Cache(tmp_path / "c", "k", "bubblewrap")
    cache.put(sub, _result("bubblewrap"))
    [entry] = [p for p in (tmp_path / "c").rglob("*.json")]
    sealed = json.loads(entry.read_text())
    forged = json.loads(sealed["result"])
    forged["score"] = 100.0
    entry.write_text(json.dumps({"result": json.dumps(forged), "mac": sealed["mac"]}))
    assert Cache(tmp_path / "c", "k", "bubblewrap").get(sub) is None  # the MAC no longer fits
    entry.write_text(json.dumps(sealed))
    assert Cache(tmp_path / "c", "k", "bubblewrap").get(sub).score == 50.0
    entry.chmod(0o666)  # anyone could have written it
    assert Cache(tmp_path / "c", "k", "bubblewrap").get(sub) is None
    entry.chmod(0o600)
    assert oct((tmp_path / "c").stat().st_mode & 0o777) == "0o700"
    # After a run without a sandbox (or one that died before cleaning up), nothing is served.
    cache.taint()
    Cache(tmp_path / "c", "").forget_if_tainted()
    assert Cache(tmp_path / "c", "k", "bubblewrap").get(sub) is None


def test_hw3_grade_refuses_to_run_unsandboxed_without_the_flag(tmp_path: Path) -> None:
    shutil.copy(SOLUTION, tmp_path / "alice.ipynb")
    env = {**os.environ, "HW3_BWRAP": "/nonexistent", "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("HW3_SANDBOX", None)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "hw3.cli", "grade", str(tmp_path / "alice.ipynb"),
                           "--json", str(out / "g.json"), "--out", str(out), "--quiet"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode != 0
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "/nonexistent" in lines[0] and "--isolation none" in lines[0]
    assert not out.exists() and not (tmp_path / "cache").exists()  # no file written


@pytest.mark.slow
def test_poisoned_cache_entries_are_never_served(tmp_path: Path) -> None:
    """poison_cache writes forged entries where it can; with `none` it can reach the cache
    (it runs as this user). A later sandboxed run grades everything afresh."""
    from hw3.bank.fixtures import read_meta
    from tests._support import notebook_with

    subs = tmp_path / "subs"
    subs.mkdir()
    path = HOSTILE / "poison_cache.py"
    meta = read_meta(path)
    source = path.read_text().replace("HINTS = []", f"HINTS = [{str(tmp_path)!r}]")
    nb = notebook_with(TEMPLATE, source, meta["insert"])
    (subs / "poison_cache.ipynb").write_text(json.dumps(nb))
    shutil.copy(TEMPLATE, subs / "blank.ipynb")
    cache = tmp_path / "cache" / "hw3" / "results"
    options = Options(workers=1, cell_timeout=30, timeout=240, cache_dir=cache)
    unsafe = grade_paths([subs], Options(**{**options.__dict__, "isolation": "none"})).to_json()
    by_id = {s["id"]: s for s in unsafe["submissions"]}
    assert by_id["poison_cache"]["isolation"].startswith("none")
    forged = [p for p in cache.rglob("*.json")]
    assert forged, "the fixture should have reached the cache in this mode"
    again = grade_paths([subs], options).to_json()
    for entry in again["submissions"]:
        assert not entry.get("cached"), entry["id"]
        assert entry["isolation"] == "bubblewrap"
        assert entry["score"] == float(meta["expect"].split("=")[1]) == 0.0
    third = grade_paths([subs], options).to_json()
    assert all(e.get("cached") for e in third["submissions"])  # its own results are reused
