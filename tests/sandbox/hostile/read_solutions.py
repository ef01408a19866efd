# Looks for the solutions, the master notebook, expected values and the tests.
# __REPO__ and __HW3__ are replaced by the test with the real paths.
import os

found = []
for path in [
    "__REPO__/solutions/hw3.ipynb",
    "__REPO__/assignment/hw3.ipynb",
    "__HW3__/grading/expected_hidden.json",
    "__HW3__/grading/slips.py",
]:
    try:
        with open(path, "rb") as f:
            f.read(1)
        found.append(path)
    except OSError:
        pass
for folder in ["__REPO__/tests", "__REPO__/solutions", "__REPO__/autograder", "__HW3__/grading"]:
    try:
        os.listdir(folder)
        found.append(folder)
    except OSError:
        pass
print("found:", found)
print("repo:", sorted(os.listdir("__REPO__")) if os.path.isdir("__REPO__") else None)
print("package:", sorted(os.listdir("__HW3__")))
