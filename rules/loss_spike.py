"""NUM003 loss-spike: isolated sudden jumps in training loss that recover."""

from __future__ import annotations

import numpy as np

from curvelint.model import Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import at, jsonable, logged_name, num
from curvelint.stats import MIN_REL_NOISE, robust_noise, stats


class LossSpike(Rule):
    code = "NUM003"
    slug = "loss-spike"
    severity = Severity.WARNING
    summary = "Isolated sudden spike(s) in training loss that recover"
    needs = ("train/loss",)
    options = {
        "min_epochs": Option(6, "Runs with fewer finite training-loss epochs are not judged."),
        "spike_ratio": Option(1.5, "A spike is a value at least this multiple of the level before it."),
        "context": Option(3, "The level before a spike is the lower of the previous epoch and the median of this many epochs before it."),
        "min_sigmas": Option(5.0, "The jump must be at least this many times the loss's epoch-to-epoch noise."),
        "max_share": Option(0.1, "Jumps are spikes while at most this share of epochs (or 2) make them; more are the curve's noise, measured with them in."),
        "recovery_epochs": Option(10, "The loss must come back within this many epochs."),
        "recovered_ratio": Option(1.25, "Recovered means back below this multiple of the level before the spike."),
        "min_travel": Option(0.05, "The spike's height must be at least this fraction of how far the loss had fallen (noise at a loss floor does not count)."),
    }
    remediation = ("Exploding gradients: clip them (`clipnorm=1.0` on the optimizer), warm the "
                   "learning rate up instead of starting or restarting high, and look for bad "
                   "batches (NaN/huge values, wrong labels) at the spiking epoch.")
    remediations = {
        "ultralytics": ("Lower `lr0` and keep a warm-up (`warmup_epochs=3`); look for broken labels or images in the "
                        "epoch of the spike; a jump when mosaic turns off (`close_mosaic`, the last 10 epochs by "
                        "default) is expected."),
        "lightning": ("Exploding gradients: clip them with `Trainer(gradient_clip_val=1.0)`, warm the learning "
                      "rate up with a scheduler returned from `configure_optimizers` (e.g. linear warm-up, then "
                      "decay), and look for bad batches (NaN/huge values, wrong labels) at the spiking epoch."),
        "pytorch": ("Exploding gradients: call `torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)` before "
                    "`optimizer.step()`, warm the learning rate up (`torch.optim.lr_scheduler.LinearLR` chained "
                    "into a decay), and look for bad batches at the spiking epoch "
                    "(`torch.autograd.set_detect_anomaly(True)` names the operation that blew up)."),
        "hf": ("Exploding gradients: keep `TrainingArguments(max_grad_norm=1.0)` (lower it to 0.5 if spikes "
               "persist), warm up with `warmup_ratio=0.1`, lower `learning_rate`, and look for bad or very long "
               "examples in the batches of the spiking epoch."),
    }
    docs = """
## What it detects
An epoch whose training loss jumps to at least `spike_ratio` times the level before it and
comes back below `recovered_ratio` times that level within `recovery_epochs` epochs. The level
before a spike is the lower of the previous epoch and the median of the `context` epochs before
it, so a spike early in training, while the loss still falls fast, is measured against where
the loss had got to. The jump must be at least `min_sigmas` times the loss's epoch-to-epoch
noise (a robust scatter estimate, taken with the spikes set to their level while at most
`max_share` of the epochs, or 2, jump; more jumps are the curve's own noise) and at least `min_travel` of the
distance the loss had fallen, so jitter on a noisy curve or at a floor near zero is not called a
spike. A jump at an epoch where the logged learning rate was raised (a warm restart) is the
schedule's doing and is not reported. Spikes that never recover are divergence (NUM002). Runs with fewer than `min_epochs` finite training-loss epochs are not judged.

## Why it matters
A spike means one update (or a few) threw the weights far off: a gradient explosion, a learning
rate that jumped, or a batch of bad data. The run recovered this time; the next one may not, and
the epochs spent recovering are wasted.

## Remediation
Gradient clipping (`keras.optimizers.Adam(clipnorm=1.0)`, `Trainer(gradient_clip_val=1.0)`,
`torch.nn.utils.clip_grad_norm_`, `TrainingArguments(max_grad_norm=1.0)`), a learning-rate warmup
or a gentler schedule, and a look at the data of the spiking epoch for NaN, huge values or
broken labels.

## Example
`loss spiked to 1.42 at epoch 2, 10.7x the 0.133 before it (88x its epoch-to-epoch noise), and was back to 0.114 by epoch 5`

## Known false positives
- A warm restart or cyclic schedule whose learning rate is not in the log makes a spike at
  every restart.
- Unfreezing layers mid-run (transfer learning), a curriculum step, or a change of augmentation
  or data mix makes a one-off jump that is expected.
- On a run of very few epochs with a fast early fall, an epoch that falls less than its
  neighbours can look like a jump against the previous epoch.
"""

    def check(self, run: Run, opts):
        st = stats(run)
        p = st.profile("train/loss")
        if p is None or p.n < opts.min_epochs or np.any(p.values <= 0):
            return
        epochs, loss = p.epochs, p.values
        n = loss.size
        context = max(1, opts.context)
        level = np.full(n, np.nan)
        for i in range(1, n):
            level[i] = min(float(loss[i - 1]), float(np.median(loss[max(0, i - context):i])))
        floor_noise = opts.min_travel * p.travel
        with np.errstate(invalid="ignore"):
            jump = loss - level
            tall = (loss >= opts.spike_ratio * level) & (jump >= floor_noise)
        tall[0] = False
        # the noise of the curve without its spikes, while they are isolated (two spikes in a short
        # run would otherwise make most of the scatter and hide each other); when jumps are common
        # they are the curve's noise, not spikes
        isolated = int(tall.sum()) <= max(2, int(opts.max_share * n))
        calm = np.where(tall, level, loss) if isolated else loss
        noise = max(robust_noise(calm), p.quantum / 2, MIN_REL_NOISE * p.level)
        candidate = tall & (jump >= opts.min_sigmas * noise)
        candidate[0] = False
        candidate[n - 1:] = False  # the last epoch cannot show a recovery
        if st.lr_raised.size:
            candidate &= ~np.isin(epochs, st.lr_raised)  # a warm restart's jump is the schedule
        spikes = []
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
        i, j, lv = spikes[0]
        more = f"; {len(spikes) - 1} more spike{'s' if len(spikes) > 2 else ''}" if len(spikes) > 1 else ""
        name = logged_name(run, "train/loss")
        yield Violation(
            message=(f"{name} spiked to {num(loss[i])} at {at(run, epochs[i])}, {loss[i] / lv:.1f}x the "
                     f"{num(lv)} before it ({(loss[i] - lv) / noise:.0f}x its epoch-to-epoch noise), and was back "
                     f"to {num(loss[j])} by {at(run, epochs[j])}{more}"),
            epochs=(int(epochs[i]), int(epochs[j])), series=("train/loss",),
            evidence={"noise": jsonable(noise),
                      "spikes": [{"epoch": int(epochs[a]), "value": jsonable(loss[a]), "level_before": jsonable(b_lv),
                                  "recovered_epoch": int(epochs[b])} for a, b, b_lv in spikes]},
        )
