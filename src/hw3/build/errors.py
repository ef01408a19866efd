"""The build's one error: the master notebook or the build's environment is not right."""

from __future__ import annotations


class BuildError(Exception):
    """The master notebook or the build's environment is not right; the message says how."""
