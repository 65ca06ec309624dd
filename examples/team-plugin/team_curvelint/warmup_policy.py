"""TEAM003 warmup-policy: the learning rate must warm up, then never rise again."""

from __future__ import annotations

import numpy as np

from curvelint.model import Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import num, series


class WarmupPolicy(Rule):
    code = "TEAM003"
    slug = "warmup-policy"
    severity = Severity.INFO
    summary = "Learning rate does not follow the team's warm-up policy"
    needs = ("train/learning_rate",)
    options = {"warmup_epochs": Option(None, "Epochs of rising learning rate required at the start; off until set.", type=int)}
    remediation = ("Warm up with a schedule, e.g. `keras.optimizers.schedules.CosineDecay(..., warmup_steps=...)`, "
                   "and decay (never raise) the rate afterwards.")
    docs = """
## What it detects
The logged learning rate does not rise over the first `warmup_epochs` epochs, or rises again
after them.

## Why it matters
The team's large models diverge without a warm-up, and a rate that rises later undoes the decay.

## Remediation
Use a warm-up schedule (`CosineDecay(warmup_target=..., warmup_steps=...)`) and only decay after.

## Example
`learning rate did not rise during the first 5 epochs (0.001 → 0.001)`
"""

    def check(self, run, opts):
        if opts.warmup_epochs is None:
            return
        epochs, lr = series(run, "train/learning_rate")
        w = opts.warmup_epochs
        if lr.size <= w:
            return
        if not lr[w] > lr[0] or np.any(np.diff(lr[: w + 1]) < 0):
            yield Violation(f"learning rate did not rise during the first {w} epochs ({num(lr[0])} → {num(lr[w])})",
                            epochs=(int(epochs[0]), int(epochs[w])), series=("train/learning_rate",))
            return
        rises = np.flatnonzero(np.diff(lr[w:]) > 0)
        if rises.size:
            i = w + int(rises[0]) + 1
            yield Violation(f"learning rate rose again at epoch {int(epochs[i])} ({num(lr[i - 1])} → {num(lr[i])}) after the warm-up",
                            epochs=(int(epochs[i]), int(epochs[-1])), series=("train/learning_rate",))
