"""CMP004 pathology-fixed: a lint rule that fires on every BASE run no longer fires on HEAD."""

from __future__ import annotations

from curvelint.compare import BETTER, Change, CompareRule
from curvelint.model import Severity
from curvelint.rule import Option


class PathologyFixed(CompareRule):
    code = "CMP004"
    slug = "pathology-fixed"
    severity = Severity.INFO
    effect = BETTER
    summary = "A lint rule that fires on every BASE run does not fire on HEAD"
    options = {
        "min_severity": Option("warning", "Only BASE findings at least this severe (info, warning, error) count."),
    }
    remediation = "Nothing to fix: the change removed the pathology."
    docs = """
## What it detects
A lint rule whose finding (at `min_severity` or above, not explained by another finding) is on
every BASE run, while HEAD has no finding of that rule at any severity. With several BASE runs
(seeds) it must be on all of them: a pathology only some seeds show is not reliably there to be
fixed.

## Why it matters
It is the good news of a training change, and half of what makes its verdict `better`: an
overfitting or divergence the old config always had is gone.

## Remediation
None needed; keep the change.

## Example
`GEN001 overfitting fired on all 3 base runs and not on HEAD (base: val_loss rose 38% from its minimum 0.311 at epoch 12 ...)`

## Known false positives
- HEAD ran too few epochs for the rule to judge (LOG002 too-few-epochs fires instead): the
  pathology may simply not have had time to appear.
"""

    def check(self, comparison, opts):
        minimum = Severity(opts.min_severity)
        per_run = [comparison.codes(f, minimum, roots_only=True) for f in comparison.base_findings]
        if not per_run:
            return
        on_head = comparison.codes(comparison.head_findings)
        runs = len(per_run)
        for code in sorted(set.intersection(*(set(r) for r in per_run)) - set(on_head)):
            finding = per_run[0][code]
            yield Change(
                message=(f"{code} {finding.rule} fired on {'all ' + str(runs) if runs > 1 else 'the'} "
                         f"{comparison.base_label} run{'s' if runs > 1 else ''} and not on HEAD "
                         f"({comparison.base_label}: {finding.message})"),
                series=finding.series,
                evidence={"lint_code": code, "lint_rule": finding.rule, "base_runs": runs})
