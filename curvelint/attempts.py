"""Attempts in one log: telling a resume, a continuation and a fresh training apart.

A log whose epoch numbers go back holds more than one call of `fit()`: a CSVLogger file appended
to, a JSON dict of several histories, the event files of several sessions in one TensorBoard dir.
What each restart means is told by the numbers, not by the numbering:

- **resume**: the epochs go back to some k > 0, or repeat a range (a checkpoint reloaded,
  `initial_epoch=k`): the later points replace the ones they repeat and nothing else is dropped,
  as TensorBoard shows it;
- **continuation**: the epochs restart at 0 but the loss and metrics carry on from where they
  were (`fit()` called again on the same model without `initial_epoch`): one history, the new
  epochs renumbered after the old ones;
- **fresh**: the epochs restart at 0 and the level does not carry on, it goes back towards where
  training started (a new model, or weights from elsewhere): a separate training.
  `split_attempts` makes each training a run of its own, `<id>#1`, `<id>#2`, ...; a run that was
  not split (built in memory, `lint_history`) is analysed on its latest training.

Whether a level carries on is judged per series against that curve's own epoch-to-epoch movement
around the restart, never against a fixed threshold; the series with a direction (losses,
metrics) vote, and a tie is not a continuation.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable, Sequence

import numpy as np

from curvelint.model import EPOCH, Curve, ReadProblem, Run
from curvelint.stats import MIN_REL_NOISE, metric_direction

RESUME = "resume"
CONTINUATION = "continuation"
FRESH = "fresh"

#: A continued fit's first epoch lies within this many epochs' worth of movement of the last one:
#: Keras' epoch loss is the mean over the epoch, so the first value after a restart differs from
#: the last by about one epoch's progress plus noise. A new model lands many epochs' worth away
#: (irfanet-10's second attempt: loss 0.409 after 0.0016, 4.7 epochs' worth of its own descent).
CONTINUE_WITHIN = 3.0
#: Points on each side of a restart whose epoch-to-epoch changes measure that movement: few enough
#: to be local (a curve moves far less at the end of a long run than at its start), enough for
#: their median to shrug off one noisy epoch.
SCALE_POINTS = 5


@dataclass(frozen=True)
class Evidence:
    """What one series says about one restart: where it was, where it starts again, where the
    training it may continue had started, and how far it moves from one epoch to the next."""

    key: str
    before: float
    after: float
    start: float
    scale: float

    @property
    def jump(self) -> float:
        return abs(self.after - self.before)

    @property
    def moves(self) -> float:
        """The jump across the restart in epochs' worth of this curve's movement."""
        return self.jump / self.scale if self.scale > 0 else float("inf")

    @property
    def informative(self) -> bool:
        """A series that moved neither during the training nor across the restart (a stuck
        accuracy) cannot tell a continuation from a new start."""
        return max(abs(self.before - self.start), self.jump) > self.scale

    @property
    def carries_on(self) -> bool:
        """Within a few epochs' movement of where it was, and nearer that than where it began."""
        return self.jump <= CONTINUE_WITHIN * self.scale and self.jump <= abs(self.after - self.start)


@dataclass(frozen=True)
class Boundary:
    """One place where the reference series' steps go back, and what it was taken for."""

    kind: str
    #: Last step logged before the restart and first one after it, as logged.
    before: int
    after: int
    #: Source line of the first point after the restart, where the format has lines.
    line: int | None
    #: The series that voted (continuation or fresh), the reference series first.
    evidence: tuple[Evidence, ...] = ()
    #: Analysed steps of the points after the restart in the reference: a continuation's
    #: renumbered range, a resume's range that replaced earlier points.
    steps: tuple[int, int] | None = None
    #: Points of the reference that a resume replaced.
    replaced: int = 0

    def deciding(self) -> Evidence | None:
        """The first voting series that agrees with the verdict (for messages)."""
        wanted = self.kind == CONTINUATION
        return next((e for e in self.evidence if e.informative and e.carries_on == wanted), None)


