"""CMP005 slower-epochs: HEAD's epochs take clearly longer than the baseline's (from wall times)."""

from __future__ import annotations

import math

import numpy as np

from curvelint.compare import WORSE, Change, CompareRule, duration_noise
from curvelint.model import Severity
from curvelint.rule import Option
from curvelint.series import jsonable, pct


class SlowerEpochs(CompareRule):
    code = "CMP005"
    slug = "slower-epochs"
    severity = Severity.WARNING
    effect = WORSE
    summary = "Training time per epoch went up beyond its noise (when wall times are logged)"
    options = {
        "max_increase": Option(0.2, "HEAD's median epoch may take up to this fraction longer than the baseline's."),
        "k": Option(3.0, "...and must be longer by more than this many standard errors of the two medians (and of the "
                         "spread of the BASE runs' medians, with several)."),
        "min_epochs": Option(3, "Each side needs at least this many timed epochs."),
        "min_seconds": Option(1.0, "Epochs shorter than this on HEAD are not judged: fixed overhead (graph "
                                   "compilation, logging, a warm-up of the process) dominates them."),
    }
    remediation = ("Check what the change costs per epoch: a larger model or input size, a smaller batch (more steps), "
                   "a slower data pipeline, or a different machine.")
    docs = """
## What it detects
The median seconds per epoch, from the wall times of consecutive epochs (TensorBoard event
files, MLflow and W&B logs carry them; CSVLogger and history JSON do not), is more than
`max_increase` (20%) above the baseline's (the median of the BASE runs' medians) and above it by
more than `k` times the noise: the standard errors of both medians (each from the robust
epoch-to-epoch scatter of the durations) and, with several BASE runs, the spread of their
medians. Each side needs `min_epochs` timed epochs, and HEAD's median epoch must take at least
`min_seconds`: sub-second epochs of tiny models are dominated by per-process overhead (the
first training in a process runs its epochs slower than the next), which no per-run noise sees.

## Why it matters
Slower epochs multiply into the whole training budget, and a regression in the input pipeline
or a model that grew by accident shows here before anyone reads a profiler.

## Remediation
Look for what the change costs per epoch: model or input size, the batch size, data loading and
augmentation, mixed precision turned off, or a run on a slower machine (then it is not the
change: compare runs from the same hardware).

## Example
`median epoch took 7.9 s vs 5.2 s on base (median of 3 runs): +52%, 9.3x its noise`

## Known false positives
- BASE and HEAD trained on different hardware, or with other jobs on the machine.
- The first epochs include compilation; a short run is dominated by it.
"""

    def check(self, comparison, opts):
        head = comparison.head_epoch_seconds
        bases = [d for d in comparison.base_epoch_seconds if d.size >= opts.min_epochs]
        if head is None or head.size < opts.min_epochs or not bases:
            return
        medians = [float(np.median(d)) for d in bases]
        base, now = float(np.median(medians)), float(np.median(head))
        spread = float(np.std(medians, ddof=1)) if len(medians) > 1 else 0.0
        noise = math.hypot(float(np.median([duration_noise(d) for d in bases])), duration_noise(head), spread)
        if base <= 0 or now < opts.min_seconds or now <= base * (1 + opts.max_increase) or now - base <= opts.k * noise:
            return
        of = f" (median of {len(medians)} runs)" if len(medians) > 1 else ""
        sigmas = f"{(now - base) / noise:.1f}x its noise" if noise > 0 else "no noise estimate"
        yield Change(
            message=(f"median epoch took {now:.3g} s vs {base:.3g} s on {comparison.base_label}{of}: "
                     f"+{pct(now / base - 1)}, {sigmas}"),
            evidence={"head_seconds_per_epoch": jsonable(now), "base_seconds_per_epoch": jsonable(base),
                      "increase": jsonable(now / base - 1), "noise": jsonable(noise), "base_runs": len(medians)})
