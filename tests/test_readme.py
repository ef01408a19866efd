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
