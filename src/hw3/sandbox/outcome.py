"""How one job in the sandbox ended: ``End``, a closed vocabulary documented once (isolate's
status codes are the model), and ``RunOutcome``, what ``Worker.run`` returns."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class End(enum.Enum):
    """Why a job stopped, as the worker saw it (one line per value)."""

    EXITED = "exited"  # the child exited by itself (its exit code or signal says how)
    CELL_TIMEOUT = "cell_timeout"  # a step ran past its time limit and SIGALRM did not stop it
    STALLED = "stalled"  # no step was running and the child sent nothing for a step's time
    TOTAL_TIMEOUT = "total_timeout"  # the submission's deadline passed
    OUTPUT_LIMIT = "output_limit"  # the child sent more bytes than a job may send
    PROTOCOL_ERROR = "protocol_error"  # the child sent bytes that are not well-formed frames
    LIMIT = "limit"  # the zygote's watchdog killed it (processes, disk, ...: see ``detail``)
    ZYGOTE_DIED = "zygote_died"  # the sandbox itself died or could not be reached


@dataclass(frozen=True)
class RunOutcome:
    """What one ``Worker.run`` collected. Messages are the job's own frames, heartbeats left
    out, unparsed: the caller's protocol reader decides what they are worth."""

    messages: list[dict[str, Any]] = field(default_factory=list)  # the job's frames, in order
    end: End = End.EXITED  # why it stopped
    detail: str = ""  # the end in words, for the instructor ("" if it exited)
    exit_code: int | None = None  # the child's exit status, if it exited
    signal: int | None = None  # the signal that killed the child, if one did
    seconds: float = 0.0  # wall time of the run, sending the job included
    isolation: str = ""  # the worker's isolation during the run ("" if it never reached it)
