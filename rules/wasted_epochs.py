"""FIT001 wasted-epochs: the run went on long after its best validation epoch."""

from __future__ import annotations

import numpy as np

from curvelint.model import IN_PROGRESS, Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import at, early_stopping_advice, jsonable, kept_best, logged_name, num, pct, points
from curvelint.stats import stats


class WastedEpochs(Rule):
    code = "FIT001"
    slug = "wasted-epochs"
    severity = Severity.INFO
    summary = "The run went on long after validation loss reached its best level"
    needs = ()
    explains = ("val-plateau",)
    options = {
        "max_fraction_after": Option(0.6, "Share of the run after val_loss first reached its best level above which it fires."),
        "min_epochs_after": Option(5, "At least this many epochs after it."),
        "near_best": Option(0.02, "Reached its best level: within this fraction of the minimum."),
    }
    remediation = ("Stop where the best level was reached: `keras.callbacks.EarlyStopping(monitor='val_loss', "
                   "patience=N, restore_best_weights=True)`, or keep the best weights with "
                   "`ModelCheckpoint(save_best_only=True)`, and lower `epochs`.")
    remediations = {
        "ultralytics": ("Set `patience` in `model.train(...)` so training stops once fitness stops improving; "
                        "`weights/best.pt` already holds the best epoch."),
        "lightning": "Add `EarlyStopping(monitor='val_loss')` and `ModelCheckpoint(monitor='val_loss')`, and lower `max_epochs`.",
        "hf": "Set `load_best_model_at_end=True` with `EarlyStoppingCallback`, and lower `num_train_epochs`.",
        "pytorch": "Keep the best validation state, stop after a few epochs without improvement, and lower the epoch budget.",
    }
    docs = """
## What it detects
The validation loss (or the configured `monitor`, or with no val_loss the first validation
metric whose name tells its direction) first came within `near_best` (2%) of its best value
at an epoch after which more than `max_fraction_after` of the run (and at least
`min_epochs_after` epochs) followed: the rest of the run bought at most 2%.

Not judged while the run is still training (`Run.meta["in_progress"]`, set by the Keras
callback; see docs/during-training.md): the final lint judges it.

## Why it matters
Those epochs cost compute and, unless the best weights were checkpointed, the model saved at the
end is not the best one the run had.

## Remediation
EarlyStopping with `restore_best_weights=True` (the finding derives a patience from the curve),
or ModelCheckpoint with `save_best_only=True`, and an epoch budget closer to where the best
level was reached.

## Example
`val_loss reached 0.62 (within 2% of its minimum 0.611) at epoch 24; the 175 epochs after it (88% of the run) bought at most 2%`

## Known false positives
A run meant to go on (a schedule that needs its full length, a fixed budget for a comparison);
a validation loss that plateaus while the metric that matters still improves.
"""

    def check(self, run: Run, opts):
        if run.meta.get(IN_PROGRESS):
            return  # the share of the run after its best depends on where the run ends
        val = stats(run).monitored()
        if val is None or val.n < opts.min_epochs_after + 2 or val.best_value <= 0:
            return
        reached = int(np.flatnonzero(val.near_best(opts.near_best))[0])
        after = val.n - 1 - reached
        if after < opts.min_epochs_after or after / val.n <= opts.max_fraction_after:
            return
        name = logged_name(run, val.key)
        epoch = int(val.epochs[reached])
        got = float(val.values[reached])
        patience = val.patience_to_best()  # the same value GEN001 advises for this curve
        kept, kept_evidence = kept_best(run)
        yield Violation(
            message=(f"{name} reached {num(got)} (within {pct(abs(got / val.best_value - 1))} of its {'best' if val.higher_is_better else 'minimum'} "
                     f"{num(val.best_value)}) at {at(run, epoch)}; the {points(run, after)} after it ({after / val.n:.0%} of the "
                     f"run) bought at most that" + kept),
            epochs=(epoch, int(val.epochs[-1])), series=(val.key,),
            remediation=(f"Stop near {at(run, epoch)}: "
                         f"{early_stopping_advice(run, name, patience, 'max' if val.higher_is_better else 'min')}, "
                         "and lower the epoch budget."),
            evidence={"best_epoch": int(val.epochs[val.best]), "reached_epoch": epoch, "best_val_loss": jsonable(val.best_value),
                      "epochs_after_best": after, "fraction_after": jsonable(after / val.n), **kept_evidence},
        )
