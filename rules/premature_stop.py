"""FIT002 premature-stop: the run was stopped early while the validation loss was still improving."""

from __future__ import annotations

from curvelint.model import IN_PROGRESS, Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import at, early_stopping_advice, jsonable, logged_name, num, pct, points
from curvelint.stats import stats


class PrematureStop(Rule):
    code = "FIT002"
    slug = "premature-stop"
    severity = Severity.INFO
    summary = "The run was stopped (EarlyStopping-like) while val loss was still trending down"
    needs = ()
    explains = ("not-converged",)
    options = {
        "min_epochs": Option(6, "Runs with fewer finite val_loss epochs are not judged."),
        "max_patience": Option(3, "The run ended 1 to this many epochs after its best epoch, as EarlyStopping does."),
        "window": Option(8, "The trend is tested over this many epochs up to the best one."),
        "min_change": Option(0.05, "Over the later half of that window the fitted line must still fall by at least this fraction of the level."),
        "planned_epochs": Option(None, "How many epochs the run was meant to train (a team can set it per path); "
                                       "with it, or with a log that states it (Hugging Face `num_train_epochs`), "
                                       "a stop before it is evidence and the finding is a warning.", type=int),
    }
    remediation = ("EarlyStopping's patience is too small for this curve's noise: raise it, set a small "
                   "`min_delta` and keep `restore_best_weights=True`.")
    remediations = {
        "ultralytics": ("Raise `patience` in `model.train(...)` (it counts epochs without improvement of fitness)."),
        "lightning": "Raise `EarlyStopping(patience=...)` and set a small `min_delta`; keep `ModelCheckpoint(monitor='val_loss')`.",
        "hf": "Raise `EarlyStoppingCallback(early_stopping_patience=...)` (it counts evaluations) or evaluate more often.",
        "pytorch": "Wait more evaluations without improvement before stopping, and keep the best state.",
    }
    docs = """
## What it detects
The run ended 1 to `max_patience` epochs after its best validation loss (the signature of
`EarlyStopping`) while, up to that best epoch, val_loss was still improving: a significant
Mann-Kendall trend over the `window` epochs up to it, and a Theil-Sen fall of at least
`min_change` of its level over the later half of them (a plateau reached early is not
"still improving").

Ending soon after the best epoch is also what a fixed-length run that is still converging looks
like, so without evidence that something stopped the run this is an `info`. It is a `warning`
when the run is known to have stopped before its plan: `planned_epochs` is set, or the log says
how long the run was meant to be (Hugging Face's `num_train_epochs` in `trainer_state.json`).

Not judged while the run is still training (`Run.meta["in_progress"]`, set by the Keras
callback; see docs/during-training.md): the final lint judges it.

## Why it matters
EarlyStopping reacted to noise: the epochs without improvement were a wobble in a curve that was
still going down. The model would have improved with more patience.

## Remediation
Raise `patience` (the finding derives one from the curve), set a small `min_delta`, and keep
`restore_best_weights=True`.

## Example
`training ended 2 epochs after val_loss's best 0.0246 at epoch 8 (epoch 10 of 20 planned), while val_loss had fallen 54% over the 8 epochs before it (significant: p = 0.001)`

## Known false positives
A fixed-length run whose last epochs happen to be slightly worse than its best (hence `info`
without evidence of a stop); a run stopped by hand or by a time limit.
"""

    def check(self, run: Run, opts):
        if run.meta.get(IN_PROGRESS):
            return  # every epoch just after an improvement looks like a stop while training goes on
        val = stats(run).monitored()
        if val is None or val.n < opts.min_epochs or val.best_value <= 0:
            return
        after = val.after_best
        if not 1 <= after <= opts.max_patience:
            return
        # the trend that was still going when it stopped: significant over the `window` epochs up
        # to the best one, and still steep over the later half of them (not a plateau reached early)
        start = max(0, val.best + 1 - opts.window)
        t = val.trend(start, val.best + 1)
        mid = (start + val.best + 1) // 2
        recent = val.trend(mid, val.best + 1)
        fall = abs(recent.slope) * float(val.epochs[val.best] - val.epochs[mid])
        level = abs(val.best_value)
        if not val.improving(t) or not val.improving(recent, alpha=1.0) or fall < opts.min_change * level:
            return
        plan = _stopped_early(run, int(val.epochs[-1]), opts.planned_epochs)
        stopped = plan is not None
        plan = f" ({plan})" if plan else ""
        best_epoch = int(val.epochs[val.best])
        name = logged_name(run, val.key)
        yield Violation(
            message=(f"training ended {after} epoch{'s' if after > 1 else ''} after {name}'s best {num(val.best_value)} "
                     f"at {at(run, best_epoch)}{plan}, while {name} had {'risen' if val.higher_is_better else 'fallen'} {pct(fall / level)} over the "
                     f"{points(run, val.best - mid)} before it (trend over {points(run, val.best + 1 - start)}: p = {t.p:.2g})"),
            epochs=(best_epoch, int(val.epochs[-1])), series=(val.key,),
            severity=Severity.WARNING if stopped else None,
            remediation=(f"If EarlyStopping ended it, its patience ({after} or less) is too small for this curve's noise: "
                         f"{early_stopping_advice(run, name, max(2 * after + 1, 5), 'max' if val.higher_is_better else 'min')}"
                         ", with a small `min_delta`."),
            evidence={"best_epoch": best_epoch, "epochs_after_best": after, "trend_per_epoch": jsonable(t.slope),
                      "trend_p": jsonable(t.p), "stopped_early": stopped},
        )


def _stopped_early(run: Run, last: int, planned: int | None) -> str | None:
    """Why we know the run stopped before its plan (`epoch 10 of 20 planned`), or None: the
    `planned_epochs` option, or a log that states its plan (Hugging Face `num_train_epochs`)."""
    if planned is not None:
        return f"epoch {last + 1} of {planned} planned" if last + 1 < planned else None
    meta = run.meta or {}
    try:
        wanted, reached = float(meta["num_train_epochs"]), float(meta["epoch"])
    except (KeyError, TypeError, ValueError):
        return None
    return f"epoch {reached:g} of {wanted:g} planned" if reached < wanted - 1e-6 else None
