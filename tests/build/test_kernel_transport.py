"""hw3's own kernel launches (hw3 build's) run over Unix sockets, so ipykernel has no reason to
warn "Kernel is running over TCP without encryption" on the instructor's terminal."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = """
import nbformat
from pathlib import Path
from hw3.build.notebooks import execute_notebook
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
    "import os; print(6 * 7, os.getcwd())")])
execute_notebook(nb, Path(r"{cwd}"))
print(nb.cells[0].outputs[0]["text"], end="")
"""


@pytest.mark.slow  # over 5 s here (--durations)
def test_build_kernels_talk_over_unix_sockets_without_the_tcp_warning(tmp_path):
    proc = subprocess.run([sys.executable, "-c", SCRIPT.format(cwd=tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == f"42 {tmp_path}"  # ran, in the folder asked for
    assert "without encryption" not in proc.stderr and "TCP" not in proc.stderr, proc.stderr
    # ...and the kernel is shut down with the run, not left to notice its parent is gone.
    assert "Parent appears to have exited" not in proc.stderr, proc.stderr
    assert "WARNING" not in proc.stderr, proc.stderr
