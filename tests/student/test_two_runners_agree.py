"""Otter's own run of the autograder (``otter run -a``) and ``hw3 grade`` (which Gradescope runs)
grade the notebook's final state alike: a function redefined after its check cell is graded as
it ends up, not as it was when the check ran (Otter used to keep that early result)."""

from __future__ import annotations

import json

import pytest

from hw3.grading.grade import Options, grade_paths
from tests._support import SOLUTION, otter_run

pytestmark = pytest.mark.slow

REDEFINED = "def relu(z):\n    return np.asarray(z, dtype=float)  # no longer a ReLU\n"


@pytest.fixture(scope="module")
def redefined_after_check(tmp_path_factory):
    """The solution up to relu's check cell (which passes when it runs), then relu redefined
    wrongly: a short notebook, so that both runners take seconds."""
    nb = json.loads(SOLUTION.read_text())
    end = next(i for i, c in enumerate(nb["cells"])
               if "".join(c["source"]).strip() == 'grader.check("relu")')
    nb["cells"] = nb["cells"][:end + 1] + [
        {"cell_type": "code", "execution_count": None, "id": "redefined", "metadata": {},
         "outputs": [], "source": REDEFINED}]
    path = tmp_path_factory.mktemp("final-state") / "redefined.ipynb"
    path.write_text(json.dumps(nb))
    return path


def test_otter_and_hw3_grade_give_the_final_definitions_the_same_scores(
        redefined_after_check, tmp_path):
    otter = otter_run(redefined_after_check, tmp_path / "otter")
    ours = grade_paths([redefined_after_check], Options(workers=1, cache_dir=None)).to_json()
    hw3 = ours["submissions"][0]["questions"]
    assert otter["relu"]["score"] < otter["relu"]["possible"]  # the final relu, not the early one
    assert otter["sigmoid"]["score"] == otter["sigmoid"]["possible"]  # untouched: full marks
    assert hw3 == otter
