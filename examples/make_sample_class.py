"""Write examples/sample_class/: a small class to try `hw3 grade` and its report on.

    python examples/make_sample_class.py

Each submission is the reference solution (or the blank template) with student code from the
test banks (tests/fixtures/mistakes, tests/fixtures/right) in place of the reference's. The
submissions are then frozen: they are what students handed in, and stay as they are when the
master changes (as real submissions would), so this script is only run to make a new class.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import nbformat

from hw3.bank import fixture_notebook, parse_fixture

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "examples" / "sample_class"

# student -> (base notebook, fixtures in tests/fixtures/)
CLASS = {
    "alice": ("solution", []),
    "bob": ("solution", ["mistakes/sigmoid_naive", "mistakes/relu_in_place"]),
    "carol": ("template", []),
    "erin": ("solution", ["mistakes/q4_6_220_extra", "mistakes/q4_4_transposed",
                          "mistakes/q3_1_missing_phi0"]),
    "frank": ("solution", ["right/sigmoid_tanh", "right/relu_clip", "right/fp_concatenate",
                           "right/model_kaiming_uniform", "right/q3_1_strings",
                           "right/q4_6_string_caret"]),
    "grace": ("solution", ["mistakes/fp_zeros_row", "mistakes/model_default_init"]),
    "ivy": ("template", ["right/q3_1_expanded", "right/q4_4_tuples_numpy",
                         "right/q4_5_numpy_ints", "right/sigmoid_where_abs", "right/relu_mask"]),
    "judy": ("solution", ["mistakes/train_mean_loss", "mistakes/init_uniform"]),
}
BASES = {"solution": ROOT / "solutions" / "hw3.ipynb",
         "template": ROOT / "student_template" / "hw3.ipynb"}


def submission(base: str, fixtures: list[str]) -> nbformat.NotebookNode:
    nb = nbformat.read(BASES[base], as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    for name in fixtures:
        folder, stem = name.split("/")
        kind = "mistake" if folder == "mistakes" else "right"
        nb = fixture_notebook(nb, parse_fixture(ROOT / "tests" / "fixtures" / folder /
                                                f"{stem}.py", kind))
    return nb


def main() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    for student, (base, fixtures) in CLASS.items():
        nbformat.write(submission(base, fixtures), OUT / f"{student}.ipynb")
    # dan hands in the export cell's zip; his training loop steps the scheduler every batch.
    dan = submission("solution", ["mistakes/train_scheduler_per_batch"])
    with zipfile.ZipFile(OUT / "dan.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("hw3.ipynb", nbformat.writes(dan))
    # henry uploaded his answers as a text file with the notebook's name.
    (OUT / "henry.ipynb").write_text("I did the homework on paper, see the PDF.\n")
    # heidi's notebook has no Otter metadata and no kernel information at all.
    heidi = json.loads(nbformat.writes(submission("solution", ["right/relu_variants"])))
    heidi["metadata"] = {}
    (OUT / "heidi.ipynb").write_text(json.dumps(heidi))
    print(f"wrote {len(list(OUT.iterdir()))} submissions to {OUT}")


if __name__ == "__main__":
    main()
