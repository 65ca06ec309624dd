"""CMP002 slower-to-best: HEAD took clearly more epochs (steps) to reach the baseline's best."""

from __future__ import annotations

import numpy as np

from curvelint.compare import NOISE_OPTIONS, WORSE, Change, Comparison, CompareRule
from curvelint.model import Severity
from curvelint.rule import Option
from curvelint.series import at, jsonable, num, points
from curvelint.stats import Profile


def first_reaching(comparison: Comparison, profile: Profile, level: float) -> int | None:
    """Index of `profile`'s first point at `level` or better, None if none is."""
    hit = np.flatnonzero(comparison.oriented(profile.values) <= level)
    return int(hit[0]) if hit.size else None


class SlowerToBest(CompareRule):
    code = "CMP002"
    slug = "slower-to-best"
    severity = Severity.WARNING
    effect = WORSE
    summary = "HEAD needed clearly more epochs (or steps) than the baseline to reach the baseline's best"
    options = {
        **NOISE_OPTIONS,
        "max_ratio": Option(1.25, "HEAD may take up to this many times the baseline's epochs to reach its best level."),
        "min_extra": Option(3, "...and at least this many more epochs (logged points) before it fires."),
    }
    remediation = ("The change slowed learning: a lower learning rate, a longer warm-up, a smaller batch or stronger "
                   "regularization; if the slower start buys a better end, say so in the review.")
    docs = """
## What it detects
The baseline's best level is its best value plus the noise (as CMP001 best-worse measures it,
from `k_seed`, `k_curve` and `min_relative`). Each BASE run's epochs to that level are counted
from its first logged epoch; the baseline's count is the slowest BASE run's (with seeds, that is
the noise in epochs). HEAD fires when it reaches the level only after more than `max_ratio`
times that many epochs and at least `min_extra` more. Epochs are aligned on the runs' shared
axis (epochs, or global steps for Hugging Face logs); runs on different axes are not judged.
A HEAD that never reaches the level is CMP001's finding, not this one's.

## Why it matters
The same quality for more epochs is a cost: compute, and a budget that no longer fits the
schedule (EarlyStopping patience, a fixed epoch count) the config was tuned for.

## Remediation
Look for what slows learning in the change: the learning rate or its warm-up, the batch size,
weight decay or dropout, a smaller model. If it buys a better end value, the verdict of CMP001
and CMP006 says so.

## Example
`val_loss reached the base's best level (0.38: best 0.371 + noise 0.009) at epoch 19, 20 epochs vs 12 on base (the slowest of 3 runs, epoch 11): 1.7x`

## Known false positives
- A change that is meant to trade speed for a better end (a longer schedule with a lower peak
  rate); CMP006 best-better then fires as well.
- One BASE run: its epochs to best are one sample; a slow seed of HEAD alone can fire.
"""

    def check(self, comparison, opts):
        c = comparison
        if c.monitor is None or c.axis is None or c.base_best is None or c.head_profile is None:
            return
        tolerance = c.tolerance(opts)
        level = c.oriented(c.base_best.value) + tolerance
        reached = [(p, i) for p in c.base_profiles if (i := first_reaching(c, p, level)) is not None]
        head_index = first_reaching(c, c.head_profile, level)
        if not reached or head_index is None:
            return
        slowest, index = max(reached, key=lambda pi: pi[0].epochs[pi[1]] - pi[0].epochs[0])
        base_n = int(slowest.epochs[index] - slowest.epochs[0]) + 1
        head_epoch = int(c.head_profile.epochs[head_index])
        head_n = head_epoch - int(c.head_profile.epochs[0]) + 1
        if head_n <= base_n * opts.max_ratio or head_n - base_n < opts.min_extra:
            return
        target = c.base_best.value + (-tolerance if c.higher_is_better else tolerance)
        of = f"the slowest of {len(reached)} runs, " if len(reached) > 1 else ""
        unit = points(c.head, head_n)
        yield Change(
            message=(f"{c.name} reached the {c.base_label}'s best level ({num(target)}: best {num(c.base_best.value)} "
                     f"{'-' if c.higher_is_better else '+'} noise {num(tolerance)}) at {at(c.head, head_epoch)}, {unit} vs "
                     f"{base_n} on {c.base_label} ({of}{at(c.base[0], int(slowest.epochs[index]))}): {head_n / base_n:.1f}x"),
            epochs=(head_epoch, head_epoch), series=(c.monitor,),
            evidence={"level": jsonable(target), "tolerance": jsonable(tolerance), "head_epochs_to_level": head_n,
                      "base_epochs_to_level": base_n, "ratio": jsonable(head_n / base_n),
                      "base_runs_reaching": len(reached)})
