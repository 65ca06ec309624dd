"""`curvelint watch PATH...`: lint training logs again while they grow, printing only what changed.

    curvelint watch runs/                    # until Ctrl-C (exit 130)
    curvelint watch runs/ --until-idle 120   # until nothing changed for 120 s; then check's exit status

Polling with `os.stat`, no file-system events (they need a dependency per platform and miss
network file systems): each `--interval` every watched directory and file is stat'ed once
(`Tree`), a directory is listed again only when its mtime changed (an entry was added, removed or
renamed), and discovery (`curvelint.discover`) runs again only when a file some reader could
take appears, goes, or a file it passed over changes. Only the run directories (`Group`) whose
files changed are linted again, and their files are read through `ReadCache`: a growing
CSVLogger file beside an unchanged event file re-reads the CSV only. The other runs keep their
findings. A poll that costs more than a quarter of the interval stretches the interval, so a
huge tree is watched at about 20% of one CPU.

What is printed: a finding that is new, one whose severity changed (`changed`, with the severity
it had), and one that went away (`resolved`, with its last message). From one lint to the next a
finding is the same finding when its run, code and series are the same (the n-th of several such
is the n-th again): its message may change, as its numbers update each epoch, without printing it
again; the exit status and the closing summary use the newest message.

A run is linted as in progress (`Run.meta["in_progress"] = True`, which the rules that judge a
finished run read) while one of its files was written in the last `--settle` seconds, or three
times the gap between its last two writes if that is longer (an epoch of 5 minutes keeps its run
in progress for 15). Its files are then read as still being written
(`curvelint.readers.base.growing`): a half-written last record is not read yet, not an error.
When a run settles it is linted once more as finished; `--until-idle` settles every run before it
exits, so its exit status is the one `curvelint check` gives on the same files.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Callable, Iterable, Sequence, TextIO

from curvelint.assemble import assemble
from curvelint.discover import SKIP_DIRS, Group, discover, display_path
from curvelint.engine import Linter, _ordered
from curvelint.model import Finding, LintError, Report, Run, Severity, plural
from curvelint.readers.base import Incomplete, ReadError, Reader, Source, growing, still_written

#: Seconds between polls unless a poll costs more (see `POLL_SHARE`).
DEFAULT_INTERVAL = 1.0
#: A run is in progress while a file of it was written this many seconds ago or less ...
DEFAULT_SETTLE = 60.0
#: ... or this many times the gap between its last two writes, whichever is longer, ...
GAP_FACTOR = 3.0
#: ... but never longer than this: a run that wrote twice a day is not "in progress" all day.
MAX_SETTLE = 3600.0
#: At most this share of the time goes to polling: a poll of 0.5 s makes the next wait 2 s.
POLL_SHARE = 0.25
NEW, CHANGED, RESOLVED = "new", "changed", "resolved"
EXIT_OK, EXIT_FINDINGS, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130
FORMATS = {"text": "findings under a header per run and time (default)",
           "concise": "one line per change: new|changed|resolved path:line: CODE [severity] message",
           "json-lines": "one JSON object per change, and one at exit with the exit status"}

#: (size, mtime_ns, inode) of a file: a change to any of them is a change to the file.
Stat = tuple[int, int, int]


def _stat(st: os.stat_result) -> Stat:
    return (st.st_size, st.st_mtime_ns, st.st_ino)


# ------------------------------------------------------------------------------------------------
# The tree: what is under the watched paths, kept up to date by polling


@dataclass
class Changes:
    """Files that appeared, went, or whose (size, mtime, inode) changed since the last scan."""

    added: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)
    modified: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.modified)

    @property
    def paths(self) -> set[str]:
        return self.added | self.removed | self.modified


@dataclass
class _Dir:
    mtime_ns: int
    ident: tuple[int, int]
    root: str
    files: set[str]
    subdirs: set[str]


class Tree:
    """Every file under the watched paths with its `Stat`, walked as `discover` walks (the same
    directories skipped, the same `exclude` patterns, symlink loops cut), and the mtime of every
    directory, so a scan lists only the directories whose entries changed."""

    def __init__(self, paths: Sequence[str], exclude: Sequence[str] = ()):
        self.paths = list(paths)
        self.exclude = list(exclude)
        self.files: dict[str, Stat] = {}
        self._dirs: dict[str, _Dir] = {}
        self._idents: set[tuple[int, int]] = set()

    def scan(self) -> Changes:
        changes = Changes()
        for path in list(self._dirs):  # listed again only where an entry was added, removed or renamed
            known = self._dirs.get(path)
            if known is None:
                continue  # dropped with its parent
            try:
                st = os.stat(path)
            except OSError:
                self._drop(path, changes)
                continue
            if st.st_mtime_ns != known.mtime_ns:
                self._relist(path, known, st, changes)
        for arg in self.paths:  # a watched path that appeared, or was replaced (file <-> directory)
            if arg in self._dirs:
                continue
            if os.path.isdir(arg):
                if self.files.pop(arg, None) is not None:
                    changes.removed.add(arg)
                self._add_tree(arg, arg, changes)
            elif arg not in self.files and os.path.lexists(arg):
                self._add_file(arg, changes)
        for path, old in list(self.files.items()):
            try:
                now = _stat(os.stat(path))
            except OSError:
                del self.files[path]
                changes.removed.add(path)
                continue
            if now != old:
                self.files[path] = now
                changes.modified.add(path)
        changes.modified -= changes.added
        return changes

    def _add_file(self, path: str, changes: Changes) -> None:
        try:
            self.files[path] = _stat(os.stat(path))
        except OSError:
            return  # a dangling link: nothing to watch
        changes.added.add(path)

    def _add_tree(self, top: str, root: str, changes: Changes) -> None:
        stack = [top]
        while stack:
            path = stack.pop()
            try:
                st = os.stat(path)
            except OSError:
                continue
            ident = (st.st_dev, st.st_ino)
            if ident in self._idents:
                continue  # a symlink loop, or a second link to a directory already watched
            self._idents.add(ident)
            known = self._dirs[path] = _Dir(st.st_mtime_ns, ident, root, set(), set())
            files, subdirs = self._list(path, root)
            for name in files:
                known.files.add(name)
                self._add_file(os.path.join(path, name), changes)
            known.subdirs = subdirs
            stack.extend(os.path.join(path, name) for name in subdirs)

    def _relist(self, path: str, known: _Dir, st: os.stat_result, changes: Changes) -> None:
        known.mtime_ns = st.st_mtime_ns  # read before listing: an entry made after it changes it again
        files, subdirs = self._list(path, known.root)
        for name in known.files - files:
            if self.files.pop(os.path.join(path, name), None) is not None:
                changes.removed.add(os.path.join(path, name))
        for name in files - known.files:
            self._add_file(os.path.join(path, name), changes)
        for name in known.subdirs - subdirs:
            self._drop(os.path.join(path, name), changes)
        for name in subdirs - known.subdirs:
            self._add_tree(os.path.join(path, name), known.root, changes)
        known.files, known.subdirs = files, subdirs

    def _drop(self, path: str, changes: Changes) -> None:
        known = self._dirs.pop(path, None)
        if known is None:
            return
        self._idents.discard(known.ident)
        for name in known.files:
            if self.files.pop(os.path.join(path, name), None) is not None:
                changes.removed.add(os.path.join(path, name))
        for name in known.subdirs:
            self._drop(os.path.join(path, name), changes)

    def _list(self, path: str, root: str) -> tuple[set[str], set[str]]:
        """(file names, sub-directory names) of one directory, as `discover` would walk it."""
        files: set[str] = set()
        subdirs: set[str] = set()
        try:
            with os.scandir(path) as it:
                entries = list(it)
        except OSError:
            return files, subdirs  # discovery reports it
        for entry in entries:
            if self.exclude:
                rel = os.path.relpath(os.path.join(path, entry.name), root)
                if any(fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(entry.name, pat) for pat in self.exclude):
                    continue
            try:
                is_dir = entry.is_dir()
            except OSError:
                continue
            if not is_dir:
                files.add(entry.name)
            elif entry.name not in SKIP_DIRS and not entry.name.startswith("."):
                subdirs.add(entry.name)
        return files, subdirs


# ------------------------------------------------------------------------------------------------
# Reading: each file once per version


@dataclass
class _Read:
    key: tuple
    sources: list[Source] | None = None  # what this version of the file read as, or
    error: Exception | None = None       # what reading it raised
    #: The last complete read of the file: kept while a newer version is still being written.
    good: list[Source] | None = None


class ReadCache:
    """Reads kept per file and reused while its `Stat` and its still-written state are the same.

    A file still being written that cannot be read yet (`Incomplete`, or any read error: a history
    JSON is half-way through `json.dump`) reads as its last complete version, or as no log yet;
    once it settles it is read strictly, and a file still broken then is reported."""

    def __init__(self, stat_of: Callable[[str], Stat | None]):
        self._stat_of = stat_of
        self._entries: dict[str, _Read] = {}
        #: Files actually read (the rest came from the cache); tests and the benchmark count them.
        self.reads = 0

    def read(self, reader: Reader, path: str) -> list[Source]:
        key = (self._stat_of(path), still_written(path))
        entry = self._entries.get(path)
        if entry is None or entry.key != key or key[0] is None:
            entry = self._entries[path] = self._fresh(reader, path, key, entry)
        if entry.error is not None:
            raise entry.error
        return [replace(s, curves=list(s.curves), problems=list(s.problems), meta=dict(s.meta))
                for s in entry.sources or ()]  # assembling a run edits its sources' lists

    def _fresh(self, reader: Reader, path: str, key: tuple, old: _Read | None) -> _Read:
        self.reads += 1
        good = old.good if old is not None else None
        try:
            sources = reader.read_runs(path)
        except (Incomplete, ReadError, OSError) as exc:
            if not (isinstance(exc, Incomplete) or still_written(path)):
                return _Read(key, error=exc, good=good)
            if good is not None:
                return _Read(key, sources=good, good=good)
            return _Read(key, error=exc if isinstance(exc, Incomplete) else Incomplete(str(exc)))
        except Exception as exc:  # noqa: BLE001 - assembling reports it as it does for any read
            return _Read(key, error=exc, good=good)
        return _Read(key, sources=sources, good=sources)

    def forget(self, paths: Iterable[str]) -> None:
        for path in paths:
            self._entries.pop(path, None)


class _CachedReader:
    """A reader that reads through the cache; everything else is the reader's own."""

    def __init__(self, inner: Reader, cache: ReadCache):
        self._inner, self._cache = inner, cache

    def __getattr__(self, name: str):
        return getattr(self._inner, name)

    def read_runs(self, path: str) -> list[Source]:
        return self._cache.read(self._inner, path)


