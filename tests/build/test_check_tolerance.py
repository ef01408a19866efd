"""`hw3 build --check` accepts another CPU's float noise and still catches a real change.

The committed products are copied twice; one copy is perturbed the way another instruction set
perturbs a build (the last digits of training values, at every depth of nesting: inside the
wheel inside the autograder zip too, with its RECORD's hashes; a few anti-aliased pixels of a
plot), then the way a real change would. No build runs here: the comparison alone is under test.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from hw3.build import (
    CHECKS_ZIP,
    Layout,
    differing_products,
    equivalence,
    product_differences,
    write_zip,
)

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


def _record(entries: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """The entries with a wheel's RECORD rewritten for their bytes, as a build writes it."""
    out = []
    for name, blob in entries:
        if name.endswith(".dist-info/RECORD"):
            by_name = dict(entries)
            rows = []
            for line in blob.decode().splitlines():
                path = line.split(",", 1)[0]
                if path in by_name and path != name:
                    digest = base64.urlsafe_b64encode(
                        hashlib.sha256(by_name[path]).digest()).rstrip(b"=").decode()
                    line = f"{path},sha256={digest},{len(by_name[path])}"
                rows.append(line)
            blob = ("\n".join(rows) + "\n").encode()
        out.append((name, blob))
    return out


def _changed_archive(blob: bytes, change, rehash: bool = True) -> bytes:
    """The archive with ``change(name, bytes)`` applied to every entry at every depth of
    nesting (zips and wheels inside it too); wheels' RECORDs rehashed unless ``rehash`` is
    false."""
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        entries = []
        for n in zf.namelist():
            inner = zf.read(n)
            if n.endswith((".zip", ".whl")):
                inner = _changed_archive(inner, change, rehash)
            entries.append((n, change(n, inner)))
    if rehash:
        entries = _record(entries)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, b in entries:
            zf.writestr(zipfile.ZipInfo(n, (1980, 1, 1, 0, 0, 0)), b)
    return buf.getvalue()


def _noise(name: str, blob: bytes) -> bytes:
    return _last_digits(blob.decode()).encode() if name.endswith(".json") else blob


def _perturb_everywhere(fresh: Path, rehash: bool = True) -> None:
    """Another CPU's build: the last digits of every recorded float moved, in the data files
    and inside every archive at every depth (the autograder zip's wheel and checks zip)."""
    data = fresh / "src/hw3/grading/expected_hidden.json"
    text = data.read_text()
    noisy = _last_digits(text)
    assert noisy != text and "train.losses" in text
    data.write_text(noisy)
    for path in (fresh / "autograder/hw3-autograder.zip", fresh / f"student_template/{CHECKS_ZIP}"):
        path.write_bytes(_changed_archive(path.read_bytes(), _noise, rehash))


def test_last_digits_of_training_values_are_float_noise(trees):
    committed, fresh = trees
    _perturb_everywhere(fresh)
    # The wheel inside the autograder zip really changed, RECORD's hashes with it.
    with zipfile.ZipFile(committed / "autograder/hw3-autograder.zip") as a, \
            zipfile.ZipFile(fresh / "autograder/hw3-autograder.zip") as b:
        wheel = next(n for n in a.namelist() if n.endswith(".whl"))
        wa, wb = (zipfile.ZipFile(io.BytesIO(z.read(wheel))) for z in (a, b))
        record = next(n for n in wa.namelist() if n.endswith("RECORD"))
        assert wa.read(record) != wb.read(record)
        hidden = "hw3/grading/expected_hidden.json"
        assert wa.read(hidden) != wb.read(hidden)
    assert differing_products(committed, fresh) == []
    assert product_differences(committed, fresh) == []


def test_float_noise_with_the_wheels_record_left_as_it_was(trees):
    """RECORD's hashes are no reason for failure when the members differ only by noise."""
    committed, fresh = trees
    _perturb_everywhere(fresh, rehash=False)
    assert product_differences(committed, fresh) == []


def test_a_real_change_inside_the_nested_wheel_is_named(trees):
    committed, fresh = trees
    _perturb_everywhere(fresh)
    hidden = "hw3/grading/expected_hidden.json"
    path = fresh / "autograder/hw3-autograder.zip"
    with zipfile.ZipFile(path) as zf:  # the wheel's copy only, not the checks zip's
        entries = [(n, zf.read(n)) for n in zf.namelist()]
    write_zip(path, [(n, _changed_archive(b, lambda m, x: (
        _scaled_first(x.decode(), 1.01).encode() if m == hidden else x))
        if n.endswith(".whl") else b) for n, b in entries])
    assert differing_products(committed, fresh) == ["autograder/hw3-autograder.zip"]
    [sentence] = product_differences(committed, fresh)
    assert sentence == ("autograder/hw3-autograder.zip: wheels/hw3-0.1.0-py3-none-any.whl: "
                        f"{hidden} differs beyond float noise")
    # A member's hash recorded otherwise while its bytes are the same is a change too.
    committed_zip = (committed / "autograder/hw3-autograder.zip").read_bytes()
    path.write_bytes(_changed_archive(committed_zip, lambda n, b: (
        b.replace(b"sha256=", b"sha256=x", 1) if n.endswith("RECORD") else b), rehash=False))
    [sentence] = product_differences(committed, fresh)
    assert "RECORD records another hash for" in sentence and sentence.startswith(
        "autograder/hw3-autograder.zip: wheels/hw3-0.1.0-py3-none-any.whl: ")


def test_a_real_change_of_a_recorded_value_is_caught(trees):
    committed, fresh = trees
    data = fresh / "src/hw3/grading/expected_hidden.json"
    data.write_text(_scaled_first(data.read_text(), 1.01))
    assert differing_products(committed, fresh) == ["src/hw3/grading/expected_hidden.json"]
    assert product_differences(committed, fresh) == [
        "src/hw3/grading/expected_hidden.json differs beyond float noise"]
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
