"""TEAM001 val-accuracy-target: the best validation accuracy must reach the team's target."""

from __future__ import annotations

import numpy as np

from curvelint.model import Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import num, series


class ValAccuracyTarget(Rule):
    code = "TEAM001"
    slug = "val-accuracy-target"
    severity = Severity.WARNING
    summary = "Best validation accuracy below the team's target"
    needs = ("val/accuracy",)
    options = {"target": Option(None, "Required best val_accuracy (e.g. 0.9); the rule is off until set.", type=float)}
    remediation = "Do not ship this model: tune it until val_accuracy reaches the target, or agree a new target."
    docs = """
## What it detects
The best validation accuracy of the run is below `target`, the number the team agreed on.

## Why it matters
Models below the target do not go to production; catching it in CI saves a review round.

## Remediation
Improve the model or the data until the target is met, or change the target in
`[tool.curvelint.rules.val-accuracy-target]` after the team agrees.

## Example
`best val_accuracy 0.87 at epoch 12 is below the team target 0.9`
"""

    def check(self, run, opts):
        if opts.target is None:
            return
        epochs, acc = series(run, "val/accuracy")
        if acc.size == 0:
            return
        best = int(np.argmax(acc))
        if acc[best] < opts.target:
            yield Violation(f"best val_accuracy {num(acc[best])} at epoch {int(epochs[best])} is below the team target {num(opts.target)}",
                            epochs=(int(epochs[best]), int(epochs[-1])), series=("val/accuracy",),
                            evidence={"best": float(acc[best]), "target": opts.target})
