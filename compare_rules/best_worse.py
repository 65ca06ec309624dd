"""CMP001 best-worse: HEAD's best monitored value is worse than the baseline's beyond the noise."""

from __future__ import annotations

from curvelint.compare import WORSE, BestChangeRule
from curvelint.model import Severity


class BestWorse(BestChangeRule):
    code = "CMP001"
    slug = "best-worse"
    severity = Severity.WARNING
    effect = WORSE
    summary = "HEAD's best monitored value is worse than the baseline's by more than the run-to-run noise"
    remediation = ("Look at what the change did to the monitored series (learning rate, model size, data, "
                   "augmentation); if the change is meant to trade quality for something else, say so in the review.")
    docs = """
## What it detects
The best value of the monitored validation series (the config's `monitor`, else val_loss, else
the first validation metric whose name tells its direction) on HEAD is worse than the
baseline's best by more than the noise: max(`k_seed` x the seed spread, `k_curve` x the curve
noise, `min_relative` x the baseline's best). The baseline's best is the median of the BASE
runs' bests when several BASE paths (seeds of one config) are given, and the seed spread is the
standard deviation of those bests; the curve noise is the epoch-to-epoch scatter of the
monitored series of BASE and HEAD combined.

## Why it matters
A training change that makes the best model worse is a regression, whatever else it improves;
one within the noise is not, however different the curve looks.

## Remediation
Check what the change did: a lower learning rate, a smaller model, less data or a changed
augmentation. Compare with several BASE seeds to know the noise rather than guess it.

## Example
`best val_loss 0.412 at epoch 14 vs 0.371 at epoch 12 on base (median of 3): +11%, 4.1x the seed spread of 3 base runs`

## Known false positives
- One BASE run: the noise is then the curve's own epoch-to-epoch scatter, which is smaller
  than the seed-to-seed spread of most trainings; a different seed alone can fire. Give
  several BASE runs.
- Two or three seeds estimate the spread roughly; `k_seed` is 3 for that reason.
"""

