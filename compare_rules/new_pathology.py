"""CMP003 new-pathology: a lint rule fires on HEAD but on none of the BASE runs."""

from __future__ import annotations

from curvelint.compare import WORSE, Change, CompareRule
from curvelint.model import Severity
from curvelint.rule import Option


class NewPathology(CompareRule):
    code = "CMP003"
    slug = "new-pathology"
    severity = Severity.WARNING
    effect = WORSE
    summary = "A lint rule fires on HEAD but on none of the BASE runs"
    options = {
        "min_severity": Option("warning", "Only HEAD findings at least this severe (info, warning, error) count."),
        "ignore": Option((), "Lint rule codes or slugs never reported as new (e.g. [\"LOG002\"]).", tuple),
    }
    remediation = "Read the HEAD finding's own remediation: the change introduced it."
    docs = """
## What it detects
A lint finding on HEAD at `min_severity` or above, not explained by another finding on the same
run (`also: CODE` in the lint report), whose rule fires on none of the BASE runs at any
severity. With several BASE runs (seeds) the rule must be absent from all of them: a pathology
one seed of the old config shows too is not new. Rules named in `ignore` are left out. One
finding per new rule, with the HEAD finding's message and severity.

## Why it matters
A pathology the old config did not have (overfitting, divergence, a stuck metric) is what a
reviewer most wants to hear about a training change, even when the best value did not move.

## Remediation
Follow the HEAD finding's remediation (`curvelint rule CODE` explains it).

## Example
`GEN001 overfitting fires on HEAD but on none of 3 base runs: val_loss rose 38% from its minimum 0.311 at epoch 12 ...`

## Known false positives
- A rule on the edge of its threshold that fires on some seeds and not others: with one BASE
  run it may look new. Give several BASE runs.
"""

    def check(self, comparison, opts):
        minimum = Severity(opts.min_severity)
        skip = {str(x).upper() for x in opts.ignore} | {str(x) for x in opts.ignore}
        on_base = set().union(*(comparison.codes(f) for f in comparison.base_findings)) if comparison.base_findings else set()
        runs = len(comparison.base)
        for code, finding in comparison.codes(comparison.head_findings, minimum, roots_only=True).items():
            if code in on_base or code in skip or finding.rule in skip:
                continue
            yield Change(
                message=(f"{code} {finding.rule} fires on HEAD but on none of {runs} {comparison.base_label} "
                         f"run{'s' if runs != 1 else ''}: {finding.message}"),
                epochs=finding.epochs, series=finding.series, severity=finding.severity,
                remediation=finding.remediation,
                evidence={"lint_code": code, "lint_rule": finding.rule, "lint_severity": finding.severity.value,
                          "base_runs": runs})
