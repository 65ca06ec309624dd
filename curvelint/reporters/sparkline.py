"""Unicode sparklines for a curve: one character per bucket of epochs.

Each series is drawn on its own scale, so a loss that falls from 2.3 to 0.1 and a val_loss
that climbs from 0.4 to 0.9 both show their shape; a divergence is never flattened by the
other curve's range. A curve whose whole range is under `MIN_RELATIVE_SPAN` of its level is
drawn (nearly) flat: an accuracy that wobbles between 0.990 and 0.994 is not a mountain range.
"""

from __future__ import annotations

import numpy as np

BARS = "▁▂▃▄▅▆▇█"
GAP = "·"
#: The smallest range a sparkline stretches to its full height, as a fraction of the curve's
#: largest magnitude. Smaller ranges are centred in a band this tall.
MIN_RELATIVE_SPAN = 0.05


def sparkline(values: np.ndarray, width: int = 24) -> str:
    """Bucket means scaled to the curve's own range (at least `MIN_RELATIVE_SPAN` of its level);
    NaN/Inf buckets as `·`. A constant curve is a flat line at mid-height (`▅`)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return ""
    buckets = np.array_split(values, min(width, values.size))
    means = np.array([np.nan if not np.all(np.isfinite(b)) else float(b.mean()) for b in buckets])
    finite = means[np.isfinite(means)]
    if finite.size == 0:
        return GAP * len(means)
    lo, hi = float(finite.min()), float(finite.max())
    floor = MIN_RELATIVE_SPAN * float(np.abs(finite).max())
    if hi - lo < floor:  # too small a change to draw full height: centre it in a band of `floor`
        mid = (hi + lo) / 2
        lo, hi = mid - floor / 2, mid + floor / 2
    span = hi - lo
    top = len(BARS) - 1
    out = []
    for m in means:
        if not np.isfinite(m):
            out.append(GAP)
        else:
            level = (top + 1) // 2 if span <= 0 else int(round((m - lo) / span * top))
            out.append(BARS[min(max(level, 0), top)])
    return "".join(out)


def loss_sparklines(run, width: int = 24) -> list[tuple[str, str]]:
    """(logged name, sparkline) for the run's loss and val_loss, each on its own scale."""
    out = []
    for key, fallback in (("train/loss", "loss"), ("val/loss", "val_loss")):
        curve = run.get(key)
        if curve is not None and len(curve):
            out.append((curve.raw_name or fallback, sparkline(curve.value, width)))
    return out
