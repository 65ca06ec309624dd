"""Turning a directory's log files into runs: read each source, then merge what is one run.

Event files of one log dir are concatenated per series (oldest file first), so a resumed run
shows up as a restart. Snapshots of one growing log (Hugging Face `checkpoint-*/trainer_state.json`)
are one source: only the newest is read. Files beside them (CSVLogger, history JSON) join the
same run when the series they share hold the same numbers; otherwise they are separate runs, and
if two different formats disagree the user is told.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Iterator

import numpy as np

from curvelint.discover import Candidate, Group, display_path
from curvelint.model import TEST, VAL, Curve, LintError, ReadProblem, Run, keras_name
from curvelint.readers.base import NotALog, ReadError, Source

#: Relative tolerance when comparing a series written by two formats (float32 in event files).
AGREE_RTOL = 1e-5


@dataclass
class _Unit:
    """Sources that are (so far) one run."""

    sources: list[Source]
    curves: dict[str, Curve]
    problems: list[ReadProblem]


def read_source(candidate: Candidate) -> Source | None:
    """Read one file; unreadable files become a Source with a LOG001 problem, non-logs None."""
    try:
        return candidate.reader.read(candidate.path)
    except NotALog:
        return None
    except ReadError as exc:
        problem = ReadProblem(candidate.path, exc.message, line=exc.line, offset=exc.offset)
    except OSError as exc:
        problem = ReadProblem(candidate.path, f"cannot read: {exc.strerror or exc}")
    except (ValueError, OverflowError, MemoryError, RecursionError) as exc:
        problem = ReadProblem(candidate.path, f"cannot parse: {type(exc).__name__}: {exc}")
    return Source(path=candidate.path, format=candidate.reader.format, problems=[problem])


def assemble(group: Group) -> tuple[list[Run], list[LintError]]:
    notes: list[LintError] = []
    units: list[_Unit] = []
    if group.events:
        sources = [s for s in map(read_source, group.events) if s is not None]
        if sources:
            units.append(_event_unit(sources))
    for source in _file_sources(group.files):
        unit = _Unit([source], {c.key: c for c in source.curves}, list(source.problems))
        target = None
        for existing in units:
            verdict = _agreement(existing.curves, unit.curves)
            if verdict is None:
                target = existing
                break
            if verdict and existing.sources[0].format != source.format:
                notes.append(LintError(source.path, f"disagrees with {existing.sources[0].path} ({verdict}); linted as separate runs", fatal=False))
        if target is None:
            units.append(unit)
        else:
            target.sources.append(source)
            target.problems.extend(unit.problems)
            for key, curve in unit.curves.items():
                # keep the copy with line numbers, so findings can point at a CSV line
                if key not in target.curves or (curve.lines is not None and target.curves[key].lines is None):
                    target.curves[key] = curve

    runs = []
    for unit in units:
        if len(units) == 1:
            run_id = group.id
        elif unit.sources[0].format == "tensorboard" and group.events:
            run_id = group.id
        else:
            run_id = group.file_id(unit.sources[0].path)
        formats = sorted({s.format for s in unit.sources})
        curves = _test_as_val(list(unit.curves.values()))
        for c in curves:  # reading is done: from here on paths are for showing
            c.source = group.show(c.source) if c.source else c.source
        runs.append(Run(id=display_path(run_id), sources=sorted(group.show(s.path) for s in unit.sources),
                        format="+".join(formats), curves=curves,
                        problems=[replace(p, path=group.show(p.path)) for p in unit.problems],
                        axis=unit.sources[0].axis, meta=_meta(unit.sources, group)))
    return runs, [replace(n, path=group.show(n.path), message=display_path(n.message)) for n in notes]


def _file_sources(candidates: list[Candidate]) -> Iterator[Source]:
    """Read the files of a directory that are not event files; snapshots first, one per reader.

    A run saved in several `checkpoint-*/` folders holds the same log in each, every older one a
    prefix of the newer: it is one source, the newest snapshot that holds curves. The others are
    only ranked (never read or compared), and named in `Run.meta`.
    """
    snapshots: dict[str, list[tuple[tuple, Candidate]]] = {}
    ordinary = []
    for candidate in candidates:
        rank = candidate.reader.snapshot_rank(candidate.path)
        if rank is None:
            ordinary.append(candidate)
        else:
            snapshots.setdefault(candidate.reader.format, []).append((rank, candidate))
    for ranked in snapshots.values():
        ranked.sort(key=lambda rc: rc[0], reverse=True)
        source = _newest([c for _, c in ranked])
        if source is not None:
            yield source
    for candidate in ordinary:
        source = read_source(candidate)
        if source is not None:
            yield source


def _newest(ordered: list[Candidate]) -> Source | None:
    """The newest snapshot that reads with curves. Newer ones that could not be read stay
    reported (LOG001) on the run; if none holds curves, the newest is the source."""
    failed: list[Source] = []
    for candidate in ordered:
        source = read_source(candidate)
        if source is None:
            continue
        if source.curves:
            break
        failed.append(source)
    else:
        if not failed:
            return None
        source = failed.pop(0)
    source.problems = [p for f in failed for p in f.problems] + source.problems
    if len(ordered) > 1:
        source.meta["checkpoint_read"] = source.path
        source.meta["checkpoints_skipped"] = [c.path for c in ordered if c.path != source.path]
    return source


def _meta(sources: list[Source], group: Group) -> dict:
    """The run's meta: the first source's word wins; paths of snapshots shown like every path."""
    meta: dict = {}
    for source in reversed(sources):
        meta.update(source.meta)
    if "checkpoint_read" in meta:
        meta["checkpoint_read"] = group.show(meta["checkpoint_read"])
        meta["checkpoints_skipped"] = [group.show(p) for p in meta["checkpoints_skipped"]]
    return meta


def _event_unit(sources: list[Source]) -> _Unit:
    """All event files of one log dir: concatenate each series, oldest file first."""

    def started(source: Source) -> tuple[float, str]:
        times = [float(c.wall_time[0]) for c in source.curves if c.wall_time is not None and c.wall_time.size]
        return (min(times) if times else float("inf"), os.path.basename(source.path))

    sources = sorted(sources, key=started)
    parts: dict[str, list[Curve]] = {}
    problems: list[ReadProblem] = []
    for source in sources:
        problems.extend(source.problems)
        for curve in source.curves:
            parts.setdefault(curve.key, []).append(curve)
    return _Unit(sources, {key: _concat(cs) for key, cs in parts.items()}, problems)


def _concat(curves: list[Curve]) -> Curve:
    if len(curves) == 1:
        return curves[0]
    first = curves[0]
    walls = [c.wall_time for c in curves]
    return Curve(
        name=first.name, split=first.split, granularity=first.granularity, raw_name=first.raw_name,
        step=np.concatenate([c.step for c in curves]),
        value=np.concatenate([c.value for c in curves]),
        wall_time=None if any(w is None for w in walls) else np.concatenate(walls),  # type: ignore[arg-type]
        source=first.source,
    )


def _agreement(a: dict[str, Curve], b: dict[str, Curve]) -> str | None | bool:
    """None if `b` describes the same run as `a`; a reason string if they share series that
    differ; False if they share nothing (no evidence either way)."""
    shared = sorted(set(a) & set(b))
    if not shared:
        return False
    for key in shared:
        ca, cb = a[key].resolved, b[key].resolved
        if len(ca) != len(cb):
            return f"{keras_name(key)}: {len(cb)} epochs vs {len(ca)}"
        if not np.array_equal(ca.step, cb.step):
            return f"{keras_name(key)}: logged at different epochs"
        close = np.isclose(ca.value, cb.value, rtol=AGREE_RTOL, atol=1e-12, equal_nan=True)
        if not close.all():
            i = int(np.flatnonzero(~close)[0])
            return f"{keras_name(key)} at epoch {int(ca.step[i])}: {cb.value[i]:.6g} vs {ca.value[i]:.6g}"
    return None


def _test_as_val(curves: list[Curve]) -> list[Curve]:
    """Custom loops often call the held-out set `test`; rules look for `val`. Rename when no
    `val` series exists, so `test_loss` is judged as the validation curve it is."""
    if any(c.split == VAL for c in curves) or not any(c.split == TEST for c in curves):
        return curves
    for c in curves:
        if c.split == TEST:
            c.split = VAL
    return curves
