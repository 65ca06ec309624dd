"""NUM003 loss-spike: isolated sudden jumps in training loss that recover."""

from __future__ import annotations

import numpy as np

from curvelint.model import Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import jsonable, num, series, travel


class LossSpike(Rule):
    code = "NUM003"
    slug = "loss-spike"
    severity = Severity.WARNING
    summary = "Isolated sudden spike(s) in training loss that recover"
    needs = ("train/loss",)
    options = {
        "min_epochs": Option(6, "Runs with fewer finite training-loss epochs are not judged."),
        "spike_ratio": Option(1.5, "A spike is a value at least this multiple of the median of the epochs before it."),
        "context": Option(3, "How many epochs before a spike set the level it is compared to."),
        "recovery_epochs": Option(10, "The loss must come back within this many epochs."),
        "recovered_ratio": Option(1.25, "Recovered means back below this multiple of the level before the spike."),
        "min_travel": Option(0.05, "The spike's height must be at least this fraction of how far the loss had fallen (noise at a loss floor does not count)."),
    }
    remediation = ("Exploding gradients: clip them (`clipnorm=1.0` on the optimizer), warm the "
                   "learning rate up instead of starting or restarting high, and look for bad "
                   "batches (NaN/huge values, wrong labels) at the spiking epoch.")
    docs = """
## What it detects
An epoch whose training loss is at least `spike_ratio` times the median of the `context` epochs
before it, and which comes back below `recovered_ratio` times that level within
`recovery_epochs` epochs. Its height must be at least `min_travel` of the distance the loss had
fallen, so jitter at a loss floor near zero is not called a spike. Spikes that never recover
are divergence (NUM002), not this rule.

## Why it matters
A spike means one update (or a few) threw the weights far off: a gradient explosion, a learning
rate that jumped, or a batch of bad data. The run recovered this time; the next one may not, and
the epochs spent recovering are wasted.

## Remediation
Gradient clipping (`keras.optimizers.Adam(clipnorm=1.0)`), a learning-rate warmup or a gentler
schedule, and a look at the data of the spiking epoch for NaN, huge values or broken labels.

## Example
`loss spiked to 0.517 at epoch 15, 1.8x the 0.289 before it, and was back to 0.339 by epoch 21`
"""

    def check(self, run: Run, opts):
        epochs, loss = series(run, "train/loss")
        n = loss.size
        if n < opts.min_epochs or np.any(loss <= 0):
            return
        spikes = []
        floor_noise = opts.min_travel * travel(loss)
        context = max(1, opts.context)
        # level[i] = median of the `context` epochs before epoch i, for every i at once
        level = np.full(n, np.nan)
        level[context:] = np.median(np.lib.stride_tricks.sliding_window_view(loss, context)[:-1], axis=1)
        with np.errstate(invalid="ignore"):
            rising = np.r_[False, loss[1:] > loss[:-1]]
            candidate = (loss >= opts.spike_ratio * level) & rising & (loss - level >= floor_noise)
        candidate[n - 1:] = False  # the last epoch cannot show a recovery
        after = 0
        for i in np.flatnonzero(candidate).tolist():
            if i < after:
                continue  # inside the previous spike's recovery
            window = loss[i + 1:i + 1 + opts.recovery_epochs]
            back = np.flatnonzero(window <= opts.recovered_ratio * level[i])
            if back.size:
                j = i + 1 + int(back[0])
                spikes.append((i, j, float(level[i])))
                after = j + 1
        if not spikes:
            return
        i, j, level = spikes[0]
        more = f"; {len(spikes) - 1} more spike{'s' if len(spikes) > 2 else ''}" if len(spikes) > 1 else ""
        yield Violation(
            message=(f"loss spiked to {num(loss[i])} at epoch {int(epochs[i])}, {loss[i] / level:.1f}x the "
                     f"{num(level)} before it, and was back to {num(loss[j])} by epoch {int(epochs[j])}{more}"),
            epochs=(int(epochs[i]), int(epochs[j])), series=("train/loss",),
            evidence={"spikes": [{"epoch": int(epochs[a]), "value": jsonable(loss[a]), "level_before": jsonable(lv),
                                  "recovered_epoch": int(epochs[b])} for a, b, lv in spikes]},
        )
