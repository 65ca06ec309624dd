"""DAT004 distribution-shift: val loss far above train from the start, and the gap never closes."""

from __future__ import annotations

import numpy as np

from curvelint.model import Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import jsonable, logged_name, num, pct
from curvelint.stats import stats


class DistributionShift(Rule):
    code = "DAT004"
    slug = "distribution-shift"
    severity = Severity.WARNING
    summary = "Val loss far above train from the first epochs, and the gap never closes"
    needs = ("train/loss", "val/loss")
    explains = ("generalization-gap", "overfitting", "wasted-epochs", "val-plateau")
    options = {
        "min_epochs": Option(5, "Runs with fewer epochs with both losses finite are not judged."),
        "min_train_drop": Option(0.3, "Training loss must have fallen at least this fraction (it learned something)."),
        "min_start_ratio": Option(2.0, "val_loss / loss over the first two shared epochs must be at least this."),
        "min_ratio": Option(3.0, "The median val_loss / loss over the run must be at least this..."),
        "min_floor_ratio": Option(1.5, "...and it never comes below this: the gap is there throughout."),
        "max_prior_travel": Option(0.5, "The first shared epoch must come before the training loss had covered this share of its fall (the start must be seen)."),
    }
    remediation = ("Training and validation data differ: fit the scaler on the training split only and apply the "
                   "same transform to both (`scaler.fit_transform(X_train)`, `scaler.transform(X_val)`), shuffle and "
                   "stratify the split, and compare feature statistics of both.")
    remediations = {
        "ultralytics": ("Check that the dataset YAML's `train:` and `val:` images come from the same source and are "
                        "labelled alike, and validate at the training size (`imgsz`)."),
        "hf": "Check that the eval dataset is tokenized and preprocessed exactly like the train dataset and comes "
              "from the same distribution (language, domain, label set).",
    }
    docs = """
## What it detects
From the first epochs on, the validation loss is far above the training loss and stays there:
over the first two epochs both losses share, val_loss / loss is at least `min_start_ratio`
(default 2); over the whole run its median is at least `min_ratio` (3) and from the second epoch on it never drops below
`min_floor_ratio` (1.5), while the training loss fell by at least `min_train_drop`. Keras
averages the first epoch's training loss over the epoch and measures validation after it, so
with matching data validation starts at or below training; overfitting looks different, with a
ratio near 1 at first that opens later (GEN001). The start must be in the log: when the
validation loss is first logged after the training loss had covered more than
`max_prior_travel` of its fall, the rule does not judge.

## Why it matters
What the model learned on the training data does not transfer to the validation data: the two
splits differ (different preprocessing, a scaler fitted separately, a time or site shift, a
different label mapping). Validation numbers cannot guide training.

## Remediation
Preprocess both splits with the same transform fitted on training data, stratify and shuffle the
split, and compare feature statistics (`X_train.mean(0)`, `X_val.mean(0)`).

## Example
`val_loss was 33x loss at the first epochs (40.2 vs 1.21) and a median 81x over the run (never below 19x), while loss fell 92%`

## Known false positives
A validation loss that includes terms the training loss does not (or the reverse: dropout or
label smoothing active only in training usually makes train *higher*, not lower); a validation
set that is harder on purpose (a held-out site or period, which is the shift this rule reports).
"""

    def check(self, run: Run, opts):
        st = stats(run)
        pair = st.losses(opts.min_epochs, positive=True)
        if pair is None:
            return
        train, val = pair
        whole = st.profile("train/loss")
        fell = whole.start() - whole.best_value
        if fell <= 0 or fell / abs(whole.start()) < opts.min_train_drop:
            return
        prior = whole.start() - float(train.values[0])  # how far training had come before val was logged
        if prior > opts.max_prior_travel * fell:
            return
        ratio = val.values / train.values
        start = float(np.median(ratio[:2]))
        # the first epoch's training loss is averaged over its updates from the random init, so
        # its ratio is low whatever the data: the floor is taken from the second epoch on
        median, floor = float(np.median(ratio)), float(ratio[1:].min())
        if start < opts.min_start_ratio or median < opts.min_ratio or floor < opts.min_floor_ratio:
            return
        vname, tname = logged_name(run, "val/loss"), logged_name(run, "train/loss")
        yield Violation(
            message=(f"{vname} was {start:.1f}x {tname} at the first epochs ({num(val.values[0])} vs {num(train.values[0])}) "
                     f"and a median {median:.1f}x over the run (never below {floor:.1f}x), while {tname} fell "
                     f"{pct(fell / abs(whole.start()))}"),
            epochs=(int(train.epochs[0]), int(train.epochs[-1])), series=("val/loss", "train/loss"),
            evidence={"start_ratio": jsonable(start), "median_ratio": jsonable(median), "min_ratio": jsonable(floor),
                      "train_drop": jsonable(fell / abs(whole.start()))},
        )