# ------------------------------------------------------------------------------------------------
# The watcher: what to lint again, and what changed in the findings


@dataclass
class Event:
    """A finding that is new, changed severity (`was` the old one) or resolved (its last state)."""

    kind: str
    finding: Finding
    run: Run | None  # as last linted; None when the run is gone
    was: Severity | None = None
    at: float = 0.0  # wall-clock time of the poll

    @property
    def in_progress(self) -> bool:
        return bool(self.run is not None and self.run.meta.get("in_progress"))


@dataclass
class _Linted:
    """A run directory as last linted."""

    members: dict[str, Stat | None]  # its log files (nested TensorBoard dirs too)
    growing: frozenset[str]
    runs: list[Run]
    findings: list[Finding]
    notes: list[LintError]
    newest: int = 0       # newest mtime (ns) of its files
    gap: float = 0.0      # seconds between its last two writes seen; 0 unknown


class Watcher:
    """Polls the tree, re-lints the run directories whose files changed, and says which findings
    are new, changed severity or were resolved. `clock` is the wall clock file mtimes are
    compared with (tests move it)."""

    def __init__(self, linter: Linter, paths: Sequence[str], *, settle: float = DEFAULT_SETTLE,
                 clock: Callable[[], float] = time.time):
        self.linter = linter
        self.paths = list(paths)
        self.settle = settle
        self.clock = clock
        self.tree = Tree(self.paths, linter.config.exclude)
        self.cache = ReadCache(self._stat_of)
        self._readers = [_CachedReader(r, self.cache) for r in linter.host.readers]
        self._groups: dict[str, Group] | None = None  # by directory, as discovery keys them
        self._member_of: dict[str, str] = {}
        self._dir_of: dict[str, str] = {}
        self._linted: dict[str, _Linted] = {}
        self._settles: dict[str, float] = {}  # group -> when its next growing file settles
        self._finished = False
        self.errors: list[LintError] = []     # discovery's, as of the last discovery
        self.last_change = time.monotonic()   # of the last poll that saw a file change
        self.relinted = 0                     # run directories linted by the last poll

    # -- polling -------------------------------------------------------------------------------

    def poll(self) -> list[Event]:
        """Scan, re-lint what changed or settled, and return the changes in the findings."""
        changes = self.tree.scan()
        now = self.clock()
        if changes:
            self.last_change = time.monotonic()
        forced: set[str] = set()
        events: list[Event] = []
        if self._groups is None or self._needs_discovery(changes):
            events += self._discover(now)
        beside: set[str] = set()  # runs with a changed file that is not one of their logs
        for path in changes.paths:
            member = self._member_of.get(path)
            owner = member or self._owner(path)
            if owner is not None:
                forced.add(owner)  # a member, or a file its reader reads beside it (MLflow metrics)
                if member is None:
                    beside.add(owner)
        forced |= {key for key, at in self._settles.items() if at <= now}
        if self._finished:
            forced |= {key for key, linted in self._linted.items() if linted.growing}
        forced |= {key for key in self._groups or {} if key not in self._linted}
        self.relinted = 0
        for key in sorted(forced):
            if key in (self._groups or {}):
                events += self._lint(key, now, key in beside)
        return _sorted(events)

    def finish(self) -> list[Event]:
        """Lint every run as finished (`--until-idle`: nothing changed for long enough)."""
        self._finished = True
        return self.poll()

    def report(self) -> Report:
        """Every run and finding as of the last poll, in `curvelint check`'s order."""
        report = Report(errors=list(self.linter.host.errors) + list(self.errors))
        for linted in self._linted.values():
            report.runs.extend(linted.runs)
            report.findings.extend(linted.findings)
            report.errors.extend(linted.notes)
        return _ordered(report)

    def in_progress(self) -> int:
        return sum(1 for linted in self._linted.values() for r in linted.runs if r.meta.get("in_progress"))

    # -- discovery -----------------------------------------------------------------------------

    def _needs_discovery(self, changes: Changes) -> bool:
        """A log file may have appeared or gone, or a file discovery passed over (an empty
        CSVLogger file, a header half-written) now holds enough to be claimed."""
        for path in changes.added | changes.removed:
            if path in self._member_of or self._loggable(path):
                return True
        return any(path not in self._member_of and self._loggable(path) for path in changes.modified)

    def _loggable(self, path: str) -> bool:
        name = os.path.basename(path)
        return any(r.accepts_name(name) for r in self.linter.host.readers)

    def _discover(self, now: float) -> list[Event]:
        groups, errors = discover(self.paths, self._readers, self.linter.config.exclude)
        self.errors = errors
        self._groups, self._member_of, self._dir_of = {}, {}, {}
        for group in groups:
            key = _key(group.directory)
            self._groups[key] = group
            for path in _members(group):
                self._member_of[path] = key
            for sub in _nested(group):
                self._dir_of[_key(sub.directory)] = key
        events = []
        for key in [k for k in self._linted if k not in self._groups]:  # the run directory is gone
            gone = self._linted.pop(key)
            self._settles.pop(key, None)
            self.cache.forget(gone.members)
            events += [Event(RESOLVED, f, None, at=now) for f in gone.findings]
        return events

    def _owner(self, path: str) -> str | None:
        """The run directory a file lies in (or below), if any."""
        directory = _key(os.path.dirname(path))
        while True:
            if directory in self._dir_of:
                return self._dir_of[directory]
            parent = os.path.dirname(directory)
            if parent == directory:
                return None
            directory = parent

    def _stat_of(self, path: str) -> Stat | None:
        known = self.tree.files.get(path)
        if known is not None:
            return known
        try:
            return _stat(os.stat(path))
        except OSError:
            return None

    # -- linting one run directory ---------------------------------------------------------------

    def _lint(self, key: str, now: float, touched: bool) -> list[Event]:
        """Lint one run directory again; `touched`: a file beside its logs changed, one its reader
        may read (MLflow metrics), so its cached reads are dropped."""
        assert self._groups is not None
        group = self._groups[key]
        before = self._linted.get(key)
        members = {path: self._stat_of(path) for path in _members(group)}
        newest = max((s[1] for s in members.values() if s is not None), default=0)
        gap = before.gap if before is not None else 0.0
        if before is not None and newest > before.newest and before.newest:
            gap = (newest - before.newest) / 1e9
        window = max(self.settle, min(GAP_FACTOR * gap, MAX_SETTLE))
        grow = frozenset() if self._finished else frozenset(
            path for path, s in members.items() if s is not None and now - s[1] / 1e9 < window)
        if before is not None and before.members == members and before.growing == grow and not touched:
            self._schedule(key, members, grow, window)
            return []  # its settle time came, but a file of it was written again since
        self.relinted += 1
        if touched:
            self.cache.forget(members)  # its reader reads more than the file it claimed
        with growing(grow):
            runs, notes = assemble(group, self.linter.config)
            shown = {group.show(path) for path in grow}
            findings = []
            for run in runs:
                if shown.intersection(run.sources):
                    run.meta["in_progress"] = True
                findings.extend(self.linter.check(run))
        self._linted[key] = _Linted(members, grow, runs, findings, notes, newest, gap)
        self._schedule(key, members, grow, window)
        return _diff(before.findings if before else [], findings, {r.id: r for r in runs}, now)

    def _schedule(self, key: str, members: dict[str, Stat | None], grow: frozenset[str], window: float) -> None:
        if grow:
            self._settles[key] = min(members[p][1] / 1e9 + window for p in grow)  # type: ignore[index]
        else:
            self._settles.pop(key, None)


