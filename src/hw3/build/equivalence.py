"""Whether two builds' products are the same up to the float noise of the CPU they ran on.

``hw3 build`` is byte-identical on one machine, but PyTorch's and NumPy's kernels differ between
instruction sets (AVX2, AVX-512, ...) in the last digits of a float, and a training run carries
such differences into every recorded loss, weight and plot. ``hw3 build --check`` therefore
compares products by content:

- notebooks (``.ipynb``) and JSON files by structure, and every string in them (outputs,
  wire-encoded expected data) token by token: text equal, whole numbers equal, decimal numbers
  equal within ``RTOL``/``ATOL``;
- PNG images (files, or ``image/png`` outputs) by decoded pixels: the same size, and at most
  ``PNG_PIXEL_SHARE`` of the pixels differing by more than ``PNG_LEVELS`` levels (a plot of
  training values moves by a pixel at most; a different plot moves far more);
- archives (zips and wheels, known by their bytes, at any depth: the wheel and the checks zip
  inside the autograder zip) entry by entry: the same names, each entry by its own kind; a
  wheel's ``RECORD`` by its rows, where a member's hash and size may differ only if the member
  itself differs and was found equal by content;
- other files byte for byte.

``difference`` says where two versions differ, in one sentence naming the file and the nested
member (``autograder/hw3-autograder.zip: wheels/hw3-0.1.0-py3-none-any.whl:
hw3/grading/expected_hidden.json differs beyond float noise``).

The tolerance is the judges' own for training values (``hw3.cases.torch_train``): data that
differ by less are graded the same, so a product within it is not stale.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import math
import re
import zipfile
from pathlib import PurePosixPath
from typing import Any

RTOL = 1e-4  # relative tolerance on decimal numbers
ATOL = 1e-6  # absolute tolerance on decimal numbers (values near zero)
PNG_LEVELS = 32  # out of 255: a pixel differs when a channel moves more than this
PNG_PIXEL_SHARE = 0.01  # at most this share of a PNG's pixels may differ

_NUMBER = re.compile(r"(-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?)")


def close(a: float, b: float) -> bool:
    """Two decimal numbers equal within the stated tolerance (NaN equals NaN)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= ATOL + RTOL * max(abs(a), abs(b))


def same_text(a: str, b: str) -> bool:
    """Equal text, where decimal numbers may differ within the tolerance."""
    if a == b:
        return True
    ta, tb = _NUMBER.split(a), _NUMBER.split(b)
    if len(ta) != len(tb):
        return False
    for i, (x, y) in enumerate(zip(ta, tb)):
        if x == y:
            continue
        if i % 2 == 0:  # text between numbers
            return False
        decimal = any(c in x + y for c in ".eE")
        if not decimal or not close(float(x), float(y)):
            return False
    return True


def same_png(a: bytes, b: bytes) -> bool:
    """Two PNGs that look the same: equal size, almost every pixel within a few levels."""
    if a == b:
        return True
    import numpy as np
    from matplotlib import image

    try:
        pa, pb = (np.asarray(image.imread(io.BytesIO(x), format="png")) for x in (a, b))
    except (OSError, ValueError, SyntaxError):
        return False
    if pa.shape != pb.shape:
        return False
    scale = 255.0 if pa.dtype.kind == "f" else 1.0
    diff = np.abs(pa.astype(float) - pb.astype(float)) * scale
    moved = diff.max(axis=-1) > PNG_LEVELS if diff.ndim == 3 else diff > PNG_LEVELS
    return float(moved.mean()) <= PNG_PIXEL_SHARE


