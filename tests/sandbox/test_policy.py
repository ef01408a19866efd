"""The bubblewrap sandbox as data: a fixed Policy gives a fixed argv (no bubblewrap needed), and
the policy the grader builds binds exactly the package folders of hw3.grading.jail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hw3.grading import jail
from hw3.layout import PACKAGE_DIR
from hw3.sandbox import Limits, Mount, Policy, bubblewrap_policy, bwrap_argv, sandbox_env
from hw3.sandbox.policy import parent_dirs

PKG = "/opt/grader/src/hw3"  # none of these paths need exist: bwrap_argv never looks

FIXED = Policy(
    bwrap="/usr/bin/bwrap",
    command=("/opt/python/bin/python3", "-I", "-c", "pass"),
    mounts=(
        Mount("ro-bind", "/usr", "/usr"),
        Mount("symlink", "/bin", "usr/bin"),
        Mount("ro-bind-try", "/etc/fonts", "/etc/fonts"),
        Mount("proc", "/proc"),
        Mount("ro-bind", "/proc/sys", "/proc/sys"),
        Mount("dev", "/dev"),
        Mount("tmpfs", "/dev/shm", perms="1777", size=64 * 2**20),
        Mount("remount-ro", "/dev"),
        Mount("tmpfs", "/tmp", perms="1777", size=256 * 2**20),
        *parent_dirs(["/etc/passwd", "/opt/python", PKG, f"{PKG}/cases"]),
        Mount("ro-bind-data", "/etc/passwd", "9"),
        Mount("ro-bind", "/opt/python", "/opt/python"),
        Mount("tmpfs", PKG, perms="0755"),
        Mount("ro-bind", f"{PKG}/cases", f"{PKG}/cases"),
        Mount("remount-ro", PKG),
        Mount("remount-ro", "/"),
    ),
    env=sandbox_env("/tmp", {"MPLCONFIGDIR": "~/.config/matplotlib", "OMP_NUM_THREADS": "1"}),
    keep_caps=("CAP_SETUID", "CAP_SETGID", "CAP_KILL"),
)


def test_a_fixed_policy_gives_the_golden_argv(golden) -> None:
    golden.check("bwrap_argv.json", json.dumps(bwrap_argv(FIXED), indent=1) + "\n")


def test_the_argv_ends_with_the_command_and_clears_the_environment() -> None:
    argv = bwrap_argv(FIXED)
    assert argv[argv.index("--") + 1:] == list(FIXED.command)
    assert argv.index("--clearenv") < argv.index("--setenv")
    assert "HOME" in argv and "/tmp/.config/matplotlib" in argv  # ~/ is the sandbox's home


def test_missing_parents_are_made_traversable_outermost_first() -> None:
    dirs = [m.dest for m in parent_dirs(["/a/b/c", "/usr/lib/x", "/a/b"])]
    assert dirs == ["/a"]  # /a/b is itself a destination; /usr is the system's
    assert all(m.perms == "0755" for m in parent_dirs(["/x/y/z"]))


def test_an_unknown_mount_operation_is_refused() -> None:
    with pytest.raises(ValueError):
        Mount("overlay", "/x")


def _grader_policy(root: bool) -> Policy:
    return bubblewrap_policy("/usr/bin/bwrap", jail.payload(), Limits(), root=root,
                             data_fds={"passwd": 9}, command=("python",))


@pytest.mark.parametrize("root", [False, True])
def test_the_grader_binds_exactly_the_folders_of_jail(root: bool) -> None:
    policy = _grader_policy(root)
    pkg = str(PACKAGE_DIR)
    inside = [m for m in policy.mounts if m.dest == pkg or m.dest.startswith(pkg + "/")]
    # A tmpfs hides the package folder, the folders of jail.BOUND come back read-only, and
    # nothing else of it (not hw3/grading, where the hidden expected data lives).
    assert [m.op for m in inside] == ["tmpfs", *["ro-bind"] * len(jail.BOUND), "remount-ro"]
    bound = {m.dest for m in inside if m.op == "ro-bind"}
    assert bound == {str(PACKAGE_DIR / e) for e in jail.BOUND}
    assert all(m.source == m.dest for m in inside if m.op == "ro-bind")
    assert not any(m.op == "bind" for m in policy.mounts)  # nothing writable from the host
    assert policy.keep_caps == (("CAP_SETUID", "CAP_SETGID", "CAP_KILL") if root else ())
    assert policy.env["OMP_NUM_THREADS"] == "1" and policy.env["HOME"] == "/tmp"


def test_jail_names_folders_that_exist_and_no_grader_part() -> None:
    for entry in jail.BOUND:
        assert (PACKAGE_DIR / entry).exists(), entry
    assert not {"grading", "report", "build", "bank", "marking", "data"} & set(jail.BOUND)
    module, _, function = jail.ENTRY.partition(":")
    assert module.split(".")[1] in jail.BOUND and function
    for name in jail.PRELOAD:
        if name.startswith("hw3."):
            assert name.split(".")[1].split(":")[0] in jail.BOUND, name


def test_gradescope_hides_what_the_sandbox_does_not_bind() -> None:
    from hw3.grading import gradescope

    assert gradescope._child_entries() == frozenset(jail.BOUND)
    secrets = {Path(p).name for p in gradescope.secret_paths(Path("/nonexistent"))}
    assert not secrets & set(jail.BOUND)
    assert "grading" in secrets
