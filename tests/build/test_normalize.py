"""The normaliser of built notebooks (``hw3.build.notebooks``): what it makes stable, on small
notebooks made here (no kernel needed)."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from hw3.build.notebooks import fixed_emoji, normalize, write_notebook


def _notebook() -> nbformat.NotebookNode:
    nb = new_notebook(cells=[new_markdown_cell("# Title"), new_code_cell("print(1)"),
                             new_code_cell("x = 1")])
    nb.metadata["widgets"] = {"state": {"abc": 1}}
    nb.metadata["kernelspec"] = {"display_name": "my env", "language": "python",
                                 "name": "conda-env-xyz"}
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.9"}
    nb.cells[1].metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:00Z"}
    nb.cells[1].outputs = [
        new_output("stream", name="stdout", text="a\n"),
        new_output("stream", name="stdout", text=["b\n", "c\n"]),
        new_output("stream", name="stderr", text="warn\n"),
        new_output("stream", name="stdout", text="d\n"),
        new_output("display_data", data={"text/plain": "shown"},
                   metadata={"execution": {"t": 1}, "keep": True}),
    ]
    return nb


def test_cell_ids_are_numbered_in_order():
    nb = normalize(_notebook())
    assert [c["id"] for c in nb.cells] == ["cell-000", "cell-001", "cell-002"]


def test_volatile_metadata_goes_and_the_kernel_is_always_the_same():
    nb = normalize(_notebook())
    assert "widgets" not in nb.metadata
    assert nb.metadata["kernelspec"] == {"display_name": "Python 3", "language": "python",
                                         "name": "python3"}
    assert nb.metadata["language_info"] == {"name": "python"}
    assert "execution" not in nb.cells[1].metadata
    display = nb.cells[1].outputs[-1]
    assert display["metadata"] == {"keep": True}


def test_each_run_of_one_stream_becomes_one_output():
    outputs = normalize(_notebook()).cells[1].outputs
    assert [(o["output_type"], o.get("name"), o.get("text")) for o in outputs] == [
        ("stream", "stdout", "a\nb\nc\n"), ("stream", "stderr", "warn\n"),
        ("stream", "stdout", "d\n"), ("display_data", None, None)]


def test_otter_s_random_cheer_becomes_one_fixed_emoji():
    nb = new_notebook(cells=[new_code_cell("grader.check('q')")])
    nb.cells[0].outputs = [new_output("display_data", data={
        "text/plain": "q results: All test cases passed! \U0001f389",
        "text/html": "<p><strong>q</strong> passed! \U0001f680</p>",
        "image/png": "passed! keep"})]
    data = fixed_emoji(nb).cells[0].outputs[0]["data"]
    assert data["text/plain"] == "q results: All test cases passed! \u2728"
    assert data["text/html"] == "<p><strong>q</strong> passed! \u2728</p>"
    assert data["image/png"] == "passed! keep"  # only text is touched


def test_two_normalised_writes_of_differently_run_notebooks_are_the_same_bytes(tmp_path):
    a, b = _notebook(), _notebook()
    b.cells[1].outputs = [new_output("stream", name="stdout", text="a\nb\nc\n"),
                          *b.cells[1].outputs[2:]]  # the kernel split the text elsewhere
    b.metadata["kernelspec"]["name"] = "another"
    b.cells[1].metadata["execution"] = {"iopub.execute_input": "2027-02-02T00:00:00Z"}
    for cell in (a.cells + b.cells):
        cell["id"] = str(id(cell))  # random ids, as a fresh run gives
    write_notebook(a, tmp_path / "a.ipynb")
    write_notebook(b, tmp_path / "b.ipynb")
    assert (tmp_path / "a.ipynb").read_bytes() == (tmp_path / "b.ipynb").read_bytes()
    assert (tmp_path / "a.ipynb").read_text().endswith("}\n")
    nbformat.validate(nbformat.read(tmp_path / "a.ipynb", as_version=4))
