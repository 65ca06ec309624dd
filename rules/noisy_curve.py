"""OPT006 noisy-curve: epoch-to-epoch noise large relative to the curve's level."""

from __future__ import annotations

import numpy as np

from curvelint.model import Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import jsonable, logged_name, num, pct, points
from curvelint.stats import stats


class NoisyCurve(Rule):
    code = "OPT006"
    slug = "noisy-curve"
    severity = Severity.INFO
    summary = "Epoch-to-epoch noise large relative to the trend"
    options = {
        "min_epochs": Option(8, "Runs with fewer finite epochs are not judged."),
        "max_noise": Option(0.06, "Epoch-to-epoch noise (a robust standard deviation around the local trend) "
                                  "relative to the curve's level above which a curve is noisy."),
    }
    remediation = ("Increase `batch_size`, lower the learning rate, and give validation more data "
                   "(`validation_split=0.2` or a larger `validation_data`) so the curve is a signal, "
                   "not noise.")
    remediations = {
        "ultralytics": ("Raise `batch` (or `batch=-1` for AutoBatch), lower `lr0`, and give validation more images so"
                        " the curve is a signal, not noise."),
        "lightning": ("Raise the DataLoader `batch_size` (or `Trainer(accumulate_grad_batches=4)`), lower the "
                      "learning rate in `configure_optimizers`, and give validation more data; monitor a "
                      "smoothed metric, or give `EarlyStopping` a `min_delta`, so one noisy epoch does not decide."),
        "pytorch": ("Raise the DataLoader `batch_size` (or accumulate gradients over several batches), lower the "
                    "learning rate, and validate on more data so the epoch loss is a signal, not noise."),
        "hf": ("Raise `per_device_train_batch_size` or `gradient_accumulation_steps`, lower `learning_rate`, and "
               "evaluate on a larger eval set; give `EarlyStoppingCallback` an `early_stopping_threshold`."),
    }
    docs = """
## What it detects
A validation or training loss that jitters from epoch to epoch: its noise, a robust standard
deviation of each epoch's distance from the midpoint of its two neighbours (so a smooth curve,
straight or bending, scores near zero and one outlier hardly moves it, and never less than half
the step of a quantized metric), is more than `max_noise` of the curve's level (its median). A quantized loss (a small
validation set) jittering by at most one of its steps is at its resolution and not reported.
The finding also gives the noise against how far the curve improved. Large swings that keep
recurring are OPT003, which explains this finding when both fire. Runs with fewer than `min_epochs` finite epochs are not judged.

## Why it matters
On a noisy curve the best epoch is partly chance, EarlyStopping triggers on noise, and
comparisons between runs mean little. A tiny validation set, a small batch or a high learning
rate are the usual causes.

## Remediation
Larger batches, a lower learning rate, or more validation data. Monitor a smoothed metric if the
noise is inherent (or give early stopping a `min_delta` larger than the noise).

## Example
`loss jitters 13% of its level from epoch to epoch (noise 0.0817 around 0.625, 68 epochs; 3.9% of how far it fell)`

## Known false positives
- A loss near zero at its floor: noise that is tiny in absolute terms is large relative to the
  level, although nothing the run decides depends on it.
- A short run whose loss falls fast and unevenly: its changing rate of fall reads as jitter
  when only a few epochs are logged.
- Schedules or data pipelines that change the loss on purpose from epoch to epoch
  (alternating tasks, curriculum steps, per-epoch resampling).
"""

    def check(self, run: Run, opts):
        st = stats(run)
        for key in ("val/loss", "train/loss"):
            p = st.profile(key)
            if p is None or p.n < opts.min_epochs or np.any(p.values <= 0):
                continue
            noise = p.rel_noise
            if noise <= opts.max_noise or (p.quantum > 0 and p.noise <= p.quantum):
                continue  # quiet, or jitter of one step of a quantized metric: its resolution, not noise
            name = logged_name(run, key)
            fell = p.travel if p.best > 0 else 0.0
            vs_travel = f"; {pct(p.noise / fell)} of how far it fell" if fell > 0 else ""
            yield Violation(
                message=(f"{name} jitters {pct(noise)} of its level from epoch to epoch (noise {num(p.noise)} around "
                         f"{num(p.level)}, {points(run, p.n)}{vs_travel})"),
                epochs=(int(p.epochs[0]), int(p.epochs[-1])), series=(key,),
                evidence={"relative_noise": jsonable(noise), "noise": jsonable(p.noise), "level": jsonable(p.level)},
            )
            return
