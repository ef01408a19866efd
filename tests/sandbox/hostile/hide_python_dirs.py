# Python lives under /tmp here: tries to hide it from the next job by changing the folders
# that lead to it. __TOP__ is replaced by the test with the outermost such folder.
import os
import shutil

done = []
for name, action in [
    ("chmod", lambda: os.chmod("__TOP__", 0)),
    ("create", lambda: open("__TOP__/planted.py", "w").close()),
    ("rename", lambda: os.rename("__TOP__", "/tmp/moved")),
    ("rmtree", lambda: shutil.rmtree("__TOP__")),
]:
    try:
        action()
        done.append(name)
    except OSError:
        pass
print("done:", done)
