"""The normalized curve model: what every reader produces and every rule consumes.

Rules never see a file format, only `Run` and `Curve`. This module imports nothing of ours, so
readers, rules and reporters can all depend on it without cycles.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Iterable, Iterator

import numpy as np

if TYPE_CHECKING:  # attempts.py builds on this module; the model only names its types
    from curvelint.attempts import AttemptOf, Plan

EPOCH = "epoch"
BATCH = "batch"
TRAIN = "train"
VAL = "val"
TEST = "test"


class Severity(str, enum.Enum):
    """How bad a finding is; `error` means the run's numbers cannot be trusted."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]

    def __str__(self) -> str:  # so f-strings print "warning", not "Severity.WARNING"
        return self.value


def series_key(split: str, name: str, granularity: str = EPOCH) -> str:
    """`train/loss`, `val/accuracy`; batch-level series get an `@batch` suffix."""
    key = f"{split}/{name}"
    return key if granularity == EPOCH else f"{key}@{granularity}"


def keras_name(key: str) -> str:
    """The name a Keras user knows a series by: `val/loss` -> `val_loss`, `train/loss` -> `loss`."""
    base, _, gran = key.partition("@")
    split, _, name = base.partition("/")
    out = name if split == TRAIN else f"{split}_{name}"
    return f"{out} (per {gran})" if gran else out


def _frozen(values: Any, dtype: type) -> np.ndarray:
    """A read-only array of `dtype` that nobody else holds (the caller may reuse its buffer)."""
    arr = np.array(values, dtype=dtype, copy=True)
    arr.flags.writeable = False
    return arr


@dataclass(eq=False, frozen=True)
class Curve:
    """One logged series, kept exactly as written: NaN/Inf stay, restarts are recorded not merged.

    `step` is the epoch number for epoch-level series and the global step for batch-level ones.
    `lines` holds the 1-based source line of each point where the format has lines (CSV).

    A Curve is immutable, arrays included (read-only copies): what is derived from it and cached
    (`restarts`, `resolved`, a run's statistics) can never disagree with it. A rename or a new
    source path is a new Curve (`dataclasses.replace`).
    """

    name: str
    split: str
    step: np.ndarray
    value: np.ndarray
    granularity: str = EPOCH
    wall_time: np.ndarray | None = None
    lines: np.ndarray | None = None
    source: str | None = None
    raw_name: str = ""
    #: Fractional epoch of each point where the log is stepped by optimizer step (HF Trainer).
    epoch: np.ndarray | None = None
    #: Which saved part of the log each point comes from where the log says so (the n-th of
    #: several `fit()` histories in one JSON): places series that not every part logs.
    part: np.ndarray | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: the constructor's own normalization only
        set_(self, "step", _frozen(self.step, np.int64))
        set_(self, "value", _frozen(self.value, np.float64))
        if self.step.shape != self.value.shape or self.step.ndim != 1:
            raise ValueError(f"step and value of {self.key} must be 1-D arrays of equal length")
        for name, dtype in (("wall_time", np.float64), ("lines", np.int64), ("epoch", np.float64), ("part", np.int64)):
            if getattr(self, name) is not None:
                set_(self, name, _frozen(getattr(self, name), dtype))
        if not self.raw_name:
            set_(self, "raw_name", self.name)

    def __setstate__(self, state: dict) -> None:
        """Unpickled (from a worker process) arrays are writable again: freeze them."""
        self.__dict__.update(state)
        for name in ("step", "value", "wall_time", "lines", "epoch", "part"):
            arr = self.__dict__.get(name)
            if isinstance(arr, np.ndarray):
                arr.flags.writeable = False

    @property
    def key(self) -> str:
        return series_key(self.split, self.name, self.granularity)

    def __len__(self) -> int:
        return int(self.value.size)

    @cached_property
    def restarts(self) -> np.ndarray:
        """Indices where the step does not increase: a resumed or appended run begins there."""
        if self.step.size < 2:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(np.diff(self.step) <= 0) + 1

    @cached_property
    def resolved(self) -> Curve:
        """TensorBoard's view of the curve: each restart overwrites the steps it repeats.

        A CSVLogger file appended to without `initial_epoch` restarts at epoch 0, so only its last
        segment survives; a run resumed from a checkpoint at epoch 50 keeps epochs 0-49 of the
        first attempt and everything of the second. Used to compare two sources of one run; a
        run's rules see `Run.get`, which tells continuations and fresh trainings apart
        (`curvelint.attempts`).
        """
        if self.restarts.size == 0:
            return self
        bounds = [0, *self.restarts.tolist(), self.step.size]
        keep = np.zeros(0, dtype=np.int64)
        for start, stop in zip(bounds[:-1], bounds[1:]):
            first = self.step[start]
            keep = keep[self.step[keep] < first]
            keep = np.concatenate([keep, np.arange(start, stop, dtype=np.int64)])
        return self.take(keep)

    def take(self, index: np.ndarray) -> Curve:
        """A new curve holding only the points at `index` (same metadata)."""
        return Curve(
            name=self.name,
            split=self.split,
            step=self.step[index],
            value=self.value[index],
            granularity=self.granularity,
            wall_time=None if self.wall_time is None else self.wall_time[index],
            lines=None if self.lines is None else self.lines[index],
            source=self.source,
            raw_name=self.raw_name,
            epoch=None if self.epoch is None else self.epoch[index],
            part=None if self.part is None else self.part[index],
        )

    def line_of(self, step: int) -> int | None:
        """Source line of the (last) point logged at `step`, if the format has lines."""
        if self.lines is None:
            return None
        hits = np.flatnonzero(self.step == step)
        return int(self.lines[hits[-1]]) if hits.size else None


