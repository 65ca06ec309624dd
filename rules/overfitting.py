"""GEN001 overfitting: the validation curve worsened clearly from its best while training kept improving."""

from __future__ import annotations

from typing import Iterator

from curvelint.model import Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import at, early_stopping_advice, jsonable, kept_best, logged_name, num, pct, rel_change
from curvelint.stats import Profile, metric_direction, stats


#: Threshold-dependent metrics that trade off against each other: one falling is not overfitting.
_THRESHOLD_METRICS = ("precision", "recall")


class Overfitting(Rule):
    code = "GEN001"
    slug = "overfitting"
    severity = Severity.WARNING
    summary = "Validation loss (or the monitored metric) worsened clearly from its best while training kept improving"
    needs = ()
    explains = ("generalization-gap", "wasted-epochs", "overconfidence", "val-plateau", "not-converged")
    options = {
        "min_epochs": Option(5, "Runs shorter than this (epochs with both series finite) are not judged."),
        "min_rise": Option(0.10, "val_loss's end level must be at least this fraction above its minimum; 0.10 = 10%."),
        "min_giveback": Option(0.25, "For a metric (accuracy, BLEU, AUC, an error): the share of the ground it had gained from its first value to its best that it must lose again by the end."),
        "min_epochs_after_best": Option(3, "The best epoch must lie at least this many epochs before the end."),
        "min_train_drop": Option(0.02, "The training series must have improved at least this fraction after the best epoch (or show a significant improving trend)."),
        "tail": Option(3, "The end level is the median of this many last epochs."),
        "noise_factor": Option(3.0, "The worsening must exceed this many times the curve's epoch-to-epoch noise, so a noisy plateau is not called overfitting."),
        "metrics": Option(True, "Also judge validation metrics (metric-only overfitting) when val_loss shows none."),
    }
    remediation = ("Stop at the best epoch: `keras.callbacks.EarlyStopping(monitor='val_loss', patience=N, "
                   "restore_best_weights=True)`; regularize with `Dropout(0.2-0.5)` or "
                   "`kernel_regularizer=keras.regularizers.l2(1e-4)`; augment or add training data.")
    remediations = {
        "ultralytics": ("Stop at the best epoch: `model.train(patience=N)` stops after N epochs without improvement "
                        "and `weights/best.pt` keeps the best; add images or augmentation (`mixup`, `copy_paste`, "
                        "`scale`), or use a smaller model."),
        "lightning": "Add `EarlyStopping(monitor='val_loss')` and `ModelCheckpoint(monitor='val_loss')` to the Trainer; "
                     "regularize (dropout, `weight_decay` in the optimizer), augment or add data.",
        "pytorch": "Keep the weights of the best validation epoch and stop after a few epochs without improvement; "
                   "regularize (dropout, `weight_decay`), augment or add data.",
        "hf": "`TrainingArguments(load_best_model_at_end=True, metric_for_best_model='eval_loss')` with "
              "`EarlyStoppingCallback`; raise `weight_decay`, lower `num_train_epochs`.",
    }
    docs = """
## What it detects
The validation loss (or the series set with `monitor`/`mode` in the config, as Keras'
`EarlyStopping(monitor=, mode=)`; with no val_loss logged, the first validation metric whose
name tells its direction) reached its best at some epoch and then got worse by the end: the median of
the last `tail` epochs is at least `min_rise` (default 10%) above the minimum **and** at least
`noise_factor` (default 3) times the curve's epoch-to-epoch noise above it, so a noisy plateau is
not a rise. Meanwhile the training loss kept improving (by `min_train_drop`, or with a
significant Mann-Kendall trend) after the best epoch, which must lie at least
`min_epochs_after_best` epochs before the end.

With `metrics` on and no finding on the monitored series, each other validation metric is judged
the same way in its own direction (accuracy, AUC and BLEU should rise; MSE, MAE and error rates should fall):
it fires when the metric gives back at least `min_giveback` of the ground it had gained, by more
than `noise_factor` times its noise, while its training twin (or the training loss) improved.
This finds metric-only overfitting: a BLEU falling after its best, a val MSE rising while
val_loss falls, a val AUC collapsing. While the monitored series itself did not worsen, such a
finding is an `info`; set `monitor` to the metric you select models by to make it a warning. Losses at or below zero at their minimum are not judged.

## Why it matters
From the best epoch on, the model memorises the training set instead of learning what
generalizes: every further epoch makes the model you save worse on new data.

## Remediation
Stop at the best epoch: `keras.callbacks.EarlyStopping(monitor='val_loss', patience=N,
restore_best_weights=True)` keeps its weights (N is derived from the curve: the smallest patience
that still reaches the best epoch). Reduce capacity or regularize: `Dropout`,
`kernel_regularizer=keras.regularizers.l2(1e-4)`, data augmentation, more training data.

## Example
`val_loss rose 38% from its minimum 0.412 at epoch 14 to 0.569 at epoch 59 (6.1x its epoch-to-epoch noise) while loss fell 52% (0.8 → 0.384)`

## Known false positives
A validation set so small that one sample changes the loss by 10% (the noise test guards most
of it); a run whose learning rate was raised on purpose after the best epoch (warm restart);
validation data that change over the run (curriculum, a growing validation split).
"""

    def check(self, run: Run, opts):
        st = stats(run)
        monitor = st.monitor
        if monitor is not None:
            found = next(self._judge(run, self._pair(st, monitor), opts), None)
            if found is not None:
                yield found
                return
        if not opts.metrics:
            return
        for curve in run.select(split="val"):
            name = curve.name
            if curve.key == monitor or metric_direction(name) is None or name in _THRESHOLD_METRICS:
                continue  # unknown direction (a fold number, a custom score); precision/recall trade off
            found = next(self._judge(run, self._pair(st, curve.key), opts), None)
            if found is not None:
                if monitor is not None:
                    # the monitored series did not worsen: the metric and it disagree, which is
                    # worth a look (the metric is what users deploy on) but not yet a warning
                    found.severity = Severity.INFO
                yield found
                return

    @staticmethod
    def _pair(st, key: str) -> tuple[Profile, Profile] | None:
        """(validation series, the training series it is compared with), the monitored one
        oriented by the configured mode."""
        twin = st.train_twin(key)
        pair = None if twin is None else st.pair(key, twin)
        if pair is not None and key == st.monitor and st.monitor_mode != "auto":
            val = pair[0]
            pair = (Profile(val.key, val.epochs, val.values, st.monitor_mode == "max"), pair[1])
        return pair

    def _judge(self, run: Run, pair: tuple[Profile, Profile] | None, opts) -> Iterator[Violation]:
        if pair is None or len(pair[0]) < max(opts.min_epochs, 2):
            return
        val, train = pair
        loss = not val.higher_is_better  # a loss or an error: judged by its relative rise
        if val.after_best < opts.min_epochs_after_best:
            return
        tail = min(opts.tail, val.after_best)
        # still worse at the very end: a curve that came back by its last epoch is not judged
        end = val.end(tail)
        worse = min(val.worse_than_best(end), val.worse_than_best(float(val.values[-1])))
        if worse <= 0 or val.sigmas(worse) < opts.noise_factor:
            return
        if loss:
            if val.best_value <= 0 or worse / val.best_value < opts.min_rise:
                return
        else:
            gained = val.travel if val.travel > 0 else abs(val.best_value)
            if gained <= 0 or worse / gained < opts.min_giveback:
                return
        b = val.best
        train_then, train_end = float(train.values[b]), train.end(tail)
        change = train.worse_than_best(train_end) - train.worse_than_best(train_then)  # < 0: improved
        scale = abs(train_then) if train_then else 1.0
        after = train.trend(b)
        improving = after.rising() if train.higher_is_better else after.falling()
        if change >= 0 or not (-change / scale >= opts.min_train_drop or improving):
            return
        vname, tname = logged_name(run, val.key), logged_name(run, train.key)
        first, last = int(val.epochs[b]), int(val.epochs[-1])
        moved = "rose" if end > val.best_value else "fell"
        best_word = "best" if val.higher_is_better else "minimum"
        how = (f"{pct(worse / abs(val.best_value))}" if val.best_value else num(worse))
        tmoved = "fell" if train_end < train_then else "rose"
        mode = "max" if val.higher_is_better else "min"
        patience = val.patience_to_best()
        kept, kept_evidence = kept_best(run)
        yield Violation(
            message=(f"{vname} {moved} {how} from its {best_word} {num(val.best_value)} at {at(run, first)} to {num(end)} at "
                     f"{at(run, last)} ({val.sigmas(worse):.1f}x its epoch-to-epoch noise) while {tname} {tmoved} "
                     f"{pct(rel_change(train_then, train_end))} ({num(train_then)} → {num(train_end)})" + kept),
            epochs=(first, last),
            series=(val.key, train.key),
            remediation=(f"Stop at {at(run, first)}: {early_stopping_advice(run, vname, patience, mode)}; "
                         "then regularize (dropout, weight decay / L2), augment the data or get more of it."),
            evidence={
                "best_epoch": first,
                "best_value": jsonable(val.best_value),
                ("best_val_loss" if val.key == "val/loss" else "best_val_metric"): jsonable(val.best_value),
                "final_value": jsonable(end),
                "worsening": jsonable(worse),
                "noise": jsonable(val.noise),
                "noise_multiple": jsonable(val.sigmas(worse)),
                "train_change": jsonable(rel_change(train_then, train_end)),
                "epochs_after_best": val.after_best,
                "patience": patience,
                **kept_evidence,
            },
        )
