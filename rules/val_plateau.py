"""GEN003 val-plateau: val loss flat for the last epochs while train loss keeps falling."""

from __future__ import annotations

import numpy as np

from curvelint.model import IN_PROGRESS, Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import jsonable, logged_name, num, pct, points
from curvelint.stats import stats


class ValPlateau(Rule):
    code = "GEN003"
    slug = "val-plateau"
    severity = Severity.INFO
    summary = "Val loss flat for the last N epochs while train loss keeps falling"
    needs = ("train/loss", "val/loss")
    options = {
        "min_epochs": Option(10, "Runs with fewer epochs with both losses finite are not judged."),
        "window": Option(10, "The plateau must cover at least this many final epochs (or a third of the run)."),
        "tolerance": Option(0.05, "Flat: val_loss stays within this fraction of its median across the window."),
        "min_train_drop": Option(0.05, "Train loss must fall at least this fraction across the window."),
    }
    remediation = ("The model stopped generalizing better: stop earlier "
                   "(`EarlyStopping(monitor='val_loss', patience=5, restore_best_weights=True)`) or "
                   "regularize so the extra epochs help.")
    remediations = {
        "ultralytics": ("The model stopped generalizing better: set `patience` in `model.train(...)` so it stops "
                        "once fitness stops improving (`weights/best.pt` keeps the best epoch), or add augmentation."),
        "hf": ("The model stopped generalizing better: `EarlyStoppingCallback(early_stopping_patience=3)` with "
               "`load_best_model_at_end=True`, or raise `weight_decay` so the extra steps help."),
        "lightning": ("The model stopped generalizing better: add `EarlyStopping(monitor='val_loss', patience=5)` "
                      "and `ModelCheckpoint(monitor='val_loss')` to the Trainer, or regularize."),
        "pytorch": ("The model stopped generalizing better: keep the best state by validation loss and stop after "
                    "5 evaluations without improvement, or regularize so the extra epochs help."),
    }
    docs = """
## What it detects
Over the last `window` epochs (or the last third of the run, if longer) the validation loss
stays within `tolerance` of its median, while the training loss is still falling significantly, by at
least `min_train_drop` over the window. (A clear rise is GEN001; a run that went on long after
its best level is FIT001, which explains this finding.)

Not judged while the run is still training (`Run.meta["in_progress"]`, set by the Keras
callback; see docs/during-training.md): the final lint judges it.

## Why it matters
Those epochs only fitted the training set tighter; the model did not get better on new data.
They cost compute and push the model towards overfitting.

## Remediation
Stop at the plateau with EarlyStopping, or add regularization (Dropout, L2, augmentation) so the
extra training improves generalization.

## Example
`val_loss stayed within 2.8% of 0.321 for the last 20 epochs while loss fell 17% (0.216 → 0.18)`

## Known false positives
The normal late phase of a run that is about to be stopped by EarlyStopping; a validation loss
dominated by a few hard examples that no amount of training moves.
"""

    def check(self, run: Run, opts):
        if run.meta.get(IN_PROGRESS):
            return  # a plateau before EarlyStopping or a rate drop acts is the normal late phase of a run
        pair = stats(run).losses(opts.min_epochs)
        if pair is None:
            return
        train, val = pair
        n = len(val)
        w = max(opts.window, n // 3)
        if n < w + 1 or val.level <= 0:
            return
        tail = val.values[-w:]
        mid = float(np.median(tail))
        spread = float(np.max(np.abs(tail - mid)))
        if mid <= 0 or spread > opts.tolerance * mid:
            return  # not flat: GEN001 / OPT004 judge a curve that moves
        if not train.still_improving(w, opts.min_train_drop):
            return
        t0, t1 = float(train.values[-w]), float(train.values[-1])
        yield Violation(
            message=(f"{logged_name(run, val.key)} stayed within {pct(spread / mid)} of {num(mid)} for the last {points(run, w)} "
                     f"while {logged_name(run, train.key)} fell {pct((t0 - t1) / t0)} "
                     f"({num(t0)} → {num(t1)})"),
            epochs=(int(val.epochs[-w]), int(val.epochs[-1])), series=("val/loss", "train/loss"),
            evidence={"plateau_epochs": w, "val_level": jsonable(mid), "val_spread": jsonable(spread / mid),
                      "train_drop": jsonable((t0 - t1) / t0)},
        )
