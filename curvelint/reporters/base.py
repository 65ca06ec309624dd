"""The reporter contract, shared by built-in and plugin reporters, and the folding of
explained findings under their root that every format shows the same way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable, Mapping, Sequence

from curvelint.model import Finding, Report


@dataclass
class Context:
    """What a reporter may need besides the report itself."""

    color: bool = False
    statistics: bool = False
    rules: Mapping[str, Any] = field(default_factory=dict)


class Reporter:
    name: ClassVar[str]
    #: One line for `--help` and `curvelint plugins`.
    description: ClassVar[str] = ""

    def render(self, report: Report, ctx: Context) -> str:
        raise NotImplementedError


@dataclass
class Problem:
    """One entry as people read it: a finding and the findings it explains (its symptoms)."""

    finding: Finding
    explained: list[Finding] = field(default_factory=list)

    @property
    def also(self) -> str:
        """`also: GEN002, FIT001` (each code once, in report order), or "" when it explains nothing."""
        return _also(self.explained)

    @property
    def findings(self) -> list[Finding]:
        return [self.finding, *self.explained]


def fold(findings: Sequence[Finding]) -> list[Problem]:
    """`findings` as problems, in their order: each explained finding under its root. An
    explained finding whose root is not among `findings` stays an entry of its own, so a
    filtered list never loses it."""
    position = {id(f): i for i, f in enumerate(findings)}
    folded = {id(g) for f in findings for g in f.explains if id(g) in position}
    problems = []
    for f in findings:
        if id(f) in folded:
            continue
        explained = sorted((g for g in f.explains if id(g) in position), key=lambda g: position[id(g)])
        problems.append(Problem(f, explained))
    return problems


def relation(f: Finding) -> str:
    """For formats that keep every finding as a result: `also: GEN002, FIT001` on a root,
    `explained by GEN001` on a finding it explains, "" otherwise."""
    if f.explained_by:
        return f"explained by {f.explained_by}"
    return _also(f.explains)


def _also(findings: Iterable[Finding]) -> str:
    codes = dict.fromkeys(f.code for f in findings)
    return f"also: {', '.join(codes)}" if codes else ""


def count_problems(findings: Iterable[Finding]) -> int:
    """How many entries `fold` shows: findings not folded under a root."""
    return len(fold(list(findings)))
