"""OPT002 slow-convergence: loss falling steadily but very slowly, nowhere near a plateau."""

from __future__ import annotations

import math

import numpy as np

from curvelint.model import Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import jsonable, logged_name, num, pct, points
from curvelint.stats import stats


class SlowConvergence(Rule):
    code = "OPT002"
    slug = "slow-convergence"
    severity = Severity.WARNING
    summary = "Loss still falling steadily but very slowly, nowhere near a plateau"
    needs = ("train/loss",)
    options = {
        "min_epochs": Option(10, "Runs with fewer finite training-loss epochs are not judged."),
        "max_rate": Option(0.02, "Average fall per epoch (relative to the first epoch) at or below this is slow."),
        "min_total_drop": Option(0.05, "The loss must have fallen at least this much in total (else it is OPT001)."),
        "max_total_drop": Option(0.9, "A loss that lost more than this fraction of its first epoch got most of the way, "
                                      "however long it took: not slow."),
        "max_slowdown": Option(5.0, "First-third slope over last-third slope at most this: no sign of flattening. An "
                                    "exponential approach slows by e^(2T/3tau) between the thirds of a run of T epochs, "
                                    "so 5 means the run covered under ~2.4 time constants: over 9% of the way to its "
                                    "floor is still ahead."),
        "alpha": Option(0.05, "Significance of the Mann-Kendall falling trend the whole run and its last third need."),
    }
    remediation = ("The learning rate is too low: raise it 10x or more (Adam's default is 1e-3), or use a "
                   "warmup to a higher rate and decay from there "
                   "(`keras.optimizers.schedules.CosineDecay(initial_learning_rate=1e-3, ..., warmup_target=...)`).")
    remediations = {
        "ultralytics": ("The learning rate is too low: raise `lr0` (SGD's default is 0.01), start from pretrained "
                        "weights (`YOLO('yolov8n.pt')`), and keep `warmup_epochs` short."),
        "lightning": ("The learning rate is too low: raise it 10x or more in `configure_optimizers` (or use "
                      "`Tuner(trainer).lr_find(model)` to pick it), and return a warm-up + decay scheduler with the "
                      "optimizer; `LearningRateMonitor` puts the rate in the log."),
        "pytorch": ("The learning rate is too low: raise it 10x or more (e.g. `torch.optim.Adam(params, lr=1e-3)`), "
                    "or warm up to a higher rate and decay from there with `torch.optim.lr_scheduler.OneCycleLR`."),
        "hf": ("The learning rate is too low: raise `TrainingArguments(learning_rate=...)` (2e-5 to 5e-5 is usual "
               "for fine-tuning, 1e-4 to 1e-3 from scratch) with `warmup_ratio=0.1` and "
               "`lr_scheduler_type=\"cosine\"`."),
    }
    docs = """
## What it detects
A training loss that crawls down in a near-straight line: a significant falling trend over the
whole run and over its last third (Mann-Kendall test at `alpha`), a total fall of at least
`min_total_drop` of its first epoch and at most `max_total_drop` (a loss that lost nearly all of
it got there, however long it took), no more than `max_rate` of it per epoch on average, and
no sign of flattening: the robust (Theil-Sen) slope of its first third is at most `max_slowdown`
times the slope of its last third. A healthy curve falls fast and then flattens, so its early
slope is many times its late one; this one is still descending almost as fast at the end as at
the start. When a validation loss is logged it must still be falling significantly over its
last third too: a training loss crawling down while validation has stopped improving is
memorization (or overfitting), not an optimizer that is too slow. When the log has a learning-rate column the finding names the rate. Runs with fewer than `min_epochs` finite training-loss epochs are not judged.

## Why it matters
The run is far from what the model could reach: its numbers say more about the optimizer
settings than the model. Training longer at this rate wastes compute.

## Remediation
Raise the learning rate (try 10x), or start with a warmup to a higher rate and decay from there.
`keras.optimizers.schedules.CosineDecay(initial_learning_rate=1e-3, ...)` with
`warmup_target` works well; in Lightning `Tuner(trainer).lr_find(model)` suggests a rate, in
PyTorch `torch.optim.lr_scheduler.OneCycleLR`, in Hugging Face
`TrainingArguments(learning_rate=..., warmup_ratio=0.1, lr_scheduler_type="cosine")`.

## Example
`loss fell a steady 0.2% per epoch (1.23 → 0.541 over 370 epochs) and is not flattening: its last third still fell 0.24x as fast as its first (Mann-Kendall p < 1e-10)`

## Known false positives
- A hard task whose loss legitimately falls slowly (large-scale pre-training, reinforcement
  learning, heavy augmentation or regularization) at a well-chosen learning rate.
- A short run: twenty epochs of a healthy curve can still be in its straight early part; the
  finding is then "train longer" rather than "raise the learning rate".
- A learning rate decayed on purpose (a schedule not in the log) slows the late descent, which
  hides flattening.
"""

    def check(self, run: Run, opts):
        st = stats(run)
        p = st.profile("train/loss")
        if p is None or p.n < opts.min_epochs or float(p.values[0]) <= 0 or np.any(p.values <= 0):
            return
        n = p.n
        first = float(p.values[0])
        end = p.end()
        total = (first - end) / first
        rate = total / (n - 1)
        if total < opts.min_total_drop or total > opts.max_total_drop or rate > opts.max_rate:
            return
        whole = p.trend()
        third = max(5, n // 3)  # 5 points is the fewest a Mann-Kendall test can call significant at 0.05
        early, late = p.trend(0, third), p.trend(n - third)
        if not (whole.falling(opts.alpha) and late.falling(opts.alpha)) or early.slope >= 0:
            return
        slowdown = early.slope / late.slope
        if slowdown > opts.max_slowdown:
            return
        v = st.profile("val/loss")
        if v is not None and v.n >= opts.min_epochs and not v.trend(v.n - max(5, v.n // 3)).falling(opts.alpha):
            return  # validation stopped improving: the run is limited by generalization, not the optimizer
        name = logged_name(run, "train/loss")
        lr = st.profile("train/learning_rate")
        lr_txt = ""
        if lr is not None:
            lr_txt = (f" at a learning rate of {num(lr.values[0])} throughout" if st.lr_changes.size == 0
                      else f" with the learning rate at {num(lr.values[0])} → {num(lr.values[-1])}")
        p_txt = "p < 1e-10" if whole.p < 1e-10 else f"p={whole.p:.2g}"
        yield Violation(
            message=(f"{name} fell a steady {pct(rate)} per epoch ({num(first)} → {num(end)} over {points(run, n)}){lr_txt} "
                     f"and is not flattening: its last third still fell {1 / slowdown:.2f}x as fast as its first "
                     f"(Mann-Kendall {p_txt})"),
            epochs=(int(p.epochs[0]), int(p.epochs[-1])), series=("train/loss",),
            evidence={"rate_per_epoch": jsonable(rate), "total_drop": jsonable(total),
                      "slope_ratio_last_first": jsonable(1 / slowdown), "trend_p": jsonable(whole.p),
                      "time_constants": jsonable(1.5 * math.log(slowdown)) if slowdown > 1 else 0.0},
        )
