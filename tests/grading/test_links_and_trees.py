"""Hostile trees (issue 18, items 3 and 7; issue 17, item 4), built on the fly: links in a
submissions folder, in an export zip or as a Gradescope upload, links swapped in after the
folder was listed, pipes, a folder nested 1,100 deep, and stray files beside the notebooks.

Every file given or found gets exactly one entry; a link is refused with one sentence and
nothing it points to is opened; the batch always finishes. None of these entries needs a
sandbox (nothing of them runs), so the whole batch is graded in-process in seconds."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import threading
import zipfile
from pathlib import Path

import pytest

from hw3.grading.grade import Options, grade_paths
from hw3.grading.gradescope import OTTER_DEFAULTS, grade_upload
from hw3.grading.submission import read
from hw3.grading.tree import MAX_DEPTH, find
from tests._support import SOLUTION


def _grade(*paths: Path) -> dict[str, dict]:
    results = grade_paths(list(paths), Options(cache_dir=None)).to_json()
    return {s["id"]: s for s in results["submissions"]}


def _secret(tmp_path: Path) -> Path:
    """The course's solution, somewhere the student's folder links to."""
    secret = tmp_path / "course" / "solution.ipynb"
    secret.parent.mkdir()
    shutil.copy(SOLUTION, secret)
    return secret


# ----------------------------------------------------------------------------- links


def test_a_link_to_the_solution_in_a_submissions_folder_is_refused_with_one_sentence(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "mallory.ipynb").symlink_to(_secret(tmp_path))
    (subs / "pdf_only.pdf").write_bytes(b"%PDF-1.4 not a notebook")
    entries = _grade(subs)
    entry = entries["mallory"]
    assert entry["status"] == "invalid" and entry["score"] == 0
    assert "is a link" in entry["message"] and entry["message"].count(". ") <= 1


def test_a_link_to_a_classmates_file_and_a_linked_student_folder_are_both_refused(tmp_path):
    subs = tmp_path / "subs"
    (subs / "alice").mkdir(parents=True)
    (subs / "alice" / "hw3.ipynb").write_text("My answers are in the PDF\n")
    (subs / "mallory").mkdir()
    (subs / "mallory" / "hw3.ipynb").symlink_to(subs / "alice" / "hw3.ipynb")
    (subs / "eve").symlink_to(tmp_path / "course", target_is_directory=True)
    _secret(tmp_path)
    found = {f.path.relative_to(subs).as_posix(): f.problem for f in find([subs])}
    assert set(found) == {"alice/hw3.ipynb", "mallory/hw3.ipynb", "eve"}
    assert found["alice/hw3.ipynb"] == ""
    assert "is a link" in found["mallory/hw3.ipynb"] and "is a link" in found["eve"]
    entries = _grade(subs)
    assert len(entries) == 3  # one entry each, the linked folder included
    refused = [e for e in entries.values() if "is a link" in e["message"]]
    assert len(refused) == 2 and all(e["status"] == "invalid" for e in refused)


def test_a_file_swapped_for_a_link_after_the_folder_was_listed_is_not_followed(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "mallory.ipynb").write_text("{}")
    (found,) = find([subs])
    # Between listing and reading, the student's file becomes a link to the solution.
    (subs / "mallory.ipynb").unlink()
    (subs / "mallory.ipynb").symlink_to(_secret(tmp_path))
    sub = read(found, "mallory")
    assert not sub.readable and "is a link" in sub.problem and not sub.cells


def test_a_folder_on_the_way_swapped_for_a_link_after_listing_is_not_followed(tmp_path):
    subs = tmp_path / "subs"
    (subs / "mallory").mkdir(parents=True)
    (subs / "mallory" / "solution.ipynb").write_text("{}")
    (found,) = find([subs])
    secret = _secret(tmp_path)
    shutil.rmtree(subs / "mallory")
    (subs / "mallory").symlink_to(secret.parent, target_is_directory=True)
    sub = read(found, "mallory")
    assert not sub.readable and "is a link" in sub.problem and not sub.cells


def test_a_file_named_on_the_command_line_that_is_a_link_is_refused(tmp_path):
    link = tmp_path / "mallory.ipynb"
    link.symlink_to(_secret(tmp_path))
    entry = _grade(link)["mallory"]
    assert entry["status"] == "invalid" and "is a link" in entry["message"]


def test_an_export_zip_holding_a_link_is_refused_with_one_sentence(tmp_path):
    path = tmp_path / "mallory.zip"
    with zipfile.ZipFile(path, "w") as zf:
        info = zipfile.ZipInfo("hw3.ipynb")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16  # what `zip --symlinks` writes
        zf.writestr(info, str(_secret(tmp_path)))
    entry = _grade(path)["mallory"]
    assert entry["status"] == "invalid"
    assert "holds a link" in entry["message"] and entry["score"] == 0


def test_a_gradescope_upload_that_is_a_link_is_refused_without_running_anything(tmp_path):
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "submission" / "hw3.ipynb").symlink_to(_secret(tmp_path))
    out, entry = grade_upload(root, 60, "bubblewrap", dict(OTTER_DEFAULTS))
    assert entry is not None and entry["status"] == "invalid"
    assert "is a link" in out["output"] and out["score"] == 0


def test_a_gradescope_upload_inside_a_linked_folder_is_refused(tmp_path):
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "submission" / "work").symlink_to(_secret(tmp_path).parent,
                                              target_is_directory=True)
    out, entry = grade_upload(root, 60, "bubblewrap", dict(OTTER_DEFAULTS))
    assert entry is None or entry["status"] == "invalid"
    assert out["score"] == 0


def test_a_stray_link_beside_a_gradescope_upload_does_not_displace_the_notebook(tmp_path):
    upload = tmp_path / "submission"
    upload.mkdir()
    (upload / "a.ipynb").symlink_to(_secret(tmp_path))
    (upload / "hw3.ipynb").write_text("{}")
    (upload / "export.zip").write_bytes(b"PK")
    (picked,) = find([upload], one=True)
    assert picked.path == upload / "hw3.ipynb" and not picked.problem


# ----------------------------------------------------------------------------- odd files


def test_a_named_pipe_in_a_folder_gets_an_entry_and_never_blocks_the_batch(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    os.mkfifo(subs / "mallory.ipynb")
    (subs / "bob.ipynb").write_text("not json")
    done: dict[str, dict] = {}
    t = threading.Thread(target=lambda: done.update(_grade(subs)), daemon=True)
    t.start()
    t.join(120)  # a blocking open would hang here forever; 120 s: a loaded machine
    assert not t.is_alive(), "opening a pipe blocked the batch"
    assert done["mallory"]["status"] == "invalid"
    assert "not a regular file" in done["mallory"]["message"]


@pytest.fixture
def deep_tmp(tmp_path):
    """A folder removed at the end by `rm -rf`: pytest's own clean-up (shutil.rmtree, a
    recursion) would stop at a tree 1,100 folders deep, in every later run on this machine."""
    yield tmp_path
    subprocess.run(["rm", "-rf", str(tmp_path)], check=False)


def test_a_folder_nested_1100_deep_is_one_entry_and_the_batch_goes_on(deep_tmp):
    subs = deep_tmp / "subs"
    subs.mkdir()
    (subs / "bob.ipynb").write_text("My answers are in the PDF\n")
    here = os.open(subs, os.O_RDONLY | os.O_DIRECTORY)
    try:  # by descriptor: the path would pass PATH_MAX long before 1,100 folders
        for _ in range(1100):
            os.mkdir("d", dir_fd=here)
            nxt = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=here)
            os.close(here)
            here = nxt
        fd = os.open("deep.ipynb", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=here)
        os.close(fd)
    finally:
        os.close(here)
    entries = _grade(subs)
    assert entries["bob"]["status"] == "invalid"  # graded (as unreadable): the batch finished
    deep = [e for e in entries.values() if "nested more than" in e["message"]]
    assert len(deep) == 1 and str(MAX_DEPTH) in deep[0]["message"]
    assert len(entries) == 2


def test_a_pdf_beside_notebooks_gets_its_own_invalid_entry_and_litter_none(tmp_path):
    subs = tmp_path / "subs"
    (subs / "alice").mkdir(parents=True)
    (subs / "alice" / "hw3.ipynb").write_text("{}")
    (subs / "alice" / "answers.pdf").write_bytes(b"%PDF-1.7\n")
    (subs / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (subs / "__MACOSX" / "alice").mkdir(parents=True)
    (subs / "__MACOSX" / "alice" / "._hw3.ipynb").write_bytes(b"\0\5\26\7")
    (subs / "alice" / ".ipynb_checkpoints").mkdir()
    (subs / "alice" / ".ipynb_checkpoints" / "hw3-checkpoint.ipynb").write_text("{}")
    entries = _grade(subs)
    assert set(entries) == {"hw3", "answers"}
    pdf = entries["answers"]
    assert pdf["status"] == "invalid" and "answers.pdf is not a Jupyter notebook" in pdf["message"]
    assert pdf["path"].endswith("alice/answers.pdf")


@pytest.mark.parametrize("name", ["notes.txt", "answers.pdf"])
def test_hw3_grade_still_refuses_a_folder_with_no_notebook_or_zip(tmp_path, name, capsys):
    from hw3.cli import main

    (tmp_path / name).write_text("x")
    assert main(["grade", str(tmp_path), "--json", str(tmp_path / "out.json")]) == 2
    assert "no submissions" in capsys.readouterr().err
    assert not (tmp_path / "out.json").exists()
