"""The reporter contract, shared by built-in and plugin reporters, and the folding of
explained findings under their root that every format shows the same way."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterable, Mapping, Sequence

from curvelint.model import Finding, Report, Run, Severity, plural

if TYPE_CHECKING:
    from curvelint.baseline import BaselineResult


@dataclass
class Context:
    """What a reporter may need besides the report itself."""

    color: bool = False
    statistics: bool = False
    rules: Mapping[str, Any] = field(default_factory=dict)
    #: `progress(done, total)` for a reporter that takes long enough to show it (html); the CLI
    #: passes a transient bar on a terminal, None otherwise.
    progress: Callable[[int, int], None] | None = None
    #: `--with-curves`: machine formats that can carry the curves (json) do.
    with_curves: bool = False
    #: `--max-chars`: the longest markdown body (default: GitHub's comment limit), so another
    #: section (a comparison) fits beside it in one comment.
    max_chars: int | None = None
    #: `--baseline`: how many known findings it hid (they are not in the report) and which of
    #: its entries no longer occur; None without a baseline.
    baseline: BaselineResult | None = None


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


@dataclass
class RunOverview:
    """One run as an overview row shows it: its problems, worst first, and how many of each
    severity it has (counting explained findings, as the exit status does)."""

    run: Run
    problems: list[Problem]
    counts: dict[str, int]

    @property
    def worst(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    @property
    def severity(self) -> Severity | None:
        return self.problems[0].finding.severity if self.problems else None


def overview(report: Report) -> list[RunOverview]:
    """Every run, the worst first: by worst severity, then by number of errors, warnings and
    infos, then in report order. Each run's problems are sorted worst first (stable)."""
    by_run = report.by_run()
    rows = []
    for run in report.runs:
        findings = by_run.get(run.id, [])
        counts = {s.value: 0 for s in Severity}
        for f in findings:
            counts[f.severity.value] += 1
        problems = sorted(fold(findings), key=lambda p: -p.finding.severity.rank)
        rows.append(RunOverview(run, problems, counts))
    order = {id(r): i for i, r in enumerate(rows)}
    rows.sort(key=lambda r: (-(r.severity.rank if r.severity else -1), -r.counts["error"], -r.counts["warning"],
                             -r.counts["info"], order[id(r)]))
    return rows


def display_path(path: str, root: str | None = None) -> str:
    """`path` relative to `root` (default: `$GITHUB_WORKSPACE`, else the working directory)
    when it lies beneath it, with `/` separators; URLs and paths elsewhere unchanged."""
    if "://" in path:
        return path
    base = os.path.abspath(root or os.environ.get("GITHUB_WORKSPACE") or os.getcwd())
    full = os.path.abspath(path)
    try:
        rel = os.path.relpath(full, base)
    except ValueError:  # another drive on Windows
        return path
    if rel == os.curdir or rel.startswith(os.pardir):
        return path
    return rel.replace(os.sep, "/")


def run_length(run: Run, *, logged: bool = True) -> str:
    """`12 epochs`, or for a run logged by optimizer step (Hugging Face), where `run.epochs`
    counts logged points, `5,000 steps (200 logged)` (`logged=False`: `5,000 steps`)."""
    if run.axis == "epoch":
        return plural(run.epochs, "epoch")
    steps = [int(c.step.max()) for c in (run.get(s.key) for s in run.select()) if c is not None and len(c)]
    length = plural(max(steps, default=0), run.axis)
    return f"{length} ({run.epochs:,} logged)" if logged else length
