"""One discovery of submission files, for `hw3 grade` (every file) and Gradescope's upload
folder (the one a student meant: a notebook over a zip)."""

from __future__ import annotations

from pathlib import Path

from hw3.grading.submission import discover


def _files(root: Path, *names: str) -> list[Path]:
    out = []
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}")
        out.append(path)
    return out


def test_folders_give_every_file_sorted_without_hidden_files_and_os_litter(tmp_path: Path):
    # A PDF or notes beside the notebooks get entries of their own (invalid, with a sentence),
    # never vanish; hidden files, checkpoints and macOS/Windows litter are not hand-ins.
    b, a, z, _, notes, pdf, _, _, _ = _files(
        tmp_path, "b.ipynb", "a/x.ipynb", "z.zip", ".ipynb_checkpoints/b.ipynb", "notes.txt",
        "a/report.pdf", ".DS_Store", "__MACOSX/a/._x.ipynb", "Thumbs.db")
    assert discover([tmp_path]) == [pdf, a, b, notes, z]


def test_files_as_given_in_order_once_each(tmp_path: Path):
    a, b = _files(tmp_path, "a.json", "b.ipynb")
    assert discover([b, a, b]) == [b, a]  # a file given is graded whatever its suffix
    assert discover([tmp_path / "absent.ipynb"]) == [tmp_path / "absent.ipynb"]


def test_an_upload_folder_gives_one_notebook_before_any_zip(tmp_path: Path):
    _files(tmp_path, "a.zip", "sub/b.ipynb", "c.ipynb", ".hidden/d.ipynb")
    assert discover([tmp_path], one=True) == [tmp_path / "c.ipynb"]


def test_an_upload_folder_with_a_zip_only_gives_it(tmp_path: Path):
    (z,) = _files(tmp_path, "export.zip")
    assert discover([tmp_path], one=True) == [z]


def test_an_upload_folder_that_is_missing_or_empty_gives_nothing(tmp_path: Path):
    assert discover([tmp_path / "absent"], one=True) == []
    assert discover([tmp_path], one=True) == []
    _files(tmp_path, "readme.txt")
    assert discover([tmp_path], one=True) == []
