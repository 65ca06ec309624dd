"""OPT001 no-learning: training loss essentially flat from the first epoch."""

from __future__ import annotations

import math

import numpy as np

from curvelint.model import Run, Severity
from curvelint.rule import Option, Rule, Violation
from curvelint.series import jsonable, logged_name, num, pct, points
from curvelint.stats import Profile, chance_classes, stats, trend


def _flatness(values: np.ndarray, x: np.ndarray) -> tuple[float, float, float]:
    """How far a curve moved, three robust ways, in its own units: the Theil-Sen trend across the
    run, the median of its last third against the median of its first third, and how far its
    best value got below its first value beyond the curve's scatter around that trend (a noisy or
    periodic flat line reaches a low point by chance; a curve that learned goes there and stays)."""
    tr = trend(values, x)
    fitted = abs(tr.slope) * float(x[-1] - x[0])
    third = max(1, values.size // 3)
    thirds = abs(float(np.median(values[-third:]) - np.median(values[:third])))
    resid = values - (np.median(values - tr.slope * x) + tr.slope * x)
    band = 1.4826 * float(np.median(np.abs(resid - np.median(resid))))
    dip = max(0.0, float(values[0] - values.min()) - 2 * band)
    return fitted, thirds, dip


class NoLearning(Rule):
    code = "OPT001"
    slug = "no-learning"
    severity = Severity.ERROR
    summary = "Training loss essentially flat from the first epoch"
    needs = ("train/loss",)
    options = {
        "min_epochs": Option(5, "Runs with fewer finite training-loss epochs are not judged."),
        "max_change": Option(0.03, "Flat: the loss moved less than this fraction of its level after the first epoch "
                                   "(trend across the run, first third against last third, and best against first)."),
        "max_steady_change": Option(0.01, "A fall of at least this fraction with a significant falling trend (Mann-Kendall, "
                                          "p < 0.05) is slow learning, not none, unless the loss sits at a chance level ln(k)."),
        "learned_accuracy": Option(0.9, "A run whose training accuracy is already this high at epoch 0 learned within that epoch; not judged."),
    }
    remediation = ("Raise the learning rate (Adam's default is 1e-3), check `layer.trainable`, make "
                   "the output activation match the loss (sigmoid + binary_crossentropy, softmax + "
                   "categorical_crossentropy), and check that inputs are scaled and not constant.")
    remediations = {
        "ultralytics": ("Check the dataset YAML (paths, `names`, a `labels/` folder beside `images/` with one .txt "
                        "per image), start from pretrained weights (`YOLO('yolov8n.pt')`, not a .yaml), and check "
                        "`lr0`."),
        "lightning": ("Check the learning rate returned by `configure_optimizers` (Adam's usual 1e-3), that "
                      "`training_step` returns the loss tensor still attached to the graph (no `.item()`/"
                      "`.detach()`), that no parameters are frozen (`requires_grad=False`), that the loss fits "
                      "the output (`CrossEntropyLoss` on raw logits, `BCEWithLogitsLoss` for binary), and "
                      "that inputs are scaled and not constant."),
        "pytorch": ("Check that `optimizer.zero_grad()`, `loss.backward()` and `optimizer.step()` all run each "
                    "batch, that the optimizer was built with `model.parameters()` after the model was moved "
                    "to its device, the learning rate (Adam's usual 1e-3), frozen parameters "
                    "(`requires_grad=False`), the loss/output pairing (`nn.CrossEntropyLoss` on raw logits), "
                    "and that inputs are scaled and not constant."),
        "hf": ("Check `TrainingArguments(learning_rate=...)` (2e-5 to 5e-5 for fine-tuning), that the model's "
               "parameters are not frozen, that `labels` reach the model (a `label_names`/column mismatch "
               "leaves the loss at chance), and the tokenization of the inputs."),
    }
    docs = """
## What it detects
A training loss that does not move: measured from epoch 1 on when the run has more than
`min_epochs` epochs (Keras averages epoch 0's loss over the first updates from the random
initialization), its robust trend across the run (Theil-Sen slope times the epochs), the shift
between the medians of its first and last thirds, and how far its best value got below its first
value beyond its own scatter are all less than `max_change` of its level. Noise, or a periodic
wobble, around a flat line does not count as movement. A move of `max_steady_change` or more
that is a significant steady fall (Mann-Kendall, p < 0.05) is slow learning, not none, unless the
loss sits at a chance level ln(k) (a classifier drifting towards the class priors). The validation loss, when logged, must be
flat by the same measure. A loss that is exactly constant (often exactly 0) is a broken loss and
is reported as such. When the flat value is ln(k), the finding says so: that is the
cross-entropy of guessing uniformly among k classes. A run whose training accuracy is already
`learned_accuracy` at epoch 0 learned everything inside the first epoch and is not reported.

## Why it matters
Nothing is being learned: every epoch costs compute and changes nothing. Typical causes are a
learning rate far too low, frozen layers, a loss that does not fit the output activation (e.g.
`categorical_crossentropy` on a sigmoid), labels in the wrong format, or constant/unscaled inputs.
A loss that is exactly constant is not computed from the model at all (detached from the graph,
a masked or empty target, a metric logged in place of the loss).

## Remediation
Check the learning rate first (`Adam(learning_rate=1e-3)`), then `model.summary()` for
non-trainable parameters, the loss/activation pairing and the label encoding
(`sparse_categorical_crossentropy` for integer labels), and `x.std(axis=0)` for dead features.
In PyTorch, check that `loss.backward()` and `optimizer.step()` run and that the optimizer holds
the model's parameters.

## Example
`loss moved 0.4% over 29 epochs (0.706 → 0.663, best 0.663, epoch-to-epoch noise 0.00454) and sits at ln(2) = 0.693, chance level for 2 classes; val_loss moved 0.1% (0.692 → 0.691)`

## Known false positives
- A model that converged inside the first epoch on an easy task (a regression whose loss is
  already near its floor at epoch 1) and logs no accuracy looks flat from epoch 1 on.
- Fine-tuning a model that is already good, or a run resumed from a converged checkpoint,
  moves its loss very little by design.
- A loss dominated by a large constant term (a fixed regularizer, a KL term at its floor) hides
  a real improvement in the part that matters.
"""

    def _moved(self, p: Profile, opts, skip_first: bool) -> tuple[bool, np.ndarray, np.ndarray, float]:
        epochs, values = (p.epochs[1:], p.values[1:]) if skip_first else (p.epochs, p.values)
        level = float(np.median(np.abs(values)))
        if level == 0:
            return float(np.ptp(values)) > 0, epochs, values, 0.0
        fitted, thirds, dip = _flatness(values, epochs.astype(np.float64))
        change = max(fitted, thirds, dip) / level
        return change >= opts.max_change, epochs, values, change

    def check(self, run: Run, opts):
        st = stats(run)
        p = st.profile("train/loss")
        if p is None or p.n < opts.min_epochs or float(p.values.min()) < 0:
            return  # a negative loss (a log-likelihood) has no zero to measure a relative change from
        acc = st.profile("train/accuracy")
        if acc is not None and float(acc.values[0]) >= opts.learned_accuracy and float(acc.values.min()) > 0:
            return  # learned within the first epoch, then converged: not a dead run
        name = logged_name(run, "train/loss")
        if float(np.ptp(p.values)) == 0:
            value = float(p.values[0])
            what = ("exactly 0" if value == 0 else f"exactly {num(value)}")
            yield Violation(
                message=(f"{name} is {what} at every one of its {points(run, p.n)}: a broken loss, not computed from the "
                         "model's output (detached from the graph, an empty or masked target, or a constant logged "
                         "in its place)"),
                epochs=(int(p.epochs[0]), int(p.epochs[-1])), series=("train/loss",),
                evidence={"constant_loss": jsonable(value)},
            )
            return
        skip = p.n > opts.min_epochs
        moved, epochs, loss, change = self._moved(p, opts, skip)
        if moved:
            return
        k = chance_classes(float(np.median(loss)))
        if k is None and change >= opts.max_steady_change and trend(loss, epochs.astype(np.float64)).falling():
            return  # a slow but steady descent away from chance: learning, slowly (OPT002's business)
        v = st.profile("val/loss")
        val_txt = ""
        if v is not None and v.n >= 3:
            v_moved, _, v_loss, v_change = self._moved(v, opts, skip and v.n > opts.min_epochs)
            if v_moved:
                return  # validation improved (or got worse): the weights do matter
            val_txt = f"; {logged_name(run, 'val/loss')} moved {pct(v_change)} ({num(v_loss[0])} → {num(v_loss[-1])})"
        chance = f" and sits at ln({k}) = {math.log(k):.3f}, chance level for {k} classes" if k else ""
        first, best = float(loss[0]), float(loss.min())
        yield Violation(
            message=(f"{name} moved {pct(change)} over {points(run, loss.size)} ({num(first)} → {num(loss[-1])}, "
                     f"best {num(best)}, epoch-to-epoch noise {num(p.noise)}){chance}{val_txt}"),
            epochs=(int(epochs[0]), int(epochs[-1])), series=("train/loss",) + (("val/loss",) if val_txt else ()),
            evidence={"first_loss": jsonable(first), "best_loss": jsonable(best), "change": jsonable(change),
                      "noise": jsonable(p.noise), "chance_classes": k},
        )
