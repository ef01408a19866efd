# Kills the process that forked it (the zygote), then pid 1.
import os
import signal
import time

TARGETS = [os.getppid(), 1]
for pid in TARGETS:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError as e:
        print("kill", pid, "failed:", e)
time.sleep(0.5)  # a kernel whose parent died is killed meanwhile
