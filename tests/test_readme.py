"""The README's quick start and CI run the same test command."""

import re


def _commands(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines()
            if line.strip().startswith("python3 -m venv")]


def test_ci_runs_the_readme_test_command(root):
    readme = (root / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    setup_and_grade, setup_and_test = _commands(quick)
    assert "hw3 grade examples/sample_class" in setup_and_grade
    assert re.search(r"pytest$", setup_and_test)
    assert setup_and_test in _commands((root / ".ci" / "run").read_text())
    assert (root / "examples" / "sample_class").is_dir()


def test_the_quick_start_needs_pypi_alone(root):
    """Every pin of constraints.txt is a public version (no `+cpu` local label, which only
    PyTorch's own index serves) and no index option; the README says how to get the CPU build."""
    lines = [ln.strip() for ln in (root / "constraints.txt").read_text().splitlines()
             if ln.strip() and not ln.strip().startswith("#")]
    assert lines and all(re.fullmatch(r"[A-Za-z0-9_.\-]+==[0-9][0-9A-Za-z.]*", ln)
                         for ln in lines), [ln for ln in lines if "+" in ln or ln[0] == "-"]
    assert "torch==2.13.0" in lines
    readme = (root / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in quick
    assert "CUDA" in quick


def test_students_get_an_install_command_and_a_jupyter_client(root):
    readme = (root / "README.md").read_text()
    students = readme.split("## For students", 1)[1].split("\n## ", 1)[0]
    install = next(ln for ln in students.splitlines() if "pip install" in ln)
    for package in ("numpy", "sympy", "matplotlib", "torch", "otter-grader", "jupyterlab"):
        assert package in install.split(), package
    assert "jupyter lab hw3.ipynb" in students
