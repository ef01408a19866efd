"""The registry: the cases one runner works with, as an object that a single call builds.

Three runners, three registries, each built by one call (nothing is registered by importing a
module, and no module holds the cases):

- the students' (``students()``, here): the public cases and their expected data, what the
  students' checks carry;
- the sandbox's (``hw3.hidden.sandbox()``): the public cases and the hidden cases' probes, no
  judge and no expected data;
- the grader's (``hw3.grading.registry.grader()``): the public and the hidden cases with their
  judges, the slip models and the expected data of both.

Points, visibility and order come from the master (``hw3/cases/master.json``, written by
``hw3 build``; see ``hw3.cases.declared``); the Python definitions give the probes, the judges
and defaults. A ``Registry`` is frozen: ``following(master)`` gives the one a new master makes.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from hw3.cases import wire
from hw3.cases.case import Case, Probe, run_probe
from hw3.cases.checking import SlipModels, Verdict, slips_in_use
from hw3.cases.judging import judge

# The expected data's files, as paths inside the hw3 package: the public one ships with these
# checks; the hidden one sits in the grader-only package (absent from the students' copy and
# never bound into the sandbox).
EXPECTED_PUBLIC = "cases/expected_public.json"
EXPECTED_HIDDEN = "grading/expected_hidden.json"


@dataclass(frozen=True)
class Registry:
    """The cases a runner works with (id -> case, in the master's order), the expected data it
    judges with, and the slip models its judges name in hints (None: generic hints)."""

    cases: Mapping[str, Case]
    expected: Mapping[str, Any] = field(default_factory=dict)
    slips: SlipModels | None = None
    # The Python definitions the master was applied to (``following`` applies another).
    definitions: Mapping[str, Case] = field(default_factory=dict, repr=False)

    @functools.cached_property
    def questions(self) -> dict[str, list[Case]]:
        """Each question's cases, in the order of the master's tests."""
        out: dict[str, list[Case]] = {}
        for case in self.cases.values():
            out.setdefault(case.question, []).append(case)
        return out

    def following(self, master: Mapping[str, Mapping[str, Any]]) -> Registry:
        """This registry with ``master``'s points, visibility, order and expression cases."""
        from hw3.cases import declared

        return Registry(declared.apply(self.definitions, master), self.expected, self.slips,
                        self.definitions)

    def run_probes(self, ids: Iterable[str], env: Mapping[str, Any]) -> dict[str, str]:
        """Probe every case in ``ids``; returns each case's encoded plain data (JSON text)."""
        out: dict[str, str] = {}
        seen: dict[Probe, str] = {}  # cases that share a probe share its run
        for case_id in ids:
            case = self.cases[case_id]
            if case.probe not in seen:
                data = run_probe(case, env)
                try:
                    seen[case.probe] = wire.encode(data)
                except wire.WireError as e:
                    seen[case.probe] = wire.encode(
                        {"error": {"type": "NotPlainData", "message": str(e)}})
            out[case_id] = seen[case.probe]
        return out

    def judge(self, case: Case, got_text: str | None,
              expected: Mapping[str, Any] | None = None) -> Verdict:
        """Judge one case from the encoded data its probe returned (None: the probe never ran),
        against ``expected`` (default: this registry's), with this registry's slip models."""
        with slips_in_use(self.slips):
            return judge(case, got_text, self.expected if expected is None else expected)


def defined(modules: Iterable[Any]) -> dict[str, Case]:
    """The cases the Python ``modules`` define (each module's ``CASES``), in order."""
    cases: dict[str, Case] = {}
    for module in modules:
        for case in module.CASES:
            if case.id in cases:
                raise ValueError(f"duplicate case id {case.id}")
            cases[case.id] = case
    return cases


def build(modules: Iterable[Any], master: Mapping[str, Mapping[str, Any]] | None = None,
          expected_paths: Sequence[str] = (), slips: SlipModels | None = None) -> Registry:
    """The registry of the cases ``modules`` define, following ``master`` (default: the one
    ``hw3 build`` recorded), with the expected data at ``expected_paths`` and ``slips``."""
    from hw3.cases import declared

    definitions = defined(modules)
    master = declared.load() if master is None else master
    return Registry(declared.apply(definitions, master), read_expected(*expected_paths), slips,
                    definitions)


def public_modules() -> tuple[Any, ...]:
    """The modules of the public cases, in the contract's order of questions."""
    from hw3.cases import activations, numpy_net, theory, torch_train

    return (theory, numpy_net, activations, torch_train)


@functools.cache
def students() -> Registry:
    """The students' registry: the public cases and their expected data (built once)."""
    return build(public_modules(), expected_paths=(EXPECTED_PUBLIC,))


def _judged_by_the_grader(got: Any, expected: Any) -> Verdict:
    raise RuntimeError("a hidden case is judged by the grader (hw3.grading.judges), not here")


@dataclass(frozen=True)
class ProbesOnly:
    """Hidden cases by their probes alone (the sandbox's view, ``hw3.hidden``): what runs
    beside the student's code; their judges never enter the sandbox."""

    probes: Mapping[str, Probe]

    @property
    def CASES(self) -> list[Case]:  # the name every case module gives its cases
        return [Case(id=case_id, points=0.0, hidden=True, description="", probe=probe,
                     judge=_judged_by_the_grader)
                for case_id, probe in self.probes.items()]


def read_expected(*paths: str) -> dict[str, Any]:
    """The expected data in the files at ``paths`` (inside the hw3 package), decoded; a file
    this copy of the package does not hold is skipped."""
    expected: dict[str, Any] = {}
    package = resources.files("hw3")
    for path in paths:
        f = package.joinpath(*path.split("/"))
        if f.is_file():
            for case_id, text in json.loads(f.read_text()).items():
                expected[case_id] = wire.decode(text)
    return expected
