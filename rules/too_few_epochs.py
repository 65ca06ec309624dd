"""LOG002 too-few-epochs: too short a run for the curve rules to judge."""

from __future__ import annotations

from curvelint.model import IN_PROGRESS, Run, Severity
from curvelint.rule import Option, Rule, Violation


class TooFewEpochs(Rule):
    code = "LOG002"
    slug = "too-few-epochs"
    severity = Severity.INFO
    summary = "Fewer epochs than the curve rules need"
    options = {"min_epochs": Option(3, "Runs with fewer epoch-level points than this are reported.")}
    remediation = ("Train for more epochs (most rules need at least 3, trend rules 5 or more), or "
                   "lower the rules' `min_epochs` options if short runs are expected.")
    docs = """
## What it detects
A run whose longest epoch-level series has fewer than `min_epochs` points (default 3),
including event files that hold no scalars at all.

Not judged while the run is still training (`Run.meta["in_progress"]`, set by the Keras
callback; see docs/during-training.md): the final lint judges it.

## Why it matters
Overfitting, divergence and plateaus are trends; one or two points show no trend, so the other
rules stay silent on such runs. This finding says why.

## Remediation
Let the run train longer, or log per-epoch metrics (`model.fit(..., callbacks=[CSVLogger(...)])`).

## Example
`1 epoch logged (train/loss, val/loss); curve rules need at least 3`

## Known false positives
A log sampled sparsely on purpose (validation every 10th epoch) reads as short for the rules that need validation.
"""

    def check(self, run: Run, opts):
        if run.meta.get(IN_PROGRESS):
            return  # every run has few epochs at first
        if run.problems and not run.curves:
            return  # LOG001 already says why there is nothing
        epochs = run.epochs
        if epochs >= opts.min_epochs:
            return
        # training first, losses first, then by name: the same message whichever format listed them
        series = sorted((c.key for c in run.select()), key=lambda k: (not k.startswith("train/"), "loss" not in k, k))
        what = f" ({', '.join(series[:4])}{', ...' if len(series) > 4 else ''})" if series else ""
        detail = "no epoch-level scalars" if epochs == 0 else f"{epochs} epoch{'s' if epochs != 1 else ''} logged"
        yield Violation(message=f"{detail}{what}; curve rules need at least {opts.min_epochs}",
                        evidence={"epochs": epochs, "min_epochs": opts.min_epochs})