@dataclass(frozen=True, eq=False)
class Attempt:
    """One training found in the log: its curves as analysed, every key of the log included
    (empty where this training logged none of it)."""

    number: int
    curves: dict[str, Curve]
    #: Points of the reference series logged in this training, before resumes replaced any.
    logged: int
    #: Source lines of its first and last logged reference point, where the format has lines.
    lines: tuple[int, int] | None = None
    reference: str | None = None

    @property
    def analysed(self) -> Curve | None:
        return self.curves.get(self.reference) if self.reference else None

    @property
    def span(self) -> tuple[int, int] | None:
        """First and last analysed step of the reference series."""
        c = self.analysed
        return (int(c.step[0]), int(c.step[-1])) if c is not None and len(c) else None


@dataclass(frozen=True, eq=False)
class Plan:
    """How a log's restarts were read: every restart of the reference series, the trainings."""

    reference: str | None
    #: Points of the reference series as logged, all trainings.
    logged: int
    boundaries: tuple[Boundary, ...]
    attempts: tuple[Attempt, ...]

    def curve(self, key: str) -> Curve | None:
        """`key` as analysed in the latest training."""
        return self.attempts[-1].curves.get(key)


@dataclass(frozen=True, eq=False)
class AttemptOf:
    """What a run split off a log with several trainings knows: which one it is, and the plan
    of the whole log (so LOG003 can name the others)."""

    number: int
    plan: Plan
    log_id: str


# -- deciding -----------------------------------------------------------------------------------


def plan(curves: Sequence[Curve]) -> Plan:
    """Read the restarts of one run's curves (see the module docstring)."""
    by_key = {c.key: c for c in curves}
    restarting = [c for c in by_key.values() if c.granularity == EPOCH and c.restarts.size]
    if not restarting:
        # batch-level steps alone are global steps, not attempts: resolved as TensorBoard does
        return Plan(None, 0, (), (Attempt(1, {k: c.resolved for k, c in by_key.items()}, 0),))
    n = max(c.restarts.size + 1 for c in restarting)
    group = _by_priority([c for c in restarting if c.restarts.size + 1 == n])
    ref = group[0]
    tracks = {k: _Track(c, _segment_of_points(c, ref, group, n), n) for k, c in by_key.items()}
    ref_track = tracks[ref.key]
    voters = [tracks[c.key] for c in group if metric_direction(c.name)] or [tracks[c.key] for c in group]

    for t in tracks.values():
        t.extend(t.points(0))
    ref_track.fit_first = int(ref.step[ref_track.points(0)[0]])
    attempt_points = [list(ref_track.points(0))]
    boundaries: list[Boundary] = []
    for j in range(1, n):
        pts = ref_track.points(j)
        after = int(ref.step[pts[0]])
        before = int(ref.step[pts[0] - 1])
        line = int(ref.lines[pts[0]]) if ref.lines is not None else None
        evidence: tuple[Evidence, ...] = ()
        if after > ref_track.fit_first:
            kind = RESUME
        else:
            evidence = tuple(e for e in (t.evidence(j) for t in voters) if e is not None)
            kind = _verdict(evidence)
        offset = ref_track.continued_offset(pts) if kind == CONTINUATION else None
        replaced = 0
        for t in tracks.values():
            gone = t.apply(kind, j, offset)
            if t is ref_track:
                replaced = gone
        if kind == FRESH:
            attempt_points.append([])
        if kind != RESUME:
            ref_track.fit_first = after
        attempt_points[-1].extend(pts.tolist())
        added = ref_track.steps[-1] if ref_track.steps else None  # the segment's points, as analysed
        steps = (int(added[0]), int(added[-1])) if added is not None and added.size else None
        boundaries.append(Boundary(kind, before, after, line, evidence, steps, replaced if kind == RESUME else 0))

    for t in tracks.values():
        t.close()
    attempts = []
    for number, pts in enumerate(attempt_points, start=1):
        lines = None
        if ref.lines is not None and pts:
            lines = (int(ref.lines[pts[0]]), int(ref.lines[pts[-1]]))
        curves_of = {k: t.attempts[number - 1] for k, t in tracks.items()}
        attempts.append(Attempt(number, curves_of, len(pts), lines, ref.key))
    return Plan(ref.key, len(ref), tuple(boundaries), tuple(attempts))


def _by_priority(curves: list[Curve]) -> list[Curve]:
    """The series whose restarts define the attempts, best first: the training loss, the
    validation loss, then metrics with a direction, then the rest (by key)."""
    order = {"train/loss": 0, "val/loss": 1}
    return sorted(curves, key=lambda c: (order.get(c.key, 2 if metric_direction(c.name) else 3), c.key))


