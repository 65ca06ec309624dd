"""Numeric helpers rules share: aligning series on epochs, smoothing, and printing numbers.

Kept apart from the rules so every rule judges and formats the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from curvelint.model import Curve, Run, keras_name


@dataclass(frozen=True)
class Aligned:
    """Two or more series on their common epochs where all are finite."""

    epochs: np.ndarray
    values: tuple[np.ndarray, ...]

    def __len__(self) -> int:
        return int(self.epochs.size)


def finite(curve: Curve) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values) of the points that are finite numbers."""
    ok = np.isfinite(curve.value)
    return curve.step[ok], curve.value[ok]


def align(run: Run, *keys: str) -> Aligned:
    """The resolved series `keys` of `run` on the epochs all of them logged a finite value."""
    curves = [run.get(k) for k in keys]
    if any(c is None for c in curves):
        return Aligned(np.zeros(0, dtype=np.int64), tuple(np.zeros(0) for _ in keys))
    pairs = [finite(c) for c in curves]  # type: ignore[arg-type]
    common = pairs[0][0]
    if all(np.array_equal(steps, common) for steps, _ in pairs[1:]) and np.all(common[1:] > common[:-1]):
        return Aligned(common, tuple(vals for _, vals in pairs))  # the usual case: same epochs, in order
    for steps, _ in pairs[1:]:
        common = np.intersect1d(common, steps, assume_unique=True)
    values = []
    for steps, vals in pairs:
        # steps are unique after resolving restarts, so searchsorted on a sorted copy is exact
        order = np.argsort(steps, kind="stable")
        idx = np.searchsorted(steps[order], common)
        values.append(vals[order][idx])
    return Aligned(common, tuple(values))


def series(run: Run, key: str) -> tuple[np.ndarray, np.ndarray]:
    """(epochs, values) of one resolved series, finite points only; empty if the run lacks it."""
    curve = run.get(key)
    if curve is None:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    return finite(curve)


def falling_fraction(values: np.ndarray) -> float:
    """Share of epoch-to-epoch steps that go down: 1.0 for a monotone fall."""
    if values.size < 2:
        return 0.0
    return float(np.mean(np.diff(values) < 0))


def relative_noise(values: np.ndarray) -> float:
    """Epoch-to-epoch jitter: median distance of each point from the midpoint of its neighbours,
    relative to the curve's level. Zero for straight or gently curving lines, large for
    zig-zags, and one outlier moves the median little."""
    if values.size < 3:
        return 0.0
    level = float(np.median(np.abs(values)))
    rough = np.abs(values[1:-1] - (values[:-2] + values[2:]) / 2)
    return float(np.median(rough)) / level if level > 0 else 0.0


def rolling_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Centered moving average; the ends use the points available (no padding artefacts)."""
    if window <= 1 or values.size == 0:
        return values.astype(np.float64, copy=True)
    window = min(window, values.size)
    kernel = np.ones(window)
    sums = np.convolve(values, kernel, mode="same")
    counts = np.convolve(np.ones(values.size), kernel, mode="same")
    return sums / counts


def tail_median(values: np.ndarray, count: int) -> float:
    """Median of the last `count` values: the end level without one noisy epoch deciding it."""
    count = max(1, min(count, values.size))
    return float(np.median(values[-count:]))


def travel(values: np.ndarray) -> float:
    """How far a loss came down: first value minus minimum (or |first| if it never fell).
    Changes small against this are noise at the loss's floor, whatever their ratio."""
    if values.size == 0:
        return 0.0
    fell = float(values[0] - values.min())
    return fell if fell > 0 else abs(float(values[0]))


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
