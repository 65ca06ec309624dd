"""The statistics every rule speaks: one noise estimate, one trend test, one notion of best, end,
plateau and scale, computed once per series and cached on the run.

Why one module: verdicts on real curves go wrong in the same few ways (a ratio of two tiny
losses at a floor, a trend read from three noisy epochs, a validation accuracy that moves in
steps of 1/45, a learning-rate schedule mistaken for instability). Each primitive here handles
those once, so every rule judges the same curve the same way and states its magnitudes against
the same noise.

- `noise`: the epoch-to-epoch scatter, robust to trends and outliers: the MAD of each point's
  distance from the midpoint of its neighbours, scaled to a standard deviation (for independent
  noise of s.d. sigma that distance has s.d. sigma*sqrt(1.5)), never below the series'
  quantum (a metric of a validation set of 45 moves in steps of 1/45).
- `trend`: Theil-Sen slope (median of pairwise slopes) with a Mann-Kendall rank test, so a trend
  is "falling" only when its rank statistic says so, not because the last epoch was low.
- `best`, `end`, `start`, `travel`, `plateau_start`: the values rules compare, taken the same way.
- `scale`: what a loss difference is measured against: the loss's own starting level, its chance
  level ln(k) when it starts there, and how far it travelled.
- `segments`: where the logged learning rate changes (a schedule, a warm restart): curves are
  not judged across a change the user made on purpose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from curvelint.model import Run, keras_name

#: Above this many points, Theil-Sen uses an evenly strided subsample (pairwise slopes are O(n^2)).
_MAX_PAIRWISE = 400
#: Normal-consistency factor of the MAD.
_MAD_SIGMA = 1.4826
#: Lowest relative noise assumed for any curve: float32 logs of a perfectly smooth curve are not
#: infinitely precise, and "100 sigmas" of a noiseless line says nothing.
MIN_REL_NOISE = 1e-3

METRIC_HIGHER_IS_BETTER = ("accuracy", "acc", "auc", "precision", "recall", "f1", "iou", "dice", "bleu", "rouge",
                           "map", "r2", "top", "score", "return", "reward", "fscore", "jaccard", "ap", "psnr", "ssim")


METRIC_LOWER_IS_BETTER = ("loss", "error", "err", "mae", "mse", "rmse", "mape", "perplexity", "ppl", "wer", "cer",
                          "nll", "entropy", "distance", "divergence")
#: Series that are not a measure of fit at all: counters, timings, optimizer state.
NOT_A_METRIC = ("learning_rate", "lr", "epoch", "step", "time", "runtime", "samples", "second", "grad_norm", "norm",
                "momentum", "weight_decay", "memory", "flos", "fold", "batch")


def metric_direction(name: str) -> str | None:
    """`min` for losses and errors, `max` for scores, None when the name does not say (a custom
    column, a counter): decided from the canonical metric name."""
    low = name.lower()
    words = set(low.replace("-", "_").split("_"))
    if low in NOT_A_METRIC or words & set(NOT_A_METRIC):
        return None
    if any(w in low for w in METRIC_LOWER_IS_BETTER):
        return "min"
    if any(w in low for w in METRIC_HIGHER_IS_BETTER):
        return "max"
    return None


def higher_is_better(name: str) -> bool:
    """Scores rise; losses, errors and anything unknown are treated as falling."""
    return metric_direction(name) == "max"


# -- primitives on plain arrays -------------------------------------------------------------------


def robust_noise(values: np.ndarray) -> float:
    """Standard deviation of the epoch-to-epoch scatter around the local trend (0 for < 3 points)."""
    if values.size < 3:
        return 0.0
    resid = values[1:-1] - (values[:-2] + values[2:]) / 2
    mad = float(np.median(np.abs(resid - np.median(resid))))
    return _MAD_SIGMA * mad / math.sqrt(1.5)


def quantum(values: np.ndarray) -> float:
    """The step a quantized metric moves in (1/45 for the accuracy of 45 samples), else 0.

    Found as the smallest gap between distinct values when every gap is a near-integer multiple
    of it; a continuous loss has no such step.
    """
    uniq = np.unique(np.round(values, 9))
    if uniq.size < 3 or uniq.size > 0.5 * values.size:
        return 0.0
    gaps = np.diff(uniq)
    q = float(gaps.min())
    if q <= 0:
        return 0.0
    ratio = gaps / q
    return q if np.all(np.abs(ratio - np.round(ratio)) < 0.05) else 0.0


@dataclass(frozen=True)
class Trend:
    """A robust straight-line trend over a window, with its rank-test significance."""

    slope: float  # per epoch (per logged point), in the series' units; Theil-Sen
    z: float  # Mann-Kendall z: negative = falling
    p: float  # two-sided p-value of "no trend"
    points: int

    def falling(self, alpha: float = 0.05) -> bool:
        return self.slope < 0 and self.z < 0 and self.p < alpha

    def rising(self, alpha: float = 0.05) -> bool:
        return self.slope > 0 and self.z > 0 and self.p < alpha


def trend(values: np.ndarray, x: np.ndarray | None = None) -> Trend:
    """Theil-Sen slope and Mann-Kendall test of `values` (against `x`, default 0..n-1)."""
    n = int(values.size)
    if n < 3:
        return Trend(0.0, 0.0, 1.0, n)
    xs = np.arange(n, dtype=np.float64) if x is None else np.asarray(x, dtype=np.float64)
    ys = values
    if n > _MAX_PAIRWISE:
        pick = np.linspace(0, n - 1, _MAX_PAIRWISE).astype(np.int64)
        xs, ys = xs[pick], ys[pick]
    i, j = np.triu_indices(xs.size, k=1)
    dx = xs[j] - xs[i]
    ok = dx != 0
    slope = float(np.median((ys[j] - ys[i])[ok] / dx[ok])) if ok.any() else 0.0
    s = float(np.sign(ys[j] - ys[i]).sum())
    m = ys.size
    _, counts = np.unique(ys, return_counts=True)
    var = (m * (m - 1) * (2 * m + 5) - float(np.sum(counts * (counts - 1) * (2 * counts + 5)))) / 18.0
    if var <= 0:
        return Trend(slope, 0.0, 1.0, n)
    z = (s - math.copysign(1.0, s)) / math.sqrt(var) if s != 0 else 0.0
    return Trend(slope, z, math.erfc(abs(z) / math.sqrt(2)), n)


def chance_classes(loss: float, tolerance: float = 0.03) -> int | None:
    """k when `loss` is within `tolerance` (relative) of ln(k), the cross-entropy of guessing
    uniformly among k classes (2..1000); None otherwise."""
    if not np.isfinite(loss) or not math.log(2) * (1 - tolerance) <= loss <= math.log(1000) * (1 + tolerance):
        return None
    k = int(round(math.exp(loss)))
    if 2 <= k <= 1000 and abs(loss - math.log(k)) <= tolerance * math.log(k):
        return k
    return None


# -- one series, as analysed ------------------------------------------------------------------


@dataclass(eq=False)
class Profile:
    """One resolved, finite series of a run with the statistics rules judge it by.

    Indices (`best`, `plateau_start`, ...) are positions in `values`; `epochs[i]` is what a
    message prints.
    """

    key: str
    epochs: np.ndarray
    values: np.ndarray
    higher_is_better: bool = False

    def __len__(self) -> int:
        return int(self.values.size)

    @property
    def n(self) -> int:
        return int(self.values.size)

    def _better(self, values: np.ndarray) -> np.ndarray:
        """Values oriented so that lower is better."""
        return -values if self.higher_is_better else values

    def near_best(self, tolerance: float) -> np.ndarray:
        """Mask of the points within `tolerance` (relative) of the best value, in its direction."""
        best = self.best_value
        if self.higher_is_better:
            return self.values >= best - tolerance * abs(best)
        return self.values <= best + tolerance * abs(best)

    def improving(self, trend: Trend, alpha: float = 0.05) -> bool:
        """Whether `trend` (of this series) goes the good way, significantly."""
        return trend.rising(alpha) if self.higher_is_better else trend.falling(alpha)

    @cached_property
    def quantum(self) -> float:
        return quantum(self.values)

    @cached_property
    def level(self) -> float:
        return float(np.median(np.abs(self.values))) if self.n else 0.0

    @cached_property
    def noise(self) -> float:
        """Absolute epoch-to-epoch scatter (a standard deviation), at least half a quantum and
        `MIN_REL_NOISE` of the level."""
        return max(robust_noise(self.values), self.quantum / 2, MIN_REL_NOISE * self.level)

    @property
    def rel_noise(self) -> float:
        return self.noise / self.level if self.level > 0 else 0.0

    @cached_property
    def best(self) -> int:
        """Index of the best value (min for losses, max for scores); the first one on ties."""
        return int(np.argmin(self._better(self.values)))

    @property
    def best_value(self) -> float:
        return float(self.values[self.best])

    @property
    def after_best(self) -> int:
        """Points logged after the best one."""
        return self.n - 1 - self.best

    def end(self, tail: int = 3) -> float:
        """End level: median of the last `tail` points, so one noisy epoch does not decide it."""
        tail = max(1, min(tail, self.n))
        return float(np.median(self.values[-tail:]))

    def start(self, head: int = 1) -> float:
        head = max(1, min(head, self.n))
        return float(np.median(self.values[:head]))

    @cached_property
    def travel(self) -> float:
        """How far the curve improved from its first point to its best (>= 0), or |start| when
        it never improved: differences small against this are noise at the floor."""
        gain = float(self._better(self.values[:1])[0] - self._better(self.values[self.best:self.best + 1])[0])
        return gain if gain > 0 else abs(float(self.values[0]))

    def sigmas(self, difference: float) -> float:
        """`difference` in units of this curve's noise."""
        return abs(difference) / self.noise if self.noise > 0 else math.inf

    def worse_than_best(self, value: float) -> float:
        """How much worse than the best `value` is, in the series' units (>= 0 when worse)."""
        d = value - self.best_value
        return -d if self.higher_is_better else d

    def trend(self, start: int = 0, stop: int | None = None) -> Trend:
        """Trend over values[start:stop] (negative slope = falling values)."""
        return trend(self.values[start:stop], self.epochs[start:stop])

    def tail_trend(self, window: int) -> Trend:
        window = max(3, min(window, self.n))
        return self.trend(self.n - window)

    def still_improving(self, window: int, min_change: float = 0.05, alpha: float = 0.05) -> bool:
        """True when the last `window` points (at most half the curve) improve with a significant
        rank trend **and** the fitted line improves by at least `min_change` of the level over
        them: a significant but negligible drift at a plateau is not improvement."""
        window = max(3, min(window, self.n // 2))
        if self.n < 3:
            return False
        t = self.tail_trend(window)
        if not self.improving(t, alpha):
            return False
        span = float(self.epochs[-1] - self.epochs[-window]) or float(window - 1)
        level = abs(self.end()) or 1.0
        return abs(t.slope) * span >= min_change * level

    def patience_to_best(self) -> int:
        """The smallest EarlyStopping patience that would still have reached the best point: one
        more than the longest run of points without a new best before it (at least 2)."""
        better = self._better(self.values[:self.best + 1])
        record = np.minimum.accumulate(better)
        improved = np.flatnonzero(np.r_[True, better[1:] < record[:-1]])
        longest = int(np.max(np.diff(improved)) - 1) if improved.size > 1 else 0
        return max(2, longest + 1)

    def plateau_start(self, tolerance: float) -> int:
        """First index from which every value stays within max(`tolerance` x level, 2 noise) of
        the end level."""
        level = self.end()
        band = max(tolerance * abs(level), 2 * self.noise)
        outside = np.flatnonzero(np.abs(self.values - level) > band)
        return int(outside[-1]) + 1 if outside.size else 0


# -- a run, as analysed ------------------------------------------------------------------------


@dataclass(eq=False)
class Stats:
    """The analysed view of one run: a `Profile` per series and run-wide facts, built lazily."""

    run: Run
    #: The configured monitor (`val_bleu`, mode `max`), set by the engine from the config.
    monitor_name: str | None = None
    monitor_mode: str = "auto"

    def __post_init__(self) -> None:
        self._profiles: dict[str, Profile | None] = {}

    @cached_property
    def monitor(self) -> str | None:
        """The key of the validation series the fit rules judge the run by, like Keras'
        `EarlyStopping(monitor=)`: the configured one (matched by the name the user logged, or
        by key; a run that does not log it falls back to the default), else `val/loss`, else the
        first validation metric whose good direction its name tells (accuracy first). None when
        the run has none of them."""
        if self.monitor_name:
            wanted = self.monitor_name
            for c in self.run.select():
                if wanted in (c.key, c.raw_name, keras_name(c.key)):
                    return c.key
        if self.run.has("val/loss"):
            return "val/loss"
        names = sorted((c.name for c in self.run.select(split="val") if metric_direction(c.name)),
                       key=lambda n: (n != "accuracy", n))
        return f"val/{names[0]}" if names else None

    def monitored(self) -> Profile | None:
        """The monitored series, oriented by the configured mode (or its name)."""
        key = self.monitor
        p = None if key is None else self.profile(key)
        if p is None or self.monitor_mode == "auto":
            return p
        return Profile(p.key, p.epochs, p.values, self.monitor_mode == "max")

    def train_twin(self, key: str) -> str | None:
        """The training series to compare `key` with: its train twin, else the training loss."""
        name = key.partition("/")[2]
        for candidate in (f"train/{name}", "train/loss"):
            if self.run.has(candidate):
                return candidate
        return None

    def profile(self, key: str) -> Profile | None:
        """The resolved series `key` with its finite points, or None if the run lacks it or has
        fewer than 2 finite points."""
        if key not in self._profiles:
            curve = self.run.get(key)
            prof = None
            if curve is not None:
                ok = np.isfinite(curve.value)
                if int(ok.sum()) >= 2:
                    prof = Profile(key, curve.step[ok], curve.value[ok], higher_is_better(curve.name))
            self._profiles[key] = prof
        return self._profiles[key]

    def pair(self, a: str, b: str) -> tuple[Profile, Profile] | None:
        """Two series on the epochs both logged a finite value (None if fewer than 2); when
        their steps hardly overlap, on the sparser one's steps with the other interpolated."""
        pa, pb = self.profile(a), self.profile(b)
        if pa is None or pb is None:
            return None
        if np.array_equal(pa.epochs, pb.epochs):
            return pa, pb
        common, ia, ib = np.intersect1d(pa.epochs, pb.epochs, assume_unique=True, return_indices=True)
        if common.size >= max(2, min(pa.n, pb.n) // 2):
            return (Profile(a, common, pa.values[ia], pa.higher_is_better),
                    Profile(b, common, pb.values[ib], pb.higher_is_better))
        # the steps do not line up (Hugging Face: loss every 500 steps, eval every 1455): compare
        # at the sparser series' steps, the denser one interpolated between its neighbours
        sparse, dense = (pa, pb) if pa.n <= pb.n else (pb, pa)
        inside = (sparse.epochs >= dense.epochs[0]) & (sparse.epochs <= dense.epochs[-1])
        if int(inside.sum()) < 2:
            return None
        steps = sparse.epochs[inside]
        filled = np.interp(steps.astype(np.float64), dense.epochs.astype(np.float64), dense.values)
        made = {sparse.key: Profile(sparse.key, steps, sparse.values[inside], sparse.higher_is_better),
                dense.key: Profile(dense.key, steps, filled, dense.higher_is_better)}
        return made[a], made[b]

    def losses(self, min_epochs: int, *, positive: bool = False) -> tuple[Profile, Profile] | None:
        """(train/loss, val/loss) on common steps, or None when the run has fewer than
        `min_epochs` of them (or, with `positive`, a loss at or below 0, where ratios and
        relative changes mean nothing): the guard every train-vs-val rule starts with."""
        pair = self.pair("train/loss", "val/loss")
        if pair is None or len(pair[0]) < min_epochs:
            return None
        if positive and (np.any(pair[0].values <= 0) or np.any(pair[1].values <= 0)):
            return None
        return pair

    @cached_property
    def loss_scale(self) -> float:
        """What a loss difference is measured against: the training loss's starting level (the
        larger of its first two epochs, since Keras' first epoch averages over the random
        init), or the validation loss's when no training loss is logged."""
        for key in ("train/loss", "val/loss"):
            p = self.profile(key)
            if p is not None and p.n:
                return float(np.max(np.abs(p.values[:2])))
        return 0.0

    @cached_property
    def _lr_steps(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(epoch of each logged LR step after the first, its change, |the rate before it|);
        empty when no learning rate is logged."""
        p = self.profile("train/learning_rate")
        if p is None or p.n < 2:
            return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)
        return p.epochs[1:], np.diff(p.values), np.abs(p.values[:-1])

    @cached_property
    def lr_changes(self) -> np.ndarray:
        """Epochs at which the logged learning rate changed by more than 1% (a schedule, a
        ReduceLROnPlateau step, a warm restart); empty when no LR is logged or it is constant."""
        epochs, change, prev = self._lr_steps
        return epochs[np.abs(change) > 0.01 * np.where(prev > 0, prev, 1.0)]

    @cached_property
    def lr_raised(self) -> np.ndarray:
        """Epochs at which the logged learning rate went up by more than 10% (warm-up, warm restart)."""
        epochs, change, prev = self._lr_steps
        return epochs[change > 0.1 * prev]

    @cached_property
    def lr_restarts(self) -> np.ndarray:
        """Epochs at which a logged learning-rate increase begins (a warm restart, the first step
        of a warm-up or of a cyclic rise): the `lr_raised` epochs whose previous logged step was
        not a raise. A rate raised every epoch (an LR range test, a growing schedule) restarts once,
        where it starts growing."""
        epochs, change, prev = self._lr_steps
        up = change > 0.1 * prev
        return epochs[up & ~np.r_[False, up[:-1]]]

    def lr_constant(self) -> bool | None:
        """True when a logged learning rate never changed, None when none is logged."""
        p = self.profile("train/learning_rate")
        if p is None:
            return None
        return bool(self.lr_changes.size == 0)


def stats(run: Run) -> Stats:
    """The run's `Stats`, built on first use and kept on the run for every later rule."""
    cached = run.__dict__.get("_curvelint_stats")
    if cached is None:
        cached = Stats(run)
        run.__dict__["_curvelint_stats"] = cached
    return cached
