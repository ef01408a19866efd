"""Gradescope's entry point: grade the uploaded submission with hw3's sandboxed engine.

Gradescope unzips the autograder into ``/autograder/source``, puts the student's upload in
``/autograder/submission`` and reads ``/autograder/results/results.json``. The zip's
``run_otter.py`` (started by Otter's ``run_autograder``) calls ``main`` below instead of Otter's
in-kernel grading, so a submission cannot patch its way to points.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from .submission import SUFFIXES


def find_submissions(folder: Path) -> list[Path]:
    """The notebook or export zip a student uploaded (a notebook is preferred over a zip)."""
    files = [p for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix in SUFFIXES
             and not any(part.startswith(".") for part in p.relative_to(folder).parts)]
    notebooks = [p for p in files if p.suffix == ".ipynb"]
    return notebooks[:1] or files[:1]


def gradescope_results(entry: dict[str, Any] | None, questions: dict[str, Any]) -> dict[str, Any]:
    """One result entry in Gradescope's format: a test per question, its cases in the output."""
    if entry is None:
        return {"score": 0.0, "output": "No notebook (.ipynb) or export zip was found in your "
                "upload. Upload hw3.ipynb or the zip file the export cell makes.", "tests": []}
    tests = []
    for question, info in questions.items():
        got = entry["questions"][question]
        lines = []
        for case in (c for c in entry.get("cases", []) if c["question"] == question):
            mark = "passed" if case["passed"] else "failed"
            lines.append(f"{'hidden' if case['hidden'] else 'public'} test {mark}: "
                         f"{case['description']}" + (f"\n    {case['message']}"
                                                      if case["message"] else ""))
        tests.append({"name": question, "score": got["score"], "max_score": info["possible"],
                      "output": "\n".join(lines), "visibility": "visible"})
    output = entry.get("message", "")
    if entry.get("status") != "graded":
        output = f"Your submission could not be graded: {output}"
    return {"score": entry["score"], "output": output, "tests": tests,
            "stdout_visibility": "hidden"}


def main(argv: list[str] | None = None) -> int:
    from .grade import Options, grade_paths

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, default=Path("/autograder"),
                        help="Gradescope's folder (holds submission/ and results/)")
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args(argv)
    subs = find_submissions(args.root / "submission")
    results_dir = args.root / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    entry, questions = None, {}
    if subs:
        graded = grade_paths(subs, Options(workers=1, timeout=args.timeout, cache_dir=None))
        entry, questions = graded["submissions"][0], graded["questions"]
    out = gradescope_results(entry, questions)
    (results_dir / "results.json").write_text(json.dumps(out, indent=1))
    print(f"score {out['score']}" + (f" ({entry['isolation']})" if entry else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
