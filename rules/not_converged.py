"""OPT004 not-converged: the loss was still clearly improving when training stopped."""

from __future__ import annotations

import numpy as np

from curvelint.model import IN_PROGRESS, Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import at, jsonable, logged_name, num, pct, points
from curvelint.stats import stats


class NotConverged(Rule):
    code = "OPT004"
    slug = "not-converged"
    severity = Severity.INFO
    summary = "Validation (or training) loss still clearly improving in the final epochs"
    options = {
        "min_epochs": Option(5, "Runs with fewer finite epochs are not judged."),
        "window": Option(5, "The final window, in epochs (at least this, or a fifth of the run)."),
        "min_drop": Option(0.05, "The robust trend across the window removed at least this fraction of the loss's level, "
                                "or"),
        "min_share": Option(0.1, "at least this share of everything the loss had improved since its first epoch "
                                 "(and more than its epoch-to-epoch noise)."),
        "alpha": Option(0.05, "Significance of the Mann-Kendall falling trend over the window."),
    }
    remediation = ("Train for more epochs. Set a generous `epochs=` with `EarlyStopping(monitor='val_loss', "
                   "patience=5, restore_best_weights=True)` and let it decide when to stop.")
    remediations = {
        "ultralytics": ("Train for more epochs: raise `model.train(epochs=...)` and let `patience` stop it once "
                        "fitness stops improving; `weights/best.pt` keeps the best epoch."),
        "lightning": ("Train for more epochs: raise `Trainer(max_epochs=...)` and add "
                      "`lightning.pytorch.callbacks.EarlyStopping(monitor=\"val_loss\", patience=5)` with a "
                      "`ModelCheckpoint(monitor=\"val_loss\", save_top_k=1)` so it stops at the right time."),
        "pytorch": ("Train for more epochs, keeping the best checkpoint by validation loss (save the "
                    "`state_dict` when it improves, stop after 5 epochs without improvement); a "
                    "`torch.optim.lr_scheduler.ReduceLROnPlateau` lowers the rate once it flattens."),
        "hf": ("Train for more epochs: raise `TrainingArguments(num_train_epochs=...)` with "
               "`load_best_model_at_end=True, metric_for_best_model=\"eval_loss\"` and "
               "`EarlyStoppingCallback(early_stopping_patience=3)`."),
    }
    docs = """
## What it detects
The validation loss (or the training loss when there is no validation) was still falling when
the run ended: it has a significant falling trend (Mann-Kendall test at `alpha`) over its second half or the
final window, whichever is longer, and over the last `window` epochs (or the last fifth of the
run, if longer) its robust (Theil-Sen) trend removed at least `min_drop` of its level or at least `min_share` of everything the
loss had improved since its first epoch (and more than its epoch-to-epoch noise), and the last
epoch is its best or within its noise of it. Measuring the drop against the improvement too
means a loss with a high floor (a Dice or IoU loss near 0.9) that still moves is caught; the
noise bar keeps a flat line drifting by a hair (a loss stuck at chance) out. Runs with fewer than `min_epochs` finite epochs are not judged.

Not judged while the run is still training (`Run.meta["in_progress"]`, set by the Keras
callback; see docs/during-training.md): the final lint judges it.

## Why it matters
The model had not finished learning: more epochs would have given a better model, and
comparisons between runs stopped at a fixed epoch count compare unfinished models.

## Remediation
Train longer; `EarlyStopping(monitor='val_loss', patience=5, restore_best_weights=True)` with a
large `epochs=` stops at the right time by itself (Lightning: `Trainer(max_epochs=...)` with
`lightning.pytorch.callbacks.EarlyStopping`; Hugging Face: `num_train_epochs` with
`EarlyStoppingCallback`).

## Example
`val_loss was still falling at epoch 19: its trend over the last 5 epochs removed 0.0114 (1.2% of its level, 16% of its improvement since epoch 0) 0.939 → 0.927 (Mann-Kendall p=0.00068)`

## Known false positives
- A run that is deliberately short (a smoke test, a fixed epoch budget for a comparison, the
  first stage of a longer schedule) is reported although nothing is wrong with it.
- A schedule that decays the learning rate to zero at the last epoch keeps the loss falling to
  the very end even when more epochs would add little.
- A short run with a very noisy validation loss can show a significant-looking fall over its
  last few epochs by chance.
"""

    def check(self, run: Run, opts):
        if run.meta.get(IN_PROGRESS):
            return  # still improving at the latest epoch is no verdict while training goes on
        st = stats(run)
        key = "val/loss" if run.has("val/loss") else "train/loss"
        p = st.profile(key)
        if p is None or p.n < opts.min_epochs or p.higher_is_better:
            return
        curve = run.get(key)
        if not np.isfinite(curve.value[-1]):
            return  # it ended in NaN/Inf: NUM001 says so; its last finite epochs are not "the end"
        n = p.n
        w = min(n - 1, max(opts.window, n // 5))
        if p.worse_than_best(float(p.values[-1])) > p.noise:
            return  # the end is not the best: it stopped improving (or got worse) before the end
        # significance over the second half when that is longer than the window: a few noisy
        # epochs cannot make a Mann-Kendall test significant, half the run can
        sig = p.trend(n - min(n, max(w + 1, n // 2)))
        if not sig.falling(opts.alpha):
            return
        tr = p.trend(n - w - 1)
        drop = -tr.slope * float(p.epochs[-1] - p.epochs[n - w - 1])
        if drop <= 0:
            return
        share = drop / p.travel if p.travel > 0 else 0.0
        level = abs(float(p.values[-1]))
        if drop < opts.min_drop * level and (share < opts.min_share or drop <= p.noise):
            return
        start, end = float(p.values[n - w - 1]), float(p.values[-1])
        name = logged_name(run, key)
        yield Violation(
            message=(f"{name} was still falling at {at(run, p.epochs[-1])}: its trend over the last {points(run, w)} "
                     f"removed {num(drop)} ({pct(drop / level if level else 0.0)} of its level, {pct(share)} of its improvement since "
                     f"{at(run, p.epochs[0])}) "
                     f"{num(start)} → {num(end)} (Mann-Kendall p={sig.p:.2g})"),
            epochs=(int(p.epochs[n - w - 1]), int(p.epochs[-1])), series=(key,),
            evidence={"window": w, "drop": jsonable(drop), "share_of_improvement": jsonable(share),
                      "trend_p": jsonable(sig.p), "last_value": jsonable(end)},
        )
