"""LOG004 no-validation: only training series, so generalization cannot be judged."""

from __future__ import annotations

from curvelint.model import IN_PROGRESS, TRAIN, VAL, Run, Severity
from curvelint.rule import Rule, Violation


class NoValidation(Rule):
    code = "LOG004"
    slug = "no-validation"
    severity = Severity.INFO
    summary = "Only training series are logged, no validation"
    remediation = ("Pass `validation_data=(x_val, y_val)` or `validation_split=0.2` to `model.fit` "
                   "so Keras logs `val_loss` and `val_*` metrics every epoch.")
    remediations = {
        "lightning": ("Pass `val_dataloaders=` to `trainer.fit` (or define `val_dataloader`) and log the loss in "
                      "`validation_step` with `self.log(\"val_loss\", loss)`, so every epoch has a validation point."),
        "pytorch": ("Evaluate a held-out split after every epoch under `torch.no_grad()` and log it beside the "
                    "training loss (`writer.add_scalar(\"val/loss\", val_loss, epoch)`)."),
        "hf": ("Give the Trainer an `eval_dataset` and set `TrainingArguments(eval_strategy=\"epoch\")` (or "
               "`\"steps\"` with `eval_steps`), so the log holds `eval_loss`."),
        "ultralytics": ("Keep `val=True` (the default) in `model.train(...)` and give the dataset YAML a `val:` "
                        "split, so every epoch logs `val/*_loss` and mAP."),
    }
    docs = """
## What it detects
A run with epoch-level training series but no validation series at all (after reading
`val_*` columns, `validation/` event directories and `test_*` names).

Not judged while the run is still training (`Run.meta["in_progress"]`, set by the Keras
callback; see docs/during-training.md): the final lint judges it.

## Why it matters
Overfitting, generalization gaps, plateaus and leakage can only be seen against held-out data.
Without it, the GEN and DAT rules cannot run and a model that memorised its training set looks
perfect.

## Remediation
Hold out data: `model.fit(x, y, validation_split=0.2)` or `validation_data=...`. With
TensorBoard, the callback then writes a `validation/` directory beside `train/`.

## Example
`only training series logged (loss, accuracy); no val_* series, so generalization cannot be judged`

## Known false positives
A run whose validation series sit in another file that was not linted with it (pass both paths, or the folder).
"""

    def check(self, run: Run, opts):
        if run.meta.get(IN_PROGRESS):
            return  # validation may not have run yet (`validation_freq`, an evaluation every N steps)
        # losses first, then by name: the same message whichever file format listed them
        train = sorted((c for c in run.select(split=TRAIN) if c.name != "learning_rate"),
                       key=lambda c: ("loss" not in c.name, c.name))
        if not train or any(True for _ in run.select(split=VAL, granularity=None)):
            return
        names = ", ".join(c.name for c in train[:5])
        yield Violation(message=f"only training series logged ({names}); no val_* series, so generalization cannot be judged",
                        series=tuple(c.key for c in train))
