"""The built notebooks: executed in a real Jupyter kernel, then normalised so that equal builds
give equal files (stable cell ids, no volatile metadata, one stream output per run of text, one
fixed emoji for Otter's cheers), and written.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import nbformat

from hw3.build.errors import BuildError
from hw3.grading.submission import strip_otter
from hw3.layout import single_thread_env


def _kernel_env() -> dict[str, str]:
    # One thread and a fixed hash seed: the executed solution comes out the same every time.
    return single_thread_env(PYTHONHASHSEED="0",
                             MPLBACKEND="module://matplotlib_inline.backend_inline")


def kernel_manager(sockets: Path) -> Any:
    """A Jupyter kernel manager whose kernel talks over Unix sockets in ``sockets`` (a private
    folder) rather than TCP on 127.0.0.1.

    With TCP, ipykernel (7+) logs "Kernel is running over TCP without encryption ...
    susceptible to eavesdropping" to its stderr, which reaches the terminal of whoever runs
    the kernel (once per kernel: twice per ``hw3 build``). IPC transport is the remedy that
    warning names: the sockets are files under a 0700 folder, so no other user can connect."""
    from jupyter_client.manager import KernelManager

    return KernelManager(kernel_name="python3", transport="ipc", ip=str(sockets / "kernel"))


def execute_notebook(nb: Any, cwd: Path, timeout: int = 300) -> Any:
    """Execute a notebook in a real Jupyter kernel (the running Python's), in ``cwd``."""
    import tempfile

    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    old = dict(os.environ)
    os.environ.update(_kernel_env())
    try:
        with tempfile.TemporaryDirectory(prefix="hw3-kernel-") as sockets:
            km = kernel_manager(Path(sockets))
            client = NotebookClient(nb, km=km, timeout=timeout, kernel_name="python3",
                                    record_timing=False,
                                    resources={"metadata": {"path": str(cwd)}})
            try:
                client.execute()
            finally:  # nbclient shuts down only kernels it made itself
                if km.has_kernel:
                    km.shutdown_kernel(now=True)
    except CellExecutionError as e:
        raise BuildError(f"the reference solution raised an error:\n{str(e)[-3000:]}") from e
    finally:
        os.environ.clear()
        os.environ.update(old)
    return nb


def without_otter(cell: Any) -> Any:
    """A code cell without its Otter lines (the student's code beside them stays)."""
    if cell.cell_type == "code":
        cell.source = strip_otter(cell.source)
    return cell


def _is_export_cell(cell: Any) -> bool:
    return cell.cell_type == "code" and "grader.export(" in cell.source


def execute_except_export(nb: Any, cwd: Path) -> Any:
    """Execute every cell but the export cell, which stays as students get it: running it would
    write a time-stamped zip into the outputs."""
    runnable = nbformat.reads(nbformat.writes(nb), as_version=4)
    runnable.cells = [c for c in nb.cells if not _is_export_cell(c)]
    execute_notebook(runnable, cwd)
    executed = iter(runnable.cells)
    nb.cells = [c if _is_export_cell(c) else next(executed) for c in nb.cells]
    return nb


def normalize(nb: Any) -> Any:
    """Stable cell ids and no volatile metadata, so equal builds give equal files."""
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
        cell.metadata.pop("execution", None)
        if "outputs" in cell:
            cell["outputs"] = _coalesce_streams(cell["outputs"])
        for output in cell.get("outputs", []):
            output.get("metadata", {}).pop("execution", None)
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def _coalesce_streams(outputs: list[Any]) -> list[Any]:
    """One output per run of stdout (or stderr) text: the kernel splits it where timing says."""
    merged: list[Any] = []
    for out in outputs:
        prev = merged[-1] if merged else None
        if (out.get("output_type") == "stream" and prev is not None
                and prev.get("output_type") == "stream" and prev.get("name") == out.get("name")):
            prev["text"] = "".join(prev["text"]) + "".join(out["text"])
        else:
            merged.append(out)
    return merged


def write_notebook(nb: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(normalize(nb)) + "\n", encoding="utf-8")


_EMOJI = re.compile(r"(passed!) [^\s<\"]+")


def fixed_emoji(nb: Any) -> Any:
    """Otter cheers each passed check with a random emoji; one fixed emoji keeps builds equal."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            for mime, value in output.get("data", {}).items():
                if isinstance(value, str) and mime.startswith("text/"):
                    output["data"][mime] = _EMOJI.sub("\\1 \u2728", value)
    return nb


def require_checks_passed(nb: Any) -> None:
    """Every grader.check in the executed solution must report that all tests passed."""
    failed = []
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith("grader.check("):
            text = json.dumps(cell.get("outputs", []))
            if "passed" not in text or "failed" in text:
                failed.append(cell.source.strip())
    if failed:
        raise BuildError("the solution fails public checks: " + ", ".join(failed))

