"""How `hw3 similarity` grows with the class, and how it ranks copies against copydetect 0.5.0.

    python benchmarks/similarity_speed.py [--sizes 100 300 1000] [--copydetect 300] [--seed 0]

For each size, a synthetic class (``hw3.similarity.synthetic``: honest students, whole copies,
a group with one outside source, partial copies) is written as notebooks and compared in a fresh
child process of this one; the script prints the wall time, the child's peak memory (max RSS),
both per submission so the growth shows, and the recall, precision and average precision of
the ranking against the class's known truth.

Then copydetect (a reference only, not a dependency: ``pip install copydetect==0.5.0``) runs on
the same classes up to ``--copydetect`` submissions, on each notebook's code cells as one .py
file with the template's code as its boilerplate, in a child process too; its pair score is
the larger of its two directed similarities. Average precision (AP) compares the two rankings:
the mean, over the copied pairs, of the precision of the ranking down to each (1.0: every
copied pair above every honest one). Pairs sharing one or two functions' origin are left out.

Prints numbers; asserts nothing (timings depend on the machine; never expect idle figures on a
shared one).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD_HW3 = """
import json, sys, time
from pathlib import Path
from hw3.similarity import analyse
from hw3.similarity.template import load_template
folder = Path(sys.argv[1])
start = time.monotonic()
files = [(p.stem, p) for p in sorted(folder.glob("*.ipynb"))]
a = analyse(files, template=load_template(Path(sys.argv[2])), threshold=0.0)
seconds = time.monotonic() - start
import resource
peak = max(resource.getrusage(w).ru_maxrss
           for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024
print(json.dumps({"seconds": seconds, "peak": peak,
                  "pairs": [[p.a, p.b, p.score] for p in a.pairs]}))
"""

CHILD_COPYDETECT = """
import json, sys, time
import numpy as np
from copydetect import CopyDetector
start = time.monotonic()
d = CopyDetector(test_dirs=[sys.argv[1]], boilerplate_dirs=[sys.argv[2]], extensions=["py"],
                 display_t=0.0, silent=True, autoopen=False)
d.run()
m = d.similarity_matrix
names = [__import__("pathlib").Path(f).stem for f in d.test_files]
pairs = []
for i in range(len(names)):
    for j in range(i + 1, len(names)):
        s = float(max(m[i, j, 0], m[i, j, 1]))
        if s > 0:
            pairs.append([names[i], names[j], s])
import resource
peak = max(resource.getrusage(w).ru_maxrss
           for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024
print(json.dumps({"seconds": time.monotonic() - start, "peak": peak, "pairs": pairs}))
"""


def child(code: str, *args: str) -> tuple[dict, float]:
    """Run ``code`` in a fresh Python; its JSON and its own peak RSS in MB."""
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         check=False)
    if out.returncode:
        raise SystemExit(out.stderr[-2000:])
    got = json.loads(out.stdout.strip().splitlines()[-1])
    return got, float(got["peak"])


def figures(klass, pairs: list, threshold: float | None) -> dict:
    ids = [s.id for s in klass.students]
    truth = {}
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            t = klass.truth(a, b)
            if t is not None:
                truth[tuple(sorted((a, b)))] = t
    copied = {k for k, v in truth.items() if v}
    ranked = sorted(((s, tuple(sorted((a, b)))) for a, b, s in pairs
                     if tuple(sorted((a, b))) in truth), reverse=True)
    hits, ap = 0, 0.0
    for n, (_, pair) in enumerate(ranked, 1):
        if pair in copied:
            hits += 1
            ap += hits / n
    out = {"copied": len(copied), "AP": ap / len(copied) if copied else 0.0}
    if threshold is not None:
        flagged = {p for s, p in ranked if s >= threshold}
        tp = len(flagged & copied)
        out |= {"recall": tp / len(copied) if copied else 0.0,
                "precision": tp / len(flagged) if flagged else 0.0, "flagged": len(flagged)}
    return out


def as_python(nb: Path, out: Path) -> None:
    cells = json.loads(nb.read_text())["cells"]
    code = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in cells if c.get("cell_type") == "code"]
    out.write_text("\n\n".join(code) + "\n")


def main() -> None:
    from hw3.similarity import synthetic
    from hw3.similarity.compare import THRESHOLD

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000])
    ap.add_argument("--copydetect", type=int, default=300, metavar="N",
                    help="run copydetect on classes up to N submissions (0: never)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    template = ROOT / "student_template" / "hw3.ipynb"
    try:
        import copydetect  # noqa: F401

        have_copydetect = True
    except ImportError:
        have_copydetect = False
        print("copydetect is not installed (pip install copydetect==0.5.0): no comparison")
    print(f"{'n':>6} {'tool':>10} {'seconds':>8} {'s/sub':>7} {'peak MB':>8} {'MB/sub':>7} "
          f"{'copied':>6} {'recall':>6} {'prec.':>6} {'AP':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        boiler = Path(tmp) / "boilerplate"
        boiler.mkdir()
        as_python(template, boiler / "template.py")
        for n in sorted(args.sizes):
            klass = synthetic.make_class(
                n_honest=n - max(2, n // 12) - 5 - max(1, n // 20), n_copiers=max(2, n // 12),
                n_group=5, n_partial=max(1, n // 20), seed=args.seed)
            folder = Path(tmp) / f"class{n}"
            synthetic.write_class(klass, ROOT, folder, args.seed)
            start = time.monotonic()
            got, peak = child(CHILD_HW3, str(folder), str(template))
            wall = time.monotonic() - start
            f = figures(klass, got["pairs"], THRESHOLD)
            print(f"{n:>6} {'hw3':>10} {wall:>8.1f} {wall / n:>7.3f} {peak:>8.0f} "
                  f"{peak / n:>7.2f} {f['copied']:>6} {f['recall']:>6.2f} {f['precision']:>6.2f} "
                  f"{f['AP']:>6.3f}")
            if have_copydetect and n <= args.copydetect:
                py = Path(tmp) / f"py{n}"
                py.mkdir()
                for nb in folder.glob("*.ipynb"):
                    as_python(nb, py / f"{nb.stem}.py")
                start = time.monotonic()
                got, peak_cd = child(CHILD_COPYDETECT, str(py), str(boiler))
                wall = time.monotonic() - start
                f = figures(klass, got["pairs"], 0.33)  # copydetect's default display_t
                print(f"{n:>6} {'copydetect':>10} {wall:>8.1f} {wall / n:>7.3f} "
                      f"{peak_cd:>8.0f} {peak_cd / n:>7.2f} {f['copied']:>6} {f['recall']:>6.2f} "
                      f"{f['precision']:>6.2f} {f['AP']:>6.3f}")
    print("peak MB: the largest max RSS of the child or one of its workers; recall and "
          f"precision at hw3's default threshold {THRESHOLD} and copydetect's display "
          "threshold 0.33")


if __name__ == "__main__":
    main()
