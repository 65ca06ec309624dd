"""OPT001 no-learning: training loss essentially flat from the first epoch."""

from __future__ import annotations

import math

import numpy as np

from curvelint.model import Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import jsonable, num, pct, series


def chance_level(loss: float, tolerance: float = 0.01) -> int | None:
    """k if `loss` is ln(k), the cross-entropy of guessing uniformly among k classes."""
    if loss <= 0:
        return None
    if loss > math.log(1000):
        return None
    k = round(math.exp(loss))
    return k if 2 <= k <= 1000 and abs(math.log(k) - loss) <= tolerance else None


class NoLearning(Rule):
    code = "OPT001"
    slug = "no-learning"
    severity = Severity.ERROR
    summary = "Training loss essentially flat from the first epoch"
    needs = ("train/loss",)
    options = {
        "min_epochs": Option(5, "Runs with fewer finite training-loss epochs are not judged."),
        "min_improvement": Option(0.01, "Best loss must be at least this fraction below the first epoch's (0.01 = 1%)."),
        "max_range": Option(0.05, "Flat: all values within this fraction of the first epoch's."),
        "learned_accuracy": Option(0.9, "A run whose training accuracy is already this high at epoch 0 learned within that epoch; not judged."),
    }
    remediation = ("Raise the learning rate (Adam's default is 1e-3), check `layer.trainable`, make "
                   "the output activation match the loss (sigmoid + binary_crossentropy, softmax + "
                   "categorical_crossentropy), and check that inputs are scaled and not constant.")
    docs = """
## What it detects
A training loss whose best value is less than `min_improvement` (1%) below its first epoch, with
every value within `max_range` of the first, over the whole run — from epoch 1 on when the run
has more than `min_epochs` epochs, since Keras averages epoch 0's loss over the first updates
from the random initialization. When the flat value is ln(k), the finding says so: that is the cross-entropy of
guessing uniformly among k classes. A run whose training accuracy is already `learned_accuracy`
at epoch 0 learned everything inside the first epoch and is not reported.

## Why it matters
Nothing is being learned: every epoch costs compute and changes nothing. Typical causes are a
learning rate far too low, frozen layers, a loss that does not fit the output activation (e.g.
`categorical_crossentropy` on a sigmoid), labels in the wrong format, or constant/unscaled inputs.

## Remediation
Check the learning rate first (`Adam(learning_rate=1e-3)`), then `model.summary()` for
non-trainable parameters, the loss/activation pairing and the label encoding
(`sparse_categorical_crossentropy` for integer labels), and `x.std(axis=0)` for dead features.

## Example
`loss moved 0.03% over 100 epochs (2.302 → 2.302, best 2.301) and sits at ln(10) = 2.303, chance level for 10 classes`
"""

    def check(self, run: Run, opts):
        epochs, loss = series(run, "train/loss")
        if loss.size < opts.min_epochs:
            return
        if loss.size > opts.min_epochs:
            # Keras' first-epoch loss averages over the first updates from the random init; a
            # dead run shows its flat line from epoch 1 on
            epochs, loss = epochs[1:], loss[1:]
        first = float(loss[0])
        best = float(loss.min())
        scale = abs(first) if first != 0 else 1.0
        improvement = (first - best) / scale
        if improvement >= opts.min_improvement or float(loss.max() - loss.min()) > opts.max_range * scale:
            return
        if float(np.median(loss[-3:])) > first + 0.1 * scale:
            return  # climbing: that is divergence (NUM002), not a flat line
        _, acc = series(run, "train/accuracy")
        if acc.size and float(acc[0]) >= opts.learned_accuracy and float(acc.min()) > 0:
            return  # learned within the first epoch, then converged: not a dead run
        k = chance_level(float(np.median(loss)))
        chance = f" and sits at ln({k}) = {math.log(k):.3f}, chance level for {k} classes" if k else ""
        yield Violation(
            message=(f"loss moved {pct(improvement)} over {loss.size} epochs ({num(first)} → {num(loss[-1])}, "
                     f"best {num(best)}){chance}"),
            epochs=(int(epochs[0]), int(epochs[-1])), series=("train/loss",),
            evidence={"first_loss": jsonable(first), "best_loss": jsonable(best), "improvement": jsonable(improvement),
                      "chance_classes": k},
        )
