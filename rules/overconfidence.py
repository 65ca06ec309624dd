"""GEN005 overconfidence: val accuracy still improving while val loss rises."""

from __future__ import annotations

from curvelint.model import Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import at, jsonable, logged_name, num, pct
from curvelint.stats import stats


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
        "noise_factor": Option(3.0, "The rise must exceed this many times val_loss's epoch-to-epoch noise."),
    }
    remediation = ("The model grows overconfident: monitor the metric you care about "
                   "(`EarlyStopping(monitor='val_accuracy', mode='max', restore_best_weights=True)`), "
                   "use label smoothing (`CategoricalCrossentropy(label_smoothing=0.1)`), or calibrate "
                   "(temperature scaling) before trusting predicted probabilities.")
    docs = """
## What it detects
Validation loss rose by at least `min_rise` from its minimum while validation accuracy at the
end is at least `min_gain` (and one epoch-to-epoch noise) higher than it was at that minimum
(end levels are medians of the last `tail` epochs; the loss must still be that high at the last
epoch, and its rise must exceed `noise_factor` times its noise).

## Why it matters
Accuracy only counts right and wrong; the loss also weighs how confident each prediction is. When
they disagree like this, the model keeps getting more answers right but is growing very sure of
its wrong ones: its probabilities are miscalibrated, and stopping on val_loss would throw away
accuracy.

## Remediation
Decide which you need. For accuracy, early-stop on `val_accuracy`; for probabilities, add label
smoothing or calibrate afterwards (temperature scaling), and regularize.

## Example
`val_loss rose 27% from its minimum 4.21 at epoch 0 (5.2x its noise) while val_accuracy improved from 0.41 to 0.63`

## Known false positives
Label noise in the validation set (a few confidently wrong labels dominate the loss); a
validation accuracy that improves by a handful of samples on a small set.
"""

    def check(self, run: Run, opts):
        pair = stats(run).pair("val/loss", "val/accuracy")
        if pair is None or len(pair[0]) < opts.min_epochs:
            return
        loss, acc = pair
        if loss.after_best < 2 or loss.best_value <= 0:
            return
        b = loss.best
        tail = min(opts.tail, loss.after_best)
        end = min(loss.end(tail), float(loss.values[-1]))
        rise = (end - loss.best_value) / loss.best_value
        if rise < opts.min_rise or loss.sigmas(end - loss.best_value) < opts.noise_factor:
            return
        acc_end = acc.end(tail)
        gain = acc_end - float(acc.values[b])
        if gain < max(opts.min_gain, acc.noise):
            return
        yield Violation(
            message=(f"{logged_name(run, loss.key)} rose {pct(rise)} from its minimum {num(loss.best_value)} at "
                     f"{at(run, loss.epochs[b])} ({loss.sigmas(end - loss.best_value):.1f}x its noise) while "
                     f"{logged_name(run, acc.key)} improved from {num(acc.values[b])} to {num(acc_end)}"),
            epochs=(int(loss.epochs[b]), int(loss.epochs[-1])), series=("val/loss", "val/accuracy"),
            evidence={"best_epoch": int(loss.epochs[b]), "val_loss_rise": jsonable(rise),
                      "val_accuracy_at_best": jsonable(acc.values[b]), "val_accuracy_end": jsonable(acc_end)},
        )
