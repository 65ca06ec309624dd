"""OPT005 lr-not-decayed: the loss plateaued while the logged learning rate never changed."""

from __future__ import annotations

import numpy as np

from curvelint.model import Run, Severity, keras_name
from curvelint.rule import Option, Rule, Violation
from curvelint.series import jsonable, num, pct, series


class LrNotDecayed(Rule):
    code = "OPT005"
    slug = "lr-not-decayed"
    severity = Severity.INFO
    summary = "Loss plateaued while the logged learning rate never changed"
    needs = ("train/learning_rate", "train/loss")
    options = {
        "min_epochs": Option(10, "Runs with fewer epochs are not judged."),
        "window": Option(10, "The plateau must last at least this many final epochs (or a quarter of the run)."),
        "plateau_tolerance": Option(0.03, "Plateau: the loss changed less than this fraction across the window."),
        "min_earlier_drop": Option(0.1, "The loss must have fallen at least this much before the plateau."),
    }
    remediation = ("Lower the learning rate when the loss stalls: `ReduceLROnPlateau(monitor='val_loss', "
                   "factor=0.5, patience=5)`, or a schedule such as `keras.optimizers.schedules."
                   "CosineDecay` (seed 004).")
    docs = """
## What it detects
A run that logs its learning rate (`lr`/`learning_rate` column, `epoch_learning_rate` tag) where
the rate is the same at every epoch, while the validation loss (or the training loss) moved less
than `plateau_tolerance` over the last `window` epochs after falling by at least
`min_earlier_drop` before them.

## Why it matters
A constant learning rate that was right for the first epochs is usually too large near a
minimum: the optimizer bounces around the bottom instead of settling into it. Decaying the rate
at the plateau typically buys a noticeably lower loss for free.

## Remediation
`keras.callbacks.ReduceLROnPlateau(monitor='val_loss', factor=0.5, patience=5)`, or a decaying
schedule passed as the optimizer's `learning_rate`.

## Example
`val_loss moved 1.9% over the last 15 epochs (0.322-0.329) while the learning rate stayed 0.01 for all 60 epochs`
"""

    def check(self, run: Run, opts):
        _, lr = series(run, "train/learning_rate")
        if lr.size < opts.min_epochs or lr.max() <= 0 or (lr.max() - lr.min()) > 1e-9 * lr.max():
            return
        key = "val/loss" if run.has("val/loss") else "train/loss"
        epochs, loss = series(run, key)
        n = loss.size
        if n < opts.min_epochs or np.any(loss <= 0):
            return
        w = max(opts.window, n // 4)
        if n < w + 2:
            return
        tail = loss[-w:]
        spread = float((tail.max() - tail.min()) / np.median(tail))
        earlier = float((loss[0] - tail.min()) / loss[0])
        if spread >= opts.plateau_tolerance or earlier < opts.min_earlier_drop:
            return
        yield Violation(
            message=(f"{keras_name(key)} moved {pct(spread)} over the last {w} epochs ({num(tail.min())}-{num(tail.max())}) "
                     f"while the learning rate stayed {num(lr[0])} for all {lr.size} epochs"),
            epochs=(int(epochs[-w]), int(epochs[-1])), series=(key, "train/learning_rate"),
            evidence={"learning_rate": jsonable(lr[0]), "plateau_epochs": w, "plateau_spread": jsonable(spread)},
        )
