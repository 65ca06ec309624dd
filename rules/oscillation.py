"""OPT003 oscillation: loss zig-zags with large amplitude instead of settling."""

from __future__ import annotations

import numpy as np

from curvelint.model import Run, Severity, keras_name
from curvelint.rule import Option, Rule, Violation
from curvelint.series import jsonable, series, travel


class Oscillation(Rule):
    code = "OPT003"
    slug = "oscillation"
    severity = Severity.WARNING
    summary = "Loss zig-zags with large amplitude instead of settling"
    needs = ("train/loss",)
    options = {
        "min_epochs": Option(8, "Runs with fewer finite epochs are not judged."),
        "min_reversals": Option(0.4, "Share of epochs where the loss changes direction."),
        "min_swing": Option(0.15, "Median epoch-to-epoch change relative to the loss level (0.2 = 20%)."),
        "val_factor": Option(1.5, "val_loss is judged too, needing this multiple of min_swing (validation is noisier)."),
        "min_travel": Option(0.05, "The median swing must also be at least this fraction of how far the loss had fallen (noise at a loss floor does not count)."),
    }
    remediation = ("The learning rate is too high or the batch too small (seeds 002, 003): lower the "
                   "learning rate 3-10x, increase `batch_size`, lower SGD `momentum`, or decay the rate "
                   "with `ReduceLROnPlateau`.")
    docs = """
## What it detects
A loss that changes direction in at least `min_reversals` of its epochs with a median
epoch-to-epoch change of at least `min_swing` of its level. Training loss is judged with
`min_swing`; validation loss with `val_factor` times it, since a small validation set is noisy
on its own (that milder case is OPT006). The swings must also be at least `min_travel` of the
distance the loss had fallen: jitter at a floor near zero is not an optimizer overshooting.

## Why it matters
The optimizer keeps overshooting the minimum instead of descending into it: the loss at the last
epoch is partly luck, and the model you save depends on which side of the swing training ended.

## Remediation
Lower the learning rate (3-10x), increase the batch size, reduce momentum (SGD `momentum=0.9`
rather than 0.99), or let `ReduceLROnPlateau(factor=0.5, patience=3)` shrink it.

## Example
`loss zig-zags: it changed direction in 62% of 40 epochs with a median swing of 31% of its level`
"""

    def check(self, run: Run, opts):
        for key, factor in (("train/loss", 1.0), ("val/loss", opts.val_factor)):
            epochs, loss = series(run, key)
            if loss.size < opts.min_epochs or np.any(loss <= 0):
                continue
            d = np.diff(loss)
            reversals = float(np.mean(np.sign(d[1:]) * np.sign(d[:-1]) < 0))
            swing = float(np.median(np.abs(d) / loss[:-1]))
            big = float(np.median(np.abs(d))) >= opts.min_travel * travel(loss)
            if reversals >= opts.min_reversals and swing >= opts.min_swing * factor and big:
                yield Violation(
                    message=(f"{keras_name(key)} zig-zags: it changed direction in {reversals:.0%} of {loss.size} epochs "
                             f"with a median swing of {swing:.0%} of its level"),
                    epochs=(int(epochs[0]), int(epochs[-1])), series=(key,),
                    evidence={"reversal_fraction": jsonable(reversals), "median_swing": jsonable(swing)},
                )
                return
