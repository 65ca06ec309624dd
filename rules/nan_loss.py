"""NUM001 nan-loss: NaN or ±Inf in any loss or metric."""

from __future__ import annotations

import numpy as np

from curvelint.model import EPOCH, Run, Severity
from curvelint.series import logged_name
from curvelint.rule import Rule, Violation


class NanLoss(Rule):
    code = "NUM001"
    slug = "nan-loss"
    severity = Severity.ERROR
    summary = "NaN or ±Inf in a loss or metric"
    explains = ("divergence", "loss-spike", "oscillation", "noisy-curve", "not-converged", "stuck-metric")
    remediation = ("Lower the learning rate (e.g. 10x), clip gradients with `clipnorm=1.0` or "
                   "`clipvalue=0.5` on the optimizer, check inputs with `np.isfinite(x).all()` and "
                   "scale them, and add `keras.callbacks.TerminateOnNaN()` so a broken run stops early.")
    remediations = {
        "ultralytics": ("Train with `amp=False` (mixed precision is a common source of NaN), lower `lr0`, and check "
                        "the labels for empty or out-of-range boxes; `model.train(resume=True)` restarts from "
                        "`last.pt`."),
        "lightning": ("Lower the learning rate (e.g. 10x) in `configure_optimizers`, clip gradients with "
                      "`Trainer(gradient_clip_val=1.0)`, check inputs with `torch.isfinite(x).all()` and scale them, "
                      "and set `Trainer(detect_anomaly=True)` to find the operation that produced the NaN; with "
                      "mixed precision, try `precision=\"bf16-mixed\"` or 32."),
        "pytorch": ("Lower the learning rate (e.g. 10x), clip gradients with "
                    "`torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)` before `optimizer.step()`, check "
                    "inputs with `torch.isfinite(x).all()` and scale them, and run a few steps under "
                    "`torch.autograd.set_detect_anomaly(True)` to find the operation that produced the NaN."),
        "hf": ("Lower `TrainingArguments(learning_rate=...)`, keep `max_grad_norm=1.0`, add `warmup_ratio=0.1`, "
               "and with `fp16=True` try `bf16=True` (or full precision): fp16 overflow is a common source of "
               "NaN losses; check the dataset for empty or extreme examples."),
    }
    docs = """
## What it detects
Any non-finite value (NaN, +Inf, -Inf) in any logged series, epoch- or batch-level. The finding
names the first epoch (or step) where each series went non-finite and how many values are.

## Why it matters
Once the loss is NaN the weights are NaN too: every later epoch is wasted and the saved model
is unusable. Metrics computed on NaN predictions are meaningless, whatever they show.

## Remediation
Usually the learning rate is too high or gradients explode: lower the rate, clip gradients
(`keras.optimizers.Adam(learning_rate=1e-4, clipnorm=1.0)`), and add `TerminateOnNaN()`. Check
the data for NaN/Inf and unscaled features (`StandardScaler` fitted on the training split), and
custom losses for `log(0)` or division by zero (add an epsilon). In PyTorch,
`torch.autograd.set_detect_anomaly(True)` (Lightning: `Trainer(detect_anomaly=True)`) names the
operation that produced the first NaN; in Hugging Face, fp16 overflow is a common cause
(`bf16=True` or full precision).

## Example
`loss became NaN at epoch 3 (2 of 5 values non-finite); val_loss became NaN at epoch 3 (2 of 5 values non-finite)`

## Known false positives
- A metric that is undefined for some epochs by construction (precision or AUC of a batch
  without positives, a correlation of a constant prediction) is logged as NaN although training
  is fine; the finding names the series, so check whether it is a loss.
- A logger that writes NaN for "not measured this epoch" (validation run every N epochs, a
  metric added mid-run) in a format that has no empty cell.
- Once the loss itself is NaN, every later finding on the run (divergence, spikes, noise) is a
  symptom of this one.
"""

    def check(self, run: Run, opts):
        hits = []
        for curve in run.curves:
            bad = ~np.isfinite(curve.value)
            if not bad.any():
                continue
            i = int(np.flatnonzero(bad)[0])
            value = curve.value[i]
            kind = "NaN" if np.isnan(value) else ("Inf" if value > 0 else "-Inf")
            hits.append((curve, i, kind, int(bad.sum())))
        if not hits:
            return
        # losses first, training before validation, so the message leads with what matters; the
        # message names batch-level series only when no epoch-level one went bad (they repeat it)
        hits.sort(key=lambda h: ("loss" not in h[0].name, h[0].split != "train", h[0].step[h[1]], h[0].key))
        shown = [h for h in hits if h[0].granularity == EPOCH] or hits
        parts = []
        for curve, i, kind, count in shown[:4]:
            unit = "epoch" if curve.granularity == EPOCH else "step"
            parts.append(f"{logged_name(run, curve.key)} became {kind} at {unit} {int(curve.step[i])} "
                         f"({count} of {len(curve)} values non-finite)")
        more = f"; {len(shown) - 4} more series" if len(shown) > 4 else ""
        epoch_hits = [h for h in hits if h[0].granularity == EPOCH]
        epochs = None
        if epoch_hits:
            first = min(int(h[0].step[h[1]]) for h in epoch_hits)
            last = max(int(h[0].step[-1]) for h in epoch_hits)
            epochs = (first, max(first, last))
        yield Violation(
            message="; ".join(parts) + more,
            epochs=epochs,
            series=tuple(h[0].key for h in hits),
            evidence={"series": {h[0].key: {"first_step": int(h[0].step[h[1]]), "value": h[2], "count": h[3]} for h in hits}},
        )
