"""DAT002 leakage-suspected: the val curve tracks the train curve almost exactly."""

from __future__ import annotations

import numpy as np

from curvelint.model import Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import jsonable, logged_name, pct, points
from curvelint.stats import stats


class LeakageSuspected(Rule):
    code = "DAT002"
    slug = "leakage-suspected"
    severity = Severity.WARNING
    summary = "Val curve tracks train curve almost exactly across the run"
    needs = ("train/loss", "val/loss")
    explains = ("val-better-than-train",)
    options = {
        "min_epochs": Option(6, "Runs with fewer epochs with both losses finite are not judged."),
        "max_difference": Option(0.02, "Median |val - train| / train over the second half of the run below this fires."),
        "min_train_drop": Option(0.2, "The training loss must have fallen this much (a curve to track)."),
        "min_not_worse": Option(0.8, "Share of second-half epochs in which val_loss is not above loss (leaked data is never harder)."),
    }
    remediation = ("Validation data may overlap training data: split before "
                   "any preprocessing or augmentation, deduplicate, split by group (patient, user, "
                   "time) where samples are related, and never pass the training set as `validation_data`.")
    docs = """
## What it detects
Over the second half of the run the validation loss differs from the training loss by less than
`max_difference` (median relative difference) and is not above it in at least `min_not_worse`
of those epochs, while the training loss fell by at least `min_train_drop` overall. Both series must share at least half of the validation epochs (a
few sparse training points cannot show tracking across a run). (Leaked
validation data is never harder than training data; honest validation that merely comes close
usually sits a little above.) Independent validation data practically never tracks training this
closely while the model is still learning.

## Why it matters
If validation samples are also training samples (or near-duplicates), validation measures
memory, not generalization: every number derived from it — best epoch, model selection,
reported accuracy — is optimistic.

## Remediation
Split first, then preprocess; deduplicate; split related samples as groups
(`GroupShuffleSplit`); check that `validation_data` is not the training set.

## Example
`val_loss stayed within 1.4% of loss over the last 10 epochs (median), while loss fell 90%: validation data may overlap training data`

## Known false positives
A very large, well-shuffled dataset on a model that does not overfit (train and validation
losses are then close, though usually with validation a little above); a training loss measured
in inference mode on the same distribution.
"""

    def check(self, run: Run, opts):
        st = stats(run)
        pair = st.losses(opts.min_epochs)
        if pair is None:
            return
        train, val = pair
        n = len(train)
        if n < 0.5 * len(st.profile("val/loss")):
            return  # a handful of sparse training points cannot show tracking "across the run"
        t, v = train.values, val.values
        if np.any(t <= 0):
            return
        half = n // 2
        diff = float(np.median(np.abs(v[half:] - t[half:]) / t[half:]))
        drop = float((t[0] - t.min()) / t[0])
        not_worse = float(np.mean(v[half:] <= t[half:] * 1.005))
        if diff >= opts.max_difference or drop < opts.min_train_drop or not_worse < opts.min_not_worse:
            return
        vname, tname = logged_name(run, "val/loss"), logged_name(run, "train/loss")
        yield Violation(
            message=(f"{vname} stayed within {pct(diff)} of {tname} over the last {points(run, n - half)} (median), "
                     f"while {tname} fell {pct(drop)}: validation data may overlap training data"),
            epochs=(int(train.epochs[half]), int(train.epochs[-1])), series=("val/loss", "train/loss"),
            evidence={"median_relative_difference": jsonable(diff), "train_drop": jsonable(drop)},
        )
