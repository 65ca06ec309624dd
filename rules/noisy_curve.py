"""OPT006 noisy-curve: epoch-to-epoch noise large relative to the trend."""

from __future__ import annotations

import numpy as np

from curvelint.model import Run, Severity, keras_name
from curvelint.rule import Option, Rule, Violation
from curvelint.series import jsonable, relative_noise, series


class NoisyCurve(Rule):
    code = "OPT006"
    slug = "noisy-curve"
    severity = Severity.INFO
    summary = "Epoch-to-epoch noise large relative to the trend"
    options = {
        "min_epochs": Option(8, "Runs with fewer finite epochs are not judged."),
        "max_noise": Option(0.05, "Median distance of an epoch from the midpoint of its neighbours, relative to the level, above which a curve is noisy."),
    }
    remediation = ("Increase `batch_size`, lower the learning rate, and give validation more data "
                   "(`validation_split=0.2` or a larger `validation_data`) so the curve is a signal, "
                   "not noise.")
    docs = """
## What it detects
A validation or training loss that jitters from epoch to epoch: the median distance of each
epoch's value from the midpoint of its two neighbours is more than `max_noise` of the curve's
level. A smooth curve, straight or bending, scores near zero; one outlier hardly moves the
median. (Large zig-zags that reverse nearly every epoch are OPT003.)

## Why it matters
On a noisy curve the best epoch is partly chance, EarlyStopping triggers on noise, and
comparisons between runs mean little. A tiny validation set, a small batch or a high learning
rate are the usual causes.

## Remediation
Larger batches, a lower learning rate, or more validation data. Monitor a smoothed metric if the
noise is inherent.

## Example
`val_loss jitters 21% from epoch to epoch (median distance from the midpoint of its neighbours, 30 epochs)`
"""

    def check(self, run: Run, opts):
        for key in ("val/loss", "train/loss"):
            epochs, loss = series(run, key)
            if loss.size < opts.min_epochs or np.any(loss <= 0):
                continue
            noise = relative_noise(loss)
            if noise > opts.max_noise:
                yield Violation(
                    message=(f"{keras_name(key)} jitters {noise:.0%} from epoch to epoch (median distance from the "
                             f"midpoint of its neighbours, {loss.size} epochs)"),
                    epochs=(int(epochs[0]), int(epochs[-1])), series=(key,),
                    evidence={"relative_noise": jsonable(noise)},
                )
                return
