"""TEAM002 epoch-budget: training must not exceed the team's epoch budget."""

from __future__ import annotations

from curvelint.model import Severity
from curvelint.rule import Option, Rule, Violation


class EpochBudget(Rule):
    code = "TEAM002"
    slug = "epoch-budget"
    severity = Severity.WARNING
    summary = "Training ran longer than the team's epoch budget"
    options = {"max_epochs": Option(None, "Most epochs a run may train; the rule is off until set.", type=int)}
    remediation = "Lower `epochs=` in `model.fit`, or stop earlier with `EarlyStopping(restore_best_weights=True)`."
    docs = """
## What it detects
A run with more epochs than `max_epochs`.

## Why it matters
GPU time is budgeted per experiment; runs over budget crowd out others.

## Remediation
Lower `epochs=` or add EarlyStopping; ask for a bigger budget if the run really needs it.

## Example
`120 epochs, over the budget of 100`
"""

    def check(self, run, opts):
        if opts.max_epochs is not None and run.epochs > opts.max_epochs:
            yield Violation(f"{run.epochs} epochs, over the budget of {opts.max_epochs}",
                            epochs=(opts.max_epochs, run.epochs - 1), evidence={"epochs": run.epochs, "budget": opts.max_epochs})
