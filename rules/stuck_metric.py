"""DAT001 stuck-metric: accuracy (or another metric) constant over epochs."""

from __future__ import annotations

import math

import numpy as np

from curvelint.model import Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import jsonable, logged_name, num, points
from curvelint.stats import Profile, stats

#: Metrics that move when a model learns; a loss that does not move is OPT001.
_METRIC_WORDS = ("accuracy", "auc", "precision", "recall", "f1", "iou", "dice")


class StuckMetric(Rule):
    code = "DAT001"
    slug = "stuck-metric"
    severity = Severity.WARNING
    summary = "Accuracy (or another metric) constant over the run in training and validation, e.g. at the majority-class rate"
    options = {
        "min_epochs": Option(5, "The metric must be stuck for at least this many epochs with a finite loss..."),
        "min_fraction": Option(0.6, "...and for at least this share of the run, ending at the last epoch."),
        "tolerance": Option(1e-4, "Stuck: every value of that stretch within this (absolute) of the last one, or within one step of a quantized metric (1/45 for 45 validation samples)."),
        "near_tolerance": Option(0.01, "Nearly stuck: within this of the last value, which counts only while the loss has not beaten the class prior (see prior_factor)."),
        "prior_factor": Option(0.9, "A nearly stuck accuracy a counts when the training loss is still at least this share of the binary entropy H(a) of predicting the majority class: the model has not beaten the prior."),
        "max_loss_drop": Option(0.25, "...and when the training loss fell less than this share after its first epoch."),
        "max_travel": Option(0.03, "Over the whole run (after the first epoch) the metric never moved more than this: it never learned, rather than converged."),
        "converged": Option(0.99, "A metric constant at or above this is converged, not stuck."),
    }
    remediation = ("Check the class balance: pass `class_weight=` to `model.fit`, resample the minority class, "
                   "and verify the labels and the output activation; a model that predicts one class scores the "
                   "majority rate forever.")
    remediations = {
        "ultralytics": ("Check the labels: the dataset YAML's `names` and class ids in the label files, and the class"
                        " balance of the training images."),
        "lightning": "Check the class balance: weight the loss (`nn.CrossEntropyLoss(weight=...)`) or use a "
                     "`WeightedRandomSampler`, and verify labels and the output layer.",
        "pytorch": "Check the class balance: weight the loss (`nn.CrossEntropyLoss(weight=...)`) or use a "
                   "`WeightedRandomSampler`, and verify labels and the output layer.",
        "hf": "Check the label distribution of the train dataset and `num_labels`/`id2label`; weight the loss in a "
              "`Trainer.compute_loss` override if classes are imbalanced.",
    }
    docs = """
## What it detects
An accuracy-like metric (accuracy, AUC, precision, recall, F1, IoU, Dice) that does not move:
over its last `min_epochs` or more epochs, covering at least `min_fraction` of the run, every
value is within `tolerance` of the last one (or within one step of a quantized metric), and
over the whole run after the first epoch it never moved more than `max_travel`. A metric that
only *nearly* holds still (within `near_tolerance`) counts when the training loss is still at
least `prior_factor` of the entropy of always predicting the majority class: a classifier at
73% accuracy whose cross-entropy is still about H(0.73) = 0.58 has not beaten the prior, while
a converged one at the same accuracy has a far lower loss. The training loss must also have
fallen less than `max_loss_drop` after its first epoch. When both the
training and the validation metric are logged, **both** must be stuck: a validation accuracy
saturated at 44 of 45 samples while training accuracy still climbs is a small validation set,
not a stuck model. Epochs after the loss became NaN do not count (NaN weights freeze every
metric; NUM001 reports that). A metric at or above `converged` (0.99) is converged, not stuck.

## Why it matters
A metric that does not move while training goes on means the predictions do not change where it
counts: typically the model predicts the majority class for everything (accuracy = the majority
rate), or a metric is computed on a degenerate output.

## Remediation
Look at the class distribution (`np.bincount(y_train)`): use `class_weight` or resampling, a
metric that sees imbalance (AUC, recall), and check labels and the output layer.

## Example
`accuracy at 0.747 and val_accuracy at 0.731 stuck for the last 21 of 35 epochs (within 0.01), and the loss has not beaten the class prior, the majority-class rate if 74.7% of samples share a label`

## Known false positives
A genuinely hard task where the model plateaus at a modest accuracy from the first epoch; a
metric logged at too few decimals to show movement.
"""

    def check(self, run: Run, opts):
        st = stats(run)
        loss = st.profile("train/loss")
        finite_loss = None if loss is None else set(loss.epochs.tolist())
        names = sorted({c.name for c in run.select() if any(w in c.name for w in _METRIC_WORDS)},
                       key=lambda n: (n != "accuracy", n))
        for name in names:
            for band in ("exact", "near"):
                stuck = self._stuck(st, name, band, opts, finite_loss)
                if band == "near" and stuck and not _at_prior(loss, stuck, opts):
                    stuck = []
                if stuck:
                    yield self._violation(run, name, stuck, band, opts)
                    return

    def _stuck(self, st, name: str, band: str, opts, finite_loss) -> list[tuple[Profile, int]]:
        """(profile, stuck length) of the train and val series of `name`; empty unless every
        logged one is stuck."""
        stuck = []
        for split in ("train", "val"):
            p = st.profile(f"{split}/{name}")
            if p is None:
                continue
            length = _stuck_length(p, _band(p, band, opts), opts, finite_loss)
            if length is None:
                return []
            stuck.append((p, length))
        return stuck

    def _violation(self, run: Run, name: str, stuck: list[tuple[Profile, int]], band: str, opts) -> Violation:
        parts = [f"{logged_name(run, p.key)} at {num(p.values[-1])}" for p, _ in stuck]
        p, length = min(stuck, key=lambda s: s[1])
        levels = [float(q.values[-1]) for q, _ in stuck]
        hint = ""
        if "accuracy" in name and 0.5 < levels[0] < 1 and max(levels) - min(levels) <= 0.02:
            hint = f", the majority-class rate if {levels[0]:.1%} of samples share a label"
        prior = f", and the loss has not beaten the class prior" if band == "near" else ""
        return Violation(
            message=(f"{' and '.join(parts)} stuck for the last {length} of {points(run, p.n)} "
                     f"(within {num(_band(p, band, opts))}){prior}{hint}"),
            epochs=(int(p.epochs[p.n - length]), int(p.epochs[-1])), series=tuple(q.key for q, _ in stuck),
            evidence={"value": jsonable(p.values[-1]), "constant_epochs": length, "band": band,
                      "series": [q.key for q, _ in stuck]},
        )


