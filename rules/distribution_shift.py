"""DAT004 distribution-shift: val loss far from train from the start and not following it."""

from __future__ import annotations

import numpy as np

from curvelint.model import Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import align, jsonable, num, pct


class DistributionShift(Rule):
    code = "DAT004"
    slug = "distribution-shift"
    severity = Severity.WARNING
    summary = "Val loss far from train from the first epochs and not following train's improvement"
    needs = ("train/loss", "val/loss")
    options = {
        "min_epochs": Option(5, "Runs with fewer epochs with both losses finite are not judged."),
        "min_train_drop": Option(0.5, "Training loss must have fallen at least this fraction."),
        "max_follow": Option(0.25, "val_loss's best improvement over its first epoch, as a share of training's, below this fires."),
        "min_start_ratio": Option(1.3, "val_loss / loss at the first epoch must be at least this (validation starts off worse)."),
    }
    remediation = ("Training and validation data come from different distributions (seed 000): fit "
                   "the scaler on the training split only and apply the same transform to both "
                   "(`scaler.fit_transform(X_train)`, `scaler.transform(X_val)`), and stratify the split.")
    docs = """
## What it detects
Training loss fell by at least `min_train_drop`, but validation loss never improved by more than
`max_follow` of that (relative to its first epoch), and at the first epoch it was already
`min_start_ratio` times the training loss. (Keras averages the first epoch's training loss over
the epoch and measures validation after it, so with matching data validation starts at or below
training.) Overfitting looks different: there validation
first follows training down, then turns up (GEN001).

## Why it matters
What the model learned on the training data does not transfer to the validation data at all:
the two splits differ (different preprocessing, scaling fitted separately, a time or site
shift). Validation numbers cannot guide training.

## Remediation
Preprocess both splits with the same transform fitted on training data, stratify and shuffle the
split, and compare feature statistics (`X_train.mean(0)`, `X_val.mean(0)`).

## Example
`loss fell 98% (0.577 → 0.0104) but val_loss never improved more than 0.0% on its first 0.791, which was already 1.4x loss at epoch 0`
"""

    def check(self, run: Run, opts):
        both = align(run, "train/loss", "val/loss")
        n = len(both)
        if n < opts.min_epochs:
            return
        train, val = both.values
        if np.any(train <= 0) or np.any(val <= 0):
            return
        train_drop = float((train[0] - train.min()) / train[0])
        val_gain = float(max(0.0, (val[0] - val.min()) / val[0]))
        if train_drop < opts.min_train_drop or val_gain >= opts.max_follow * train_drop:
            return
        # Keras averages the first epoch's training loss over the epoch and measures validation after
        # it, so with matching data val_loss[0] is at or below loss[0]; well above it means a shift
        ratio = float(val[0] / train[0])
        if ratio < opts.min_start_ratio:
            return
        yield Violation(
            message=(f"loss fell {pct(train_drop)} ({num(train[0])} → {num(train.min())}) but val_loss never improved more than "
                     f"{pct(val_gain)} on its first {num(val[0])}, which was already {ratio:.1f}x loss at epoch {int(both.epochs[0])}"),
            epochs=(int(both.epochs[0]), int(both.epochs[-1])), series=("val/loss", "train/loss"),
            evidence={"train_drop": jsonable(train_drop), "val_improvement": jsonable(val_gain), "early_ratio": jsonable(ratio)},
        )
