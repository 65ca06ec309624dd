"""OPT005 lr-not-decayed: the loss plateaued while the logged learning rate never changed."""

from __future__ import annotations

from curvelint.model import Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import jsonable, logged_name, num, pct, points
from curvelint.stats import stats


class LrNotDecayed(Rule):
    code = "OPT005"
    slug = "lr-not-decayed"
    severity = Severity.INFO
    summary = "Loss plateaued while the logged learning rate never changed"
    needs = ("train/learning_rate", "train/loss")
    options = {
        "min_epochs": Option(10, "Runs with fewer epochs are not judged."),
        "window": Option(10, "The plateau must last at least this many final epochs (or a quarter of the run)."),
        "plateau_tolerance": Option(0.03, "Plateau: the loss's robust (Theil-Sen) trend across the window moved less "
                                          "than this fraction of its level."),
        "min_earlier_drop": Option(0.1, "The loss must have fallen at least this much before the plateau."),
        "alpha": Option(0.05, "Significance of the Mann-Kendall trend that makes a validation loss 'rising'."),
    }
    remediation = ("Lower the learning rate when the loss stalls: `keras.callbacks.ReduceLROnPlateau("
                   "monitor='val_loss', factor=0.5, patience=5)`, or a schedule such as "
                   "`keras.optimizers.schedules.CosineDecay` passed as the optimizer's `learning_rate`.")
    remediations = {
        "ultralytics": ("Ultralytics decays the rate from `lr0` to `lr0 * lrf` over `epochs`: check `lrf` (default "
                        "0.01) or use `cos_lr=True`; an optimizer chosen by `optimizer='auto'` sets its own `lr0`."),
        "lightning": ("Lower the learning rate when the loss stalls: return a scheduler from "
                      "`configure_optimizers`, e.g. `{\"optimizer\": opt, \"lr_scheduler\": {\"scheduler\": "
                      "torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=5), \"monitor\": "
                      "\"val_loss\"}}`, or `CosineAnnealingLR`; `LearningRateMonitor` logs the rate."),
        "pytorch": ("Lower the learning rate when the loss stalls: "
                    "`torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=5)` stepped with "
                    "the validation loss each epoch, or `CosineAnnealingLR(optimizer, T_max=epochs)`."),
        "hf": ("Use a decaying schedule: `TrainingArguments(lr_scheduler_type=\"cosine\", warmup_ratio=0.1)` "
               "(or `\"linear\"`) instead of `\"constant\"`."),
    }
    docs = """
## What it detects
A run that logs its learning rate (`lr`/`learning_rate` column, `epoch_learning_rate` tag) where
the rate never changed by more than 1%, while the validation loss (or the training loss) has
plateaued over the last `window` epochs (or the last quarter of the run, if longer): over that
window its robust (Theil-Sen) trend moved it less than `plateau_tolerance` of its level, and
before it the loss fell by at least `min_earlier_drop`. A loss that is still falling by more is
not on a plateau, whatever the rate. When the validation loss rises significantly (Mann-Kendall test at `alpha`) over
the window (overfitting, which a lower rate does not fix), the training loss is judged instead: its
plateau is the optimizer's. Runs with fewer than `min_epochs` finite epochs are not judged.

## Why it matters
A constant learning rate that was right for the first epochs is usually too large near a
minimum: the optimizer bounces around the bottom instead of settling into it. Decaying the rate
at the plateau typically buys a noticeably lower loss for free.

## Remediation
`keras.callbacks.ReduceLROnPlateau(monitor='val_loss', factor=0.5, patience=5)`, or a decaying
schedule passed as the optimizer's `learning_rate`. In Lightning return a scheduler from
`configure_optimizers`; in PyTorch use `torch.optim.lr_scheduler.ReduceLROnPlateau`; in Hugging
Face set `TrainingArguments(lr_scheduler_type="cosine")`.

## Example
`val_loss moved 1.1% over the last 10 epochs (0.345-0.34, a significant but small fall) while the learning rate stayed 0.01 for all 16 epochs`

## Known false positives
- Adaptive optimizers (Adam and friends) with a constant base rate already shrink their steps;
  the plateau may be the model's capacity or the data's noise floor, which a decay will not
  move much.
- A rate changed by the optimizer internally (a schedule that is not logged, a wrapper that
  logs the base rate only) looks constant in the log.
- A run stopped at the plateau on purpose (a fixed budget, a smoke test).
"""

    def check(self, run: Run, opts):
        st = stats(run)
        lr = st.profile("train/learning_rate")
        if lr is None or lr.n < opts.min_epochs or float(lr.values.max()) <= 0 or not st.lr_constant():
            return
        for key in ("val/loss", "train/loss"):
            p = st.profile(key)
            if p is None or p.n < opts.min_epochs or float(p.values.min()) <= 0:
                continue
            n = p.n
            w = max(opts.window, n // 4)
            if n < w + 2:
                continue
            tr = p.trend(n - w)
            if key == "val/loss" and tr.rising(opts.alpha):
                continue  # validation getting worse is overfitting; judge the optimizer on the training loss
            break
        else:
            return
        level = p.end()
        moved = -tr.slope * float(p.epochs[-1] - p.epochs[n - w])
        if abs(moved) >= opts.plateau_tolerance * level:
            return  # still moving (falling, or rising on the training loss): no plateau
        first = float(p.values[0])
        earlier = (first - level) / first
        if earlier < opts.min_earlier_drop:
            return
        tail = p.values[n - w:]
        sig = "a significant but small fall" if tr.falling(opts.alpha) else "no significant trend"
        name = logged_name(run, key)
        yield Violation(
            message=(f"{name} moved {pct(abs(moved) / level)} over the last {points(run, w)} ({num(tail.max())}-{num(tail.min())}, "
                     f"{sig}) while the learning rate stayed {num(lr.values[0])} for all {points(run, lr.n)}"),
            epochs=(int(p.epochs[n - w]), int(p.epochs[-1])), series=(key, "train/learning_rate"),
            evidence={"learning_rate": jsonable(lr.values[0]), "plateau_epochs": w,
                      "plateau_change": jsonable(abs(moved) / level), "trend_p": jsonable(tr.p)},
        )
