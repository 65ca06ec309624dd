"""Unicode sparklines for a curve: one character per bucket of epochs."""

from __future__ import annotations

import numpy as np

BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: np.ndarray, width: int = 24, lo: float | None = None, hi: float | None = None) -> str:
    """Bucket means scaled between `lo` and `hi` (default the curve's own range); NaN/Inf as `·`.
    Pass a shared lo/hi to draw two curves on one scale."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return ""
    buckets = np.array_split(values, min(width, values.size))
    means = np.array([np.nan if not np.all(np.isfinite(b)) else float(b.mean()) for b in buckets])
    finite = means[np.isfinite(means)]
    if finite.size == 0:
        return "·" * len(means)
    lo = float(finite.min()) if lo is None else lo
    hi = float(finite.max()) if hi is None else hi
    span = hi - lo
    out = []
    for m in means:
        if not np.isfinite(m):
            out.append("·")
        else:
            level = 0 if span <= 0 else int(round((m - lo) / span * (len(BARS) - 1)))
            out.append(BARS[min(max(level, 0), len(BARS) - 1)])
    return "".join(out)


def loss_sparklines(run, width: int = 24) -> list[tuple[str, str]]:
    """(name, sparkline) for the run's loss and val_loss on one shared scale."""
    curves = [(name, run.get(key)) for name, key in (("loss", "train/loss"), ("val_loss", "val/loss"))]
    curves = [(n, c) for n, c in curves if c is not None and len(c)]
    finite = [c.value[np.isfinite(c.value)] for _, c in curves]
    finite = [f for f in finite if f.size]
    if not finite:
        return [(n, sparkline(c.value, width)) for n, c in curves]
    lo = min(float(f.min()) for f in finite)
    hi = max(float(f.max()) for f in finite)
    return [(n, sparkline(c.value, width, lo, hi)) for n, c in curves]
