"""OPT002 slow-convergence: loss falling steadily but very slowly, nowhere near a plateau."""

from __future__ import annotations

import numpy as np

from curvelint.model import Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import falling_fraction, jsonable, num, pct, rel_change, series


class SlowConvergence(Rule):
    code = "OPT002"
    slug = "slow-convergence"
    severity = Severity.WARNING
    summary = "Loss still falling steadily but very slowly, nowhere near a plateau"
    needs = ("train/loss",)
    options = {
        "min_epochs": Option(10, "Runs with fewer finite training-loss epochs are not judged."),
        "max_rate": Option(0.02, "Average fall per epoch (relative to the first epoch) at or below this is slow."),
        "min_total_drop": Option(0.05, "The loss must have fallen at least this much in total (else it is OPT001)."),
        "min_falling": Option(0.85, "Share of epochs in which the loss fell: the descent is steady."),
        "max_slowdown": Option(2.0, "First-third slope over last-third slope at most this: no sign of flattening."),
    }
    remediation = ("The learning rate is too low (seed 002 trains at 1e-5): raise it 10x or more "
                   "(Adam's default is 1e-3), or use a warmup/schedule that starts higher.")
    docs = """
## What it detects
A training loss that fell in at least `min_falling` of its epochs, by `min_total_drop` or more in
total, but by no more than `max_rate` of its starting value per epoch on average, and that is
not flattening: its slope over the last third of the run is at least 1/`max_slowdown` of the
slope over the first third. A converging curve falls fast and then flattens; this one crawls in
a straight line.

## Why it matters
The run is far from what the model could reach: its numbers say more about the optimizer
settings than the model. Training longer at this rate wastes compute.

## Remediation
Raise the learning rate (try 10x), or start with a warmup to a higher rate and decay from there.
`keras.optimizers.schedules.CosineDecay(initial_learning_rate=1e-3, ...)` with
`warmup_target` works well.

## Example
`loss fell a steady 1.0% per epoch (0.701 → 0.405 over 40 epochs) and is not flattening: the last third fell 0.8x as fast as the first`
"""

    def check(self, run: Run, opts):
        epochs, loss = series(run, "train/loss")
        n = loss.size
        if n < opts.min_epochs or loss[0] <= 0:
            return
        total = -rel_change(float(loss[0]), float(loss[-1]))
        rate = total / (n - 1)
        falling = falling_fraction(loss)
        if total < opts.min_total_drop or rate > opts.max_rate or falling < opts.min_falling:
            return
        third = max(3, n // 3)
        first_slope = -np.polyfit(np.arange(third), loss[:third], 1)[0]
        last_slope = -np.polyfit(np.arange(third), loss[-third:], 1)[0]
        if first_slope <= 0 or last_slope <= 0 or first_slope / last_slope > opts.max_slowdown:
            return
        yield Violation(
            message=(f"loss fell a steady {pct(rate)} per epoch ({num(loss[0])} → {num(loss[-1])} over {n} epochs) "
                     f"and is not flattening: the last third fell {last_slope / first_slope:.1f}x as fast as the first"),
            epochs=(int(epochs[0]), int(epochs[-1])), series=("train/loss",),
            evidence={"rate_per_epoch": jsonable(rate), "total_drop": jsonable(total), "falling_fraction": jsonable(falling),
                      "slope_ratio_last_first": jsonable(last_slope / first_slope)},
        )