def same_data(a: Any, b: Any, key: str = "") -> bool:
    """Two JSON values equal up to the tolerance; ``image/png`` strings compared as images."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_data(a[k], b[k], k) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_data(x, y, key) for x, y in zip(a, b))
    if isinstance(a, str) and isinstance(b, str):
        if key == "image/png":
            try:
                return same_png(base64.b64decode(a), base64.b64decode(b))
            except ValueError:
                return False
        return same_text(a, b)
    if isinstance(a, bool) or isinstance(b, bool) or type(a) is not type(b):
        return a == b and type(a) is type(b)
    if isinstance(a, float):
        return close(a, b)
    return a == b


_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with entries, an empty zip
_ARCHIVES = (".zip", ".whl")


def _is_archive(name: str, a: bytes, b: bytes) -> bool:
    return PurePosixPath(name).suffix in _ARCHIVES or (
        a.startswith(_ZIP_MAGIC) and b.startswith(_ZIP_MAGIC))


def same_file(name: str, a: bytes, b: bytes) -> bool:
    """Two versions of a product (``name`` gives its kind) equal up to the tolerance."""
    return difference(name, a, b) is None


def difference(name: str, a: bytes, b: bytes) -> str | None:
    """Where two versions of ``name`` differ beyond the tolerance, as ``name[: member...]:
    what``; None when they are the same up to it."""
    if a == b:
        return None
    if _is_archive(name, a, b):
        inner = archive_difference(a, b)
        return None if inner is None else f"{name}: {inner}"
    suffix = PurePosixPath(name).suffix
    if suffix == ".ipynb":
        import nbformat

        try:  # nbformat joins multi-line strings, so line splits do not matter
            na, nb = (nbformat.reads(x.decode(), as_version=4) for x in (a, b))
        except (ValueError, UnicodeDecodeError):
            return f"{name} is not a readable notebook in both versions"
        same = same_data(json.loads(json.dumps(na)), json.loads(json.dumps(nb)))
    elif suffix == ".json":
        try:
            same = same_data(json.loads(a), json.loads(b))
        except (ValueError, UnicodeDecodeError):
            return f"{name} is not readable JSON in both versions"
    elif suffix == ".png":
        same = same_png(a, b)
    else:
        return f"{name} differs (compared byte for byte)"
    return None if same else f"{name} differs beyond float noise"


def archive_difference(a: bytes, b: bytes) -> str | None:
    """Two archives with the same entries, each equal up to the tolerance (nested archives
    included); a wheel's RECORD may differ only in the hashes of members equal by content."""
    try:
        with zipfile.ZipFile(io.BytesIO(a)) as za, zipfile.ZipFile(io.BytesIO(b)) as zb:
            names_a, names_b = set(za.namelist()), set(zb.namelist())
            if names_a != names_b:
                gone, new = sorted(names_a - names_b), sorted(names_b - names_a)
                return ("the entries differ: " +
                        "; ".join(part for part in (
                            gone and "only in the committed one: " + ", ".join(gone[:5]),
                            new and "only in the fresh one: " + ", ".join(new[:5])) if part))
            blobs = {n: (za.read(n), zb.read(n)) for n in za.namelist()}
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError) as e:
        return f"is not a readable archive in both versions ({e})"
    for name, (x, y) in blobs.items():
        if PurePosixPath(name).name == "RECORD" and name.endswith(".dist-info/RECORD"):
            problem = _record_difference(name, x, y, blobs)
        else:
            problem = difference(name, x, y)
        if problem:
            return problem
    return None


def _record_difference(name: str, a: bytes, b: bytes,
                       blobs: dict[str, tuple[bytes, bytes]]) -> str | None:
    """A wheel's RECORD (``path,hash,size`` rows): the same paths in the same order; a row's
    hash and size may differ only for a member whose bytes differ (compared by content on
    its own)."""
    if a == b:
        return None
    try:
        rows_a, rows_b = (list(csv.reader(io.StringIO(x.decode()))) for x in (a, b))
    except (UnicodeDecodeError, csv.Error):
        return f"{name} is not a readable RECORD in both versions"
    if [r[:1] for r in rows_a] != [r[:1] for r in rows_b]:
        return f"{name} lists other files"
    for ra, rb in zip(rows_a, rows_b):
        if ra == rb:
            continue
        member = ra[0] if ra else ""
        pair = blobs.get(member)
        if pair is None or pair[0] == pair[1]:
            return f"{name} records another hash for {member}, whose bytes are the same"
    return None


def same_zip(a: bytes, b: bytes) -> bool:
    """Two zips with the same entries, each equal up to the tolerance."""
    return archive_difference(a, b) is None
