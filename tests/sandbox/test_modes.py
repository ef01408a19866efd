"""What each isolation mode promises, forced one by one: bubblewrap, unprivileged-user, none.

Also what every mode adds (seccomp, the worker's cgroup, RLIMIT_NOFILE) and the hostile
fixtures of tests/fixtures/hostile/ that need two jobs on one worker to show anything.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import tempfile
from pathlib import Path

import pytest

import hw3.sandbox as sandbox
from hw3.sandbox import Worker
from tests.sandbox._sandbox_helpers import AFTER, hostile, run, statuses

X86_64 = pytest.mark.skipif(os.uname().machine != "x86_64", reason="x86_64 syscall numbers")


def test_results_name_the_mode_actually_used(worker: Worker) -> None:
    res = run(worker, ["x = 1"])
    assert res["isolation"] == worker.isolation
    assert worker.isolation.split(" ")[0] == worker.requested
    assert (worker.isolation == "bubblewrap") == (worker.requested == "bubblewrap")


def test_unprivileged_user_runs_jobs_as_nobody_who_cannot_read_or_write(
        _workers: dict, tmp_path_factory: pytest.TempPathFactory) -> None:
    from tests.sandbox._sandbox_helpers import get_worker

    w = get_worker(_workers, "unprivileged-user")
    top = Path(tempfile.mkdtemp(prefix="hw3-grader-only-"))
    try:
        top.chmod(0o755)
        secret = top / "expected_hidden.json"
        secret.write_text('{"answer": 42}')
        secret.chmod(0o640)  # what the caller does to grader-only files: chmod o=
        installed = Path(sandbox.__file__)
        before = installed.read_bytes()
        cell = f"""
import os, socket
print(os.getuid(), os.getgid(), os.getgroups())
print([l.split()[1] for l in open('/proc/self/status') if l.startswith('CapEff')])
for path, how in [({str(secret)!r}, 'r'), ({str(installed)!r}, 'a'), ('/etc/x', 'w')]:
    try:
        open(path, how).close()
        print('opened', path)
    except OSError as e:
        print('refused', type(e).__name__)
try:
    socket.create_connection(('127.0.0.1', 9), timeout=1)
except OSError as e:
    print('network', e.errno)
"""
        res = run(w, [cell, *AFTER])
        assert statuses(res) == ["ok", "ok", "ok"], res["cells"][0]["error"]
        lines = res["cells"][0]["output"].splitlines()
        assert lines[0] == f"{sandbox.SANDBOX_UID} {sandbox.SANDBOX_UID} []"
        assert lines[1] == "['0000000000000000']"  # no capabilities
        assert lines[2:5] == ["refused PermissionError"] * 3
        assert lines[5] == "network 1"  # EPERM: only Unix sockets without a network namespace
        assert installed.read_bytes() == before
    finally:
        for p in top.iterdir():
            p.unlink()
        top.rmdir()


def test_none_is_rlimits_only_and_says_so(none_worker: Worker) -> None:
    assert none_worker.isolation.startswith("none (")
    res = run(none_worker, [f"import os\nprint(os.getuid() == {os.geteuid()})"])
    assert res["cells"][0]["output"].strip() == "True"  # the grader's own user


@X86_64
def test_seccomp_denies_what_the_homework_never_needs(worker: Worker) -> None:
    if not worker.features.get("seccomp", "").startswith("on"):
        pytest.skip(f"seccomp unavailable: {worker.features}")
    cell = """
import ctypes, os, threading, subprocess
libc = ctypes.CDLL(None, use_errno=True)
def call(nr, *args):
    r = libc.syscall(nr, *args)
    return r, ctypes.get_errno() if r == -1 else 0
calls = {"ptrace": (101, 0, 0, 0, 0), "bpf": (321, 0, 0, 0),
         "perf_event_open": (298, 0, 0, -1, -1, 0),
         "userfaultfd": (323, 0), "io_uring_setup": (425, 1, 0), "unshare": (272, 0x10000000),
         "mount": (165, b"none", b"/tmp", b"tmpfs", 0, 0), "setns": (308, 0, 0),
         "keyctl": (250, 0, 0), "add_key": (248, b"user", b"k", b"v", 1, -4),
         "kill(-1)": (62, -1, 0)}
