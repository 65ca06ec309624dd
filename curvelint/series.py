"""What rules share for reading a series and saying what they saw: finite points, numbers and
percentages as people read them, names as the user logged them, advice in the user's framework.

The statistics rules judge by live in `curvelint.stats`; this module is about the words.
"""

from __future__ import annotations

import os

import numpy as np

from curvelint.model import Curve, Run, keras_name


def finite(curve: Curve) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values) of the points that are finite numbers."""
    ok = np.isfinite(curve.value)
    return curve.step[ok], curve.value[ok]


def series(run: Run, key: str) -> tuple[np.ndarray, np.ndarray]:
    """(epochs, values) of one resolved series, finite points only; empty if the run lacks it."""
    curve = run.get(key)
    if curve is None:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    return finite(curve)


def rel_change(start: float, end: float) -> float:
    """(end - start) / |start|; ±inf if start is 0 and end differs."""
    if start == 0:
        return 0.0 if end == 0 else float(np.copysign(np.inf, end))
    return (end - start) / abs(start)


def num(x: float) -> str:
    """A number as people read it in a message: 3 significant digits, no float noise."""
    if x is None:
        return "n/a"
    x = float(x)
    if not np.isfinite(x):
        return "NaN" if np.isnan(x) else ("Inf" if x > 0 else "-Inf")
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e5:
        return f"{x:.3g}" if abs(x) < 1000 else f"{x:.0f}"
    return f"{x:.3g}"


def pct(fraction: float) -> str:
    """0.382 -> '38%'; keeps one decimal under 10%."""
    value = abs(fraction) * 100
    if value < 10 or 99.5 <= value < 100:  # "99.6%", never a rounded "100%" that did not happen
        return f"{value:.1f}%"
    return f"{value:.0f}%"


def jsonable(x: float) -> float | str:
    """Evidence values must survive strict JSON: NaN/Inf become strings."""
    x = float(x)
    if np.isfinite(x):
        return round(x, 10)
    return "NaN" if np.isnan(x) else ("Infinity" if x > 0 else "-Infinity")


def logged_name(run: Run, key: str) -> str:
    """The name the user logged a series under (`val_losses`, `Loss/train`, `valid_loss`), for
    messages; Keras' TensorBoard tags (`epoch_loss` under `validation/`) read as `val_loss`.
    The canonical key stays in the finding's `series`."""
    curve = run.raw(key)
    if curve is None:
        return keras_name(key)
    raw = curve.raw_name.removesuffix(" (epoch mean)")
    if not raw or raw.startswith("epoch_") or raw == curve.name:
        return keras_name(key)
    return raw


#: The frameworks remediations are written for (`Rule.remediations` keys; Keras is the default).
FRAMEWORKS = ("keras", "lightning", "pytorch", "hf", "ultralytics")


def framework(run: Run) -> str:
    """Whose API a remediation should speak: `keras`, `lightning`, `pytorch` (a SummaryWriter
    event file), `hf` (Hugging Face Trainer) or `ultralytics` (YOLO). A reader that recognised
    the framework behind a generic store (MLflow, W&B) says so in `Run.meta["framework"]`."""
    named = run.meta.get("framework") if isinstance(run.meta, dict) else None
    if named in FRAMEWORKS:
        return named
    fmt = run.format or ""
    if fmt.startswith("ultralytics") or fmt.startswith("yolo"):
        return "ultralytics"
    if fmt.startswith("hf") or "trainer" in fmt:
        return "hf"
    if fmt.startswith("lightning"):
        return "lightning"
    if fmt == "tensorboard":
        keras_tags = any(c.raw_name.startswith("epoch_") for c in run.curves)
        return "keras" if keras_tags else "pytorch"
    return "keras"


