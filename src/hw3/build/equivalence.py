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
- zips entry by entry (the same names; each entry by its own kind), other files byte for byte.

The tolerance is the judges' own for training values (``hw3.cases.torch_train``): data that
differ by less are graded the same, so a product within it is not stale.
"""

from __future__ import annotations

import base64
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


def same_file(name: str, a: bytes, b: bytes) -> bool:
    """Two versions of a product (``name`` gives its kind) equal up to the tolerance."""
    if a == b:
        return True
    suffix = PurePosixPath(name).suffix
    if suffix == ".ipynb":
        import nbformat

        try:  # nbformat joins multi-line strings, so line splits do not matter
            na, nb = (nbformat.reads(x.decode(), as_version=4) for x in (a, b))
        except (ValueError, UnicodeDecodeError):
            return False
        return same_data(json.loads(json.dumps(na)), json.loads(json.dumps(nb)))
    if suffix == ".json":
        try:
            return same_data(json.loads(a), json.loads(b))
        except (ValueError, UnicodeDecodeError):
            return False
    if suffix == ".png":
        return same_png(a, b)
    if suffix in (".zip", ".whl"):
        return same_zip(a, b)
    return False


def same_zip(a: bytes, b: bytes) -> bool:
    """Two zips with the same entries, each equal up to the tolerance."""
    try:
        with zipfile.ZipFile(io.BytesIO(a)) as za, zipfile.ZipFile(io.BytesIO(b)) as zb:
            if sorted(za.namelist()) != sorted(zb.namelist()):
                return False
            return all(same_file(n, za.read(n), zb.read(n)) for n in za.namelist())
    except zipfile.BadZipFile:
        return False
