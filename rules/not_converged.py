"""OPT004 not-converged: the loss was still clearly improving when training stopped."""

from __future__ import annotations

import numpy as np

from curvelint.model import Run, Severity, keras_name
from curvelint.rule import Option, Rule, Violation
from curvelint.series import falling_fraction, jsonable, num, pct, series


class NotConverged(Rule):
    code = "OPT004"
    slug = "not-converged"
    severity = Severity.INFO
    summary = "Validation (or training) loss still clearly improving in the final epochs"
    options = {
        "min_epochs": Option(5, "Runs with fewer finite epochs are not judged."),
        "window": Option(5, "The final window, in epochs (at least this, or a fifth of the run)."),
        "min_drop": Option(0.05, "The loss fell at least this fraction across the final window."),
        "min_falling": Option(0.7, "Share of epochs in the window in which it fell."),
    }
    remediation = ("Train for more epochs (seed 000: insufficient training). Set a generous "
                   "`epochs=` with `EarlyStopping(monitor='val_loss', patience=5, "
                   "restore_best_weights=True)` and let it decide when to stop.")
    docs = """
## What it detects
The validation loss (or the training loss when there is no validation) fell by at least
`min_drop` across the last `window` epochs (or the last fifth of the run, if longer), falling
in at least `min_falling` of them, and the last epoch is its best.

## Why it matters
The model had not finished learning: more epochs would have given a better model, and
comparisons between runs stopped at a fixed epoch count compare unfinished models.

## Remediation
Train longer; `EarlyStopping(monitor='val_loss', patience=5, restore_best_weights=True)` with a
large `epochs=` stops at the right time by itself.

## Example
`val_loss fell 9.6% over the last 5 epochs (0.185 → 0.167) and was still falling at epoch 14`
"""

    def check(self, run: Run, opts):
        key = "val/loss" if run.has("val/loss") else "train/loss"
        epochs, loss = series(run, key)
        n = loss.size
        if n < opts.min_epochs or np.any(loss <= 0):
            return
        w = min(n - 1, max(opts.window, n // 5))
        start, end = float(loss[-w - 1]), float(loss[-1])
        drop = (start - end) / start
        if drop < opts.min_drop or falling_fraction(loss[-w - 1:]) < opts.min_falling or end > float(loss.min()):
            return
        yield Violation(
            message=(f"{keras_name(key)} fell {pct(drop)} over the last {w} epochs ({num(start)} → {num(end)}) "
                     f"and was still falling at epoch {int(epochs[-1])}"),
            epochs=(int(epochs[-w - 1]), int(epochs[-1])), series=(key,),
            evidence={"window": w, "drop": jsonable(drop), "last_value": jsonable(end)},
        )
