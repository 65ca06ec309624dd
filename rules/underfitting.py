"""GEN004 underfitting: train and val both plateau early at a high loss."""

from __future__ import annotations

import numpy as np

from curvelint.model import Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import align, jsonable, num, pct, series, tail_median


class Underfitting(Rule):
    code = "GEN004"
    slug = "underfitting"
    severity = Severity.WARNING
    summary = "Train and val loss both plateau early at a high loss"
    needs = ("train/loss", "val/loss")
    options = {
        "min_epochs": Option(20, "Runs with fewer epochs with both losses finite are not judged."),
        "plateau_tolerance": Option(0.05, "Plateaued: within this fraction of the final level from the plateau epoch on."),
        "early": Option(0.5, "The plateau must start within this fraction of the run."),
        "high": Option(0.4, "High: the final training loss is still at least this fraction of the first epoch's."),
        "max_gap": Option(1.3, "No overfitting: val_loss / loss at the end at most this."),
        "max_accuracy": Option(0.8, "A run whose final training accuracy is at least this is not underfitting."),
    }
    remediation = ("The model lacks capacity (seed 002: too little capacity): add units or layers, "
                   "train longer, reduce regularization (lower Dropout, smaller L2), or give it "
                   "better features.")
    docs = """
## What it detects
Both losses stop improving early — from within the first `early` part of the run they stay
within `plateau_tolerance` of their final level — and they stop high: the final training loss is
still at least `high` of the first epoch's, with validation no more than `max_gap` times
training (no overfitting). Runs whose training accuracy reaches `max_accuracy` are not judged.

## Why it matters
The model cannot represent the function it is asked to learn: train and validation agree, and
both are poor. More epochs will not help.

## Remediation
More capacity (wider/deeper layers), less regularization, better features, or a model family
suited to the data (seed 002: a too-small network on `sin(sum(x))`).

## Example
`loss and val_loss both plateaued by epoch 12 at 0.139 and 0.144 (the loss only fell to 40% of its first 0.349)`
"""

    def check(self, run: Run, opts):
        both = align(run, "train/loss", "val/loss")
        n = len(both)
        if n < opts.min_epochs:
            return
        train, val = both.values
        if np.any(train <= 0) or np.any(val <= 0):
            return
        _, acc = series(run, "train/accuracy")
        if acc.size and float(acc[-1]) >= opts.max_accuracy:
            return
        t_end, v_end = tail_median(train, 3), tail_median(val, 3)
        if t_end / train[0] < opts.high or v_end / t_end > opts.max_gap:
            return
        starts = [_plateau_start(x, opts.plateau_tolerance) for x in (train, val)]
        start = max(starts)
        if start > opts.early * n or t_end / train[0] > 0.95:
            return  # still improving, or never improved (OPT001)
        yield Violation(
            message=(f"loss and val_loss both plateaued by epoch {int(both.epochs[start])} at {num(t_end)} and {num(v_end)} "
                     f"(the loss only fell to {pct(t_end / train[0])} of its first {num(train[0])})"),
            epochs=(int(both.epochs[start]), int(both.epochs[-1])), series=("train/loss", "val/loss"),
            evidence={"plateau_epoch": int(both.epochs[start]), "train_loss": jsonable(t_end), "val_loss": jsonable(v_end),
                      "fraction_of_start": jsonable(t_end / train[0])},
        )


def _plateau_start(values: np.ndarray, tolerance: float) -> int:
    """First index from which every value stays within `tolerance` of the final level."""
    level = tail_median(values, 3)
    outside = np.flatnonzero(np.abs(values - level) > tolerance * abs(level))
    return int(outside[-1]) + 1 if outside.size else 0
