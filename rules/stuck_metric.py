"""DAT001 stuck-metric: accuracy (or another metric) constant over epochs."""

from __future__ import annotations

import numpy as np

from curvelint.model import Run, Severity, keras_name
from curvelint.rule import Option, Rule, Violation
from curvelint.series import finite, jsonable, num

#: Metrics that move when a model learns; a loss that does not move is OPT001.
_METRIC_WORDS = ("accuracy", "auc", "precision", "recall", "f1", "iou", "dice")


class StuckMetric(Rule):
    code = "DAT001"
    slug = "stuck-metric"
    severity = Severity.WARNING
    summary = "Accuracy (or another metric) constant over epochs, e.g. at the majority-class rate"
    options = {
        "min_epochs": Option(5, "The metric must be constant for at least this many epochs..."),
        "min_fraction": Option(0.6, "...and for at least this share of the run, ending at the last epoch."),
        "tolerance": Option(1e-4, "Values within this (absolute) count as the same."),
        "converged": Option(0.99, "A metric constant at or above this is converged, not stuck."),
    }
    remediation = ("Check the class balance (seeds 000, 003): pass `class_weight=` to `model.fit`, "
                   "resample the minority class, and verify labels and the output activation; a model "
                   "that predicts one class scores the majority rate forever.")
    docs = """
## What it detects
An accuracy-like metric (accuracy, AUC, precision, recall, F1, IoU, Dice; train or validation)
that holds the same value, within `tolerance`, for its last `min_epochs` or more epochs covering
at least `min_fraction` of the run. A metric that stays at or above `converged` (0.99) is converged, not stuck.

## Why it matters
A metric that does not move while training goes on means the predictions do not change where it
counts: typically the model predicts the majority class for everything (accuracy = the majority
rate), or a metric is computed on a degenerate output.

## Remediation
Look at the class distribution (`np.bincount(y_train)`): use `class_weight` or resampling, a
metric that sees imbalance (AUC, recall), and check labels and the output layer.

## Example
`val_accuracy stuck at 0.955 for the last 19 of 20 epochs (majority-class rate if 95.5% of samples share a label)`
"""

    def check(self, run: Run, opts):
        for key in ("val/accuracy", "train/accuracy", *sorted(c.key for c in run.select())):
            curve = run.get(key)
            if curve is None or not any(w in curve.name for w in _METRIC_WORDS):
                continue
            steps, values = finite(curve)
            n = values.size
            if n < opts.min_epochs:
                continue
            last = values[-1]
            if last >= opts.converged:
                continue  # a near-perfect score that stays there is converged, not stuck
            same = np.abs(values - last) <= opts.tolerance
            run_len = n if same.all() else n - 1 - int(np.flatnonzero(~same)[-1])
            if run_len < opts.min_epochs or run_len < opts.min_fraction * n:
                continue
            hint = f" (majority-class rate if {last:.1%} of samples share a label)" if "accuracy" in curve.name and 0.5 < last < 1 else ""
            yield Violation(
                message=f"{keras_name(key)} stuck at {num(last)} for the last {run_len} of {n} epochs{hint}",
                epochs=(int(steps[n - run_len]), int(steps[-1])), series=(key,),
                evidence={"value": jsonable(last), "constant_epochs": run_len},
            )
            return
