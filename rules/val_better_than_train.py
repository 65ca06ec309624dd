"""DAT003 val-better-than-train: val loss consistently below train loss."""

from __future__ import annotations

import numpy as np

from curvelint.model import Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import align, jsonable, pct


class ValBetterThanTrain(Rule):
    code = "DAT003"
    slug = "val-better-than-train"
    severity = Severity.INFO
    summary = "Val loss consistently below train loss"
    needs = ("train/loss", "val/loss")
    options = {
        "min_epochs": Option(5, "Runs with fewer epochs with both losses finite are not judged."),
        "min_fraction": Option(0.9, "Share of epochs (after the first) in which val_loss < loss."),
        "min_margin": Option(0.05, "Median of (loss - val_loss) / loss must be at least this."),
    }
    remediation = ("Expected with heavy Dropout, noise or augmentation, which are active when the "
                   "training loss is measured and off for validation; otherwise the validation set "
                   "may be easier than training or leaked into it — check how it was drawn.")
    docs = """
## What it detects
In at least `min_fraction` of the epochs after the first, the validation loss is below the
training loss, by a median margin of at least `min_margin` of the training loss.

## Why it matters
Usually benign: Keras measures the training loss with Dropout, GaussianNoise and augmentation
switched on, and validation with them off, and averages training over an epoch in which the
model improved. But a validation set that is easier than the training set (or overlaps it)
produces the same picture, and then validation numbers are too optimistic.

## Remediation
If the model uses heavy regularization in train mode, nothing to do. Otherwise compare the
distributions of the two splits and how they were made.

## Example
`val_loss was below loss in 97% of epochs, by a median 13%`
"""

    def check(self, run: Run, opts):
        both = align(run, "train/loss", "val/loss")
        if len(both) < opts.min_epochs:
            return
        train, val = both.values[0][1:], both.values[1][1:]
        if np.any(train <= 0):
            return
        below = float(np.mean(val < train))
        margin = float(np.median((train - val) / train))
        if below < opts.min_fraction or margin < opts.min_margin:
            return
        yield Violation(
            message=f"val_loss was below loss in {below:.0%} of epochs, by a median {pct(margin)}",
            epochs=(int(both.epochs[1]), int(both.epochs[-1])), series=("val/loss", "train/loss"),
            evidence={"fraction_below": jsonable(below), "median_margin": jsonable(margin)},
        )
