"""Every time limit of grading, in one place (seconds): the sandbox's per cell and per
submission, the judges' budget, and Gradescope's, which must fit its 10-minute default.

Imports nothing of hw3, so that any module may take its defaults from here."""

from __future__ import annotations

# `hw3 grade`: a student's notebook in the sandbox.
CELL_SECONDS = 60.0  # one cell (--cell-timeout)
SUBMISSION_SECONDS = 300.0  # the whole notebook (--timeout)

# The judges (hw3.grading.judging.Budget). Judging a submission takes well under a second, a
# wrong training loop a few (its slips are recomputed to name the mistake): these are far above,
# for a very busy machine.
JUDGE_CASE_SECONDS = 60.0  # wall time to judge one case
JUDGE_SUBMISSION_SECONDS = 180.0  # wall time to judge all cases of one submission
JUDGE_STARTUP_SECONDS = 120.0  # importing SymPy and NumPy on a cold, busy machine

# Gradescope (hw3.grading.gradescope): the notebook gets GRADESCOPE_TIMEOUT, and whatever
# happens a results.json is written by GRADESCOPE_DEADLINE, inside Gradescope's default limit of
# 10 minutes. Judging takes well under a second (a few seconds when a training loop's slips are
# recomputed): 30 s a case, 60 s in all, keeps notebook + judging inside the deadline.
GRADESCOPE_TIMEOUT = 480.0
GRADESCOPE_DEADLINE = 570.0
GRADESCOPE_JUDGE_CASE_SECONDS = 30.0
GRADESCOPE_JUDGE_SUBMISSION_SECONDS = 60.0

# PrairieLearn (hw3.grading.prairielearn): the question's externalGradingOptions.timeout is
# PrairieLearn's maximum; the notebook and the deadline leave room inside it for starting
# Python and the sandbox on the container's 0.9 CPU.
PRAIRIELEARN_JOB_SECONDS = 600
PRAIRIELEARN_TIMEOUT = 480.0
PRAIRIELEARN_DEADLINE = 560.0
