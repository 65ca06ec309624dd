"""GEN003 val-plateau: val loss flat for the last epochs while train loss keeps falling."""

from __future__ import annotations

from curvelint.model import Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import align, jsonable, num, pct


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
    remediation = ("The model stopped generalizing better (seed 002): stop earlier "
                   "(`EarlyStopping(monitor='val_loss', patience=5, restore_best_weights=True)`) or "
                   "regularize so the extra epochs help.")
    docs = """
## What it detects
Over the last `window` epochs (or the last third of the run, if longer) the validation loss
stays within `tolerance` of its median, while the training loss falls by at least
`min_train_drop`. (A clear rise is GEN001.)

## Why it matters
Those epochs only fitted the training set tighter; the model did not get better on new data.
They cost compute and push the model towards overfitting.

## Remediation
Stop at the plateau with EarlyStopping, or add regularization (Dropout, L2, augmentation) so the
extra training improves generalization.

## Example
`val_loss stayed within 2.8% of 0.321 for the last 20 epochs while loss fell 17% (0.216 → 0.18)`
"""

    def check(self, run: Run, opts):
        both = align(run, "train/loss", "val/loss")
        n = len(both)
        if n < opts.min_epochs:
            return
        train, val = both.values
        w = max(opts.window, n // 3)
        if n < w + 1:
            return
        tail = val[-w:]
        mid = float(sorted(tail)[len(tail) // 2])
        if mid <= 0 or train[-w] <= 0:
            return
        spread = float(max(abs(tail.max() - mid), abs(tail.min() - mid)) / mid)
        drop = float((train[-w] - train[-1]) / train[-w])
        if spread > opts.tolerance or drop < opts.min_train_drop:
            return
        yield Violation(
            message=(f"val_loss stayed within {pct(spread)} of {num(mid)} for the last {w} epochs while loss fell "
                     f"{pct(drop)} ({num(train[-w])} → {num(train[-1])})"),
            epochs=(int(both.epochs[-w]), int(both.epochs[-1])), series=("val/loss", "train/loss"),
            evidence={"plateau_epochs": w, "val_level": jsonable(mid), "val_spread": jsonable(spread), "train_drop": jsonable(drop)},
        )
