"""The student's side of Otter: which file this kernel's notebook is saved in (after a rename
too), the checks, and the export that makes the one zip a student hands in.

Runs in the student's kernel only: the template's first cells make the grader with
``Grader()``. Under ``hw3 grade`` those cells are stripped (they name ``grader``), and under
Otter's own grading run (``otter run``) the export does nothing, as Otter's does.

Which file? A kernel is told its notebook's name once, when it starts (``JPY_SESSION_NAME``),
and JupyterLab never tells it of a rename; so the running Jupyter server is asked first (its
sessions map this kernel to the notebook's current path), then the names a kernel is given
(VS Code's ``__vsc_ipynb_file__``, ``JPY_SESSION_NAME``), then the folder if it holds one
notebook only. When none of these knows, the export says so and makes no zip: it never guesses
between two notebooks, so it can never hand in a blank template beside the student's copy.
"""

from __future__ import annotations

import glob
import json
import os
import re
import sys
import time
import urllib.request
from collections.abc import Mapping
from typing import Any

import otter

SUBMISSION_ZIP = "hw3_submission.zip"  # one zip, overwritten by each export
_SERVER_TIMEOUT = 3.0  # seconds to wait for a Jupyter server on this machine


def _kernel_id() -> str | None:
    """This kernel's id, from the name of its connection file (kernel-<id>.json)."""
    try:
        from ipykernel.connect import get_connection_file

        name = os.path.basename(get_connection_file())
    except Exception:  # noqa: BLE001 - not an ipykernel, or no connection file
        return None
    found = re.fullmatch(r"kernel-(.+)\.json", name)
    return found.group(1) if found else None


def _servers() -> list[dict[str, Any]]:
    """The Jupyter servers running on this machine (their runtime files), newest first."""
    try:
        from jupyter_core.paths import jupyter_runtime_dir
    except ImportError:
        return []
    files = glob.glob(os.path.join(jupyter_runtime_dir(), "*server-*.json"))
    servers = []
    for path in sorted(files, key=lambda p: os.path.getmtime(p), reverse=True):
        try:
            with open(path, encoding="utf-8") as f:
                info = json.load(f)
        except (OSError, ValueError):
            continue
        if isinstance(info, dict) and isinstance(info.get("url"), str):
            servers.append(info)
    return servers


def server_notebook(kernel_id: str | None = None) -> str | None:
    """The absolute path of the notebook whose session runs this kernel, as the Jupyter server
    that started it says now (it follows renames); None if no server says."""
    kernel_id = kernel_id or _kernel_id()
    if not kernel_id:
        return None
    # The server is on this machine: no proxy between.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    for server in _servers():
        request = urllib.request.Request(
            server["url"].rstrip("/") + "/api/sessions",
            headers={"Authorization": f"token {server.get('token', '')}"})
        try:
            with opener.open(request, timeout=_SERVER_TIMEOUT) as response:
                sessions = json.load(response)
        except Exception:  # noqa: BLE001 - a stale runtime file, another user's server
            continue
        for session in sessions if isinstance(sessions, list) else []:
            if (session.get("kernel") or {}).get("id") == kernel_id:
                path = session.get("path") or (session.get("notebook") or {}).get("path")
                root = server.get("root_dir") or server.get("notebook_dir") or ""
                if isinstance(path, str) and path:
                    return os.path.join(root, path)
    return None


def _here(path: str) -> str:
    """``path`` as a name in the working folder where it is there (how the zip names it)."""
    if os.path.dirname(os.path.abspath(path)) == os.getcwd():
        return os.path.basename(path)
    return path


def notebook_file(env: Mapping[str, Any] | None = None) -> tuple[str | None, str]:
    """(the file this kernel's notebook is saved in, or None; the reason when None)."""
    from_server = server_notebook()
    if from_server:
        if os.path.isfile(from_server):
            return _here(from_server), ""
        return None, (f"Jupyter says this notebook is {os.path.basename(from_server)!r}, but "
                      "that file is not there: save it (File > Save) and run this cell again.")
    named = [(env or {}).get("__vsc_ipynb_file__"), os.environ.get("JPY_SESSION_NAME"),
             (env or {}).get("__session__")]
    for name in (n for n in named if isinstance(n, str) and n.endswith(".ipynb")):
        # A relative name may be relative to the server's root rather than to this folder.
        for path in (name,) if os.path.isabs(name) else (name, os.path.basename(name)):
            if os.path.isfile(path):
                return _here(path), ""
    notebooks = sorted(glob.glob("*.ipynb"))
    if len(notebooks) == 1:
        return notebooks[0], ""
    return None, ("This kernel cannot tell which of the notebooks here is yours "
                  f"({', '.join(notebooks) or 'none found'}), so no zip was made: save your "
                  'notebook, then run grader.export("YOUR_FILE.ipynb") with its file name.')