print(sorted(name for name, args in calls.items() if call(*args) != (-1, 1)))
print(call(435, 0, 0))  # clone3: ENOSYS, so that libc falls back to clone
sid = os.getsid(0); os.setsid(); print(os.getsid(0) == sid)  # setsid: no new session
t = threading.Thread(target=lambda: None); t.start(); t.join()
print(subprocess.run(["echo", "still forks"], capture_output=True, text=True).stdout.strip())
print([l.split()[1] for l in open('/proc/self/status') if l.startswith('Seccomp:')])
"""
    res = run(worker, [cell])
    assert statuses(res) == ["ok"], res["cells"][0]["error"]
    lines = res["cells"][0]["output"].splitlines()
    assert lines == ["[]", "(-1, 38)", "True", "still forks", "['2']"]


def test_each_worker_has_a_cgroup_its_forks_cannot_leave(worker: Worker) -> None:
    cgroup = worker._cgroup
    if cgroup is None:
        pytest.skip(f"no cgroup here: {worker.features}")
    assert worker.features["cgroup"].split(" ")[0] in ("v1", "v2")
    cell = """
import os, time
kids = []
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
        except OSError:
            pass
        time.sleep(5)
        os._exit(0)
    kids.append(pid)
print(len(kids), os.getsid(0))
time.sleep(1.2)
"""
    import threading
    import time

    seen: list[set[int]] = []
    done = threading.Event()

    def watch() -> None:  # the largest set of processes seen in the cgroup during the job
        while not done.wait(0.05):
            seen.append(cgroup.pids())

    t = threading.Thread(target=watch)
    t.start()
    try:
        res = run(worker, [cell])
    finally:
        done.set()
        t.join()
    seen.sort(key=len)
    time.sleep(0)
    assert statuses(res) == ["ok"], res["cells"][0]["error"]
    # The zygote, the job's child and its three forks at least (bwrap adds its own two).
    assert len(seen[-1]) >= 5, seen[-1]
    if cgroup.version == "v1":
        assert Path(cgroup.dirs["cpu"], "cpu.cfs_quota_us").read_text().strip() == "100000"


def test_socket_buffers_a_job_can_hold_are_bounded(worker: Worker) -> None:
    starts = worker.starts
    source = hostile("socket_buffer_hog")
    source = source.replace("time.sleep(60)", "time.sleep(3)")
    res = run(worker, [source, *AFTER])
    assert statuses(res)[1:] == ["ok", "ok"]
    out = res["cells"][0]["output"]
    if statuses(res)[0] == "ok":
        queued = int(out.split("queued in this process:")[1].split()[0])
        # One process holds at most RLIMIT_NOFILE / 2 socket pairs of the netns' buffer size.
        assert queued * 2**20 <= sandbox.MAX_OPEN_FILES / 2 * 4 * 2**20, out
    else:  # the worker's memory cgroup stopped the job: its processes went, not the zygote
        assert worker._cgroup is not None and statuses(res)[0] in ("crashed", "memory")
    assert worker.starts == starts
    assert statuses(run(worker, ["import socket\nsocket.socketpair()"])) == ["ok"]


@X86_64
def test_keyring_channel_finds_nothing_from_an_earlier_job(worker: Worker) -> None:
    source = hostile("keyring_channel")
    first = run(worker, [source])
    second = run(worker, [source])
    for res in (first, second):
        assert statuses(res) == ["ok"], res["cells"][0]["error"]
        assert res["cells"][0]["output"].startswith("found: []"), res["cells"][0]["output"]


def test_abstract_unix_sockets_do_not_outlive_a_job(worker: Worker) -> None:
    name = f"hw3-test-{os.getpid()}-{worker.requested}"
    # The job waits until its child listens (not a fixed time), so the socket did exist; the
    # cell limit leaves room for a fork on a loaded machine.
    worker.limits = dataclasses.replace(worker.limits, cell_seconds=30.0)
    listen = (
        "import os, socket, time\n"
        "if os.fork() == 0:\n"
        "    s = socket.socket(socket.AF_UNIX)\n"
        f"    s.bind('\\0{name}'); s.listen()\n"
        "    time.sleep(30)\n"
        "    os._exit(0)\n"
        "for _ in range(1500):\n"
        "    try:\n"
        f"        socket.socket(socket.AF_UNIX).connect('\\0{name}'); print('listening'); break\n"
        "    except OSError:\n"
        "        time.sleep(0.01)"
    )
    connect = (
        "import socket\ns = socket.socket(socket.AF_UNIX)\n"
        f"try:\n    s.connect('\\0{name}'); print('reached')\nexcept OSError as e:\n"
        "    print('gone', e.errno)"
    )
    first = run(worker, [listen])
    assert statuses(first) == ["ok"] and first["cells"][0]["output"] == "listening\n", first
    res = run(worker, [connect])
    assert res["cells"][0]["output"].startswith("gone"), res["cells"][0]
    with socket.socket(socket.AF_UNIX) as s, pytest.raises(OSError):
        s.connect(f"\0{name}")  # not on the host either
