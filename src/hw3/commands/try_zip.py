"""``hw3 try-zip ZIP NOTEBOOK``: grade one upload with the autograder zip's own environment and
wheel, as Gradescope would, before uploading the zip (see ``hw3.build.try_zip``)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

HELP = "try the Gradescope autograder zip on an upload before uploading the zip"
DESCRIPTION = (
    "Unpack ZIP into a temporary /autograder-like folder, build a virtual environment from "
    "the zip's own environment.yml (its pinned packages and hw3's wheel from the zip, not "
    "this checkout), run the zip's entry on UPLOAD as Gradescope's run_autograder does, and "
    "print results.json. The environment takes minutes the first time and is kept for the "
    "next try (only the wheel is reinstalled).")


def default_venv(key: str) -> Path:
    """Where a venv for the zip's pins is kept. As root, student code runs as another user
    and must reach this Python, so not under /root (closed to others)."""
    if os.geteuid() == 0:
        return Path("/var/tmp/hw3-try-zip") / key
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "hw3" / "try-zip" / key


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("zip", type=Path, metavar="ZIP", help="the autograder zip "
                        "(autograder/hw3-autograder.zip)")
    parser.add_argument("upload", type=Path, metavar="UPLOAD", help="what a student uploads: "
                        "a notebook or the export cell's zip")
    parser.add_argument("--venv", type=Path, default=None, help="the environment to build or "
                        "reuse (default: kept in ~/.cache/hw3/try-zip/, /var/tmp/hw3-try-zip/ "
                        "as root, one per set of pins)")
    parser.add_argument("--fresh", action="store_true", help="rebuild the environment even if "
                        "one for the same pins is kept")
    parser.add_argument("--isolation", default=None,
                        choices=["gradescope", "bubblewrap", "unprivileged-user", "none"],
                        help="the entry's --isolation (default: the zip's own, gradescope: "
                             "bubblewrap, else unprivileged-user as root)")
    parser.add_argument("--results", type=Path, default=None, metavar="FILE",
                        help="also copy results.json to FILE")


def run(args: argparse.Namespace) -> int:
    import tempfile
    import zipfile

    from hw3.build.errors import BuildError
    from hw3.build.try_zip import ZipImage, pins_key, results_lines

    for path, what in ((args.zip, "zip"), (args.upload, "upload")):
        if not path.is_file():
            print(f"hw3 try-zip: no such {what} file: {path}", file=sys.stderr)
            return 2
    if not zipfile.is_zipfile(args.zip):
        print(f"hw3 try-zip: {args.zip} is not a zip file", file=sys.stderr)
        return 2
    # As root with unshare(1), the tree is shown at the real /autograder (the zip unchanged);
    # otherwise the entry is pointed at it with --root.
    mount = os.geteuid() == 0 and shutil.which("unshare") is not None
    if mount:
        Path("/autograder").mkdir(exist_ok=True)  # the mount point, empty on the host

    def say(msg: str) -> None:
        print(f"- {msg}", file=sys.stderr, flush=True)

    base = Path(tempfile.mkdtemp(prefix="hw3-try-zip-"))
    base.chmod(0o755)  # student code may run as another user, beside these files
    try:
        image = ZipImage(base, mount=mount)
        image.unpack(args.zip)
        if "environment.yml" not in os.listdir(image.source):
            print(f"hw3 try-zip: {args.zip} has no environment.yml: not an autograder zip",
                  file=sys.stderr)
            return 2
        venv = args.venv or default_venv(pins_key(image.requirements()))
        venv.parent.mkdir(parents=True, exist_ok=True)
        if args.fresh:
            shutil.rmtree(venv, ignore_errors=True)
        image = ZipImage(base, venv=venv, mount=mount)
        try:
            image.build(say=say)
        except BuildError as e:
            print(f"hw3 try-zip: {e}", file=sys.stderr)
            return 1
        say(f"grading {args.upload.name} with the zip's entry")
        extra = ["--isolation", args.isolation] if args.isolation else []
        results, proc = image.grade(args.upload, name=args.upload.name, args=extra,
                                    private_root=mount)
        if not results:
            print(f"hw3 try-zip: the zip's entry wrote no results.json (exit {proc.returncode})"
                  f":\n{proc.stderr[-3000:]}", file=sys.stderr)
            return 1
        if args.results:
            shutil.copy(image.tree / "results" / "results.json", args.results)
        print("\n".join(results_lines(results)))
        return 0
    finally:
        shutil.rmtree(base, ignore_errors=True)
