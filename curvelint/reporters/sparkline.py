"""Unicode sparklines for a curve: one character per bucket of epochs.

Each series is drawn on its own scale, so a loss that falls from 2.3 to 0.1 and a val_loss
that climbs from 0.4 to 0.9 both show their shape; a divergence is never flattened by the
other curve's range (`shared_sparklines` puts several runs of one metric on one scale instead,
to compare them). A curve whose whole range is under `MIN_RELATIVE_SPAN` of its level is
drawn (nearly) flat: an accuracy that wobbles between 0.990 and 0.994 is not a mountain range.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

BARS = "▁▂▃▄▅▆▇█"
GAP = "·"
#: The smallest range a sparkline stretches to its full height, as a fraction of the curve's
#: largest magnitude. Smaller ranges are centred in a band this tall.
MIN_RELATIVE_SPAN = 0.05


def sparkline(values: np.ndarray, width: int = 24, scale: tuple[float, float] | None = None) -> str:
    """Bucket means scaled to the curve's own range (at least `MIN_RELATIVE_SPAN` of its level),
    or to `scale` (low, high) when given; NaN/Inf buckets as `·`. A constant curve is a flat line
    at mid-height (`▅`)."""
    means = _bucket_means(values, width)
    if means.size == 0:
        return ""
    lo, hi = scale if scale is not None else _range([means]) or (0.0, 0.0)
    if not np.isfinite(means).any():
        return GAP * len(means)
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


def shared_sparklines(series: Sequence[np.ndarray], width: int = 24) -> list[str]:
    """A sparkline of each series, all on one scale (the range of all their bucket means, at
    least `MIN_RELATIVE_SPAN` of their level), so that two runs of one metric compare by eye:
    the lower line is the lower curve."""
    scale = _range([_bucket_means(v, width) for v in series])
    return [sparkline(v, width, scale) for v in series]


def _bucket_means(values: np.ndarray, width: int) -> np.ndarray:
    """The mean of each of at most `width` buckets of consecutive values; NaN for a bucket with
    a non-finite value."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return values
    buckets = np.array_split(values, min(width, values.size))
    return np.array([np.nan if not np.all(np.isfinite(b)) else float(b.mean()) for b in buckets])


def _range(means: Sequence[np.ndarray]) -> tuple[float, float] | None:
    """(low, high) the bars span: the finite means' range, widened around its middle to at
    least `MIN_RELATIVE_SPAN` of their largest magnitude; None without a finite mean."""
    finite = np.concatenate([m[np.isfinite(m)] for m in means]) if means else np.zeros(0)
    if finite.size == 0:
        return None
    lo, hi = float(finite.min()), float(finite.max())
    floor = MIN_RELATIVE_SPAN * float(np.abs(finite).max())
    if hi - lo < floor:  # too small a change to draw full height: centre it in a band of `floor`
        mid = (hi + lo) / 2
        lo, hi = mid - floor / 2, mid + floor / 2
    return lo, hi


def loss_sparklines(run, width: int = 24) -> list[tuple[str, str]]:
    """(logged name, sparkline) for the run's loss and val_loss, each on its own scale."""
    out = []
    for key, fallback in (("train/loss", "loss"), ("val/loss", "val_loss")):
        curve = run.get(key)
        if curve is not None and len(curve):
            out.append((curve.raw_name or fallback, sparkline(curve.value, width)))
    return out
