"""NUM002 divergence: training loss ends far above its minimum and does not come back."""

from __future__ import annotations

import numpy as np

from curvelint.model import Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import falling_fraction, jsonable, num, series, tail_median, travel


class Divergence(Rule):
    code = "NUM002"
    slug = "divergence"
    severity = Severity.ERROR
    summary = "Training loss ends far above its minimum and grows without recovering"
    needs = ("train/loss",)
    options = {
        "min_epochs": Option(5, "Runs with fewer finite training-loss epochs are not judged."),
        "min_ratio": Option(2.0, "End level at least this multiple of the minimum fires."),
        "steady_rise": Option(0.15, "A smaller rise (this fraction) fires when the loss climbs steadily after its minimum."),
        "steady_fraction": Option(0.7, "Share of rising epochs after the minimum that counts as steady."),
        "tail": Option(3, "The end level is the median of this many last epochs."),
        "min_travel": Option(0.05, "The climb must be at least this fraction of how far the loss had fallen, so noise at a loss floor near 0 does not count."),
    }
    remediation = ("The learning rate is too high: lower it 3-10x (e.g. `Adam(learning_rate=1e-4)`), "
                   "clip gradients (`clipnorm=1.0`), and standardize inputs with a scaler fitted on "
                   "the training split.")
    docs = """
## What it detects
Training loss whose end level (median of the last `tail` epochs) is at least `min_ratio` times
its minimum, or that ends `steady_rise` or more above it without recovering: it climbed steadily
(at least `steady_fraction` of the epochs after the minimum go up) or stayed at least half that
rise above the minimum in 90% of the epochs after it. The climb must also be at least `min_travel` of the distance
the loss had fallen from its first epoch, so ratios of tiny numbers at a loss floor near zero do
not count. Losses that reach zero or below are not judged, and NaN/Inf are NUM001's business.

## Why it matters
Training loss should fall. When it climbs back up, the optimizer is overshooting: the weights
at the end are worse than earlier ones on the very data they were trained on, so nothing the
run produced after the minimum can be trusted.

## Remediation
Lower the learning rate 3-10x, add gradient clipping (`clipnorm=1.0`), check that the learning
rate schedule decays rather than grows, and scale the features (seed 003: unscaled inputs make
a sane learning rate too large).

## Example
`loss rose to 4.2x its minimum: 0.267 at epoch 5 → 1.12 at epoch 29, rising in 71% of the epochs after it`
"""

    def check(self, run: Run, opts):
        epochs, loss = series(run, "train/loss")
        if loss.size < opts.min_epochs:
            return
        best = int(np.argmin(loss))
        low = float(loss[best])
        after = loss.size - 1 - best
        if low <= 0 or after < 2:
            return
        end = tail_median(loss, min(opts.tail, after))
        ratio = end / low
        rising = falling_fraction(-loss[best:])
        # "without recovering": it climbed steadily, or it stayed well above its minimum throughout
        elevated = float(np.mean(loss[best + 1:] >= low * (1 + opts.steady_rise / 2)))
        persistent = rising >= opts.steady_fraction or elevated >= 0.9
        steady = after >= 4 and persistent and ratio >= 1 + opts.steady_rise
        if ratio < opts.min_ratio and not steady:
            return
        if float(loss[-1]) < low * (1 + opts.steady_rise):
            return  # it came back down at the very end
        if end - low < opts.min_travel * travel(loss):
            return  # 6x of 1e-5 after falling from 2.5 is noise at the floor, not divergence
        first, last = int(epochs[best]), int(epochs[-1])
        yield Violation(
            message=(f"loss rose to {ratio:.1f}x its minimum: {num(low)} at epoch {first} → {num(end)} at epoch {last}, "
                     f"rising in {rising:.0%} of the epochs after it"),
            epochs=(first, last), series=("train/loss",),
            evidence={"best_epoch": first, "min_loss": jsonable(low), "end_loss": jsonable(end),
                      "ratio": jsonable(ratio), "rising_fraction": jsonable(rising)},
        )