def _key(directory: str) -> str:
    return os.path.normcase(os.path.abspath(directory))


def _nested(group: Group) -> list[Group]:
    out = [group]
    for sub in group.nested:
        out += _nested(sub)
    return out


def _members(group: Group) -> list[str]:
    return [c.path for g in _nested(group) for c in (*g.events, *g.files)]


def _identity(findings: Iterable[Finding]) -> dict[tuple, Finding]:
    """Each finding by (run, code, series, n): the n-th finding of that run, code and series."""
    seen: dict[tuple, int] = {}
    out = {}
    for f in findings:
        base = (f.run, f.code, f.series)
        seen[base] = seen.get(base, -1) + 1
        out[(*base, seen[base])] = f
    return out


def _diff(old: list[Finding], new: list[Finding], runs: dict[str, Run], at: float) -> list[Event]:
    before, after = _identity(old), _identity(new)
    events = []
    for key, f in after.items():
        was = before.get(key)
        if was is None:
            events.append(Event(NEW, f, runs.get(f.run), at=at))
        elif was.severity != f.severity:
            events.append(Event(CHANGED, f, runs.get(f.run), was=was.severity, at=at))
    events += [Event(RESOLVED, f, runs.get(f.run), at=at) for key, f in before.items() if key not in after]
    return events