def _band(p: Profile, band: str, opts) -> float:
    """Values this close to the last one count as the same: the tolerance, or one quantum."""
    return max(opts.tolerance if band == "exact" else opts.near_tolerance, p.quantum * 1.01)


def _travel(p: Profile) -> float:
    body = p.values[1:] if p.n > 2 else p.values
    return float(body.max() - body.min())


def _at_prior(loss: Profile | None, stuck: list[tuple[Profile, int]], opts) -> bool:
    """The training loss is still near the entropy of always predicting the majority class,
    whose rate is the stuck accuracy: the model has not beaten the prior."""
    if loss is None:
        return False
    a = float(stuck[0][0].values[-1])
    if not 0 < a < 1:
        return False
    entropy = -(a * math.log(a) + (1 - a) * math.log(1 - a))
    second = float(loss.values[1]) if loss.n > 1 else float(loss.values[0])
    fell = (second - loss.end()) / abs(second) if second else 0.0
    return loss.end() >= opts.prior_factor * entropy and fell < opts.max_loss_drop


def _stuck_length(p: Profile, band: float, opts, finite_loss: set[int] | None) -> int | None:
    """How many final points sit within `band` of the last value, or None if not stuck."""
    n = p.n
    last = float(p.values[-1])
    if n < opts.min_epochs or last >= opts.converged:
        return None
    if _travel(p) > max(opts.max_travel, 2 * band):
        return None
    outside = np.flatnonzero(np.abs(p.values - last) > band)
    length = n if outside.size == 0 else n - 1 - int(outside[-1])
    counted = length if finite_loss is None else sum(1 for e in p.epochs[n - length:].tolist() if e in finite_loss)
    if counted < opts.min_epochs or length < opts.min_fraction * n:
        return None
    return length