def early_stopping_advice(run: Run, monitor: str, patience: int, mode: str = "min") -> str:
    """`EarlyStopping` with one patience value, in the words of the framework that wrote `run`;
    every rule that advises stopping early says the same thing."""
    fw = framework(run)
    if fw == "lightning":
        return (f"`Trainer(callbacks=[EarlyStopping(monitor='{monitor}', mode='{mode}', patience={patience}), "
                f"ModelCheckpoint(monitor='{monitor}', mode='{mode}')])` keeps the best checkpoint")
    if fw == "hf":
        return (f"`TrainingArguments(load_best_model_at_end=True, metric_for_best_model='{monitor}', "
                f"greater_is_better={mode == 'max'})` with `EarlyStoppingCallback(early_stopping_patience={patience})` "
                "(the patience counts evaluations)")
    if fw == "ultralytics":  # YOLO judges its own fitness (mostly mAP50-95), not a named series
        return (f"`model.train(..., patience={patience})` stops after {patience} epochs without a better fitness "
                "(mostly mAP50-95) and `weights/best.pt` keeps the best epoch")
    if fw == "pytorch":
        return (f"keep the best state (`best = copy.deepcopy(model.state_dict())` whenever {monitor} improves) "
                f"and stop after {patience} evaluations without improvement")
    mode_arg = f", mode='{mode}'" if mode == "max" else ""  # Keras infers 'min' for losses
    return (f"`keras.callbacks.EarlyStopping(monitor='{monitor}'{mode_arg}, patience={patience}, "
            "restore_best_weights=True)` keeps the best epoch's weights")


def at(run: Run, step: int) -> str:
    """Where a point is, in the run's own axis: `epoch 14`, or for logs indexed by global step
    (Hugging Face) `step 1,500 (epoch 2.3)`."""
    step = int(step)
    if getattr(run, "axis", "epoch") != "step":
        return f"epoch {step}"
    for curve in run.curves:
        if curve.epoch is not None and curve.step.size:
            hit = np.flatnonzero(curve.step == step)
            if hit.size and np.isfinite(curve.epoch[hit[0]]):
                return f"step {step:,} (epoch {float(curve.epoch[hit[0]]):.3g})"
    return f"step {step:,}"


def points(run: Run, count: int) -> str:
    """A number of logged points in the run's own unit: `12 epochs`, or `12 logged steps`."""
    if getattr(run, "axis", "epoch") == "step":
        return f"{count} logged step{'s' if count != 1 else ''}"
    return f"{count} epoch{'s' if count != 1 else ''}"


def kept_best(run: Run) -> tuple[str, dict]:
    """What the log says the trainer itself kept as its best model (Hugging Face's
    `best_model_checkpoint` / `best_metric` / `best_global_step`), as a clause for a message and
    as evidence; ("", {}) when the log says nothing. With `load_best_model_at_end=True` that
    checkpoint is the model the user gets. The clause names the logged series whose value at that
    step is `best_metric` (the `metric_for_best_model`), when one is."""
    meta = run.meta if isinstance(run.meta, dict) else {}
    checkpoint, metric, step = meta.get("best_model_checkpoint"), meta.get("best_metric"), meta.get("best_global_step")
    if not checkpoint and metric is None:
        return "", {}
    evidence = {k: v for k, v in (("best_model_checkpoint", checkpoint), ("best_metric", metric),
                                  ("best_global_step", step)) if v is not None}
    name = os.path.basename(str(checkpoint).rstrip("/\\")) if checkpoint else None
    if step is None and name and name.startswith("checkpoint-") and name[11:].isdigit():
        step = int(name[11:])
    what = f"`{name}`" if name else "a best checkpoint"
    if isinstance(metric, (int, float)) and not isinstance(metric, bool):
        by = _series_with(run, float(metric), step)
        what += f" ({by} {num(float(metric))})" if by else f" (best_metric {num(float(metric))})"
        if by:
            evidence["best_metric_series"] = by
    return f"; the Trainer recorded {what} as its best", evidence


def _series_with(run: Run, value: float, step) -> str | None:
    """The logged name of the validation series that holds `value` at `step` (or anywhere)."""
    for curve in run.curves:
        if curve.split == "train" or not len(curve):
            continue
        hit = np.isclose(curve.value, value, rtol=1e-9, atol=0)
        if step is not None:
            hit &= curve.step == int(step)
        if hit.any():
            return curve.raw_name or curve.name
    return None
