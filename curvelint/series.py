"""What rules share for reading a series and saying what they saw: finite points, numbers and
percentages as people read them, names as the user logged them, advice in the user's framework.

The statistics rules judge by live in `curvelint.stats`; this module is about the words.
"""

from __future__ import annotations

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


def framework(run: Run) -> str:
    """Whose API a remediation should speak: `keras`, `lightning`, `pytorch` (a SummaryWriter
    event file) or `hf` (Hugging Face Trainer)."""
    fmt = run.format or ""
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
