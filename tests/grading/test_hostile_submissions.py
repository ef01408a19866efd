"""Hostile submissions, each named for what it does (tests/fixtures/hostile/), graded in one
batch beside an honest one: none gains a point, none breaks the batch or another grade, and no
file on disk changes."""

from __future__ import annotations

import csv
import hashlib
import json
import pickle
import resource
import shutil
import zipfile
from pathlib import Path

import pytest

from hw3.bank.fixtures import read_meta
from hw3.grading.execute import MAX_CELL_OUTPUT_BYTES
from hw3.grading.grade import Options, grade_paths
from hw3.grading.jail import payload
from hw3.grading.results import ClassResults
from hw3.grading.stored import MAX_ENTRY_BYTES
from hw3.layout import stored_size
from hw3.report import write_reports
from hw3.runner.messages import MAX_OUTPUT_CHARS
from hw3.sandbox import Worker
from tests._support import ROOT, SOLUTION, TEMPLATE, notebook_with

# The fixtures with `expect:` are handed in; the others are cells for the sandbox tests.
HOSTILE = [p for p in sorted((ROOT / "tests" / "fixtures" / "hostile").glob("*.py"))
           if "expect" in read_meta(p)]
BASES = {"solution": SOLUTION, "template": TEMPLATE}
pytestmark = pytest.mark.slow  # grades a batch of notebooks in the sandbox
PWNED = Path("/tmp/hw3-otter-log-was-unpickled")
# Peak memory of the grader (this process, and its largest child: a judge process or a
# sandbox) while grading the batch. The attacks took it to 3 GB and past 10 GB; a batch that
# respects its bounds stays well under this, with a wide margin for a loaded machine.
MAX_GRADER_BYTES = 2.5 * 2**30


def _stem(path: Path) -> str:
    """The file name a fixture is handed in under (``name:`` in its docstring, else its own)."""
    return read_meta(path).get("name", path.stem)


class _Evil:
    """Unpickling this would create PWNED: the grader must never unpickle a submission's log."""

    def __reduce__(self):
        return (open, (str(PWNED), "w"))


def _bubblewrap() -> bool:
    with Worker(isolation="auto", payload=payload()) as w:
        return w.isolation == "bubblewrap"


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    subs = tmp_path_factory.mktemp("class")
    for path in HOSTILE:
        meta = read_meta(path)
        nb = notebook_with(BASES[meta["base"]], path.read_text(), meta.get("insert", "end"))
        (subs / f"{_stem(path)}.ipynb").write_text(json.dumps(nb))
    shutil.copy(SOLUTION, subs / "honest.ipynb")
    (subs / "not_a_notebook.ipynb").write_text("My answers are in the PDF, sorry!\n")
    bare = json.loads(SOLUTION.read_text())
    bare["metadata"] = {}
    for cell in bare["cells"]:
        cell.pop("outputs", None) if cell["cell_type"] != "code" else cell.update(outputs=[])
    (subs / "no_metadata.ipynb").write_text(json.dumps(bare))
    PWNED.unlink(missing_ok=True)
    with zipfile.ZipFile(subs / "otter_log_pickle.zip", "w") as zf:
        zf.write(SOLUTION, "hw3.ipynb")
        zf.writestr(".OTTER_LOG", pickle.dumps(_Evil()))
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in subs.iterdir()}
    installed_before = _installed_files()
    # A generous cell limit: honest cells must never hit it on a loaded CI machine.
    results = grade_paths([subs], Options(workers=2, cell_timeout=20, timeout=240,
                                          cache_dir=None)).to_json()
    peak = max(resource.getrusage(who).ru_maxrss * 1024
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in subs.iterdir()}
    out = tmp_path_factory.mktemp("report")
    write_reports(ClassResults.from_json(results), out)
    return {"results": {s["id"]: s for s in results["submissions"]}, "before": before,
            "after": after, "bubblewrap": _bubblewrap(), "peak": peak, "out": out,
            "json": json.dumps(results), "installed_before": installed_before,
            "installed_after": _installed_files()}


