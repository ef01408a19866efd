"""Try the Gradescope autograder zip before uploading it: its own environment, its own wheel.

The zip is unpacked into an ``/autograder``-shaped tree (``source/``, ``submission/``,
``results/``); a virtual environment is made from nothing but the zip's ``environment.yml``
(its pip part, handed to pip as conda hands it: a requirements file, pip run from
``source/``), so hw3 comes from the zip's wheel, grader side and hidden data included, never
from this checkout. An upload then goes into ``submission/`` and the zip's ``run_otter.py`` runs
with the environment's Python, as Gradescope's ``run_autograder`` runs it; ``results.json`` is
read back.

Two ways to put the tree where the zip expects it:
- ``mount=True`` (root and ``unshare(1)``, as in CI): a private mount namespace shows the tree
  at the real path ``/autograder``, where the zip's pinned wheel path and Gradescope's scripts
  expect it; the zip's files are used unchanged;
- otherwise (any user: ``hw3 try-zip``): the wheel's requirement is pointed at the unpacked
  wheel, and the entry is told the tree's place with ``--root``.

A venv takes minutes to build (PyTorch is large), so ``hw3 try-zip`` keeps it, keyed by the
zip's pins (hw3's own wheel aside), and reinstalls only the wheel on the next try.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hw3.build.autograder import AUTOGRADER_DIR, WHEEL_DIR
from hw3.build.errors import BuildError

MOUNT = AUTOGRADER_DIR
TORCH_INDEX = ("download.pytorch.org", 443)
PIP_ENV_KEYS = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CERT",
                "PIP_DEFAULT_TIMEOUT", "PIP_CONFIG_FILE", "PIP_DISABLE_PIP_VERSION_CHECK")
READY = "hw3-try-zip.json"  # in a venv: the pins it was built from


def can_reach(address: tuple[str, int]) -> bool:
    try:
        socket.create_connection(address, timeout=3).close()
        return True
    except OSError:
        return False


def pip_requirements(environment_yml: str) -> list[str]:
    """The pip part of a conda environment file (what conda writes to a requirements file)."""
    import yaml

    env = yaml.safe_load(environment_yml)
    pip = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    return [str(r) for r in pip[0]] if pip else []


def conda_python(environment_yml: str) -> str:
    """The Python version the zip's environment asks for (``3.11``)."""
    import yaml

    deps = yaml.safe_load(environment_yml)["dependencies"]
    return next(d.split("=", 1)[1] for d in deps if isinstance(d, str) and d.startswith("python="))


def _is_wheel_line(requirement: str) -> bool:
    return requirement.startswith("hw3 @ ")


def pins_key(requirements: list[str]) -> str:
    """What a venv built for these requirements holds, hw3's own wheel aside."""
    pins = "\n".join(r for r in requirements if not _is_wheel_line(r))
    return hashlib.sha256(pins.encode()).hexdigest()[:16]


