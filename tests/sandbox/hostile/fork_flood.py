# Starts far more processes than allowed; each one lingers.
import os
import time

children = []
for _ in range(400):
    pid = os.fork()
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    children.append(pid)