def _installed_files() -> dict[str, str]:
    """Every file of the installed hw3 and NumPy packages, by content."""
    import numpy

    import hw3

    out = {}
    for top in (Path(hw3.__file__).parent, Path(numpy.__file__).parent):
        for path in sorted(top.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.mark.bubblewrap  # skips where the sandbox cannot start
@pytest.mark.parametrize("path", HOSTILE, ids=[p.stem for p in HOSTILE])
def test_hostile_submission_gets_its_expected_outcome(batch, path):
    meta = read_meta(path)
    if meta.get("isolation") == "bubblewrap" and not batch["bubblewrap"]:
        pytest.skip("needs bubblewrap")
    entry = batch["results"][_stem(path)]
    assert entry["status"] == "graded", entry["message"]
    expect = dict(part.strip().split("=") for part in meta["expect"].split(";"))
    assert entry["score"] == float(expect["score"]), (meta.what, entry["message"],
                                                      [c for c in entry["cases"]
                                                       if not c["passed"]][:3])
    if "event" in expect:
        assert expect["event"] in {e["kind"] for e in entry["events"]}, entry["events"]
    assert len(entry["questions"]) == 14


LEAKS = [p for p in HOSTILE if "leaks" in read_meta(p)]


def _student_reads(batch, entry) -> str:
    """Everything a student reads about ``entry``: the feedback page, and Gradescope's results
    with the hidden tests shown (as after publishing) and the "Public Tests" box."""
    from hw3.grading.grade import question_defs
    from hw3.grading.gradescope import OTTER_DEFAULTS
    from hw3.grading.results import SubmissionResult, gradescope_json

    result = SubmissionResult.from_json(entry)
    from hw3.report.model import safe_file_name

    texts = [(batch["out"] / "feedback" / f"{safe_file_name(entry['id'])}.html").read_text()]
    for show_hidden in (False, True):
        config = {**OTTER_DEFAULTS, "show_hidden": show_hidden}
        texts.append(json.dumps(gradescope_json(result, question_defs(), config)))
    return "\n".join(texts)


@pytest.mark.bubblewrap  # skips where the sandbox cannot start
@pytest.mark.parametrize("path", LEAKS, ids=[p.stem for p in LEAKS])
def test_what_a_submission_reads_out_reaches_no_student(batch, path):
    meta = read_meta(path)
    if meta.get("isolation") == "bubblewrap" and not batch["bubblewrap"]:
        pytest.skip("needs bubblewrap")
    entry = batch["results"][_stem(path)]
    assert not all(c["passed"] for c in entry["cases"])  # its code did run and fail
    text = _student_reads(batch, entry)
    assert meta["leaks"] not in text
    # Nothing but the names Python gives exceptions: not the class the submission made.
    assert "LEAKED" not in json.dumps(entry["cases"]) + entry["message"]


def test_the_honest_submission_in_the_same_batch_gets_full_marks(batch):
    entry = batch["results"]["honest"]
    assert entry["score"] == entry["possible"] == 100.0


def test_a_file_that_is_not_a_notebook_gets_one_invalid_entry_that_says_why(batch):
    entry = batch["results"]["not_a_notebook"]
    assert entry["status"] == "invalid"
    assert "not a Jupyter notebook" in entry["message"]
    assert entry["score"] == 0 and len(entry["questions"]) == 14


def test_a_notebook_without_metadata_or_outputs_is_graded(batch):
    assert batch["results"]["no_metadata"]["score"] == 100.0


def test_an_export_zip_is_graded_and_its_otter_log_never_unpickled(batch):
    assert batch["results"]["otter_log_pickle"]["score"] == 100.0
    assert not PWNED.exists()


def test_submissions_on_disk_are_never_modified(batch):
    assert batch["before"] == batch["after"]


def test_every_submission_given_has_exactly_one_entry(batch):
    assert set(batch["results"]) == {Path(n).stem for n in batch["before"]}


def test_installed_packages_never_change(batch):
    # rewrite_installed_package appends to every module it finds, and adds sitecustomize.py.
    assert batch["installed_after"] == batch["installed_before"]


def test_the_grader_memory_stays_bounded_under_floods_and_huge_frames(batch):
    assert batch["peak"] < MAX_GRADER_BYTES, batch["peak"] / 2**30


def test_stored_outputs_and_messages_are_capped(batch):
    for entry in batch["results"].values():
        for cell in entry.get("cells", []):
            assert len(cell["output"]) <= MAX_OUTPUT_CHARS + 200
            assert "FORGED" not in cell["error"]
        assert all(len(c["message"]) <= 4000 for c in entry["cases"])
        assert len(entry["message"]) <= 20_000
    # The forged 60 MB output and the floods are nowhere in the results.
    assert len(batch["json"]) < 8 * 2**20


def test_forged_frames_rewrite_no_earlier_cell(batch):
    entry = batch["results"]["forged_output_frame"]
    assert "cell_timeout" not in {e["kind"] for e in entry["events"]}
    assert not any(c["status"] == "timeout" for c in entry["cells"])


def test_a_check_line_in_a_defining_cell_keeps_the_definition(batch):
    entry = batch["results"]["check_line_in_cell"]
    assert entry["questions"]["sigmoid"]["score"] == 8.0
    assert all(c["status"] == "ok" for c in entry["cells"]), entry["cells"]


def test_a_formula_file_name_reaches_grades_csv_neutralised(batch):
    name = read_meta(ROOT / "tests" / "fixtures" / "hostile" / "formula_file_name.py")["name"]
    text = (batch["out"] / "grades.csv").read_text()
    rows = list(csv.reader(text.splitlines()))
    assert ["'" + name] in [row[:1] for row in rows]
    assert not any(row[0].startswith(("=", "+", "-", "@")) for row in rows)


def test_escaped_output_is_capped_in_the_bytes_results_json_stores(batch):
    for entry in batch["results"].values():
        assert stored_size(entry) <= MAX_ENTRY_BYTES, (entry["id"], stored_size(entry))
    flood = batch["results"]["escaped_output_flood"]
    assert max(stored_size(c["output"]) for c in flood["cells"]) <= MAX_CELL_OUTPUT_BYTES
    assert any("cut" in c["output"] for c in flood["cells"])


def test_a_file_name_with_a_formula_after_a_semicolon_is_neutral_for_any_split(batch):
    name = read_meta(ROOT / "tests" / "fixtures" / "hostile" /
                     "semicolon_formula_file_name.py")["name"]
    text = (batch["out"] / "grades.csv").read_text()
    assert name not in text
    for delimiter in (",", ";", "\t"):
        for line in text.splitlines():
            for piece in line.replace('"', "").split(delimiter):
                assert not piece.lstrip(" ").startswith(("=", "+", "@")), (delimiter, line)