def _notebook_with_tests(current: str | None = None) -> str | None:
    """A notebook in this folder that carries the checks' tests: every copy of the template
    carries the same ones, so the checks need not know which copy this is (only the export
    does): the one used so far while it is there, else the kernel's, hw3.ipynb, or any."""
    candidates = [current, os.environ.get("JPY_SESSION_NAME"), "hw3.ipynb",
                  *sorted(glob.glob("*.ipynb"))]
    for path in filter(None, candidates):
        try:
            with open(path, encoding="utf-8") as f:
                if json.load(f).get("metadata", {}).get("otter", {}).get("tests"):
                    return path
        except (OSError, ValueError, AttributeError):
            continue
    return None


def public_results(env: Mapping[str, Any]) -> dict[str, tuple[int, int]]:
    """Each question's public cases passed and run, in this kernel, with hw3's own checks."""
    from hw3.cases import check, otter_checks

    results = {}
    for question, cases in otter_checks().registry.questions.items():
        public = [c for c in cases if not c.hidden]
        passed = 0
        for case in public:
            try:
                check(case.id, env)
            except Exception:  # noqa: BLE001 - a failed or crashed check is a case not passed
                continue
            passed += 1
        if public:
            results[question] = (passed, len(public))
    return results


def summary(results: Mapping[str, tuple[int, int]]) -> str:
    """One line on the public checks' results."""
    passed = sum(p for p, _ in results.values())
    total = sum(n for _, n in results.values())
    behind = [f"{q} ({p} of {n})" for q, (p, n) in results.items() if p < n]
    line = f"Public checks, run now in this kernel: {passed} of {total} pass"
    line += f"; not passing yet: {', '.join(behind)}." if behind else "."
    return line + " Hidden tests check more when your work is graded."


class Grader(otter.Notebook):
    """Otter's grader for this notebook: its checks follow the notebook's file through a rename,
    and its export hands in that file and nothing else (see the module's text)."""

    _notebook: str | None  # Otter's: the notebook file the checks read

    def __init__(self) -> None:
        super().__init__(None if self._grading_mode else _notebook_with_tests())

    def check(self, question: str, global_env: dict[str, Any] | None = None) -> Any:
        if global_env is None:
            global_env = sys._getframe(1).f_globals
        if not self._grading_mode:
            self._notebook = _notebook_with_tests(self._notebook) or self._notebook
        return super().check(question, global_env)

    def export(self, nb_path: str | None = None, *, force: bool = False,
               **_otter_options: Any) -> None:
        """Make ``hw3_submission.zip`` from this notebook's saved file, after running the public
        checks here; nothing until some answer passes one (``force=True`` to hand in anyway)."""
        if self._grading_mode:
            return
        env = sys._getframe(1).f_globals
        if nb_path is None:
            nb_path, why = notebook_file(env)
        elif not os.path.isfile(nb_path):
            nb_path, why = None, f"There is no file {nb_path!r} in this folder, so no zip was made."
        if nb_path is None:
            print(why)
            return
        results = public_results(env)
        if not force and not any(passed for passed, _ in results.values()):
            print("No answer passes a check yet, so no zip was made: answer the questions "
                  "first (to hand in the notebook as it is, run grader.export(force=True)).")
            return
        if os.path.exists(SUBMISSION_ZIP):
            os.remove(SUBMISSION_ZIP)
        try:
            super().export(nb_path=nb_path, export_path=SUBMISSION_ZIP, pdf=False,
                           run_tests=False, display_link=True)
        except Exception as error:  # noqa: BLE001 - one sentence, not Otter's traceback
            print(f"The zip could not be made ({type(error).__name__}: {str(error)[:200]}).")
            return
        saved = time.strftime("%H:%M", time.localtime(os.path.getmtime(nb_path)))
        print(f"{SUBMISSION_ZIP} holds {os.path.basename(nb_path)} as last saved at {saved} "
              "(save first if you changed it since): hand in this zip.")
        print(summary(results))
