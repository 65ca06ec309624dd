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
    import pandas
    from matplotlib.figure import Figure

    from curvelint.attempts import AttemptOf, Plan

EPOCH = "epoch"
BATCH = "batch"
TRAIN = "train"
VAL = "val"
TEST = "test"

#: `Run.meta[IN_PROGRESS] = True` says the run is still training: its last epoch is the latest so
#: far, not the end. Whoever lints a run mid-training sets it (`curvelint.live.LiveLinter`, the
#: Keras and Hugging Face callbacks, `curvelint watch`); readers of finished logs never do. A rule
#: whose verdict is about how a run ended (not converged when it stopped, epochs wasted after the
#: best, stopped too early, too few epochs, no validation logged, a final plateau, nothing
#: checked) returns nothing while it is set; the final lint, without it, judges the whole run.
IN_PROGRESS = "in_progress"


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


def plural(n: int, noun: str) -> str:
    """`1 epoch`, `12 epochs`, `1,500 steps`; `info` has no plural."""
    return f"{n:,} {noun}" if n == 1 or noun == "info" else f"{n:,} {noun}s"


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

    def __repr__(self) -> str:
        """Key and size, not the arrays: a notebook showing a run must not print every value."""
        return f"<Curve {self.key} {plural(len(self), 'point')} {self.granularity}>"

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
    #: `meta[IN_PROGRESS]` (`"in_progress"`) is True while the run is still training (the Keras
    #: callback, `curvelint.live`, `curvelint watch`): see `IN_PROGRESS`.
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

    def __repr__(self) -> str:
        """What the run is, in one line: its curves are `run.curves`, each with a short repr too."""
        length = plural(self.epochs, "epoch") if self.axis == EPOCH else plural(self.epochs, f"logged {self.axis}")
        problems = f", {plural(len(self.problems), 'read problem')}" if self.problems else ""
        return f"<Run {self.id!r} {self.format}, {length}, {len(self.curves)} series{problems}>"

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


def _where(location: Location | None) -> str | None:
    """`path:line` (or the path) of a location, as reporters show it."""
    if location is None:
        return None
    return f"{location.path}:{location.line}" if location.line else location.path


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

    def __repr__(self) -> str:
        """Code, run, epochs and the start of the message; `evidence` and the rest stay attributes."""
        epochs = f" epochs {self.epochs[0]}-{self.epochs[1]}" if self.epochs else ""
        message = self.message if len(self.message) <= _MESSAGE_CHARS else self.message[:_MESSAGE_CHARS - 1] + "…"
        return f"<Finding {self.code} {self.rule} {self.severity} on {self.run!r}{epochs}: {message}>"


@dataclass(frozen=True)
class LintError:
    """A problem that is not about a run's curves: a missing path, a broken plugin, bad config.

    `fatal` errors (I/O, config) make the process exit 2; the others are reported and skipped.
    """

    path: str
    message: str
    fatal: bool = True


#: How much of a finding's message its repr shows.
_MESSAGE_CHARS = 80
#: The columns of `Report.to_frame()`, one row per finding.
FRAME_COLUMNS = ("run", "code", "rule", "severity", "message", "first_epoch", "last_epoch", "series",
                 "explained_by", "remediation", "location")


@dataclass
class Report:
    """What a lint found: the runs read, the findings on them, and what could not be linted.

    In a notebook the report shows as its HTML overview with a plot per run (`_repr_html_`);
    `plot(run_id)` draws one run, `to_frame()` tabulates the findings.
    """

    runs: list[Run] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    errors: list[LintError] = field(default_factory=list)

    def __repr__(self) -> str:
        """Counts, not contents: the dataclass repr printed every array of every run (megabytes)."""
        counts = self.counts()
        by_severity = f" ({', '.join(f'{n} {s}' for s, n in counts.items())})" if self.findings else ""
        return (f"<Report {plural(len(self.runs), 'run')}, {plural(len(self.findings), 'finding')}{by_severity}, "
                f"{plural(len(self.errors), 'error')}>")

    def _repr_html_(self) -> str:
        """Jupyter's rich display: the HTML reporter's overview and per-run plots as a fragment."""
        from curvelint.reporters.html import render_html

        return render_html(self, fragment=True)

    def run(self, run: str | Run) -> Run:
        """The run with this id (a `Run` is returned as it is); KeyError naming the closest ids."""
        if isinstance(run, Run):
            return run
        for candidate in self.runs:
            if candidate.id == run:
                return candidate
        import difflib

        ids = [r.id for r in self.runs]
        close = difflib.get_close_matches(str(run), ids, n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else (
            f"; the report has {plural(len(ids), 'run')}" + (f": {', '.join(map(repr, ids[:5]))}" if ids else ""))
        raise KeyError(f"no run {run!r} in this report{hint}")

    def plot(self, run: str | Run) -> Figure:
        """A matplotlib Figure of one run's curves with its findings drawn on them (needs the
        [plots] extra); in a notebook it displays itself, elsewhere `fig.savefig(path)`."""
        from curvelint.plot import run_figure

        run = self.run(run)
        return run_figure(run, self.by_run().get(run.id, []))

    def to_frame(self) -> pandas.DataFrame:
        """The findings as a pandas DataFrame, one row per finding (`FRAME_COLUMNS`), to filter,
        group and join with other run metadata; an empty report gives an empty frame with the
        same columns. Severity is an ordered categorical (info < warning < error), so
        `sort_values("severity", ascending=False)` puts the worst first."""
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError(f"Report.to_frame() needs pandas: pip install pandas ({exc})") from None
        rows = [(f.run, f.code, f.rule, f.severity.value, f.message,
                 f.epochs[0] if f.epochs else None, f.epochs[1] if f.epochs else None, ", ".join(f.series),
                 f.explained_by, f.remediation, _where(f.location)) for f in self.findings]
        frame = pd.DataFrame.from_records(rows, columns=list(FRAME_COLUMNS))
        frame["severity"] = pd.Categorical(frame["severity"], categories=[s.value for s in reversed(Severity)], ordered=True)
        for column in ("first_epoch", "last_epoch"):
            frame[column] = frame[column].astype("Int64")  # no epochs is <NA>, not a float NaN
        return frame

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
