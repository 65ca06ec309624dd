"""GEN004 underfitting: train and val both plateau early at a high loss."""

from __future__ import annotations

import math

import numpy as np

from curvelint.model import Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import at, jsonable, logged_name, num, pct
from curvelint.stats import chance_classes, stats


class Underfitting(Rule):
    code = "GEN004"
    slug = "underfitting"
    severity = Severity.WARNING
    summary = "Train and val loss both plateau early at a high loss"
    needs = ("train/loss", "val/loss")
    explains = ("lr-not-decayed", "val-plateau", "wasted-epochs")
    options = {
        "min_epochs": Option(20, "Runs with fewer epochs with both losses finite are not judged."),
        "plateau_tolerance": Option(0.05, "Plateaued: within this fraction of the final level from the plateau epoch on."),
        "early": Option(0.5, "The plateau must start within this fraction of the run."),
        "high": Option(0.4, "High: the final training loss is still at least this fraction of the first epoch's."),
        "max_gap": Option(1.3, "No overfitting: val_loss / loss at the end at most this."),
        "max_accuracy": Option(0.8, "A run whose final training accuracy is at least this is not underfitting."),
        "chance_tolerance": Option(0.1, "A final loss within this fraction of ln(k) (the loss of guessing among k classes) is high, however far it fell to get there."),
    }
    remediation = ("The model lacks capacity: add units or layers, "
                   "train longer, reduce regularization (lower Dropout, smaller L2), or give it "
                   "better features.")
    docs = """
## What it detects
Both losses stop improving early — from within the first `early` part of the run they stay
within `plateau_tolerance` of their final level — and they stop high: the final training loss is
still at least `high` of the first epoch's (or sits within `chance_tolerance` of ln(k), the
loss of guessing among k classes), with validation no more than `max_gap` times training (no
overfitting), and the training loss has no significant falling trend at the end. Runs whose training accuracy reaches `max_accuracy` are not judged.

## Why it matters
The model cannot represent the function it is asked to learn: train and validation agree, and
both are poor. More epochs will not help.

## Remediation
More capacity (wider/deeper layers), less regularization, better features, or a model family
suited to the data (a linear model on a non-linear target).

## Example
`loss and val_loss both plateaued by epoch 12 at 0.139 and 0.144: 40% of its first 0.349`

## Known false positives
A task whose irreducible loss is high (noisy labels, a hard regression target); a loss with a
large constant term (a regularizer, a KL weight) that hides progress.
"""

    def check(self, run: Run, opts):
        st = stats(run)
        pair = st.losses(opts.min_epochs, positive=True)
        if pair is None:
            return
        train, val = pair
        acc = st.profile("train/accuracy")
        if acc is not None and float(acc.values[-1]) >= opts.max_accuracy:
            return
        t_end, v_end = train.end(), val.end()
        first = float(np.max(train.values[:2]))
        chance = chance_classes(t_end, opts.chance_tolerance)
        if (t_end / first < opts.high and chance is None) or v_end / t_end > opts.max_gap:
            return
        n = len(train)
        start = max(train.plateau_start(opts.plateau_tolerance), val.plateau_start(opts.plateau_tolerance))
        if start > opts.early * n or train.still_improving(max(5, n // 5)):
            return  # still improving: not converged, not underfitting
        if t_end / first > 0.95:
            return  # never improved at all: that is OPT001
        level = (f"ln({chance}) = {math.log(chance):.3f}, the loss of guessing among {chance} classes"
                 if chance else f"{pct(t_end / first)} of its first {num(first)}")
        yield Violation(
            message=(f"{logged_name(run, 'train/loss')} and {logged_name(run, 'val/loss')} both plateaued by "
                     f"{at(run, train.epochs[start])} at {num(t_end)} and {num(v_end)}: {level}"),
            epochs=(int(train.epochs[start]), int(train.epochs[-1])), series=("train/loss", "val/loss"),
            evidence={"plateau_epoch": int(train.epochs[start]), "train_loss": jsonable(t_end), "val_loss": jsonable(v_end),
                      "fraction_of_start": jsonable(t_end / first), "chance_classes": chance},
        )
