"""DAT003 val-better-than-train: val loss consistently below train loss."""

from __future__ import annotations

import numpy as np

from curvelint.model import Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import jsonable, logged_name, pct, points
from curvelint.stats import stats


class ValBetterThanTrain(Rule):
    code = "DAT003"
    slug = "val-better-than-train"
    severity = Severity.INFO
    summary = "Val loss consistently below train loss"
    needs = ("train/loss", "val/loss")
    options = {
        "min_epochs": Option(5, "Runs with fewer epochs with both losses finite are not judged."),
        "min_fraction": Option(0.9, "Share of epochs (after the first) in which val_loss < loss."),
        "min_margin": Option(0.10, "Median of (loss - val_loss) / loss over the second half of the run must be at least this (val_loss / loss at most 0.9)."),
    }
    remediation = ("Expected with heavy Dropout, noise or augmentation, which are active when the "
                   "training loss is measured and off for validation; otherwise the validation set "
                   "may be easier than training or leaked into it — check how it was drawn.")
    docs = """
## What it detects
In at least `min_fraction` of the epochs after the first, the validation loss is below the
training loss, by a median margin over the second half of the run of at least `min_margin`
(10%) of the training loss.

## Why it matters
Usually benign: Keras measures the training loss with Dropout, GaussianNoise and augmentation
switched on, and validation with them off, and averages training over an epoch in which the
model improved. But a validation set that is easier than the training set (or overlaps it)
produces the same picture, and then validation numbers are too optimistic.

## Remediation
If the model uses heavy regularization in train mode, nothing to do. Otherwise compare the
distributions of the two splits and how they were made.

## Example
`val_loss was below loss in 97% of epochs, by a median 23% over the second half (val_loss / loss = 0.77)`

## Known false positives
None that is wrong as a statement; it is an `info` because the usual cause (dropout, noise or
augmentation active only while training) is harmless.
"""

    def check(self, run: Run, opts):
        pair = stats(run).losses(opts.min_epochs)
        if pair is None:
            return
        train, val = pair
        t, v = train.values[1:], val.values[1:]  # epoch 0's training loss averages over the random init
        if np.any(t <= 0):
            return
        below = float(np.mean(v < t))
        half = t.size // 2
        margin = float(np.median((t[half:] - v[half:]) / t[half:]))
        if below < opts.min_fraction or margin < opts.min_margin:
            return
        vname, tname = logged_name(run, "val/loss"), logged_name(run, "train/loss")
        yield Violation(
            message=(f"{vname} was below {tname} in {below:.0%} of its {points(run, len(t))}, by a median {pct(margin)} over the "
                     f"second half ({vname} / {tname} = {1 - margin:.2f})"),
            epochs=(int(train.epochs[1]), int(train.epochs[-1])), series=("val/loss", "train/loss"),
            evidence={"fraction_below": jsonable(below), "median_margin": jsonable(margin)},
        )
