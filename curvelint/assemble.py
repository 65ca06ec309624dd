"""Turning a directory's log files into runs: read each source, then merge what is one run.

Event files of one log dir are concatenated per series (oldest file first), so a resumed run
shows up as a restart; event files of separate trainings in one dir (another writer process or
host whose steps start again, see `curvelint.trainings`) are separate runs `<id>#1`, `<id>#2`.
Snapshots of one growing log (Hugging Face `checkpoint-*/trainer_state.json`) are one source:
only the newest is read. Files beside them (CSVLogger, history JSON), and TensorBoard dirs below
a folder holding such files (`logs/`, `tb_logs/`, `logs/fit/<timestamp>/`), join the same run
when the series they share hold the same numbers (`curvelint.agreement`); otherwise they are
separate runs, and where a pair was plainly meant to be one run the user is told where they differ.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Iterator

import numpy as np

from curvelint.agreement import Index, compare
from curvelint.attempts import split_attempts
from curvelint.config import Config
from curvelint.discover import Candidate, Group, display_path
from curvelint.model import TEST, VAL, Curve, LintError, ReadProblem, Run
from curvelint.readers.base import NotALog, ReadError, Source
from curvelint.subruns import split_subruns
from curvelint.trainings import Training, split_trainings

#: Separate trainings named one by one in the note about a log dir that holds them.
NOTE_TRAININGS = 4


@dataclass(eq=False)
class _Unit:
    """Sources that are (so far) one run, and what names it."""

    sources: list[Source]
    curves: dict[str, Curve]
    problems: list[ReadProblem]
    #: The group whose directory names the run: the one assembled, or a TensorBoard dir below it.
    home: Group
    #: Holds event files of its home directory: named by that directory, never by a file.
    events: bool = False
    #: Holds a log that is not an event file (history JSON, CSV): nested TensorBoard dirs may join it.
    file: bool = False
    #: (k, n): the k-th of n separate trainings in its TensorBoard dir.
    attempt: tuple[int, int] | None = None
    training: Training | None = None
    meta: dict = field(default_factory=dict)


def read_sources(candidate: Candidate) -> list[Source]:
    """Read one file: one Source per run it holds (usually one); an unreadable file is a Source
    with a LOG001 problem, a file that is no log none."""
    try:
        return candidate.reader.read_runs(candidate.path)
    except NotALog:
        return []
    except ReadError as exc:
        problem = ReadProblem(candidate.path, exc.message, line=exc.line, offset=exc.offset)
    except OSError as exc:
        problem = ReadProblem(candidate.path, f"cannot read: {exc.strerror or exc}")
    except (ValueError, OverflowError, MemoryError, RecursionError) as exc:
        problem = ReadProblem(candidate.path, f"cannot parse: {type(exc).__name__}: {exc}")
    return [Source(path=candidate.path, format=candidate.reader.format, problems=[problem])]


def assemble(group: Group, config: Config | None = None) -> tuple[list[Run], list[LintError]]:
    notes: list[LintError] = []
    units: list[_Unit] = []
    index = Index()
    for unit in _event_units(group, notes):
        _add(units, index, unit)
    for source in _file_sources(group.files):
        unit = _Unit([source], {c.key: c for c in source.curves}, list(source.problems), home=group, file=True)
        if source.run is not None:  # one of the runs of a tracking database: a run of its own
            units.append(unit)
            continue
        target = _agreeing(units, index, unit)
        if target is None:
            _add(units, index, unit)
        else:
            _merge(index, target, units[target], unit)
    for nested in group.nested:  # TensorBoard dirs below this folder: the same training as its files?
        for unit in _event_units(nested, notes):
            target = _agreeing(units, index, unit, into_files_only=True)
            if target is None:
                _add(units, index, unit)
            else:
                _merge(index, target, units[target], unit)
    notes.extend(_disagreements(units, group))

    runs = _runs(units, group)
    runs = split_subruns(runs, config)
    runs = split_attempts(runs)
    return runs, [replace(n, path=group.show(n.path), message=display_path(n.message)) for n in notes]


def _runs(units: list[_Unit], group: Group) -> list[Run]:
    """One Run per unit, named by its directory, or by its file when several share a folder."""
    at_home = sum(1 for u in units if u.home is group)
    runs = []
    for unit in units:
        if unit.home is not group:
            run_id = unit.home.id
        elif unit.events or at_home == 1:
            run_id = group.id
        else:
            run_id = group.file_id(unit.sources[0].path)
        if unit.attempt is not None:
            run_id = f"{run_id}#{unit.attempt[0]}"
        if unit.sources[0].run is not None:
            run_id = f"{group.file_id(unit.sources[0].path)}/{unit.sources[0].run}"
        formats = sorted({s.format for s in unit.sources})
        # reading is done: from here on paths are for showing (curves are immutable: new ones)
        curves = [replace(c, source=group.show(c.source)) if c.source else c
                  for c in _test_as_val(list(unit.curves.values()))]
        meta = _meta(unit.sources, group)
        if unit.training is not None and unit.attempt is not None:
            meta["training"] = _training_meta(unit, group)
        runs.append(Run(id=display_path(run_id), sources=sorted(group.show(s.path) for s in unit.sources),
                        format="+".join(formats), curves=curves,
                        problems=[replace(p, path=group.show(p.path)) for p in unit.problems],
                        axis=unit.sources[0].axis, meta=meta))
    return runs


def _add(units: list[_Unit], index: Index, unit: _Unit) -> None:
    index.add(len(units), unit.curves)
    units.append(unit)


def _agreeing(units: list[_Unit], index: Index, unit: _Unit, into_files_only: bool = False) -> int | None:
    """The first unit (its position) that describes the same run as `unit`, among the few the
    index offers.

    Event files may stop short of a file's epochs (not flushed when the process ended), so a
    pair with event files agrees on the epochs both logged; two files must hold the same epochs.
    """
    for uid in index.candidates(unit.curves):
        existing = units[uid]
        if into_files_only and not existing.file:
            continue
        if compare(existing.curves, unit.curves, prefix=existing.events or unit.events) is None:
            return uid
    return None


def _merge(index: Index, uid: int, target: _Unit, unit: _Unit) -> None:
    target.sources.extend(unit.sources)
    target.problems.extend(unit.problems)
    target.events = target.events or (unit.events and unit.home is target.home)
    target.file = target.file or unit.file
    for key, curve in unit.curves.items():
        # keep the longer copy (one log may stop short), else the one with line numbers, so
        # findings can point at a CSV line
        old = target.curves.get(key)
        if old is None or len(curve.resolved) > len(old.resolved) or \
                (len(curve.resolved) == len(old.resolved) and curve.lines is not None and old.lines is None):
            target.curves[key] = curve
    index.add(uid, target.curves)


def _disagreements(units: list[_Unit], group: Group) -> list[LintError]:
    """Notes for pairs plainly meant to be one run that hold different numbers: the only two
    runs of a folder, in different formats (`history.json` beside `training.log`, a CSV beside
    the one TensorBoard dir below it), or two files of one name in different formats
    (`run_7.csv`, `run_7.json`). Unrelated runs of a crowded folder are not compared."""
    pairs: list[tuple[_Unit, _Unit]] = []
    if len(units) == 2:
        pairs.append((units[0], units[1]))
    else:
        by_stem: dict[str, list[_Unit]] = {}
        for u in units:
            if u.home is group and not u.events:
                stem = os.path.splitext(os.path.basename(u.sources[0].path))[0]
                by_stem.setdefault(stem, []).append(u)
        pairs.extend((us[0], us[1]) for us in by_stem.values() if len(us) == 2)
    notes = []
    for a, b in pairs:
        if {s.format for s in a.sources} == {s.format for s in b.sources}:
            continue
        verdict = compare(a.curves, b.curves, prefix=a.events or b.events)
        if isinstance(verdict, str):
            notes.append(LintError(_name(b), f"disagrees with {_name(a)} ({verdict}); linted as separate runs", fatal=False))
    return notes


def _name(unit: _Unit) -> str:
    """A unit as a note names it: its file, or its TensorBoard dir."""
    return unit.home.directory if not unit.file else unit.sources[0].path


def _event_units(group: Group, notes: list[LintError]) -> list[_Unit]:
    """The event files of one log dir: one unit per training (usually one)."""
    sources = [s for c in group.events for s in read_sources(c)]
    trainings = split_trainings(sources)
    units = [_event_unit(t.sources, group) for t in trainings]
    if len(trainings) > 1:
        for k, (unit, training) in enumerate(zip(units, trainings), start=1):
            unit.attempt, unit.training = (k, len(trainings)), training
        notes.append(_trainings_note(group, trainings))
    return units


def _trainings_note(group: Group, trainings: list[Training]) -> LintError:
    """Say that a log dir holds separate trainings, how they were told apart, and their ids."""
    shown = []
    for k, t in enumerate(trainings[:NOTE_TRAININGS], start=1):
        files = len(t.sources)
        how = t.why or t.describe()
        shown.append(f"{group.id}#{k} ({how}; {files} file{'s' if files != 1 else ''})")
    more = len(trainings) - NOTE_TRAININGS
    tail = f" and {more} more" if more > 0 else ""
    return LintError(group.directory, f"holds {len(trainings)} separate trainings, linted as separate runs: "
                                      f"{', '.join(shown)}{tail}", fatal=False)


def _training_meta(unit: _Unit, group: Group) -> dict:
    k, n = unit.attempt  # type: ignore[misc]
    t = unit.training
    assert t is not None
    return {"number": k, "of": n, "log_dir": group.show(unit.home.directory),
            "files": [group.show(s.path) for s in t.sources], "writer": t.describe(), "why": t.why or None}


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
        yield from read_sources(candidate)


def _newest(ordered: list[Candidate]) -> Source | None:
    """The newest snapshot that reads with curves. Newer ones that could not be read stay
    reported (LOG001) on the run; if none holds curves, the newest is the source."""
    failed: list[Source] = []
    for candidate in ordered:
        read = read_sources(candidate)
        if not read:
            continue
        source = read[0]
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


def _event_unit(sources: list[Source], home: Group) -> _Unit:
    """The event files of one training (oldest first, as `split_trainings` orders them):
    concatenate each series, so a resume shows up as a restart."""
    parts: dict[str, list[Curve]] = {}
    problems: list[ReadProblem] = []
    for source in sources:
        problems.extend(source.problems)
        for curve in source.curves:
            parts.setdefault(curve.key, []).append(curve)
    return _Unit(list(sources), {key: _concat(cs) for key, cs in parts.items()}, problems, home=home, events=True)


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


def _test_as_val(curves: list[Curve]) -> list[Curve]:
    """Custom loops often call the held-out set `test`; rules look for `val`. Rename when no
    `val` series exists, so `test_loss` is judged as the validation curve it is."""
    if any(c.split == VAL for c in curves) or not any(c.split == TEST for c in curves):
        return curves
    return [replace(c, split=VAL) if c.split == TEST else c for c in curves]
