"""How the runners graded the bank: each fixture's outcome, the catch and false-alarm rates,
the public signal (code mistakes a public case shows before hand-in), and what each mistake
costs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hw3.bank.fixtures import Fixture


@dataclass
class Outcome:
    """How one runner graded one fixture's notebook."""

    fixture: Fixture
    scores: dict[str, tuple[float, float]] = field(default_factory=dict)  # question: got, max
    messages: dict[str, str] = field(default_factory=dict)  # failing case (or question): text
    error: str = ""  # the runner itself failed on this notebook
    seconds: float = 0.0

    @property
    def lost(self) -> frozenset[str]:
        return frozenset(q for q, (got, possible) in self.scores.items() if got < possible)

    @property
    def complete(self) -> bool:
        """Every question was scored."""
        from hw3.grading.registry import grader

        return set(self.scores) == set(grader().questions)

    @property
    def ok(self) -> bool:
        """Caught (a mistake) or fully marked (a right answer)."""
        return not self.error and self.complete and self.lost == self.fixture.loses

    def describe_miss(self) -> str:
        if self.error:
            return f"{self.fixture.name}: the runner failed: {self.error}"
        if not self.complete:
            return f"{self.fixture.name}: only {len(self.scores)} questions were scored"
        want = ", ".join(sorted(self.fixture.loses)) or "nothing"
        got = ", ".join(f"{q} ({self.scores[q][0]:g}/{self.scores[q][1]:g})"
                        for q in sorted(self.lost)) or "nothing"
        return f"{self.fixture.name}: should lose {want}; lost {got}"


@dataclass
class Rates:
    runner: str
    mistakes: int
    caught: int
    right: int
    false_alarms: int
    misses: list[Outcome]
    seconds: float = 0.0

    @property
    def catch_rate(self) -> float:
        return self.caught / self.mistakes if self.mistakes else 1.0

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.right if self.right else 0.0

    @property
    def perfect(self) -> bool:
        return not self.misses

    def text(self) -> str:
        lines = [f"{self.runner}: catch rate {self.caught}/{self.mistakes} = "
                 f"{100 * self.catch_rate:.1f}%, false-alarm rate {self.false_alarms}/"
                 f"{self.right} = {100 * self.false_alarm_rate:.1f}% ({self.seconds:.0f} s)"]
        lines += [f"  miss: {o.describe_miss()}" for o in self.misses]
        return "\n".join(lines)


# Part 2's questions: the code a student can try before hand-in.
CODE_QUESTIONS = frozenset({"init_weights", "feedforward", "predict", "forward_propagation",
                            "sigmoid", "relu", "build_model", "train"})


@dataclass
class PublicSignal:
    """How many code mistakes a public case signals before hand-in (``grader.check``)."""

    mistakes: int
    signalled: int
    silent: list[str]

    @property
    def share(self) -> float:
        return self.signalled / self.mistakes if self.mistakes else 1.0

    def text(self) -> str:
        lines = [f"public signal: {self.signalled}/{self.mistakes} = {100 * self.share:.1f}% of "
                 "the code mistakes fail a public case"]
        return "\n".join(lines + [f"  silent in public: {name}" for name in self.silent])


def public_signal(outcomes: Sequence[Outcome]) -> PublicSignal:
    """Of the code mistakes (fixtures that lose on Part 2 questions only), those that fail at
    least one public case: what a student sees before hand-in (from a runner that knows its
    cases: in-process or grade)."""
    from hw3.grading.registry import grader

    cases = grader().cases
    code = [o for o in outcomes if o.fixture.kind == "mistake" and o.fixture.loses <=
            CODE_QUESTIONS]
    seen = [o for o in code if any(c in cases and not cases[c].hidden for c in o.messages)]
    return PublicSignal(len(code), len(seen), [o.fixture.name for o in code if o not in seen])


def rates(runner: str, outcomes: Sequence[Outcome], seconds: float = 0.0) -> Rates:
    mistakes = [o for o in outcomes if o.fixture.kind == "mistake"]
    right = [o for o in outcomes if o.fixture.kind == "right"]
    return Rates(runner, len(mistakes), sum(o.ok for o in mistakes), len(right),
                 sum(not o.ok for o in right), [o for o in outcomes if not o.ok], seconds)


def question_scores(verdicts: dict[str, Any]) -> dict[str, tuple[float, float]]:
    from hw3.grading.registry import grader

    return {q: (float(sum(c.points for c in cs if verdicts[c.id].ok)),
                float(sum(c.points for c in cs))) for q, cs in grader().questions.items()}


def split_outcome(fx: Fixture, group: Sequence[Fixture], scores: dict[str, tuple[float, float]],
                  messages: dict[str, str], error: str, seconds: float) -> Outcome:
    """``fx``'s share of its notebook's outcome: the questions another member of the group
    should lose count as full marks for it; every other question, lost or not, is its own."""
    others = {q for o in group if o is not fx for q in o.loses}
    mine = {q: (possible, possible) if q in others else (got, possible)
            for q, (got, possible) in scores.items()}
    said = {k: v for k, v in messages.items() if k.split(".")[0] not in others}
    return Outcome(fx, mine, said, error=error, seconds=seconds)


def costs_table(outcomes: Sequence[Outcome]) -> str:
    """What each mistake costs, as a Markdown table (per question, from one runner's outcomes
    that know their cases: in-process or grade)."""
    from hw3.grading.registry import grader

    cases = grader().cases
    rows = ["| question | mistake | cases failed | points lost |", "| --- | --- | --- | ---: |"]
    for o in sorted((o for o in outcomes if o.fixture.kind == "mistake"),
                    key=lambda o: (sorted(o.fixture.loses), o.fixture.name)):
        for q in sorted(o.lost):
            got, possible = o.scores[q]
            failed = [c for c in o.messages if c in cases and cases[c].question == q]
            rows.append(f"| `{q}` | {o.fixture.description} | "
                        f"{', '.join(f'`{c}`' for c in failed)} | {possible - got:g} of "
                        f"{possible:g} |")
    return "\n".join(rows)
