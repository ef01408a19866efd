"""The one fixture convention (``hw3.bank.fixtures``): every fixture of the repository follows
it, hostile names are unique in their one tree, and ``hw3 bank`` takes its fixture folder as a
parameter."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hw3.bank.fixtures import BankError, read_meta
from hw3.commands.bank import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
HOSTILE_KEYS = {"base", "insert", "expect", "name", "isolation", "placeholders", "leaks"}


def test_the_docstring_gives_what_the_keys_and_the_code(tmp_path):
    path = tmp_path / "f.py"
    path.write_text('"""Does a thing: badly.\nsecond line of the description\n\nloses: a, b\n'
                    'Base: solution\n"""\nx = 1\n\ny = 2\n')
    meta = read_meta(path)
    assert meta.what == "Does a thing: badly."
    assert meta.keys == {"loses": "a, b", "base": "solution"}
    assert meta.code == "x = 1\n\ny = 2\n"
    assert "loses" in meta and meta["base"] == "solution" and meta.get("name") is None


@pytest.mark.parametrize("text, words", [
    ("x = 1\n", "docstring"),
    ('"""What.\nloses: a\nloses: b\n"""\nx = 1\n', "twice"),
    ('"""What."""\nx = (\n', "not valid Python"),
])
def test_a_fixture_that_breaks_the_convention_is_refused(tmp_path, text, words):
    path = tmp_path / "f.py"
    path.write_text(text)
    with pytest.raises(BankError, match=words):
        read_meta(path)


def test_every_fixture_of_the_repository_follows_the_convention():
    for path in sorted(FIXTURES.rglob("*.py")):
        meta = read_meta(path)
        assert len(meta.what) > 15, path
        if path.parent.name == "hostile":
            assert set(meta.keys) <= HOSTILE_KEYS, (path, meta.keys)
            # A submission of the graded batch says how it is made and what it gets.
            if "expect" in meta:
                assert {"base", "insert"} <= set(meta.keys), path
            for word in meta.get("placeholders", "").split(","):
                assert word.strip() in meta.code, (path, word)
        else:
            assert set(meta.keys) == {"loses"}, (path, meta.keys)


def test_there_is_one_hostile_tree_with_unique_names():
    assert not (FIXTURES.parent / "sandbox" / "hostile").exists()
    stems = [p.stem for p in (FIXTURES / "hostile").glob("*.py")]
    assert len(stems) == len(set(stems))
    codes = [read_meta(p).code for p in (FIXTURES / "hostile").glob("*.py")]
    assert len(codes) == len(set(codes))  # no attack kept twice


@pytest.mark.slow  # over 5 s here (--durations)
def test_the_bank_command_takes_its_fixture_folder(tmp_path, root, capsys):
    for kind, name in (("mistakes", "sigmoid_naive"), ("right", "sigmoid_tanh")):
        (tmp_path / kind).mkdir()
        shutil.copy(FIXTURES / kind / f"{name}.py", tmp_path / kind)
    assert main(["--root", str(root), "--fixtures", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "catch rate 1/1 = 100.0%, false-alarm rate 0/1 = 0.0%" in out
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["--root", str(root), "--fixtures", str(empty)]) == 2
    assert "no fixtures match" in capsys.readouterr().err