def _sorted(events: list[Event]) -> list[Event]:
    order = {NEW: 0, CHANGED: 1, RESOLVED: 2}
    return sorted(events, key=lambda e: (e.finding.run, order[e.kind], *e.finding.sort_key()[1:]))


# ------------------------------------------------------------------------------------------------
# Printing


@dataclass
class Printer:
    """Shows the events of each poll in one of `FORMATS`; status lines go to stderr."""

    format: str
    out: TextIO
    err: TextIO
    color: bool = False
    width: int = 100
    quiet: int = 0
    min_severity: str | None = None
    _advised: set[str] = field(default_factory=set)
    _notes: set[tuple[str, str]] = field(default_factory=set)

    def shown(self, events: list[Event]) -> list[Event]:
        if self.min_severity is None:
            return events
        floor = Severity(self.min_severity).rank
        return [e for e in events if max(e.finding.severity.rank, e.was.rank if e.was else -1) >= floor]

    def show(self, events: list[Event], errors: list[LintError]) -> None:
        events = self.shown(events)
        notes = [e for e in errors if (e.path, e.message) not in self._notes]
        self._notes |= {(e.path, e.message) for e in errors}
        if self.quiet >= 2:
            return
        if self.format == "json-lines":
            for e in notes:
                self._json({"event": "error", "path": display_path(e.path), "message": e.message, "fatal": e.fatal})
            for event in events:
                self._json(_event_dict(event))
        else:
            from curvelint.cli import _error_text

            for e in notes:
                print(f"curvelint: {'error' if e.fatal else 'warning'}: {_error_text(e)}", file=self.err)
            text = _concise(events) if self.format == "concise" else self._text(events)
            self.out.write(_render(text, self.color))
        self.out.flush()

    def status(self, message: str) -> None:
        if not self.quiet:  # on stderr, in every format: stdout holds the changes only
            print(f"curvelint: {message}", file=self.err, flush=True)

    def exit(self, status: int, reason: str, report: Report | None) -> None:
        if self.format == "json-lines" and self.quiet < 2:
            self._json({"event": "exit", "status": status, "reason": reason,
                        "summary": report.summary if report is not None else None})
            self.out.flush()

    def _json(self, doc: dict) -> None:
        self.out.write(json.dumps(doc, ensure_ascii=False) + "\n")

    def _text(self, events: list[Event]) -> list:
        from curvelint.reporters.base import run_length
        from curvelint.reporters.text import SEVERITY_STYLE, wrap

        lines: list = []
        code_width = max((len(e.finding.code) for e in events), default=6)
        column = 2 + 9 + 8 + code_width + 1
        run_id = None
        for event in events:
            f = event.finding
            if f.run != run_id:
                run_id = f.run
                clock = datetime.fromtimestamp(event.at).strftime("%H:%M:%S")
                about = "removed" if event.run is None else \
                    f"{event.run.format} · {run_length(event.run)}" + (" · in progress" if event.in_progress else "")
                lines += wrap([(f"[{clock}] ", "dim"), (f.run, "bold"), (f"  {about}", "dim")], self.width, 4)
            head = [("  ", ""), (f"{event.kind:<9}", _KIND_STYLE[event.kind]),
                    (f"{f.severity.value:<8}", SEVERITY_STYLE[f.severity]), (f"{f.code:<{code_width + 1}}", "bold")]
            if event.was:
                head.append((f"(was {event.was.value}) ", SEVERITY_STYLE[event.was]))
            head += [(f"{f.message}  ", "dim" if event.kind == RESOLVED else ""), (f"[{f.rule}]", "dim")]
            if f.explained_by:
                head.append((f" (explained by {f.explained_by})", "dim"))
            lines += wrap(head, self.width, column)
            pad = " " * column
            if f.location is not None and event.kind != RESOLVED:
                where = display_path(f.location.path) + (f":{f.location.line}" if f.location.line else "")
                lines += wrap([(f"{pad}at {where}", "dim")], self.width, column + 3)
            if event.kind == NEW and f.remediation and f.code not in self._advised:
                self._advised.add(f.code)
                lines += wrap([(pad, ""), ("→ ", "green"), (f.remediation, "")], self.width, column + 2)
        return lines