@dataclass(frozen=True)
class ReadProblem:
    """Something a reader could not read; becomes a LOG001 finding naming file and position."""

    path: str
    message: str
    line: int | None = None
    offset: int | None = None
    severity: Severity = Severity.ERROR

    @property
    def position(self) -> str:
        if self.line is not None:
            return f"{self.path}:{self.line}"
        if self.offset is not None:
            return f"{self.path} at byte {self.offset}"
        return self.path


@dataclass(eq=False)
class Run:
    """One training run: every series from every source file describing it."""

    id: str
    sources: list[str]
    format: str
    curves: list[Curve] = field(default_factory=list)
    problems: list[ReadProblem] = field(default_factory=list)
    #: What `Curve.step` counts: "epoch", or "step" (global optimizer step, HF Trainer logs).
    axis: str = "epoch"
    #: Facts the log states about the run (HF: best_metric, max_steps, num_train_epochs, ...).
    meta: dict = field(default_factory=dict)
    #: Set on a run that is one of several trainings found in one log (`<id>#2`): which one, and
    #: what was decided about the whole log. See `curvelint.attempts.split_attempts`.
    attempt_of: AttemptOf | None = None

    @cached_property
    def _by_key(self) -> dict[str, Curve]:
        return {c.key: c for c in self.curves}

    @cached_property
    def plan(self) -> Plan:
        """How the restarts of this run's log were read: resumes, continuations, fresh trainings."""
        from curvelint.attempts import plan

        return plan(self.curves)

    def raw(self, key: str) -> Curve | None:
        """The curve as logged, restarts and all."""
        return self._by_key.get(key)

    def get(self, key: str) -> Curve | None:
        """The curve as analysed, or None if the run lacks it: a resumed attempt replaces the
        epochs it repeats, a continued one is renumbered after the epochs before it; of several
        fresh trainings (not split into runs of their own) the latest."""
        if key not in self._by_key:
            return None
        return self.plan.curve(key)

    def has(self, key: str) -> bool:
        return key in self._by_key and key not in self._not_analysed

    @cached_property
    def _not_analysed(self) -> frozenset[str]:
        """Series logged only by trainings that are not analysed (a run holding several that was
        not split: only its latest is): `has` and `select` leave them out, as `get` has nothing."""
        if len(self.plan.attempts) < 2:
            return frozenset()
        return frozenset(k for k in self._by_key if not len(self.plan.curve(k)))

    @property
    def series(self) -> list[str]:
        return [c.key for c in self.curves]

    def select(self, *, split: str | None = None, granularity: str | None = EPOCH) -> Iterator[Curve]:
        for c in self.curves:
            if (split is None or c.split == split) and (granularity is None or c.granularity == granularity):
                if c.key not in self._not_analysed:
                    yield c

    @property
    def epochs(self) -> int:
        """Number of epochs analysed: the longest epoch-level series as analysed (`get`)."""
        return max((len(self.get(c.key)) for c in self.select()), default=0)

    def line_of(self, step: int, keys: Iterable[str] = ()) -> tuple[str, int] | None:
        """(path, line) of the analysed epoch `step` in the first of `keys` (or any series) that
        has lines: after a continuation is renumbered, epoch 35 is a line of the second fit."""
        candidates = [k for k in keys if k in self._by_key] or [c.key for c in self.curves]
        for key in candidates:
            curve = self.get(key)
            line = None if curve is None else curve.line_of(step)
            if line is not None and curve.source:
                return curve.source, line
        return None


@dataclass(frozen=True)
class Location:
    path: str
    line: int | None = None


@dataclass
class Finding:
    """One verdict of one rule on one run, with the numbers behind it.

    `explained_by` is the code of the finding on the same run that explains this one (its rule
    declares `Rule.explains`); reporters fold this finding under that root. `explains` holds the
    findings this one is the root of, so reporters can fold them without re-deriving the links.
    Both are set by the engine after all rules ran on the run.
    """

    run: str
    code: str
    rule: str
    severity: Severity
    message: str
    remediation: str = ""
    series: tuple[str, ...] = ()
    epochs: tuple[int, int] | None = None
    location: Location | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    explained_by: str | None = None
    explains: list[Finding] = field(default_factory=list, repr=False, compare=False)

    def sort_key(self) -> tuple:
        first = self.epochs[0] if self.epochs else -1
        return (self.run, -self.severity.rank, first, self.code)


@dataclass(frozen=True)
class LintError:
    """A problem that is not about a run's curves: a missing path, a broken plugin, bad config.

    `fatal` errors (I/O, config) make the process exit 2; the others are reported and skipped.
    """

    path: str
    message: str
    fatal: bool = True


@dataclass
class Report:
    runs: list[Run] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    errors: list[LintError] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in Severity}
        for f in self.findings:
            out[f.severity.value] += 1
        return out

    @property
    def summary(self) -> dict[str, int]:
        return {"runs": len(self.runs), **self.counts()}

    def by_run(self) -> dict[str, list[Finding]]:
        """Findings grouped by run id, in report order."""
        out: dict[str, list[Finding]] = {}
        for f in self.findings:
            out.setdefault(f.run, []).append(f)
        return out

    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), key=lambda s: s.rank, default=None)
