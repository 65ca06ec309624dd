"""GEN002 generalization-gap: at the end, val loss is a large multiple of train loss."""

from __future__ import annotations

from curvelint.model import Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import jsonable, logged_name, num, pct, points
from curvelint.stats import stats


class GeneralizationGap(Rule):
    code = "GEN002"
    slug = "generalization-gap"
    severity = Severity.WARNING
    summary = "At the end, val loss is a large multiple of train loss and far from it on the loss's own scale"
    needs = ("train/loss", "val/loss")
    explains = ("val-plateau", "wasted-epochs")
    options = {
        "min_epochs": Option(5, "Runs with fewer epochs with both losses finite are not judged."),
        "max_ratio": Option(3.0, "val_loss / loss at the end above this can fire..."),
        "min_gap": Option(0.25, "...when the gap val_loss - loss is also at least this fraction of the loss's scale (its starting level): a ratio of two tiny losses at a floor is not evidence."),
        "tail": Option(3, "End levels are medians of this many last epochs."),
        "trend_window": Option(10, "A val_loss still falling significantly over this many final epochs is still converging: the gap is not judged yet."),
    }
    remediation = ("Regularize (`Dropout`, `kernel_regularizer=keras.regularizers.l2(1e-4)`), use a "
                   "smaller model or more data, and check that training and validation data are "
                   "preprocessed the same way.")
    remediations = {
        "ultralytics": ("Add images or augmentation (`mixup=0.1`, `copy_paste`, `scale`, `degrees`), or use a smaller"
                        " model (`yolov8n.pt` over `yolov8s.pt`); check that train and val images are labelled and "
                        "sized (`imgsz`) alike."),
        "lightning": "Regularize (dropout, `weight_decay`), use a smaller model or more data, and check that the "
                     "train and val dataloaders apply the same transforms.",
        "pytorch": "Regularize (dropout, `weight_decay`), use a smaller model or more data, and check that the "
                   "train and validation datasets apply the same transforms.",
        "hf": "Raise `weight_decay`, lower `num_train_epochs`, or add data; check that train and eval datasets "
              "are tokenized and preprocessed the same way.",
    }
    docs = """
## What it detects
At the end of the run (medians of the last `tail` epochs) the validation loss is more than
`max_ratio` times the training loss **and** the gap between them is at least `min_gap` of the
loss's scale (the training loss's starting level), whether or not val_loss is rising. A val_loss
that is still falling significantly (Mann-Kendall over the last `trend_window` epochs, at most
half the run, by 5% of its level or more) is still converging and is not judged. Losses at or below zero are not judged.

## Why it matters
The model fits its training data far better than data it has not seen: it memorised rather than
generalized, or the validation data differ from the training data. Training metrics then say
little about real performance.

## Remediation
More regularization (Dropout, L2, augmentation), a smaller model, more training data. If the gap
is there from the first epoch, suspect preprocessing: the scaler must be fitted on the training
split and applied unchanged to validation.

## Example
`at the end val_loss 0.654 is 5.9x loss 0.111 (medians of the last 3 epochs), a gap of 0.543 = 78% of the loss's starting level 0.7`

## Known false positives
Losses with a regularization term only in training (or only in validation); a validation set
drawn from a harder distribution on purpose; a model whose training loss reaches ~0 while
validation loss is at a small, acceptable level (the `min_gap` test guards most of it).
"""

    def check(self, run: Run, opts):
        st = stats(run)
        pair = st.losses(opts.min_epochs)
        if pair is None:
            return
        train, val = pair
        t, v = train.end(opts.tail), val.end(opts.tail)
        scale = st.loss_scale
        if t <= 0 or v <= 0 or scale <= 0 or v / t <= opts.max_ratio:
            return
        gap = v - t
        if gap < opts.min_gap * scale:
            return
        if val.still_improving(opts.trend_window):
            return  # still converging: not-converged says so
        first = int(val.epochs[-min(opts.tail, len(val))])
        yield Violation(
            message=(f"at the end {logged_name(run, val.key)} {num(v)} is {v / t:.1f}x {logged_name(run, train.key)} "
                     f"{num(t)} (medians of the last {points(run, opts.tail)}), a gap of {num(gap)} = {pct(gap / scale)} "
                     f"of the loss's starting level {num(scale)}"),
            epochs=(first, int(val.epochs[-1])), series=("val/loss", "train/loss"),
            evidence={"val_loss": jsonable(v), "train_loss": jsonable(t), "ratio": jsonable(v / t),
                      "gap": jsonable(gap), "loss_scale": jsonable(scale)},
        )