_KIND_STYLE = {NEW: "bold", CHANGED: "magenta", RESOLVED: "green"}


def _concise(events: list[Event]) -> list:
    from curvelint.reporters.concise import place

    lines = []
    for event in events:
        f = event.finding
        severity = f"{f.severity.value}, was {event.was.value}" if event.was else f.severity.value
        line = [(f"{event.kind} ", _KIND_STYLE[event.kind]), (f"{place(f)}: ", "bold"), (f.code, "bold"),
                (f" [{severity}] {' '.join(f.message.splitlines())} ", ""), (f"[{f.rule}]", "dim")]
        if f.explained_by:
            line.append((f" (explained by {f.explained_by})", "dim"))
        lines.append(line)
    return lines


def _render(lines: list, color: bool) -> str:
    from curvelint.reporters.text import render_lines

    return render_lines(lines, color) if lines else ""


def _event_dict(event: Event) -> dict:
    from curvelint.reporters.json import finding_dict

    at = datetime.fromtimestamp(event.at, timezone.utc).isoformat(timespec="milliseconds")
    return {"event": event.kind, "time": at, "in_progress": event.in_progress,
            "was": event.was.value if event.was else None, **finding_dict(event.finding)}


# ------------------------------------------------------------------------------------------------
# The command line


def parser() -> argparse.ArgumentParser:
    from curvelint.cli import _add_lint_options

    formats = "\n".join(f"  {name:<11} {text}" for name, text in FORMATS.items())
    p = argparse.ArgumentParser(
        prog="curvelint watch", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Lint training logs again as they grow and print only what changed: new findings, "
                    "findings whose severity changed, and resolved ones.",
        epilog=f"output formats:\n{formats}\n\nexit status: 130 on Ctrl-C; with --until-idle, that of "
               "`curvelint check` on the last lint (0 clean, 1 findings at or above --fail-on, 2 an I/O "
               "error or no training log).")
    p.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="directories or files to watch (default: .)")
    p.add_argument("--interval", type=_seconds, default=DEFAULT_INTERVAL, metavar="SECONDS",
                   help=f"poll every SECONDS (default: {DEFAULT_INTERVAL:g}; longer when a poll of a big tree takes "
                        f"more than {POLL_SHARE * 100:.0f}%% of it)")
    p.add_argument("--until-idle", type=_seconds, metavar="SECONDS",
                   help="exit once no file changed for SECONDS, after linting every run as finished, "
                        "with check's exit status (default: watch until Ctrl-C)")
    p.add_argument("--settle", type=_seconds, default=DEFAULT_SETTLE, metavar="SECONDS",
                   help=f"a run is in progress while a file of it changed in the last SECONDS (default: "
                        f"{DEFAULT_SETTLE:g}), or {GAP_FACTOR:g}x the gap between its last two writes if longer")
    _add_lint_options(p)
    out = p.add_argument_group("output")
    out.add_argument("--output-format", "--format", dest="format", choices=tuple(FORMATS), default="text",
                     metavar="FORMAT", help="text, concise or json-lines (default: text)")
    out.add_argument("-q", "--quiet", action="count", default=0,
                     help="no status lines on stderr; -qq prints nothing (the exit status still tells)")
    out.add_argument("--min-severity", choices=("info", "warning", "error"),
                     help="print only changes of findings at this severity or above (the exit status still follows --fail-on)")
    out.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                     help="colour (default: auto, only on a terminal, off with NO_COLOR)")
    ex = p.add_argument_group("exit status (with --until-idle)")
    ex.add_argument("--fail-on", choices=("error", "warning", "info", "never"),
                    help="lowest severity that makes the exit status 1 (default: error)")
    ex.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings (2 still means an error)")
    return p


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, got {text}")
    return value


