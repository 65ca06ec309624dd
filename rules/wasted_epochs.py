"""FIT001 wasted-epochs: the run went on long after its best validation epoch."""

from __future__ import annotations

import numpy as np

from curvelint.model import Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import jsonable, num, series, tail_median


class WastedEpochs(Rule):
    code = "FIT001"
    slug = "wasted-epochs"
    severity = Severity.INFO
    summary = "The run went on long after the best val epoch"
    needs = ("val/loss",)
    options = {
        "max_fraction_after": Option(0.4, "Share of the run after the best epoch above which it fires."),
        "min_epochs_after": Option(5, "At least this many epochs after the best."),
        "min_worse": Option(0.02, "The end level must be at least this fraction above the best (else it is a flat finish)."),
    }
    remediation = ("Stop at the best epoch: `EarlyStopping(monitor='val_loss', patience=5, "
                   "restore_best_weights=True)` or keep the best weights with "
                   "`ModelCheckpoint(save_best_only=True)` (seeds 000, 001).")
    docs = """
## What it detects
The best validation loss came at an epoch after which more than `max_fraction_after` of the run
(and at least `min_epochs_after` epochs) followed without beating it, with the end level at least
`min_worse` above the best.

## Why it matters
Those epochs cost compute and produced a worse model; unless the best weights were
checkpointed, the model saved at the end is not the best one the run had.

## Remediation
EarlyStopping with `restore_best_weights=True`, or ModelCheckpoint with `save_best_only=True`,
and an epoch budget closer to where the best epoch falls.

## Example
`the best val_loss 0.343 came at epoch 1; the 58 epochs after it (97% of the run) never beat it`
"""

    def check(self, run: Run, opts):
        epochs, val = series(run, "val/loss")
        n = val.size
        if n < opts.min_epochs_after + 2:
            return
        best = int(np.argmin(val))
        after = n - 1 - best
        if after < opts.min_epochs_after or after / n <= opts.max_fraction_after:
            return
        end = tail_median(val, 3)
        if val[best] <= 0 or end < val[best] * (1 + opts.min_worse):
            return
        yield Violation(
            message=(f"the best val_loss {num(val[best])} came at epoch {int(epochs[best])}; the {after} epochs after it "
                     f"({after / n:.0%} of the run) never beat it"),
            epochs=(int(epochs[best]), int(epochs[-1])), series=("val/loss",),
            evidence={"best_epoch": int(epochs[best]), "best_val_loss": jsonable(val[best]), "epochs_after_best": after,
                      "fraction_after": jsonable(after / n)},
        )
