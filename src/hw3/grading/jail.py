"""What of hw3 goes into the sandbox: the one definition, as data for the generic ``hw3.sandbox``.

The sandboxed child needs the probes and what they import (the hidden cases' probes and their
inputs too, ``hw3/hidden/``: they run beside the student's code), the job runner, and the
sandbox's own code. Not the grader: not the hidden judges, their hints and the accepted answers
(``hw3/grading/judges/``), not the hidden expected data (``hw3/grading/``), not
``hw3.grading.slips`` (its recomputed mistakes are close enough to working answers to be worth
importing). Bound by FOLDER: anything added to one
of these folders goes in, anything added beside them stays out. Gradescope's lock-down
(``hw3.grading.gradescope``) hides everything else of the installed package with this same list.
"""

from __future__ import annotations

from hw3.layout import PACKAGE_DIR, SINGLE_THREAD
from hw3.sandbox import Payload
from hw3.sandbox import visible_paths as _visible

# Entries of the hw3 package folder the sandbox binds (read-only).
BOUND = ("__init__.py", "cases", "runner", "hidden", "sandbox")
# Imported once by the zygote, in order (hw3.hidden.sandbox builds the sandbox's registry: the
# public cases and the hidden probes), then job.preload warms what the first cell would pay for.
PRELOAD = ("numpy", "sympy", "matplotlib", "matplotlib.pyplot", "IPython", "torch",
           "hw3.runner.job", "hw3.hidden:sandbox", "hw3.runner.job:preload")
ENTRY = "hw3.runner.job:run_job"  # runs one job in each fresh child
# One thread everywhere (no thread pools in the zygote before fork, and cores shared); headless
# plots; matplotlib's and IPython's folders in the sandbox's home.
ENV = {
    "MPLBACKEND": "Agg",
    "MPLCONFIGDIR": "~/.config/matplotlib",
    "IPYTHONDIR": "~/.ipython",
    **SINGLE_THREAD,
    "NUMEXPR_NUM_THREADS": "1",
}


def payload() -> Payload:
    """hw3's payload for ``hw3.sandbox.Worker``."""
    return Payload(package=str(PACKAGE_DIR), entries=BOUND, entry=ENTRY, preload=PRELOAD,
                   env=ENV)


def visible_paths() -> list[str]:
    """Host folders the bubblewrap sandbox shows (read-only) to students' code."""
    return _visible(payload())
