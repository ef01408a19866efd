"""Shards: `hw3 grade --shard I/N` grades a fixed part of the class wherever it runs, and
`hw3 merge` joins the parts into what one run would have written, or refuses in one sentence."""

from __future__ import annotations

import copy
import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hw3.grading.results import ClassResults
from hw3.grading.shards import Shard, ShardError, merge
from tests._support import ROOT

SAMPLE = ROOT / "examples" / "sample_class"
IDS = [f"student{i:03d}" for i in range(200)]


# ----------------------------------------------------------------------------- the split


def test_the_split_is_a_partition_whatever_the_order():
    files = [Path(f"/subs/{i}.ipynb") for i in IDS]
    ids = {f: f.stem for f in files}
    parts = [set(Shard(i, 7).select(files, ids)) for i in range(1, 8)]
    assert sum(len(p) for p in parts) == len(files) and set().union(*parts) == set(files)
    shuffled = random.Random(1).sample(files, len(files))
    assert [set(Shard(i, 7).select(shuffled, ids)) for i in range(1, 8)] == parts
    assert all(10 <= len(p) <= 50 for p in parts)  # 200/7 ≈ 29 each: no shard is starved


def test_the_split_depends_only_on_the_id_count_and_salt():
    # Fixed values: the same owner on every machine and Python (sha256, not hash()).
    assert [Shard(1, 4).owner(i) for i in ("alice", "bob", "carol")] == \
        [Shard(2, 4).owner(i) for i in ("alice", "bob", "carol")]
    owners = [Shard(1, 4).owner(i) for i in IDS]
    salted = [Shard(1, 4, "2026-fall").owner(i) for i in IDS]
    assert owners != salted and set(owners) == set(salted) == {1, 2, 3, 4}


@pytest.mark.parametrize("text", ["0/3", "4/3", "3", "a/b", "1/0", "-1/2", "1/200000"])
def test_a_bad_shard_is_one_sentence(text):
    with pytest.raises(ShardError, match="--shard") as err:
        Shard.parse(text)
    assert "\n" not in str(err.value)


# ----------------------------------------------------------------------------- merge refusals


def _parts(count: int = 3, salt: str = "", key: str = "K1") -> list[dict]:
    """Shard results as `hw3 grade --shard` writes them, with minimal entries."""
    out = []
    for i in range(1, count + 1):
        shard = Shard(i, count, salt)
        subs = [{"id": x, "path": f"subs/{x}.ipynb", "status": "graded", "score": 1.0,
                 "possible": 1.0} for x in IDS[:20] if shard.owner(x) == i]
        out.append({"assignment": "hw3", "autograder": key, "generated": f"2026-12-0{i}",
                    "questions": {}, "submissions": subs,
                    "shard": shard.record(IDS[:20], key)})
    return out


def test_merge_puts_the_class_back_in_its_order():
    parts = _parts()
    merged = merge([ClassResults.from_json(p) for p in reversed(parts)]).to_json()
    assert [s["id"] for s in merged["submissions"]] == IDS[:20]
    assert "shard" not in merged and merged["merged"]["shards"] == 3


@pytest.mark.parametrize("break_it, says", [
    (lambda p: p.pop(1), "shard 2/3 is missing"),
    (lambda p: p.append(copy.deepcopy(p[0])), "are both shard 1/3"),
    (lambda p: p[2].update(_parts(key="K2")[2]), "another autograder"),
    (lambda p: p.__setitem__(2, _parts(count=4)[2]), "another number of shards"),
    (lambda p: p.__setitem__(2, _parts(salt="x")[2]), "another salt"),
    (lambda p: p[1]["shard"]["class"].append("zed"), "another class"),
    (lambda p: p[1].pop("shard"), "not graded with --shard"),
    (lambda p: p[1].update(interrupted={"finished": 1}), "was interrupted"),
    (lambda p: p[1]["submissions"].append(p[0]["submissions"][0]), "the shards overlap"),
    (lambda p: p[1]["submissions"].pop(), "the shards lack"),
])
def test_merge_refuses_what_is_not_one_whole_class(break_it, says):
    parts = _parts()
    break_it(parts)
    names = [f"out/shard-{i}" for i in range(1, len(parts) + 1)]
    with pytest.raises(ShardError, match=re.escape(says)) as err:
        merge([ClassResults.from_json(p) for p in parts], names)
    assert "\n" not in str(err.value)


