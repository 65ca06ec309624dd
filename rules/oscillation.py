"""OPT003 oscillation: loss swings up and down by large amounts instead of settling."""

from __future__ import annotations

import numpy as np

from curvelint.model import Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import jsonable, logged_name, num, pct, points
from curvelint.stats import stats


def up_swings(values: np.ndarray, big) -> list[tuple[int, int]]:
    """(trough, peak) index pairs of the rises of `values` that `big(low, rise)` accepts, read the
    way a zig-zag indicator reads a chart: a rise runs from the lowest point since the last swing
    to the highest before the curve falls back by a `big` amount, so a momentum wave that climbs
    over several epochs with a small dip on the way counts once, at its full height."""
    out: list[tuple[int, int]] = []
    trough, peak, rising = 0, 0, False
    for i in range(1, values.size):
        v = float(values[i])
        if rising:
            if v > values[peak]:
                peak = i
            elif big(float(values[i]), float(values[peak]) - v):
                out.append((trough, peak))
                trough, rising = i, False
        else:
            if v < values[trough]:
                trough = i
            elif big(float(values[trough]), v - float(values[trough])):
                peak, rising = i, True
    if rising:
        out.append((trough, peak))
    return out


class Oscillation(Rule):
    code = "OPT003"
    slug = "oscillation"
    severity = Severity.WARNING
    summary = "Loss swings up and down by large amounts instead of settling"
    needs = ("train/loss",)
    explains = ("noisy-curve",)
    options = {
        "min_epochs": Option(8, "Runs with fewer finite epochs are not judged."),
        "min_swing": Option(0.2, "A swing is a rise of at least this fraction of the level it rose from (0.2 = 20%)."),
        "min_scale": Option(0.1, "A swing must also be at least this fraction of the loss's scale (the training loss's "
                                 "starting level), so noise at a floor near zero is not an optimizer overshooting."),
        "val_factor": Option(2.0, "The validation loss needs swings this many times `min_scale` (a small validation set "
                                  "is noisy on its own; that milder case is OPT006)."),
        "min_swings": Option(2, "At least this many swings."),
        "max_gap": Option(10, "The swings must recur: the median number of epochs between the starts of "
                              "consecutive swings is at most this (a few isolated jumps are loss-spike's business)."),
    }
    remediation = ("The learning rate is too high or the batch too small: lower the learning rate 3-10x, "
                   "increase `batch_size`, lower SGD `momentum`, or decay the rate with "
                   "`keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=3)`.")
    remediations = {
        "ultralytics": ("The learning rate is too high or the batch too small: lower `lr0` 3-10x, raise `batch`, or "
                        "use `cos_lr=True`."),
        "lightning": ("The learning rate is too high or the batch too small: lower the learning rate 3-10x in "
                      "`configure_optimizers` and return a scheduler with it (e.g. `ReduceLROnPlateau` with "
                      "`\"monitor\": \"val_loss\"`), raise the DataLoader `batch_size`, and add "
                      "`LearningRateMonitor` so the rate is in the log."),
        "pytorch": ("The learning rate is too high or the batch too small: lower it 3-10x, raise the DataLoader "
                    "`batch_size`, lower SGD `momentum`, and decay the rate with "
                    "`torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=3)`."),
        "hf": ("The learning rate is too high or the batch too small: lower `TrainingArguments(learning_rate=...)` "
               "3-10x, raise `per_device_train_batch_size` or `gradient_accumulation_steps`, and use "
               "`warmup_ratio=0.1` with `lr_scheduler_type=\"cosine\"` or `\"linear\"`."),
    }
    docs = """
## What it detects
A loss that keeps swinging up and down by large amounts instead of settling. A swing is a
rise, over one epoch or several (momentum "ringing"), of at least `min_swing` of the level it
rose from and at least `min_scale` of the loss's scale (the larger of the training
loss's first two epochs; one scale for both losses, so a tiny validation loss jittering at its
floor does not count), read like a zig-zag chart indicator: a swing ends only when the loss
falls back by as large a move, so small dips on the way up do not split it. The training loss is judged first, then the validation loss, whose swings must clear
`val_factor` times `min_scale` (a small validation set is noisy on its own); the loss
oscillates when it makes at least `min_swings` swings that recur, with a median of at most
`max_gap` epochs between the starts of consecutive ones.
A rise that begins where the logged learning rate was raised (a warm restart, a cyclic
schedule) is the schedule's doing and is not counted. Steady jitter that is small against the
loss's scale is OPT006's business. Runs with fewer than `min_epochs` finite epochs are not judged.

## Why it matters
The optimizer keeps overshooting the minimum instead of descending into it: the loss at the last
epoch is partly luck, and the model you save depends on which side of the swing training ended.

## Remediation
Lower the learning rate (3-10x), increase the batch size, reduce momentum (SGD `momentum=0.9`
rather than 0.99), or let `ReduceLROnPlateau(factor=0.5, patience=3)` shrink it (Lightning:
return the scheduler from `configure_optimizers`; PyTorch: `torch.optim.lr_scheduler`; Hugging
Face: `TrainingArguments(learning_rate=..., lr_scheduler_type=...)`).

## Example
`loss swung up 12 times by at least 20% of its level (median swing 80%, the largest 2.01 = 127% of the loss's starting level, epochs 60-61) over 62 epochs instead of settling`

## Known false positives
- A very small validation set (a few dozen samples) makes the validation loss jump by large
  amounts between epochs although training is fine; the training loss then does not swing.
- Cyclic learning-rate schedules whose rate is not in the log make regular waves by design.
- Reinforcement-learning or GAN losses are not minimized monotonically and swing by nature.
"""

    def _swings(self, p, scale: float, raised: np.ndarray, opts) -> list[tuple[int, int, float]]:
        v = p.values
        floor = opts.min_scale * scale * (opts.val_factor if p.key.startswith("val/") else 1.0)

        def big(low: float, move: float) -> bool:
            return move >= opts.min_swing * low and move >= floor

        out = []
        for a, b in up_swings(v, big):
            if raised.size and np.isin(p.epochs[a + 1:b + 1], raised).any():
                continue  # the rise starts with a scheduled LR increase
            out.append((a, b, float(v[b] - v[a])))
        return out

    def check(self, run: Run, opts):
        st = stats(run)
        scale = st.loss_scale
        if scale <= 0:
            return
        for key in ("train/loss", "val/loss"):
            p = st.profile(key)
            if p is None or p.n < opts.min_epochs or np.any(p.values <= 0):
                continue
            swings = self._swings(p, scale, st.lr_raised, opts)
            if len(swings) < opts.min_swings:
                continue
            gap = float(np.median(np.diff([int(p.epochs[a]) for a, _, _ in swings])))
            if gap > opts.max_gap:
                continue
            rel = [h / float(p.values[a]) for a, _, h in swings]
            a, b, h = max(swings, key=lambda s: s[2])
            name = logged_name(run, key)
            yield Violation(
                message=(f"{name} swung up {len(swings)} times by at least {pct(opts.min_swing)} of its level "
                         f"(median swing {pct(float(np.median(rel)))}, the largest {num(h)} = {pct(h / scale)} of the "
                         f"loss's starting level, epochs {int(p.epochs[a])}-{int(p.epochs[b])}) over {points(run, p.n)} "
                         f"instead of settling"),
                epochs=(int(p.epochs[swings[0][0]]), int(p.epochs[swings[-1][1]])), series=(key,),
                evidence={"swings": len(swings), "median_gap": jsonable(gap), "median_swing": jsonable(float(np.median(rel))),
                          "largest_swing": jsonable(h), "loss_scale": jsonable(scale),
                          "swing_epochs": [[int(p.epochs[s]), int(p.epochs[e])] for s, e, _ in swings]},
            )
            return