def _verdict(evidence: tuple[Evidence, ...]) -> str:
    """Continuation when most informative series carry on; a tie is not one (the numbers do
    not show one training going on). When every series is flat across the restart nothing
    changes there: one history. With nothing finite to compare, a separate training (kept apart,
    nothing dropped)."""
    votes = [e.carries_on for e in evidence if e.informative]
    if votes:
        return CONTINUATION if 2 * sum(votes) > len(votes) else FRESH
    return CONTINUATION if evidence else FRESH


def _segment_of_points(curve: Curve, ref: Curve, group: list[Curve], n: int) -> np.ndarray:
    """For each point of `curve`, the reference segment (0..n-1) it belongs to.

    A curve restarting where the reference does uses its own restarts; otherwise its points are
    placed by the part of the log they were saved in (several fits in one JSON), else by source
    line (one CSV), else by wall time (event files: after the last point any reference-group
    series logged before the restart), else its segments are matched from the end (a metric that
    only the later fits log belongs to them).
    """
    own = np.zeros(len(curve), dtype=np.int64)
    own[curve.restarts] = 1
    own = np.cumsum(own)
    if curve.restarts.size + 1 == n or not len(curve):
        return own
    ref_starts = np.r_[0, ref.restarts]
    if curve.part is not None and ref.part is not None:
        # a part the reference did not log goes with the reference segment before it
        return np.clip(np.searchsorted(ref.part[ref_starts], curve.part, side="right") - 1, 0, n - 1)
    if curve.lines is not None and ref.lines is not None:
        return np.clip(np.searchsorted(ref.lines[ref_starts], curve.lines, side="right") - 1, 0, n - 1)
    timed = [c for c in group if c.wall_time is not None]
    if curve.wall_time is not None and timed:
        ends = []
        for j in range(1, n):
            ends.append(max(float(c.wall_time[c.restarts[j - 1] - 1]) for c in timed))
        return np.searchsorted(np.asarray(ends), curve.wall_time, side="left").astype(np.int64)
    return np.clip(own + (n - 1 - int(own[-1])), 0, n - 1)


