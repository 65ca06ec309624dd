"""Which event files of one TensorBoard log dir come from the same training.

One training writes several event files: one per split (Keras' `train/` + `validation/`), more
when it is resumed. But a log dir is also reused: `fit()` run again the next day from a new
process, or on another host, writes its event files beside the first training's. Concatenated,
the later training would overwrite the earlier one's epochs and the earlier one would be lost.

The file name says who wrote it (`events.out.tfevents.<time>.<host>.<pid>.<n>`). Files of one
writer process are one training. A later process (or host) continues the same training only if
its steps continue (a resume from a checkpoint starts past the first epoch); starting again at
the first epoch, it is a separate training. Names without a pid (TF1, tensorboardX) are told
apart the same way once a long pause separates them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

from curvelint.model import EPOCH
from curvelint.readers.base import Source
from curvelint.readers.tfevents import Writer, writer_of

#: Files of one host without a pid in their names are one writer session unless a pause longer
#: than this (and than `PAUSE_POINTS` of its usual intervals between points) separates them.
PAUSE_SECONDS = 600.0
PAUSE_POINTS = 10


@dataclass
class _File:
    source: Source
    writer: Writer
    start: float
    end: float
    first: dict[bool, int]  # epoch-level? -> first step of that granularity
    interval: float  # median seconds between consecutive points, 0 if unknown

    @property
    def active(self) -> bool:
        return bool(self.source.curves)


@dataclass
class Training:
    """Event files of one training, oldest first, and who wrote them."""

    sources: list[Source]
    writers: list[Writer]
    start: float
    end: float
    first: dict[bool, int] = field(default_factory=dict)
    #: How it was told apart from the training before it; empty for the first.
    why: str = ""

    def describe(self) -> str:
        who = ", ".join(f"process {w.pid} on {w.host}" if w.pid is not None else f"host {w.host}"
                        for w in self.writers) or "unknown writer"
        return f"{who}, from {_when(self.start)}"


def _when(t: float) -> str:
    if not np.isfinite(t):
        return "an unknown time"
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _span(seconds: float) -> str:
    if seconds >= 5400:
        return f"{seconds / 3600:.0f} h"
    if seconds >= 90:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


def _file(source: Source) -> _File:
    writer = writer_of(os.path.basename(source.path)) or Writer(0, "")
    walls = [c.wall_time for c in source.curves if c.wall_time is not None and c.wall_time.size]
    if walls:
        joined = np.concatenate(walls)
        start, end = float(np.min(joined)), float(np.max(joined))
        longest = max(walls, key=len)
        gaps = np.diff(np.sort(longest))
        interval = float(np.median(gaps)) if gaps.size else 0.0
    else:
        start = end = float(writer.time) if writer.time else float("inf")
        interval = 0.0
    first: dict[bool, int] = {}
    for curve in source.curves:
        if curve.step.size:
            level = curve.granularity == EPOCH
            step = int(np.min(curve.step))
            first[level] = min(first.get(level, step), step)
    return _File(source, writer, start, end, first, interval)


def _continues(first: dict[bool, int], before: dict[bool, int]) -> bool | None:
    """Do the steps of a later writer continue the training before it? None if they cannot be
    compared (no series of the same granularity)."""
    for level in (True, False):
        if level in first and level in before:
            return first[level] > before[level]
    return None


def _sessions(files: list[_File]) -> list[list[_File]]:
    """Files with curves grouped by writer: one group per (host, pid); files without a pid, per
    host and cut where a long pause separates them."""
    by_pid: dict[tuple[str, int], list[_File]] = {}
    no_pid: dict[str, list[_File]] = {}
    for f in files:
        if f.writer.pid is not None:
            by_pid.setdefault((f.writer.host, f.writer.pid), []).append(f)
        else:
            no_pid.setdefault(f.writer.host, []).append(f)
    sessions = list(by_pid.values())
    for host_files in no_pid.values():
        host_files.sort(key=lambda f: f.start)
        current = [host_files[0]]
        end, interval = host_files[0].end, host_files[0].interval
        for f in host_files[1:]:
            if f.start - end > max(PAUSE_SECONDS, PAUSE_POINTS * interval):
                sessions.append(current)
                current = []
            current.append(f)
            end, interval = max(end, f.end), max(interval, f.interval)
        sessions.append(current)
    return sessions


def split_trainings(sources: list[Source]) -> list[Training]:
    """The trainings in one log dir's event files, in the order they started. One training
    when nothing tells them apart. Files without curves (a `profile-empty` file, one that could
    not be read) go with their writer's training, or the one nearest in time."""
    files = [_file(s) for s in sources]
    active = [f for f in files if f.active]
    if not active:
        return [_training(files, "")] if files else []
    sessions = sorted(_sessions(active), key=lambda fs: min(f.start for f in fs))
    groups: list[list[_File]] = []
    whys: list[str] = []
    for session in sessions:
        first = _first(session)
        if groups:
            before = groups[-1]
            if _continues(first, _first(before)) is not False:
                before.extend(session)
                continue
            whys.append(_why(before, session, first))
        else:
            whys.append("")
        groups.append(list(session))
    for f in files:
        if not f.active:
            _home(f, groups).append(f)
    return [_training(g, why) for g, why in zip(groups, whys)]


def _first(files: list[_File]) -> dict[bool, int]:
    out: dict[bool, int] = {}
    for f in files:
        for level, step in f.first.items():
            out[level] = min(out.get(level, step), step)
    return out


def _why(before: list[_File], session: list[_File], first: dict[bool, int]) -> str:
    new, old = session[0].writer, before[-1].writer
    start, end = min(f.start for f in session), max(f.end for f in before)
    if new.host != old.host:
        who = f"written on another host ({new.host})"
    elif new.pid is not None and old.pid is not None and new.pid != old.pid:
        who = f"written by another process ({new.pid})"
    else:
        who = "written after a pause"
    when = f", {_span(start - end)} after the previous one ended" if np.isfinite(start - end) and start > end else ""
    step = first.get(True, first.get(False))
    return f"{who}{when}, steps starting again at {step}"


def _home(f: _File, groups: list[list[_File]]) -> list[_File]:
    """The training a file without curves belongs to: same writer process, else nearest in time."""
    if f.writer.pid is not None:
        for g in groups:
            if any(o.writer.host == f.writer.host and o.writer.pid == f.writer.pid for o in g):
                return g
    if not np.isfinite(f.start):
        return groups[0]
    return min(groups, key=lambda g: min(abs(f.start - o.start) for o in g if o.active))


def _training(files: list[_File], why: str) -> Training:
    files = sorted(files, key=lambda f: (f.start, os.path.basename(f.source.path)))
    writers: list[Writer] = []
    for f in files:
        w = Writer(0, f.writer.host, f.writer.pid)
        if f.active and w not in writers:
            writers.append(w)
    active = [f for f in files if f.active] or files
    return Training(sources=[f.source for f in files], writers=writers,
                    start=min(f.start for f in active), end=max(f.end for f in active),
                    first=_first(files), why=why)
