"""What the tests of the grading images share (Gradescope's zip, PrairieLearn's image): a
fresh venv built from an image's own pinned list, and commands run where the platform puts the
job (a private mount namespace shows the job's tree at /autograder or /grade).

PyTorch's CPU index, which both images name, cannot be reached from every machine (this
project's have only their package registries): when a 3-second connection to it fails, pip is
told not to retry (PIP_RETRIES=0), so each package costs one refused connection instead of
minutes of back-off. The images' files are used unchanged.

Both images install the same pins and the same wheel: ``shared_venv`` builds one environment
per distinct (Python, pinned list, wheel) and the other image's tests reuse it, so the suite
pays the 2 to 8 minutes of installing PyTorch and the rest once. The key is computed from each
image's own files, so an image whose list or wheel differs gets its own environment.

Needs root (for the mount namespace and for the unprivileged-user mode), as on the platforms
and in CI."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

# How the images' own builder reaches PyTorch's index and this machine's package registries.
from hw3.build.try_zip import PIP_ENV_KEYS as PIP_KEYS
from hw3.build.try_zip import TORCH_INDEX, can_reach


def pip_env() -> dict[str, str]:
    """pip's settings for installing an image's pinned list on this machine."""
    return {} if can_reach(TORCH_INDEX) else {"PIP_RETRIES": "0", "PIP_TIMEOUT": "10"}


def need_root_and_unshare(mount: str) -> None:
    """Skip unless this can show a tree at ``mount`` (as the platform does); make the empty
    mount point if there is none (its contents stay private to each namespace)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip(f"needs root and unshare(1) to show the job's tree at {mount} (as in CI)")
    Path(mount).mkdir(exist_ok=True)


def need_python(want: str) -> None:
    if f"{sys.version_info.major}.{sys.version_info.minor}" != want:
        pytest.skip(f"the image's Python is {want}; this is {sys.version.split()[0]}")


def run_mounted(tree: Path, mount: str, cmd: list[str], env: dict[str, str] | None = None,
                timeout: float = 900, cwd: str | None = None,
                setup: str = "") -> subprocess.CompletedProcess[str]:
    """``cmd`` in a private mount namespace where ``tree`` is at ``mount``; ``setup`` is shell
    run there first (more mounts)."""
    script = f'mount --bind "$0" {mount} && {setup}cd "$1" && shift && exec "$@"'
    full = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script,
            str(tree), cwd or mount, *cmd]
    base_env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/root", "LANG": "C.UTF-8"}
    base_env.update({k: os.environ[k] for k in PIP_KEYS if k in os.environ})
    return subprocess.run(full, env={**base_env, **(env or {})}, capture_output=True,
                          text=True, timeout=timeout)


def root_overlay(base: Path) -> str:
    """Shell for ``run_mounted``'s ``setup``: /root becomes an overlay (upper layer under
    ``base``) closed to others, as Gradescope's image has it; what the entry changes there
    (chmod o+x, so that uid 65534 can reach this Python) stays in the namespace, off the host."""
    upper, work = base / "root-upper", base / "root-work"
    for d in (upper, work):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir()
    upper.chmod(0o700)
    return (f"mount -t overlay overlay -o lowerdir=/root,upperdir={upper},workdir={work} "
            "/root && ")


def make_venv(venv: Path) -> None:
    """A fresh venv of this Python."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)


# Where the shared environments live (kept between runs: a later run with the same inputs
# reuses them; delete the folder to reclaim the space).
ENVS = Path(tempfile.gettempdir()) / "hw3-image-envs"


def env_key(requirements: list[str], wheel: bytes) -> str:
    """What decides an image's environment: this Python, its pinned list (less the line that
    names hw3's wheel by its path in the image) and the wheel's bytes."""
    lines = sorted(r.strip() for r in requirements
                   if r.strip() and not r.strip().startswith("#")
                   and not r.replace(" ", "").startswith("hw3@"))
    h = hashlib.sha256(f"{sys.version_info.major}.{sys.version_info.minor}\n".encode())
    h.update("\n".join(lines).encode())
    h.update(hashlib.sha256(wheel).digest())
    return h.hexdigest()[:20]


def shared_venv(key: str, build: Callable[[Path], None]) -> tuple[Path, float | None]:
    """The environment of ``key``: built with ``build(venv)`` by the first test module that
    asks (others wait on a lock, then reuse it). Returns the venv and the seconds its build
    took (None: built earlier, reused)."""
    folder = ENVS / key
    folder.mkdir(parents=True, exist_ok=True)
    for d in (ENVS, folder):  # student code runs as uid 65534 with this Python
        d.chmod(0o755)
    venv = folder / "venv"
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (folder / "complete").exists():
            return venv, None
        shutil.rmtree(venv, ignore_errors=True)
        started = time.monotonic()
        build(venv)
        (folder / "complete").write_text("built\n")
        return venv, time.monotonic() - started


def mistake_in_an_export_zip(folder: Path, mistake: Path, solution: Path) -> tuple[Path, Path]:
    """The solution with ``mistake`` (a bank fixture) in it, as a notebook and as the export
    cell's zip of it (a timestamped name, as Otter's export makes): (notebook, zip)."""
    import zipfile

    import nbformat

    from hw3.bank import fixture_notebook, parse_fixture

    nb = fixture_notebook(nbformat.read(solution, as_version=4),
                          parse_fixture(mistake, "mistake"))
    notebook = folder / "hw3.ipynb"
    nbformat.write(nb, notebook)
    upload = folder / "hw3_2026_12_01T10_00_00.zip"
    with zipfile.ZipFile(upload, "w") as zf:
        zf.write(notebook, "hw3.ipynb")
    return notebook, upload
