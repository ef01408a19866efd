"""A student in JupyterLab (a real server, headless Chromium): the untouched ``hw3.ipynb`` lies
beside the working copy; the copy's kernel runs, then the copy is renamed (File > Rename
Notebook); its export cell must hand in the renamed copy, not the blank template, with no
traceback.

Needs Debian's ``chromium``, Playwright and JupyterLab (the dev extras); skips without them.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile

import nbformat
import pytest

from hw3.build import CHECKS_ZIP
from hw3.cases.handin import SUBMISSION_ZIP
from tests._support import TEMPLATE, headless_chromium

pytestmark = pytest.mark.slow

ANSWER = "q4_5_depth = 20\nq4_5_width = 30"


@pytest.fixture(scope="module")
def browser():
    yield from headless_chromium()


def _working_copy(path) -> None:
    """The template's first two cells (set-up, grader), one answer, its check and the export
    cell: what a student's copy holds, short enough to run in seconds."""
    nb = nbformat.read(TEMPLATE, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    export = next(c for c in code if "grader.export(" in c.source)
    nb.cells = [*code[:2], nbformat.v4.new_code_cell(ANSWER),
                nbformat.v4.new_code_cell('grader.check("q4_5")'), export]
    nbformat.write(nb, path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory, root):
    if importlib.util.find_spec("jupyterlab") is None:
        pytest.skip("JupyterLab not installed (pip install jupyterlab)")
    home = tmp_path_factory.mktemp("lab")
    work = home / "work"
    work.mkdir()
    shutil.copy(TEMPLATE, work / "hw3.ipynb")
    shutil.copy(root / "student_template" / CHECKS_ZIP, work / CHECKS_ZIP)
    _working_copy(work / "hw3-Copy1.ipynb")
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
           "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"), "MPLBACKEND": "Agg"}
    env.pop("JPY_SESSION_NAME", None)
    log = open(home / "lab.log", "w")  # noqa: SIM115 - the server writes it until the end
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
         "--LabApp.news_url=None", "--ServerApp.open_browser=False", "--allow-root"],
        cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail("JupyterLab did not start:\n" + (home / "lab.log").read_text())
                time.sleep(0.5)
        yield base, token, work
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _wait_ran(page, n: int, timeout: float = 180_000) -> None:
    """Wait until the first ``n`` cells show an execution count (not ``[*]``)."""
    page.wait_for_function(
        """n => {
            const p = [...document.querySelectorAll('.jp-Notebook .jp-Cell .jp-InputPrompt')];
            return p.length >= n && p.slice(0, n).every(e => /\\[\\d+\\]/.test(e.textContent));
        }""",
        arg=n, timeout=timeout)


def test_a_working_copy_renamed_while_its_kernel_runs_exports_itself(browser, lab):
    base, token, work = lab
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{base}/lab/tree/hw3-Copy1.ipynb?token={token}", timeout=120_000)
        cells = page.locator(".jp-Notebook .jp-Cell")
        cells.first.wait_for(timeout=120_000)
        # The kernel has started when the status bar says it is idle.
        page.wait_for_function("() => /\\| Idle/.test(document.body.innerText)",
                               timeout=120_000)
        # Run the set-up, the grader, the answer and its check, as a student would.
        cells.first.locator(".jp-InputPrompt").click()
        for _ in range(4):
            page.keyboard.press("Shift+Enter")
        _wait_ran(page, 4)
        assert "passed" in cells.nth(3).inner_text()

        # Rename the notebook while its kernel runs.
        page.locator(".lm-MenuBar-itemLabel", has_text="File").click()
        page.locator(".lm-Menu-itemLabel", has_text="Rename Notebook").click()
        field = page.locator(".jp-Dialog input")
        field.fill("alice-hw3.ipynb")
        page.locator(".jp-Dialog button", has_text="Rename").click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('.lm-TabBar-tabLabel')]"
            ".some(e => e.textContent === 'alice-hw3.ipynb')", timeout=60_000)
        assert (work / "alice-hw3.ipynb").is_file() and not (work / "hw3-Copy1.ipynb").exists()

        # Export.
        cells.nth(4).locator(".jp-InputPrompt").click()
        page.keyboard.press("Shift+Enter")
        _wait_ran(page, 5)
        out = cells.nth(4).locator(".jp-OutputArea").inner_text()
    finally:
        context.close()
    assert "alice-hw3.ipynb" in out and SUBMISSION_ZIP in out, out
    assert "Traceback" not in out and "Error" not in out, out
    with zipfile.ZipFile(work / SUBMISSION_ZIP) as zf:
        notebooks = [n for n in zf.namelist() if n.endswith(".ipynb")]
        assert notebooks == ["alice-hw3.ipynb"], zf.namelist()
        handed_in = json.loads(zf.read(notebooks[0]))
    sources = ["".join(c["source"]) for c in handed_in["cells"]]
    assert ANSWER in sources  # the student's copy, not the blank template beside it
    assert sorted(p.name for p in work.glob("*.zip")) == sorted([CHECKS_ZIP, SUBMISSION_ZIP])
