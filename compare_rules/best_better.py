"""CMP006 best-better: HEAD's best monitored value is better than the baseline's beyond the noise."""

from __future__ import annotations

from curvelint.compare import BETTER, BestChangeRule
from curvelint.model import Severity


class BestBetter(BestChangeRule):
    code = "CMP006"
    slug = "best-better"
    severity = Severity.INFO
    effect = BETTER
    summary = "HEAD's best monitored value is better than the baseline's by more than the run-to-run noise"
    remediation = "Nothing to fix; confirm with a second HEAD seed before claiming the gain."
    docs = """
## What it detects
The mirror of CMP001 best-worse, with the same noise: HEAD's best monitored value beats the
baseline's best by more than max(`k_seed` x the seed spread, `k_curve` x the curve noise,
`min_relative` x the baseline's best).

## Why it matters
It is what makes a pair's verdict `better`: the change improved the model beyond what another
seed of the old config would have.

## Remediation
None needed. One HEAD run can be a lucky seed: train it again with another seed before
claiming the gain.

## Example
`best val_loss 0.331 at epoch 19 vs 0.371 at epoch 12 on base (median of 3): -11%, 4.4x the seed spread of 3 base runs`

## Known false positives
- With one BASE run the noise is the curve's own scatter, smaller than the seed-to-seed
  spread: a lucky seed alone can fire.
"""

