# Tries to read the zygote's memory and to attach to it with ptrace.
import ctypes
import os

ppid = os.getppid()
leaked = []
for path in (f"/proc/{ppid}/mem", f"/proc/{ppid}/environ", f"/proc/{ppid}/fd/0"):
    try:
        if path.endswith("/0"):
            os.readlink(path)
        else:
            with open(path, "rb"):
                pass
        leaked.append(path)
    except OSError:
        pass
libc = ctypes.CDLL(None, use_errno=True)
PTRACE_ATTACH, PTRACE_DETACH = 16, 17
if libc.ptrace(PTRACE_ATTACH, ppid, None, None) == 0:
    leaked.append("ptrace")
    os.waitpid(ppid, 0)
    libc.ptrace(PTRACE_DETACH, ppid, None, None)
print("leaked:", leaked)
