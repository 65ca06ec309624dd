"""FIT002 premature-stop: training stopped while val loss was still trending down."""

from __future__ import annotations

import numpy as np

from curvelint.model import Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import jsonable, num, pct, series


class PrematureStop(Rule):
    code = "FIT002"
    slug = "premature-stop"
    severity = Severity.WARNING
    summary = "The run stopped (EarlyStopping-like) while val was still trending down"
    needs = ("val/loss",)
    options = {
        "min_epochs": Option(6, "Runs with fewer finite val_loss epochs are not judged."),
        "max_patience": Option(3, "The run ended 1 to this many epochs after its best epoch, as EarlyStopping does."),
        "window": Option(8, "The trend is fitted over this many final epochs (or a third of the run)."),
        "min_trend": Option(0.02, "Fitted fall per epoch, relative to the level, that counts as still improving."),
    }
    remediation = ("EarlyStopping's patience is too small for this noise level (seed 004): raise it "
                   "(`EarlyStopping(monitor='val_loss', patience=10, min_delta=1e-4, "
                   "restore_best_weights=True)`).")
    docs = """
## What it detects
The run ended 1 to `max_patience` epochs after its best validation loss — the signature of
`EarlyStopping` — while a straight line fitted to the last `window` epochs of val_loss still
falls by at least `min_trend` of its level per epoch.

## Why it matters
EarlyStopping reacted to noise: the epochs without improvement were a wobble in a curve that was
still going down. The model would have improved with more patience.

## Remediation
Raise `patience` (5-10 is typical), set a small `min_delta`, and keep
`restore_best_weights=True`.

## Example
`training stopped 1 epoch after val_loss's best 0.0171 at epoch 13, while val_loss was still falling 3.2% per epoch over the last 8 epochs`
"""

    def check(self, run: Run, opts):
        epochs, val = series(run, "val/loss")
        n = val.size
        if n < opts.min_epochs or np.any(val <= 0):
            return
        best = int(np.argmin(val))
        after = n - 1 - best
        if not 1 <= after <= opts.max_patience:
            return
        w = min(n, max(opts.window, n // 3))
        x = np.arange(w)
        slope = float(np.polyfit(x, np.log(val[-w:]), 1)[0])  # log: a relative rate, any loss scale
        if -slope < opts.min_trend:
            return
        yield Violation(
            message=(f"training stopped {after} epoch{'s' if after > 1 else ''} after val_loss's best {num(val[best])} at epoch "
                     f"{int(epochs[best])}, while val_loss was still falling {pct(-slope)} per epoch over the last {w} epochs"),
            epochs=(int(epochs[best]), int(epochs[-1])), series=("val/loss",),
            evidence={"best_epoch": int(epochs[best]), "epochs_after_best": after, "trend_per_epoch": jsonable(slope)},
        )
