"""Shards: a class graded as N parts on N machines, then merged into one result set.

A submission belongs to shard ``1 + sha256(salt, id) mod N``, its id being the one the whole
class gives it (``submission.assign_ids`` over every file found): so the split is the same
whatever the order of the files or the machine, and each shard's entries are exactly those a
single run would have made for them.

Each shard's results.json carries a ``shard`` record: its index, the count, the salt's digest,
the autograder key and the whole class's ids in discovery order. ``merge`` refuses, with one
sentence, shards that overlap, leave a shard out, or disagree on any of them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hw3.grading.results import ClassResults, SubmissionResult

MAX_SHARDS = 100_000


class ShardError(ValueError):
    """Shards that cannot be merged (or a bad ``--shard``): one sentence saying why."""


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (1-based) of ``count``; ``salt`` reshuffles the split (same salt for
    every shard of one class)."""

    index: int
    count: int
    salt: str = ""

    @classmethod
    def parse(cls, text: str, salt: str = "") -> Shard:
        """``"I/N"`` with 1 <= I <= N; ValueError with one sentence otherwise."""
        head, sep, tail = text.partition("/")
        if not sep or not head.strip().isdigit() or not tail.strip().isdigit():
            raise ShardError(f"--shard {text!r}: expected I/N, e.g. 2/8 (shard 2 of 8)")
        index, count = int(head), int(tail)
        if not 1 <= count <= MAX_SHARDS or not 1 <= index <= count:
            raise ShardError(f"--shard {text!r}: I must be between 1 and N, and N between 1 "
                             f"and {MAX_SHARDS}")
        return cls(index, count, salt)

    def owner(self, sub_id: str) -> int:
        """The shard (1-based) that grades the submission of id ``sub_id``."""
        digest = hashlib.sha256(f"{self.salt}\0{sub_id}".encode()).digest()
        return 1 + int.from_bytes(digest[:8], "big") % self.count

    def select(self, files: list[Path], ids: dict[Path, str]) -> list[Path]:
        """This shard's part of ``files`` (whose ids over the whole class are ``ids``)."""
        return [f for f in files if self.owner(ids[f]) == self.index]

    @property
    def salt_digest(self) -> str:
        return hashlib.sha256(self.salt.encode()).hexdigest()[:16]

    def record(self, class_ids: list[str], autograder: str | None) -> dict[str, Any]:
        """The ``shard`` entry of this shard's results.json."""
        return {"index": self.index, "count": self.count, "salt": self.salt_digest,
                "autograder": autograder, "class": class_ids}


def class_record(shard: Shard, paths: list[Path], autograder: str | None) -> dict[str, Any]:
    """``shard``'s record for the class found under ``paths`` (every file, not just its own)."""
    from hw3.grading.submission import unique_ids
    from hw3.grading.tree import find, first_of_each

    files = [f.path for f in first_of_each(find([Path(p) for p in paths]))]
    ids = unique_ids(files).ids  # as grade_paths names them
    return shard.record([ids[f] for f in files], autograder)


# ----------------------------------------------------------------------------- merging


def _where(i: int, names: list[str]) -> str:
    return names[i] if i < len(names) else f"shard input {i + 1}"


def merge(parts: list[ClassResults], names: list[str] | None = None) -> ClassResults:
    """One result set from shard results (each as ``hw3 grade --shard`` wrote it), in the
    class's discovery order, as one run over the whole class would have written it; raises
    ShardError with one sentence if they do not make exactly one whole class."""
    names = names or []
    if not parts:
        raise ShardError("nothing to merge: give every shard's output folder")
    records = _records(parts, names)
    _check_same_run(records, names)
    first = records[0]
    by_id = _entries_by_id(parts, names)
    class_ids = [str(x) for x in first["class"]]
    _check_whole_class(class_ids, by_id)
    queues = {x: iter(got) for x, got in by_id.items()}
    return replace(parts[0], shard=None,
                   generated=max(p.generated or "" for p in parts),
                   submissions=[next(queues[x]) for x in class_ids],
                   merged={"shards": first["count"], "salt": first["salt"]})


def _records(parts: list[ClassResults], names: list[str]) -> list[dict[str, Any]]:
    """Each part's shard record; a part graded without --shard, or interrupted, is refused."""
    records = []
    for i, part in enumerate(parts):
        rec = part.shard
        if not isinstance(rec, dict) or not isinstance(rec.get("class"), list):
            raise ShardError(f"{_where(i, names)} was not graded with --shard I/N: it has no "
                             "shard record")
        if part.interrupted:
            raise ShardError(f"{_where(i, names)} was interrupted before it finished: grade "
                             f"shard {rec.get('index')}/{rec.get('count')} again")
        records.append(rec)
    return records


def _check_same_run(records: list[dict[str, Any]], names: list[str]) -> None:
    """One autograder, count, salt and class; each shard once; none missing."""
    first = records[0]
    for i, rec in enumerate(records[1:], 1):
        for key, what in (("autograder", "another autograder (rebuilt or changed between "
                                         "shards)"),
                          ("count", "another number of shards"), ("salt", "another salt"),
                          ("class", "another class (other files found)")):
            if rec.get(key) != first.get(key):
                raise ShardError(f"{_where(i, names)} was graded with {what} than "
                                 f"{_where(0, names)}; grade every shard the same way")
    count = first["count"]
    seen: dict[int, int] = {}
    for i, rec in enumerate(records):
        if rec["index"] in seen:
            raise ShardError(f"{_where(i, names)} and {_where(seen[rec['index']], names)} are "
                             f"both shard {rec['index']}/{count}: give each shard once")
        seen[rec["index"]] = i
    missing = sorted(set(range(1, count + 1)) - set(seen))
    if missing:
        raise ShardError(f"shard{'s' if len(missing) > 1 else ''} "
                         f"{', '.join(f'{m}/{count}' for m in missing[:10])} "
                         f"{'are' if len(missing) > 1 else 'is'} missing: merge all {count}")


def _entries_by_id(parts: list[ClassResults], names: list[str]
                   ) -> dict[str, list[SubmissionResult]]:
    """Every entry by id; an id in two shards is refused (the shards overlap)."""
    # Ids are unique but for clashes assign_ids cannot part (same folder and file names in
    # two places): equal ids hash alike, so they sit in one shard, in the class's order.
    by_id: dict[str, list[SubmissionResult]] = {}
    home: dict[str, int] = {}
    for i, part in enumerate(parts):
        for entry in part.submissions:
            if home.setdefault(entry.id, i) != i:
                raise ShardError(f"submission {entry.id} is in both "
                                 f"{_where(home[entry.id], names)} and {_where(i, names)}: "
                                 "the shards overlap")
            by_id.setdefault(entry.id, []).append(entry)
    return by_id


def _check_whole_class(class_ids: list[str], by_id: dict[str, list[SubmissionResult]]) -> None:
    """Exactly the class's submissions, each as many times as the class has its id."""
    wanted: dict[str, int] = {}
    for x in class_ids:
        wanted[x] = wanted.get(x, 0) + 1
    absent = [x for x, n in wanted.items() if len(by_id.get(x, [])) < n]
    extra = [x for x, got in by_id.items() if len(got) > wanted.get(x, 0)]
    if absent or extra:
        which = absent or extra
        what = "lack" if absent else "hold submissions outside the class, such as"
        more = " and more" if len(which) > 5 else ""
        raise ShardError(f"the shards {what} {', '.join(which[:5])}{more}; grade those shards "
                         "again")
