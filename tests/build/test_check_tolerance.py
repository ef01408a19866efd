"""`hw3 build --check` accepts another CPU's float noise and still catches a real change.

The committed products are copied twice; one copy is perturbed the way another instruction set
perturbs a build (the last digits of training values, a few anti-aliased pixels of a plot), then
the way a real change would. No build runs here: the comparison alone is under test.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from hw3.build import CHECKS_ZIP, Layout, differing_products, equivalence, write_zip

_FLOAT = re.compile(r"-?\d+\.\d{8,}")


@pytest.fixture
def trees(root, tmp_path) -> tuple[Path, Path]:
    """Two copies of the committed products: (committed, fresh)."""
    out = []
    for name in ("committed", "fresh"):
        for p in Layout(root).products():
            (tmp_path / name / p).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(root / p, tmp_path / name / p)
        out.append(tmp_path / name)
    return out[0], out[1]


def _last_digits(text: str, count: int = 50) -> str:
    """Change the last digits of the first ``count`` long decimals: relative change ~1e-12."""
    n = 0

    def bump(m: re.Match) -> str:
        nonlocal n
        n += 1
        if n > count:
            return m.group(0)
        s = m.group(0)
        return s[:-1] + str((int(s[-1]) + 7) % 10)

    return _FLOAT.sub(bump, text)


def _scaled_first(text: str, factor: float) -> str:
    """Scale the first long decimal by ``factor``: a real change of the recorded value."""
    return _FLOAT.sub(lambda m: repr(float(m.group(0)) * factor), text, count=1)


def _rewrite_zip(path: Path, change) -> None:
    with zipfile.ZipFile(path) as zf:
        entries = [(n, change(n, zf.read(n))) for n in zf.namelist()]
    write_zip(path, entries)


def _png_with(png: bytes, pixels: int, seed: int = 0) -> bytes:
    """The same PNG with ``pixels`` pixels set to black."""
    from matplotlib import image

    arr = np.array(image.imread(io.BytesIO(png), format="png"))
    rng = np.random.default_rng(seed)
    flat = arr.reshape(-1, arr.shape[-1])
    flat[rng.choice(len(flat), size=pixels, replace=False), :3] = 0.0
    buf = io.BytesIO()
    image.imsave(buf, arr, format="png")
    return buf.getvalue()


def _first_png_output(nb: dict) -> dict:
    return next(o for c in nb["cells"] for o in c.get("outputs", [])
                if "image/png" in o.get("data", {}))


def test_unchanged_products_are_in_step(trees):
    assert differing_products(*trees) == []


def test_last_digits_of_training_values_are_float_noise(trees):
    committed, fresh = trees
    data = fresh / "src/hw3/grading/expected_hidden.json"
    text = data.read_text()
    noisy = _last_digits(text)
    assert noisy != text and "train.losses" in text
    data.write_text(noisy)
    # The same noise inside both zips (checks zip, and the checks zip inside the autograder).
    def noise(name: str, blob: bytes) -> bytes:
        if name.endswith(".json"):
            return _last_digits(blob.decode()).encode()
        if name.endswith(CHECKS_ZIP):
            inner = fresh / "inner.zip"
            inner.write_bytes(blob)
            _rewrite_zip(inner, noise)
            return inner.read_bytes()
        return blob

    _rewrite_zip(fresh / "autograder/hw3-autograder.zip", noise)
    _rewrite_zip(fresh / f"student_template/{CHECKS_ZIP}", noise)
    assert differing_products(committed, fresh) == []


def test_a_real_change_of_a_recorded_value_is_caught(trees):
    committed, fresh = trees
    data = fresh / "src/hw3/grading/expected_hidden.json"
    data.write_text(_scaled_first(data.read_text(), 1.01))
    assert differing_products(committed, fresh) == ["src/hw3/grading/expected_hidden.json"]
    # Just outside the stated tolerance is a change; just inside is not.
    assert not equivalence.same_text("x=1.00000", f"x={1 + 3 * equivalence.RTOL:.8f}")
    assert equivalence.same_text("x=1.00000", f"x={1 + equivalence.RTOL / 3:.8f}")
    # Whole numbers and words must match exactly.
    assert not equivalence.same_text("shape (6, 4)", "shape (6, 5)")
    assert not equivalence.same_text("passed 0.5", "failed 0.5")


def test_a_plot_redrawn_by_another_cpu_is_the_same_plot(trees):
    committed, fresh = trees
    path = fresh / "solutions/hw3.ipynb"
    nb = json.loads(path.read_text())
    out = _first_png_output(nb)
    png = base64.b64decode(out["data"]["image/png"])
    out["data"]["image/png"] = base64.b64encode(_png_with(png, pixels=3)).decode()
    # Printed training values move in their last digits too.
    for cell in nb["cells"]:
        for o in cell.get("outputs", []):
            if "text" in o:
                o["text"] = [_last_digits(t) for t in o["text"]] if isinstance(
                    o["text"], list) else _last_digits(o["text"])
    path.write_text(json.dumps(nb, indent=1) + "\n")
    assert differing_products(committed, fresh) == []


def test_a_different_plot_or_output_is_caught(trees):
    committed, fresh = trees
    path = fresh / "solutions/hw3.ipynb"
    nb = json.loads(path.read_text())
    out = _first_png_output(nb)
    png = base64.b64decode(out["data"]["image/png"])
    from matplotlib import image

    total = np.prod(image.imread(io.BytesIO(png), format="png").shape[:2])
    out["data"]["image/png"] = base64.b64encode(_png_with(png, pixels=int(total * 0.2))).decode()
    path.write_text(json.dumps(nb, indent=1) + "\n")
    assert differing_products(committed, fresh) == ["solutions/hw3.ipynb"]
    # A missing product is always out of step.
    (fresh / "solutions/hw3.ipynb").unlink()
    assert differing_products(committed, fresh) == ["solutions/hw3.ipynb"]
