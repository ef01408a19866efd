"""The code stays `ruff` clean and the type ratchet holds (configuration in pyproject.toml)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def test_ruff_is_clean(root):
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed (it comes with the dev extra)")
    proc = subprocess.run([ruff, "check", "--output-format", "concise", "src", "tests",
                           "benchmarks", "examples"], cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:]


@pytest.mark.slow  # over 5 s here (--durations)
def test_mypy_is_clean(root):
    """The packages a submission passes through type-check, with no stale `type: ignore`."""
    mypy = shutil.which("mypy") or str(Path(sys.executable).parent / "mypy")
    if not Path(mypy).exists():
        pytest.skip("mypy is not installed (it comes with the dev extra)")
    proc = subprocess.run([mypy], cwd=root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:]
