"""A cgroup per worker where the host lets us make one (v2, or v1's cpu, memory and pids
hierarchies): equal CPU shares whatever a job forks, and one memory bound that also counts
kernel memory (socket buffers, pipes)."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from .spec import SHM_BYTES, Limits

_CONTROLLERS = ("cpu", "memory", "pids")
CGROUP_MEMORY_MARGIN = 256 * 2**20  # page tables, kernel objects, the zygote's own growth


class Cgroup:
    """One worker's cgroup: a folder per hierarchy (v2: one; v1: cpu, memory, pids)."""

    def __init__(self, version: str, dirs: dict[str, str]) -> None:
        self.version, self.dirs = version, dirs

    def describe(self) -> str:
        return f"{self.version} {','.join(sorted(self.dirs))}"

    def _write(self, controller: str, name: str, value: object) -> bool:
        try:
            Path(self.dirs[controller], name).write_text(f"{value}\n")
            return True
        except (OSError, KeyError):
            return False

    def add(self, pid: int) -> bool:
        ok = all(self._write(c, "cgroup.procs", pid) for c in self.dirs)
        if ok:
            # One core at most whatever the job forks; equal shares between workers.
            if self.version == "v2":
                self._write("cpu", "cpu.max", "100000 100000")
            else:
                self._write("cpu", "cpu.cfs_period_us", 100000)
                self._write("cpu", "cpu.cfs_quota_us", 100000)
        return ok

    def bound_memory(self, zygote_bytes: int, limits: Limits) -> None:
        """Once the zygote is warm: what the cgroup holds (the zygote, and the page cache of
        what it read), plus what one job may add (its memory, its files in the tmpfs, its
        shared memory) and a margin. Kernel memory counts too. The job's RLIMIT_AS stops it
        first on ordinary memory; this bounds what no rlimit counts (sockets, pipes)."""
        name = "memory.current" if self.version == "v2" else "memory.usage_in_bytes"
        try:
            held = int(Path(self.dirs["memory"], name).read_text())
        except (OSError, KeyError, ValueError):
            held = 0
        cap = max(zygote_bytes, held) + limits.memory_bytes + limits.disk_bytes + SHM_BYTES
        cap += CGROUP_MEMORY_MARGIN
        if self.version == "v2":
            self._write("memory", "memory.max", cap)
            self._write("memory", "memory.swap.max", 0)
        else:
            self._write("memory", "memory.limit_in_bytes", cap)
        # The job's processes, the zygote's threads, bwrap and its init.
        self._write("pids", "pids.max", limits.max_processes + 32)

    def pids(self) -> set[int]:
        out: set[int] = set()
        for d in self.dirs.values():
            with contextlib.suppress(OSError, ValueError):
                out |= {int(x) for x in Path(d, "cgroup.procs").read_text().split()}
        return out

    def remove(self) -> None:
        """Kill whatever is left in it, then remove the folders."""
        end = time.monotonic() + 2.0
        while self.dirs:
            for pid in self.pids():
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            for c, d in list(self.dirs.items()):
                try:
                    os.rmdir(d)
                    del self.dirs[c]
                except FileNotFoundError:
                    del self.dirs[c]
                except OSError:
                    pass
            if not self.dirs or time.monotonic() > end:
                return
            time.sleep(0.01)


@dataclass
class CgroupHost:
    """Where this host lets us make cgroups (found once per process)."""

    version: str = ""
    parents: dict[str, str] = dataclasses.field(default_factory=dict)
    why: str = "none"
    made: int = 0

    def make(self) -> Cgroup | None:
        if not self.version:
            return None
        self.made += 1
        name = f"hw3-{os.getpid()}-{self.made}"
        dirs: dict[str, str] = {}
        for c, parent in self.parents.items():
            d = os.path.join(parent, name)
            try:
                os.mkdir(d, 0o755)
            except FileExistsError:
                pass
            except OSError:
                Cgroup(self.version, dirs).remove()
                return None
            if d not in dirs.values():
                dirs[c] = d
        return Cgroup(self.version, dirs)


_CGROUP_HOST: CgroupHost | None = None


def host() -> CgroupHost:
    global _CGROUP_HOST
    if _CGROUP_HOST is None:
        _CGROUP_HOST = _find_cgroups()
    return _CGROUP_HOST


def _find_cgroups() -> CgroupHost:
    """v2 where it delegates cpu, memory and pids to us; else v1 where those hierarchies are
    writable; else none (and why): the other limits still hold, neighbours share the CPU."""
    try:
        own = [ln.split(":", 2) for ln in Path("/proc/self/cgroup").read_text().splitlines()]
        mounts = [ln.split() for ln in Path("/proc/self/mountinfo").read_text().splitlines()]
    except OSError as e:
        return CgroupHost(why=f"none (cannot read /proc: {e})")
    points: dict[str, str] = {}  # "v2" or v1 controller -> mount point
    for f in mounts:
        sep = f.index("-") if "-" in f else len(f)
        if sep + 1 >= len(f):
            continue
        fstype, options = f[sep + 1], f[-1].split(",")
        if fstype == "cgroup2":
            points.setdefault("v2", f[4])
        elif fstype == "cgroup":
            for c in _CONTROLLERS:
                if c in options:
                    points.setdefault(c, f[4])
    why = []
    v2_path = next((p for i, c, p in own if i == "0" and c == ""), None)
    if v2_path is not None and "v2" in points:
        here = os.path.join(points["v2"], v2_path.lstrip("/"))
        try:
            have = Path(here, "cgroup.controllers").read_text().split()
            if all(c in have for c in _CONTROLLERS):
                enabled = Path(here, "cgroup.subtree_control").read_text().split()
                missing = [c for c in _CONTROLLERS if c not in enabled]
                if missing:
                    Path(here, "cgroup.subtree_control").write_text(
                        " ".join(f"+{c}" for c in missing))
                host = CgroupHost("v2", dict.fromkeys(_CONTROLLERS, here))
                probe = host.make()
                if probe is not None:
                    probe.remove()
                    return host
                why.append("v2: cannot make a cgroup")
            else:
                why.append("v2: cpu, memory or pids not delegated")
        except OSError as e:
            why.append(f"v2: {e.strerror or e}")
    parents = {}
    for _i, c, p in own:
        for name in c.split(","):
            if name in _CONTROLLERS and name in points:
                parents[name] = os.path.join(points[name], p.lstrip("/"))
    if set(parents) == set(_CONTROLLERS):
        host = CgroupHost("v1", parents)
        probe = host.make()
        if probe is not None:
            probe.remove()
            return host
        why.append("v1: not writable")
    elif parents or any(c in points for c in _CONTROLLERS):
        why.append("v1: cpu, memory or pids hierarchy missing")
    return CgroupHost(why=f"none ({'; '.join(why) or 'no cgroup file system'})")

