"""GEN001 overfitting: validation loss rose clearly from its minimum while training loss fell."""

from __future__ import annotations

import numpy as np

from curvelint.model import Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import align, jsonable, num, pct, rel_change, rolling_mean, tail_median


class Overfitting(Rule):
    code = "GEN001"
    slug = "overfitting"
    severity = Severity.WARNING
    summary = "Validation loss rose clearly from its minimum while training loss kept falling"
    needs = ("train/loss", "val/loss")
    options = {
        "min_epochs": Option(5, "Runs shorter than this (epochs with both losses finite) are not judged."),
        "min_rise": Option(0.10, "Relative rise of val_loss above its minimum (end level vs best) that counts; 0.10 = 10%."),
        "min_epochs_after_best": Option(3, "The best epoch must lie at least this many epochs before the end."),
        "min_train_drop": Option(0.02, "Training loss must have fallen at least this fraction after the best epoch."),
        "smoothing": Option(3, "Width of the moving average that keeps one noisy epoch from deciding."),
        "tail": Option(3, "The end level is the median of this many last epochs."),
        "noise_factor": Option(2.0, "The rise must exceed this multiple of val_loss's median epoch-to-epoch relative change after the best epoch, so a noisy plateau is not called overfitting."),
    }
    remediation = ("Stop at the best epoch: `EarlyStopping(monitor='val_loss', patience=5, "
                   "restore_best_weights=True)`; regularize with `Dropout(0.2-0.5)` or "
                   "`kernel_regularizer=keras.regularizers.l2(1e-4)`; augment or add training data.")
    docs = """
## What it detects
The validation loss reached its minimum at some epoch and then rose by at least `min_rise`
(default 10%) — judged both on a `smoothing`-epoch moving average and on the median of the last
`tail` epochs, so one noisy epoch neither triggers nor hides it — while the training loss kept falling by at least
`min_train_drop` over the same epochs. The rise must also exceed `noise_factor` times the
median epoch-to-epoch change of val_loss after the best epoch: on a curve that jumps 30% from
one epoch to the next, a 28% higher end is noise, not a trend. The best epoch must be `min_epochs_after_best` or more
epochs before the end. Runs need `train/loss` and `val/loss` and at least `min_epochs` epochs;
losses that are zero or negative at their minimum (e.g. Poisson NLL) are not judged.

## Why it matters
From the best epoch on, the model memorises the training set instead of learning what
generalizes: every further epoch makes the model you save worse on new data.

## Remediation
`keras.callbacks.EarlyStopping(monitor='val_loss', patience=5, restore_best_weights=True)`
keeps the weights of the best epoch (or `ModelCheckpoint(save_best_only=True)`). Reduce
capacity or regularize: `Dropout`, `kernel_regularizer=keras.regularizers.l2(1e-4)`, data
augmentation, more training data.

## Example
`val_loss rose 38% from its minimum 0.412 at epoch 14 to 0.569 at epoch 59 while loss fell 52% (0.8 → 0.384)`
"""

    def check(self, run: Run, opts):
        both = align(run, "train/loss", "val/loss")
        if len(both) < max(opts.min_epochs, 2):
            return
        epochs = both.epochs
        train, val = both.values
        best = int(np.argmin(val))
        after = len(val) - 1 - best
        if after < opts.min_epochs_after_best or val[best] <= 0:
            return
        smooth = rolling_mean(val, opts.smoothing)
        tail = min(opts.tail, after)
        end_val = tail_median(val, tail)
        rise = rel_change(val[best], end_val)
        smooth_rise = rel_change(float(smooth.min()), tail_median(smooth, tail))
        if rise < opts.min_rise or smooth_rise < opts.min_rise:
            return
        post = val[best:]
        noise = float(np.median(np.abs(np.diff(post)) / np.abs(post[:-1]))) if post.size > 2 else 0.0
        if rise < opts.noise_factor * noise:
            return
        train_best = float(rolling_mean(train, opts.smoothing)[best])
        train_end = tail_median(train, tail)
        train_change = rel_change(train_best, train_end)
        if train_change > -opts.min_train_drop:
            return
        first, last = int(epochs[best]), int(epochs[-1])
        patience = max(2, min(10, after // 3))
        yield Violation(
            message=(f"val_loss rose {pct(rise)} from its minimum {num(val[best])} at epoch {first} "
                     f"to {num(end_val)} at epoch {last} while loss fell {pct(train_change)} "
                     f"({num(train_best)} → {num(train_end)})"),
            epochs=(first, last),
            series=("val/loss", "train/loss"),
            remediation=(f"EarlyStopping(monitor='val_loss', patience={patience}, restore_best_weights=True) "
                         f"would have kept epoch {first}'s weights; add Dropout(0.2-0.5) or "
                         "kernel_regularizer=keras.regularizers.l2(1e-4), augment the data or get more of it."),
            evidence={
                "best_epoch": first,
                "best_val_loss": jsonable(val[best]),
                "final_val_loss": jsonable(end_val),
                "val_rise": jsonable(rise),
                "train_change": jsonable(train_change),
                "epochs_after_best": after,
                "val_noise": jsonable(noise),
            },
        )
