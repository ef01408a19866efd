"""Grading (trusted side only): submissions read, run in the sandbox, judged, and the results."""