def main(argv: Sequence[str]) -> int:
    from curvelint.cli import _error, _linter, _use_color
    from curvelint.config import ConfigError
    from curvelint.remote import is_remote

    args = parser().parse_args(list(argv))
    remote = [p for p in args.paths if is_remote(p)]
    if remote:
        return _error(f"watch reads local paths only, not {remote[0]} (lint it with `curvelint check`)")
    missing = [p for p in args.paths if not os.path.lexists(p)]
    if missing:  # a typo must not wait forever for logs that will never be there
        return _error(f"{display_path(missing[0])}: no such file or directory")
    try:
        config, linter = _linter(args)
    except ConfigError as exc:
        return _error(str(exc))
    import shutil

    printer = Printer(args.format, sys.stdout, sys.stderr, color=_use_color(args.color, sys.stdout),
                      width=max(40, shutil.get_terminal_size((100, 24)).columns), quiet=args.quiet,
                      min_severity=args.min_severity or config.min_severity)
    watcher = Watcher(linter, args.paths, settle=args.settle)
    idle = f"; exits after {args.until_idle:g}s without a change" if args.until_idle else "; Ctrl-C to stop"
    printer.status(f"watching {', '.join(args.paths)} every {args.interval:g}s{idle}")
    report = None
    try:
        wait = args.interval
        while True:
            started = time.monotonic()
            events = watcher.poll()
            wait = max(args.interval, (time.monotonic() - started) / POLL_SHARE)
            report = _shown(printer, watcher, events, report is None)
            if args.until_idle is not None:
                left = args.until_idle - (time.monotonic() - watcher.last_change)
                if left <= 0:
                    break
                wait = min(wait, left)
            time.sleep(wait)
        report = _shown(printer, watcher, watcher.finish(), False)
    except KeyboardInterrupt:
        printer.status("stopped watching (Ctrl-C)")
        printer.exit(EXIT_INTERRUPTED, "interrupted", watcher.report() if report is not None else None)
        return EXIT_INTERRUPTED
    linter.require_logs(report, args.paths)
    printer.show([], report.errors)  # `no training logs found`, unless it was said already
    status = _exit_status(report, args.fail_on or config.fail_on or "error", args.exit_zero)
    printer.exit(status, "idle", report)
    return status


def _shown(printer: Printer, watcher: Watcher, events: list[Event], first: bool) -> Report:
    """Print one poll's events and a status line; returns the report as of this poll."""
    report = watcher.report()
    printer.show(events, report.errors)
    if events or first:
        counts = report.counts()
        in_progress = watcher.in_progress()
        what = (f"{plural(len(report.runs), 'run')}: {counts['error']} error, {counts['warning']} warning, "
                f"{counts['info']} info" + (f" ({in_progress} in progress)" if in_progress else ""))
        printer.status(f"{datetime.now().strftime('%H:%M:%S')} {what}" if report.runs else
                       f"no training log under {', '.join(watcher.paths)} yet; waiting")
    return report


def _exit_status(report: Report, fail_on: str, exit_zero: bool) -> int:
    """`curvelint check`'s exit status for this report."""
    if any(e.fatal for e in report.errors):
        return EXIT_ERROR
    if exit_zero or fail_on == "never":
        return EXIT_OK
    worst = report.worst()
    return EXIT_FINDINGS if worst is not None and worst.rank >= Severity(fail_on).rank else EXIT_OK
