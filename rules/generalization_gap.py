"""GEN002 generalization-gap: at the end, val loss is a large multiple of train loss."""

from __future__ import annotations

from curvelint.model import Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import align, jsonable, num, tail_median


class GeneralizationGap(Rule):
    code = "GEN002"
    slug = "generalization-gap"
    severity = Severity.WARNING
    summary = "At the end, val loss is a large multiple of train loss, even if not rising"
    needs = ("train/loss", "val/loss")
    options = {
        "min_epochs": Option(5, "Runs with fewer epochs with both losses finite are not judged."),
        "max_ratio": Option(3.0, "val_loss / loss at the end above this fires."),
        "tail": Option(3, "End levels are medians of this many last epochs."),
    }
    remediation = ("Regularize (`Dropout`, `kernel_regularizer=keras.regularizers.l2(1e-4)`), use a "
                   "smaller model or more data, and check that training and validation data are "
                   "preprocessed the same way.")
    docs = """
## What it detects
At the end of the run (medians of the last `tail` epochs) the validation loss is more than
`max_ratio` times the training loss, whether or not it is rising. Losses at or below zero are not
judged.

## Why it matters
The model fits its training data far better than data it has not seen: it memorised rather than
generalized, or the validation data differ from the training data. Training metrics then say
little about real performance.

## Remediation
More regularization (Dropout, L2, augmentation), a smaller model, more training data. If the gap
is there from the first epoch, suspect preprocessing: the scaler must be fitted on the training
split and applied unchanged to validation.

## Example
`at the end val_loss 0.654 is 5.9x loss 0.111 (medians of the last 3 epochs)`
"""

    def check(self, run: Run, opts):
        both = align(run, "train/loss", "val/loss")
        if len(both) < opts.min_epochs:
            return
        train, val = both.values
        t, v = tail_median(train, opts.tail), tail_median(val, opts.tail)
        if t <= 0 or v <= 0 or v / t <= opts.max_ratio:
            return
        first = int(both.epochs[-min(opts.tail, len(both))])
        yield Violation(
            message=f"at the end val_loss {num(v)} is {v / t:.1f}x loss {num(t)} (medians of the last {opts.tail} epochs)",
            epochs=(first, int(both.epochs[-1])), series=("val/loss", "train/loss"),
            evidence={"val_loss": jsonable(v), "train_loss": jsonable(t), "ratio": jsonable(v / t)},
        )