def _class_results() -> dict:
    """A class's results as `hw3 grade` writes them (the report tests' synthetic class)."""
    from tests.report._report_sample import make_results

    return make_results(12)


def test_merge_command_refuses_in_one_sentence_and_writes_nothing(tmp_path):
    results = _class_results()
    ids = [s["id"] for s in results["submissions"]]
    for i in (1, 2):  # shard 3 of 3 is not given
        shard = Shard(i, 3)
        part = {**results, "submissions": [s for s in results["submissions"]
                                           if shard.owner(s["id"]) == i],
                "shard": shard.record(ids, results.get("autograder"))}
        (tmp_path / f"s{i}").mkdir()
        (tmp_path / f"s{i}" / "results.json").write_text(json.dumps(part))
    proc = subprocess.run([sys.executable, "-m", "hw3.cli", "merge", str(tmp_path / "s1"),
                           str(tmp_path / "s2"), "--out", str(tmp_path / "merged")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "shard 3/3 is missing" in proc.stderr
    assert not (tmp_path / "merged").exists()


# ----------------------------------------------------------------------------- end to end


def _hw3(*args: object, cache: Path) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "hw3.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=900,
                          env={"XDG_CACHE_HOME": str(cache), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


@pytest.fixture(scope="module")
def sharded_and_whole(tmp_path_factory):
    """The sample class graded at once and in 3 shards (no cache: each grades for real)."""
    tmp = tmp_path_factory.mktemp("shards")
    _hw3("grade", SAMPLE, "--out", tmp / "whole", "--no-cache", "--quiet", cache=tmp)
    for i in (1, 2, 3):
        _hw3("grade", SAMPLE, "--shard", f"{i}/3", "--out", tmp / f"s{i}", "--no-cache",
             "--quiet", cache=tmp)
    _hw3("merge", tmp / "s3", tmp / "s1", tmp / "s2", "--out", tmp / "merged", cache=tmp)
    return tmp


def _entries(folder: Path) -> list[dict]:
    subs = json.loads((folder / "results.json").read_text())["submissions"]
    return [{k: v for k, v in s.items() if k not in ("seconds", "cached")} for s in subs]


def _timeless(html: str) -> str:
    """A page without what differs between any two runs: when it was graded, and each
    submission's seconds (the cell before its isolation)."""
    html = re.sub(r"graded \d{4}-\d\d-\d\d \d\d:\d\d UTC", "graded WHEN", html)
    return re.sub(r'(<td class="num">)[\d.]+(</td><td>(?:bubblewrap|unprivileged|none))',
                  r"\1S\2", html)


def _tables(html: str) -> list[str]:
    return re.findall(r"<table.*?</table>", _timeless(html), re.S)


@pytest.mark.slow
def test_three_shards_merged_equal_one_run(sharded_and_whole):
    tmp = sharded_and_whole
    sizes = [len(json.loads((tmp / f"s{i}" / "results.json").read_text())["submissions"])
             for i in (1, 2, 3)]
    assert sum(sizes) == 11 and all(sizes)  # every shard graded a part, none twice
    whole, merged = _entries(tmp / "whole"), _entries(tmp / "merged")
    assert [s["id"] for s in merged] == [s["id"] for s in whole]
    assert merged == whole  # every score, every case, message, event and explanation
    assert (tmp / "merged" / "grades.csv").read_text() == \
        (tmp / "whole" / "grades.csv").read_text()
    whole_html = (tmp / "whole" / "report.html").read_text()
    merged_html = (tmp / "merged" / "report.html").read_text()
    assert _tables(merged_html) and _tables(merged_html) == _tables(whole_html)
    feedback = sorted(p.name for p in (tmp / "whole" / "feedback").iterdir())
    assert sorted(p.name for p in (tmp / "merged" / "feedback").iterdir()) == feedback
    for name in feedback:
        assert _timeless((tmp / "merged" / "feedback" / name).read_text()) == \
            _timeless((tmp / "whole" / "feedback" / name).read_text())