def find_python(version: str) -> str | None:
    """A Python of ``version`` (``3.11``): this one if it is, else ``python3.11`` on PATH."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        return sys.executable
    return shutil.which(f"python{version}")


class ZipImage:
    """The unpacked zip, its environment, and a way to run commands where the zip expects."""

    def __init__(self, base: Path, venv: Path | None = None, mount: bool = False):
        self.base = base
        self.tree = base / "autograder"
        self.source = self.tree / "source"
        self.venv = venv or base / "venv"
        self.python = self.venv / "bin" / "python"
        self.mount = mount
        self.setup_seconds = 0.0

    @property
    def root(self) -> str:
        """Where the tree is as the commands see it."""
        return MOUNT if self.mount else str(self.tree)

    def unpack(self, autograder_zip: Path) -> None:
        for folder in ("source", "submission", "results"):
            (self.tree / folder).mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(autograder_zip) as zf:
            zf.extractall(self.source)

    @property
    def environment(self) -> str:
        return (self.source / "environment.yml").read_text()

    def requirements(self) -> list[str]:
        """The zip's pip requirements; without the mount, hw3's wheel where it was unpacked."""
        reqs = pip_requirements(self.environment)
        if self.mount:
            return reqs
        wheel_url = f"file://{MOUNT}/source/{WHEEL_DIR}/"
        return [f"hw3 @ {(self.source / WHEEL_DIR / r.split(wheel_url, 1)[1]).as_uri()}"
                if _is_wheel_line(r) and wheel_url in r else r for r in reqs]

    def run(self, cmd: list[str], env: dict[str, str] | None = None, timeout: float = 900,
            cwd: str | None = None, private_root: bool = False
            ) -> subprocess.CompletedProcess[str]:
        """``cmd`` in the tree (``cwd``: a folder as the commands see it, default the tree).
        With the mount, in a private mount namespace where the tree is /autograder; with
        ``private_root`` too, /root is an overlay whose changes (the entry's chmod o+x, as on
        Gradescope, where Miniforge's Python lives in /root) stay in this namespace."""
        base_env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": os.environ.get(
            "HOME", "/root"), "LANG": "C.UTF-8"}
        for key in PIP_ENV_KEYS + ("XDG_CACHE_HOME", "TMPDIR"):
            if key in os.environ:  # how this machine reaches its package registries
                base_env[key] = os.environ[key]
        if self.mount:
            base_env["HOME"] = "/root"
        env = {**base_env, **(env or {})}
        cwd = cwd or self.root
        if not self.mount:
            return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True,
                                  timeout=timeout)
        overlay = ""
        if private_root:
            upper, work = self.base / "root-upper", self.base / "root-work"
            for d in (upper, work):
                shutil.rmtree(d, ignore_errors=True)
                d.mkdir()
            upper.chmod(0o700)  # /root as Gradescope's image has it: closed to others
            overlay = (f"mount -t overlay overlay -o lowerdir=/root,upperdir={upper},"
                       f"workdir={work} /root && ")
        script = f'mount --bind "$0" {MOUNT} && {overlay}cd "$1" && shift && exec "$@"'
        full = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script,
                str(self.tree), cwd, *cmd]
        return subprocess.run(full, env=env, capture_output=True, text=True, timeout=timeout)

    def ready(self) -> bool:
        """The venv exists and was built for the zip's pins."""
        marker = self.venv / READY
        try:
            built = json.loads(marker.read_text()).get("pins")
        except (OSError, ValueError, AttributeError):
            return False
        return self.python.is_file() and built == pins_key(self.requirements())

    def build(self, python: str | None = None, say: Callable[[str], None] | None = None) -> None:
        """A venv from the zip's environment.yml only (as Gradescope's setup.sh makes it), or
        the wheel alone reinstalled into a venv already built for the same pins."""
        say = say or (lambda msg: None)
        started = time.monotonic()
        reqs = self.requirements()
        # PyTorch's CPU index, which the zip names for Gradescope, cannot be reached from every
        # machine: then pip is told not to retry, so each package costs one refused connection.
        env = {} if can_reach(TORCH_INDEX) else {"PIP_RETRIES": "0", "PIP_TIMEOUT": "10"}
        src = f"{self.root}/source"
        if self.ready():
            wheel = next(r.split(" @ ", 1)[1] for r in reqs if _is_wheel_line(r))
            say(f"reinstalling the zip's wheel into {self.venv}")
            cmd = [str(self.python), "-m", "pip", "install", "-q", "--no-deps",
                   "--force-reinstall", wheel]
            proc = self.run(cmd, env=env, timeout=600, cwd=src)
        else:
            python = python or find_python(conda_python(self.environment))
            if python is None:
                raise BuildError(f"the zip's environment wants Python "
                                 f"{conda_python(self.environment)}, and there is no "
                                 f"python{conda_python(self.environment)} on PATH")
            shutil.rmtree(self.venv, ignore_errors=True)
            say(f"building the zip's environment in {self.venv} (minutes: PyTorch is large)")
            subprocess.run([python, "-m", "venv", str(self.venv)], check=True, timeout=300)
            listing = self.source / "condaenv.hw3try.requirements.txt"
            listing.write_text("\n".join(reqs) + "\n")
            proc = self.run([str(self.python), "-m", "pip", "install", "-q", "-U", "-r",
                             f"{src}/{listing.name}"], env=env, timeout=1800, cwd=src)
            listing.unlink()
        if proc.returncode:
            raise BuildError(f"pip could not install the zip's environment:\n"
                             f"{proc.stderr[-3000:]}")
        (self.venv / READY).write_text(json.dumps({"pins": pins_key(reqs)}) + "\n")
        self.setup_seconds = time.monotonic() - started

    def grade(self, upload: Path | None, name: str = "hw3.ipynb", data: bytes | None = None,
              env: dict[str, str] | None = None, args: list[str] | None = None,
              private_root: bool = False
              ) -> tuple[dict[str, Any], subprocess.CompletedProcess[str]]:
        """Gradescope's run: a fresh submission/ and results/, then run_otter.py."""
        for folder in ("submission", "results"):
            shutil.rmtree(self.tree / folder, ignore_errors=True)
            (self.tree / folder).mkdir()
        if upload is not None or data is not None:
            target = self.tree / "submission" / name
            target.write_bytes(data if data is not None else upload.read_bytes())  # type: ignore[union-attr]
        cmd = [str(self.python), f"{self.root}/source/run_otter.py"]
        if not self.mount:
            cmd += ["--root", self.root]
        proc = self.run(cmd + list(args or []), env=env, timeout=900,
                        private_root=private_root)
        path = self.tree / "results" / "results.json"
        results = json.loads(path.read_text()) if path.is_file() else {}
        return results, proc


def results_lines(results: dict[str, Any]) -> list[str]:
    """results.json as an instructor reads it: the score, then every test with its visibility,
    score and the first lines of its output."""
    if not results:
        return ["no results.json was written"]
    graded = [t for t in results.get("tests", []) if "max_score" in t]
    possible = sum(t["max_score"] for t in graded)
    hw3 = results.get("extra_data", {}).get("hw3", {})
    lines = [f"score {results.get('score')} / {possible:g}"
             + (f" (isolation: {hw3['isolation']})" if hw3.get("isolation") else "")]
    if results.get("output"):
        lines.append(f"output: {results['output']}")
    for t in results.get("tests", []):
        score = f" {t.get('score')}/{t['max_score']:g}" if "max_score" in t else ""
        lines.append(f"- {t.get('name')} [{t.get('visibility', 'visible')}]{score} "
                     f"{t.get('status', '')}".rstrip())
        for out in str(t.get("output", "")).splitlines()[:6]:
            if out.strip():
                lines.append(f"    {out[:160]}")
    return lines