class _Track:
    """One curve being merged attempt by attempt: the points kept (indices into the curve) and
    their analysed steps, held as chunks so that a log with thousands of restarts stays linear."""

    def __init__(self, curve: Curve, seg: np.ndarray, n: int) -> None:
        self.curve = curve
        self._order = np.argsort(seg, kind="stable")  # logged order inside each segment
        self._bounds = np.searchsorted(seg[self._order], np.arange(n + 1))
        self.idx: list[np.ndarray] = []
        self.steps: list[np.ndarray] = []
        self.offset = 0
        self.fit_first = 0
        self.attempts: list[Curve] = []

    def points(self, j: int) -> np.ndarray:
        return self._order[self._bounds[j]:self._bounds[j + 1]]

    @property
    def last_step(self) -> int | None:
        return int(self.steps[-1][-1]) if self.steps else None

    def extend(self, pts: np.ndarray) -> int:
        """Append points in logged order; a point whose (renumbered) step does not exceed the
        last kept one replaces the kept points from that step on. Returns how many it replaced."""
        if not pts.size:
            return 0
        steps = self.curve.step[pts] + self.offset
        cuts = np.flatnonzero(np.diff(steps) <= 0) + 1
        replaced = 0
        for part_idx, part_steps in zip(np.split(pts, cuts), np.split(steps, cuts)):
            first = int(part_steps[0])
            while self.steps and int(self.steps[-1][0]) >= first:  # whole chunks repeated
                replaced += self.steps[-1].size
                self.steps.pop()
                self.idx.pop()
            if self.steps and int(self.steps[-1][-1]) >= first:
                keep = int(np.searchsorted(self.steps[-1], first, side="left"))
                replaced += self.steps[-1].size - keep
                self.steps[-1], self.idx[-1] = self.steps[-1][:keep], self.idx[-1][:keep]
            self.idx.append(part_idx)
            self.steps.append(part_steps)
        return replaced

    def spacing(self) -> int:
        """How far apart this series' points are (1 for every epoch, k for every k-th)."""
        tail = np.concatenate(self.steps[-3:]) if self.steps else np.zeros(0, dtype=np.int64)
        gaps = np.diff(tail[-(SCALE_POINTS + 1):])
        gaps = gaps[gaps > 0]
        return int(np.median(gaps)) if gaps.size else 1

    def continued_offset(self, pts: np.ndarray) -> int:
        """The offset that numbers the continued fit's points right after the kept ones."""
        last = self.last_step if self.steps else -1
        return int(last) + self.spacing() - int(self.curve.step[pts[0]])

    def apply(self, kind: str, j: int, offset: int | None) -> int:
        """Take segment `j` in as `kind`; returns how many kept points it replaced."""
        pts = self.points(j)
        if kind == FRESH:
            self.close()
            return self.extend(pts)
        if kind == CONTINUATION and offset is not None and pts.size and self.steps:
            if int(self.curve.step[pts[0]]) + self.offset <= self.last_step:
                self.offset = offset  # this series goes back here too (batch global steps may not)
        return self.extend(pts)

    def _finite_kept(self, *, last: int | None = None) -> np.ndarray:
        """Finite kept values: the first one (`last` None) or up to the last `last`."""
        chunks = self.idx if last is None else reversed(self.idx)
        found: list[np.ndarray] = []
        count = 0
        for chunk in chunks:
            v = self.curve.value[chunk]
            v = v[np.isfinite(v)]
            if not v.size:
                continue
            if last is None:
                return v[:1]
            found.append(v)
            count += v.size
            if count >= last:
                break
        if not found:
            return np.zeros(0)
        return np.concatenate(found[::-1])[-last:]

    def evidence(self, j: int) -> Evidence | None:
        """This series' word on restart `j`: None without finite points on both sides."""
        start = self._finite_kept()
        before = self._finite_kept(last=SCALE_POINTS + 1)
        after = self.curve.value[self.points(j)]
        after = after[np.isfinite(after)][:SCALE_POINTS + 1]
        if not before.size or not after.size:
            return None
        moves = [np.abs(np.diff(before)), np.abs(np.diff(after))]
        level = max(abs(float(before[-1])), abs(float(after[0])))
        # float32 logs of a flat curve still move: never below the relative noise floor
        scale = max([float(np.median(m)) for m in moves if m.size] + [MIN_REL_NOISE * level])
        return Evidence(self.curve.key, float(before[-1]), float(after[0]), float(start[0]), scale)

    def close(self) -> None:
        """End the current training: its curve as analysed, then start afresh."""
        idx = np.concatenate(self.idx) if self.idx else np.zeros(0, dtype=np.int64)
        steps = np.concatenate(self.steps) if self.steps else np.zeros(0, dtype=np.int64)
        self.attempts.append(_analysed(self.curve, idx, steps))
        self.idx, self.steps = [], []
        self.offset = 0


def _analysed(curve: Curve, idx: np.ndarray, steps: np.ndarray) -> Curve:
    if idx.size == len(curve) and np.array_equal(idx, np.arange(len(curve))) and np.array_equal(steps, curve.step):
        return curve
    taken = curve.take(idx)
    return taken if np.array_equal(steps, taken.step) else replace(taken, step=steps)


# -- splitting ----------------------------------------------------------------------------------


def split_attempts(runs: Iterable[Run]) -> list[Run]:
    """Each run whose log holds several fresh trainings becomes one run per training, `<id>#1`,
    `<id>#2`, ..., holding that training's curves as analysed (resumes and continuations inside
    it resolved); the others pass unchanged. A read problem goes with the training whose lines
    hold it (the last one when it has no line)."""
    out: list[Run] = []
    for run in runs:
        p = run.plan
        if len(p.attempts) < 2:
            out.append(run)
            continue
        for attempt in p.attempts:
            curves = [c for c in attempt.curves.values() if len(c)]
            out.append(replace(
                run, id=f"{run.id}#{attempt.number}", curves=curves,
                problems=[pr for pr in run.problems if _attempt_of_problem(p, pr) == attempt.number],
                meta=dict(run.meta), attempt_of=AttemptOf(attempt.number, p, run.id),
            ))
    return out


def _attempt_of_problem(p: Plan, problem: ReadProblem) -> int:
    if problem.line is not None:
        for attempt in reversed(p.attempts):
            if attempt.lines is not None and attempt.lines[0] <= problem.line:
                return attempt.number
    return p.attempts[-1].number
