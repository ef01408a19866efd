# Double fork + setsid: a daemon that outlives the job and writes a file later.
import os
import time

workdir = os.getcwd()
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for _ in range(100):
            time.sleep(0.2)
            with open(os.path.join(workdir, "daemon_was_here"), "a") as f:
                f.write(f"{os.getpid()}\n")
    os._exit(0)
