"""NUM002 divergence: training loss grows far above its minimum and does not come back."""

from __future__ import annotations

import numpy as np

from curvelint.model import Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import at, jsonable, logged_name, num, points
from curvelint.stats import stats


class Divergence(Rule):
    code = "NUM002"
    slug = "divergence"
    severity = Severity.ERROR
    summary = "Training loss ends far above its minimum and grows without recovering"
    needs = ("train/loss",)
    explains = ("loss-spike", "oscillation", "noisy-curve")
    options = {
        "min_epochs": Option(5, "Runs with fewer finite training-loss epochs are not judged."),
        "min_ratio": Option(3.0, "An end level at least this multiple of the minimum is divergence without a trend test."),
        "min_rise": Option(0.15, "A smaller rise (this fraction above the minimum) is divergence only with a significant rising trend."),
        "alpha": Option(0.05, "Significance of the Mann-Kendall rising trend after the minimum that a modest rise needs."),
        "min_sigmas": Option(4.0, "The rise must be at least this many times the loss's epoch-to-epoch noise."),
        "min_scale": Option(0.1, "The rise must be at least this fraction of the loss's scale (its starting level), so "
                                 "ratios of tiny numbers at a floor near zero do not count."),
        "tail": Option(3, "The end level is the median of this many last epochs."),
    }
    remediation = ("The learning rate is too high: lower it 3-10x (e.g. `Adam(learning_rate=1e-4)`), "
                   "clip gradients (`clipnorm=1.0` on the optimizer), and standardize inputs with a scaler "
                   "fitted on the training split.")
    remediations = {
        "ultralytics": ("Lower `lr0` 3-10x (`model.train(lr0=0.001)`; the default is 0.01), keep a warm-up "
                        "(`warmup_epochs=3`), and check the labels for boxes outside the image or class ids beyond "
                        "`names`."),
        "lightning": ("The learning rate is too high: lower it 3-10x in `configure_optimizers`, clip gradients "
                      "with `Trainer(gradient_clip_val=1.0)`, and standardize inputs with a scaler fitted on the "
                      "training split."),
        "pytorch": ("The learning rate is too high: lower it 3-10x (e.g. `torch.optim.Adam(params, lr=1e-4)`), "
                    "clip gradients with `torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)` before "
                    "`optimizer.step()`, and standardize inputs with a scaler fitted on the training split."),
        "hf": ("The learning rate is too high: lower it 3-10x (`TrainingArguments(learning_rate=2e-5, "
               "warmup_ratio=0.1, max_grad_norm=1.0)`), and check `lr_scheduler_type` decays rather than restarts."),
    }
    docs = """
## What it detects
A training loss that climbs away from its minimum and stays up. The end level (median of the
last `tail` epochs) is compared with the minimum, and the rise (end minus minimum) must be:

- at least `min_sigmas` times the loss's epoch-to-epoch noise (a robust estimate of its
  scatter around the local trend), so a noisy plateau wandering above its lowest point is not
  called divergence, and
- at least `min_scale` of the loss's scale (the larger of its first two epochs), so a tiny loss
  near zero doubling is not either;

and then either the end level is `min_ratio` times the minimum or more, or it is at least
`min_rise` above it with a significant rising trend over the epochs after the minimum
(Mann-Kendall test at `alpha`). A loss whose last epoch is back near its minimum recovered and is
not reported. When the log has a learning-rate column, the loss is judged only from the last
epoch a rise of the rate began (a warm restart or a warm-up the user scheduled), so the climb
that follows a scheduled increase is not divergence; a rate raised every epoch is judged from
where it started growing, since that schedule is what drives the loss up. Losses that reach zero or below are not judged,
and NaN/Inf are NUM001's business. Runs with fewer than `min_epochs` finite training-loss epochs are not judged.

## Why it matters
Training loss should fall. When it climbs back up, the optimizer is overshooting: the weights
at the end are worse than earlier ones on the very data they were trained on, so nothing the
run produced after the minimum can be trusted.

## Remediation
Lower the learning rate 3-10x, add gradient clipping (`clipnorm=1.0` in Keras,
`Trainer(gradient_clip_val=1.0)` in Lightning, `torch.nn.utils.clip_grad_norm_` in PyTorch,
`max_grad_norm` in Hugging Face `TrainingArguments`), check that the learning-rate schedule
decays rather than grows, and scale the features: unscaled inputs make a sane learning rate
too large.

## Example
`loss rose 4.4x from its minimum 0.27 at epoch 3 to 1.2 at epoch 11 (median of the last 3 epochs), 28x its epoch-to-epoch noise; it kept rising after the minimum (Mann-Kendall p=0.002)`

## Known false positives
- A schedule that raises the learning rate without logging it (cyclic or warm-restart
  schedules whose rate is not in the log) looks like divergence after each restart.
- Curriculum learning, data that gets harder over the run, or a loss whose weighting terms grow
  on purpose (KL annealing, growing regularization) makes the training loss rise by design.
- A run resumed from a checkpoint with a fresh optimizer state can climb for a while before it
  settles; if the log ends during that climb the rise is reported.
"""

    def check(self, run: Run, opts):
        st = stats(run)
        p = st.profile("train/loss")
        if p is None or p.n < opts.min_epochs:
            return
        start = 0
        if st.lr_restarts.size:
            # judge the segment after the last scheduled LR increase (warm restart / warm-up)
            start = int(np.searchsorted(p.epochs, st.lr_restarts[-1]))
        epochs, loss = p.epochs[start:], p.values[start:]
        if loss.size < opts.min_epochs or np.any(loss <= 0):
            return
        best = int(np.argmin(loss))
        low = float(loss[best])
        after = loss.size - 1 - best
        if after < 2:
            return
        tail = max(1, min(opts.tail, after))
        end = float(np.median(loss[-tail:]))
        rise = end - low
        ratio = end / low
        if float(loss[-1]) < low * (1 + opts.min_rise):
            return  # it came back down at the very end
        sigmas = p.sigmas(rise)
        scale = st.loss_scale or abs(float(loss[0]))
        if sigmas < opts.min_sigmas or rise < opts.min_scale * scale:
            return  # noise on a plateau, or a tiny loss near zero moving
        tr = p.trend(start + best + 1) if after >= 3 else None
        rising = tr is not None and tr.rising(opts.alpha)
        if ratio < opts.min_ratio and not (ratio >= 1 + opts.min_rise and rising):
            return
        first, last = int(epochs[best]), int(epochs[-1])
        name = logged_name(run, "train/loss")
        trend_txt = f"; it kept rising after the minimum (Mann-Kendall p={tr.p:.2g})" if rising else ""
        tail_txt = f" (median of the last {points(run, tail)})" if tail > 1 else ""
        yield Violation(
            message=(f"{name} rose {ratio:.1f}x from its minimum {num(low)} at {at(run, first)} to {num(end)} at "
                     f"{at(run, last)}{tail_txt}, {sigmas:.0f}x its epoch-to-epoch noise{trend_txt}"),
            epochs=(first, last), series=("train/loss",),
            evidence={"best_epoch": first, "min_loss": jsonable(low), "end_loss": jsonable(end),
                      "ratio": jsonable(ratio), "noise": jsonable(p.noise), "rise_sigmas": jsonable(sigmas),
                      "trend_p": jsonable(tr.p) if tr is not None else None,
                      "judged_from_epoch": int(epochs[0])},
        )
