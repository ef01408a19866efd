"""Write examples/sample_class/: a small class to try `hw3 grade` and its report on.

    python examples/make_sample_class.py

Each submission is the reference solution (or the blank template) with student code from the
test banks (tests/fixtures/mistakes, tests/fixtures/right) in place of the reference's, and the
explanations of EXPLANATIONS in place of the reference's prose. The submissions are then
frozen: they are what students handed in, and stay as they are when the master changes (as real
submissions would), so this script is only run to make a new class.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import nbformat

from hw3.bank import fixture_notebook, parse_fixture
from hw3.marking.rubric import load_manual

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
# What students wrote in the hand-graded explanation cells (where not the reference's text):
# right, partial, wrong and blank answers, Markdown and LaTeX, for `hw3 mark` to be tried on.
EXPLANATIONS = {
    "bob": {
        "q3_1_explain": "Both are straight lines in $x$, because every unit is linear.",
        "q3_5_explain": "If $z > 0$ then $\\alpha z > 0$ so both sides are $\\alpha z$. If "
                        "$z \\le 0$ both are 0. With $\\alpha = -1$, $z = 1$: left is 0, "
                        "right is $-1$.",
        "q3_10_explain": "Three hidden units give three joints, so four regions.",
        "q4_6_explain": "Depth adds a $D \\times D$ matrix; width adds a row and a column to "
                        "every matrix.",
        "explore_explain": "Lower learning rate = slower. Momentum = faster. More units = lower "
                           "loss.",
    },
    "dan": {
        "q3_1_explain": "The composition of affine maps is affine: $y = \\psi_0 + \\sum_d "
                        "\\psi_d(\\theta_{d0} + \\theta_{d1}x)$ is $c_0 + c_1 x$. So "
                        "without a nonlinearity the network is just linear regression.",
        "q3_5_explain": "ReLU is piecewise, so it is homogeneous.",
        "q3_10_explain": "Each of the 3 units bends the function at most once (where its "
                         "pre-activation is 0), so at most 4 regions. Fewer if joints coincide, "
                         "fall outside the input range, or a unit is always off.",
        "q4_6_explain": "",
        "explore_explain": "The loss goes down faster with momentum since the steps add up "
                           "along a consistent direction.",
    },
    "erin": {
        "q3_1_explain": "It is *affine*: a sum of affine functions of $x$ plus a constant.",
        "q3_5_explain": "Case $z \\ge 0$: $\\mathrm{ReLU}[\\alpha z] = \\alpha z = "
                        "\\alpha\\,\\mathrm{ReLU}[z]$.\n\nCase $z < 0$: both sides are "
                        "$0$.\n\nFor $\\alpha = -2, z = 1$ the left side is $0$ but the "
                        "right is $-2$.",
        "q3_10_explain": "I think it is 4 because there are 4 parameters per unit.",
        "q4_6_explain": "One more layer adds $D^2$ weights, one more unit per layer adds "
                        "$D_i + D_o + 2(K-1)D + (K - 1)$ weights.",
        "explore_explain": "",
    },
    "frank": {
        "q3_1_explain": "Linear (affine) in x whatever the parameters, so we need an "
                        "activation like ReLU to model curves.",
        "q3_5_explain": "Proof: for $\\alpha>0$, $\\max(0, \\alpha z) = \\alpha "
                        "\\max(0, z)$. Counterexample $(\\alpha, z) = (-1, 2)$.",
        "q3_10_explain": "Max 4: each ReLU adds at most one kink. Min 1 when all slopes "
                         "$\\phi_d \\theta_{d1}$ are 0.",
        "q4_6_explain": "Extra weights: the new hidden layer's matrix ($D \\cdot D$) for "
                        "depth; for width, each layer's matrices grow.",
        "explore_explain": "| change | effect |\n| --- | --- |\n| lr 0.01 | slower |\n"
                           "| momentum 0 | slower |\n| 160 units | memorises: lower loss |",
    },
    "grace": {
        "q3_1_explain": "Because the function is <b>linear</b>.",
        "q3_5_explain": "See the code above.",
        "q3_10_explain": "At most $2^3 = 8$ regions.",
        "q4_6_explain": "Depth adds more.",
        "explore_explain": "More hidden units overfit, the rest is about step size.",
    },
    "judy": {
        "q3_1_explain": "Affine: $y = c_0 + c_1 x$ for constants $c_0, c_1$ made of the "
                        "parameters. Stacking linear units never makes a nonlinear function, "
                        "so activations are needed.",
        "q3_5_explain": "For $\\alpha > 0$ the sign of $\\alpha z$ is the sign of $z$, so "
                        "the cases match; for $\\alpha < 0$ the sign flips.",
        "q3_10_explain": "Four at most, one per joint plus one; fewer when two joints are at "
                         "the same $x$.",
        "q4_6_explain": "A new layer: $D^2 + D$ (I counted the biases too).",
        "explore_explain": "Smaller lr and no momentum: slower descent in 100 epochs. With 160 "
                           "units there are more parameters than the 100 data points, so the "
                           "random targets can be fitted.",
    },
    "ivy": {
        "q3_1_explain": "The output is $\\psi_0 + \\psi_1 z$ of affine things, so affine.",
        "q3_10_explain": "Not sure.",
    },
}
BASES = {"solution": ROOT / "solutions" / "hw3.ipynb",
         "template": ROOT / "student_template" / "hw3.ipynb"}


def explain(nb: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    """Type ``answers`` into the explanation cells, as a student does: the answer cell gets the
    text, and the reference's own explanation (in solution-based notebooks) goes."""
    prompts = {q.name: q.prompt for q in load_manual()}
    for name, text in answers.items():
        i = next(i for i, c in enumerate(nb.cells) if prompts[name] in c.source)
        while "otter_assign_solution_cell" in nb.cells[i + 2].get("metadata", {}).get("tags", []):
            del nb.cells[i + 2]
        nb.cells[i + 1].source = text or "_Type your answer here, replacing this text._"
    return nb


def submission(base: str, fixtures: list[str], student: str = "") -> nbformat.NotebookNode:
    nb = nbformat.read(BASES[base], as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    for name in fixtures:
        folder, stem = name.split("/")
        kind = "mistake" if folder == "mistakes" else "right"
        nb = fixture_notebook(nb, parse_fixture(ROOT / "tests" / "fixtures" / folder /
                                                f"{stem}.py", kind))
    return explain(nb, EXPLANATIONS.get(student, {}))


def main() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    for student, (base, fixtures) in CLASS.items():
        nbformat.write(submission(base, fixtures, student), OUT / f"{student}.ipynb")
    # dan hands in the export cell's zip; his training loop steps the scheduler every batch.
    dan = submission("solution", ["mistakes/train_scheduler_per_batch"], "dan")
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
