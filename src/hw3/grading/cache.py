"""The results cache: a finished result kept on disk, served again only for the same
submission graded by the same autograder, with the same limits, under an isolation no weaker.

The autograder's part of the key (``autograder_key``) hashes exactly what can change a grade:
the cases (``hw3/cases``, ``hw3/hidden``, with master.json and the expected data), the grading
code (``hw3/grading``) and the sandbox (``hw3/sandbox``). The report, the marking app, the build,
the bank and the command line change how results look, never what they are: editing them (the
report's CSS, say) keeps every cached result.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import threading
from dataclasses import replace
from pathlib import Path

from hw3.grading.results import Isolation, Status, SubmissionResult
from hw3.grading.submission import Submission

# The packages whose files decide a grade (code and data), relative to the hw3 package.
GRADE_PACKAGES = ("cases", "hidden", "grading", "sandbox")
GRADE_SUFFIXES = (".py", ".json")


def autograder_key(package: Path | None = None) -> str:
    """What a result depends on besides the submission: the code and data of
    ``GRADE_PACKAGES`` in ``package`` (default: this hw3 package)."""
    package = package or Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    files = [p for name in GRADE_PACKAGES for p in (package / name).rglob("*")
             if p.suffix in GRADE_SUFFIXES and p.is_file()
             and "__pycache__" not in p.relative_to(package).parts]
    for path in sorted(files):
        h.update(path.relative_to(package).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "hw3" / "results"


# Isolation modes from strongest to weakest; a result is served only to a run whose mode is no
# stronger than the one it was graded under. Results graded with "none" are never cached.
STRENGTH: dict[str, int] = {Isolation.BUBBLEWRAP: 2, Isolation.UNPRIVILEGED_USER: 1}


class Cache:
    """Finished results on disk, keyed by submission content, autograder, limits and the
    isolation actually used: a re-run (or an interrupted batch) grades only what is new.

    Lives in ``~/.cache/hw3/results`` (``$XDG_CACHE_HOME``), folders 0700 and files 0600 of the
    grader's user, outside everything the bubblewrap sandbox binds; under ``unprivileged-user``
    students' uid cannot enter it. Every entry carries an HMAC made with a secret kept there
    (0600): a file written by anyone without it is never served. After a run with ``none`` the
    secret is replaced (``forget``), so entries forged while students' code ran unsandboxed are
    never served either.

    Results go in and come out as ``SubmissionResult``s; their JSON (the contract's) is this
    module's business only."""

    def __init__(self, folder: Path | None, key: str, mode: str = Isolation.BUBBLEWRAP):
        self.folder, self.key, self.mode = folder, key, mode
        if mode not in STRENGTH:
            self.folder = None  # nothing graded without a sandbox is ever reused
        self._secret: bytes | None = None

    def _dir(self, mode: str) -> Path | None:
        if self.folder is None:
            return None
        return self.folder / hashlib.sha256(f"{self.key}:{mode}".encode()).hexdigest()[:16]

    def _own(self, path: Path) -> bool:
        """Ours, and writable by nobody else (a shared folder could hold anyone's files)."""
        try:
            st = path.lstat()
        except OSError:
            return False
        return st.st_uid == os.geteuid() and not st.st_mode & 0o022

    def _key(self, create: bool) -> bytes | None:
        if self._secret is not None or self.folder is None:
            return self._secret
        path = self.folder / "secret"
        try:
            if create and not path.exists():
                self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(os.urandom(32))
            if self._own(self.folder) and self._own(path) and path.is_file():
                self._secret = path.read_bytes()
        except OSError:
            return None
        return self._secret

    def _mac(self, secret: bytes, sub: Submission, mode: str, text: str) -> str:
        msg = f"{self.key}:{mode}:{sub.digest}:".encode() + text.encode()
        return hmac.new(secret, msg, hashlib.sha256).hexdigest()

    def get(self, sub: Submission) -> SubmissionResult | None:
        if self.folder is None or not sub.digest:
            return None
        secret = self._key(create=False)
        if secret is None:
            return None
        for mode, strength in STRENGTH.items():  # strongest first
            if strength < STRENGTH[self.mode]:
                continue
            folder = self._dir(mode)
            assert folder is not None
            path = folder / f"{sub.digest}.json"
            if not (self._own(folder) and self._own(path)):
                continue
            try:
                sealed = json.loads(path.read_text())
                text, mac = sealed["result"], sealed["mac"]
                if not hmac.compare_digest(self._mac(secret, sub, mode, text), mac):
                    continue
                cached = SubmissionResult.from_json(json.loads(text))
            except (OSError, ValueError, KeyError, TypeError):  # ResultsError is a ValueError
                continue
            if Isolation.of(cached.isolation) != mode:
                continue
            # The same content may sit under another name: the entry names this one.
            return replace(cached, path=str(sub.path), id=sub.id, cached=True)
        return None

    def put(self, sub: Submission, result: SubmissionResult) -> None:
        mode = Isolation.of(result.isolation)
        if (self.folder is None or not sub.digest or result.status == Status.ERROR
                or mode is None or mode not in STRENGTH):
            return
        try:
            secret = self._key(create=True)
            folder = self._dir(mode)
            if secret is None or folder is None:
                return
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            text = json.dumps(result.to_json())
            path = folder / f"{sub.digest}.json"
            tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "w") as f:
                json.dump({"result": text, "mac": self._mac(secret, sub, mode, text)}, f)
            tmp.replace(path)
        except OSError:
            pass  # a cache that cannot be written only costs speed

    def forget(self) -> None:
        """Invalidate every entry (a new secret): after students' code ran unsandboxed."""
        if self.folder is None:
            return
        with contextlib.suppress(OSError):
            (self.folder / "secret").unlink()
        self._secret = None

    def taint(self) -> None:
        """Before students' code runs unsandboxed: should this run die before ``forget``, the
        next run forgets instead (see ``forget_if_tainted``)."""
        if self.folder is not None:
            with contextlib.suppress(OSError):
                self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
                (self.folder / "tainted").touch()

    def forget_if_tainted(self) -> None:
        """Forget everything if a run without a sandbox did not finish cleaning up."""
        if self.folder is not None and (self.folder / "tainted").exists():
            self.forget()
            with contextlib.suppress(OSError):
                (self.folder / "tainted").unlink()
