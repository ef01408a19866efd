"""Golden files: a test compares what it made with a file kept under the test's ``golden/``
folder; ``pytest --update-golden`` rewrites those files instead (then review the diff)."""

from __future__ import annotations

from pathlib import Path

import pytest


class Golden:
    def __init__(self, folder: Path, update: bool) -> None:
        self.folder, self.update = folder, update

    def check(self, name: str, text: str) -> None:
        """``text`` must equal golden/``name`` (or becomes it, with --update-golden)."""
        path = self.folder / name
        if self.update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        if not path.is_file():
            pytest.fail(f"no golden file {path}: run pytest --update-golden and review it")
        want = path.read_text(encoding="utf-8")
        assert text == want, f"{path} differs: run pytest --update-golden and review the diff"
