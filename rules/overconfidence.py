"""GEN005 overconfidence: val accuracy still improving while val loss rises."""

from __future__ import annotations

import numpy as np

from curvelint.model import Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import align, jsonable, num, pct, rel_change, tail_median


class Overconfidence(Rule):
    code = "GEN005"
    slug = "overconfidence"
    severity = Severity.INFO
    summary = "Val accuracy still improving while val loss rises"
    needs = ("val/loss", "val/accuracy")
    options = {
        "min_epochs": Option(5, "Runs with fewer epochs with both series finite are not judged."),
        "min_rise": Option(0.1, "val_loss must rise at least this fraction above its minimum (end level)."),
        "min_gain": Option(0.01, "val_accuracy at the end must beat its value at val_loss's best epoch by this much (absolute)."),
        "tail": Option(3, "End levels are medians of this many last epochs."),
    }
    remediation = ("The model grows overconfident: monitor the metric you care about "
                   "(`EarlyStopping(monitor='val_accuracy', mode='max', restore_best_weights=True)`), "
                   "use label smoothing (`CategoricalCrossentropy(label_smoothing=0.1)`), or calibrate "
                   "(temperature scaling) before trusting predicted probabilities.")
    docs = """
## What it detects
Validation loss rose by at least `min_rise` from its minimum while validation accuracy at the
end is at least `min_gain` higher than it was at that minimum (end levels are medians of the
last `tail` epochs).

## Why it matters
Accuracy only counts right and wrong; the loss also weighs how confident each prediction is. When
they disagree like this, the model keeps getting more answers right but is growing very sure of
its wrong ones: its probabilities are miscalibrated, and stopping on val_loss would throw away
accuracy.

## Remediation
Decide which you need. For accuracy, early-stop on `val_accuracy`; for probabilities, add label
smoothing or calibrate afterwards (temperature scaling), and regularize.

## Example
`val_loss rose 27% from its minimum 4.21 at epoch 0 while val_accuracy improved from 0.41 to 0.63`
"""

    def check(self, run: Run, opts):
        both = align(run, "val/loss", "val/accuracy")
        if len(both) < opts.min_epochs:
            return
        loss, acc = both.values
        best = int(np.argmin(loss))
        after = len(loss) - 1 - best
        if after < 2 or loss[best] <= 0:
            return
        tail = min(opts.tail, after)
        rise = rel_change(float(loss[best]), tail_median(loss, tail))
        acc_end = tail_median(acc, tail)
        gain = acc_end - float(acc[best])
        if rise < opts.min_rise or gain < opts.min_gain:
            return
        yield Violation(
            message=(f"val_loss rose {pct(rise)} from its minimum {num(loss[best])} at epoch {int(both.epochs[best])} "
                     f"while val_accuracy improved from {num(acc[best])} to {num(acc_end)}"),
            epochs=(int(both.epochs[best]), int(both.epochs[-1])), series=("val/loss", "val/accuracy"),
            evidence={"best_epoch": int(both.epochs[best]), "val_loss_rise": jsonable(rise),
                      "val_accuracy_at_best": jsonable(acc[best]), "val_accuracy_end": jsonable(acc_end)},
        )
