"""Finding logs under the given paths and grouping them by the directory that holds one run.

Grouping follows how training writes logs: a Keras TensorBoard log dir with its `train/` and
`validation/` sub-directories is one log dir; the Hugging Face `checkpoint-*/` folders of an
output dir belong to that dir's run; a CSVLogger file and a history JSON beside it are read
together, and so are the TensorBoard dirs below a folder holding such files (`logs/`,
`tb_logs/`, `logs/fit/<timestamp>/`): `assemble` reads them and decides what is one run (the
same numbers) and what are separate trainings in one log dir.

Linear in the number of files: a file is told from a second path to it by its (device, inode),
looked up in a set, and a TensorBoard dir finds the folder it may belong to by walking up at
most `NEST_DEPTH` parent directories.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from curvelint.model import LintError
from curvelint.readers.base import HEAD_BYTES, Reader, fetched, open_source, split_hint_for
from curvelint.remote import RemoteError, is_remote

#: How far below a folder holding a history JSON / CSV a TensorBoard dir is read with it
#: (`logs/fit/<timestamp>/` is 3 levels).
NEST_DEPTH = 3
#: Directories no training log lives in; skipped without looking inside.
SKIP_DIRS = frozenset({"__pycache__", "node_modules", "site-packages", ".git", ".hg", ".svn", ".venv", "venv"})


@dataclass
class Candidate:
    path: str  # as the user would reach it: the argument joined with the relative path (a URL's file: its URL)
    reader: Reader
    #: Size from a store's listing; None for a local file (stat'ed when needed).
    size: int | None = None
    #: Named directly on the command line: a reader takes it even if its sniff is unsure.
    forced: bool = False


@dataclass
class Group:
    """Log files of one directory (Keras split sub-directories folded into their parent)."""

    id: str
    root: str
    directory: str
    events: list[Candidate] = field(default_factory=list)
    files: list[Candidate] = field(default_factory=list)
    #: Files under a URL: fetched (`curvelint.remote`) before they are read, each claimed by its
    #: sniffed reader then; until then `reader` is the first that takes the file's name.
    remote: bool = False
    #: TensorBoard dirs (with no other log) up to NEST_DEPTH levels below this group's folder,
    #: which holds a history JSON or CSV: `assemble` merges those that hold the same numbers.
    nested: list[Group] = field(default_factory=list)
    #: (device, inode) of every member: the same file reached twice is read once.
    _seen: set[tuple[int, int]] = field(default_factory=set, repr=False)

    def show(self, path: str) -> str:
        """How a path read in this group is shown: valid UTF-8 (a URL's file is read by its URL)."""
        return display_path(path)

    def file_id(self, path: str) -> str:
        """Id for a run that is one file among several in this directory."""
        rel = os.path.relpath(path, self.root)
        return rel if not rel.startswith("..") else path


def display_path(path: str) -> str:
    """A path as text that is valid UTF-8 everywhere it is shown (JSON, SARIF, plots).

    File names that are not valid UTF-8 reach Python as lone surrogates; they are shown as
    `\\xff` escapes instead of corrupting the output. Reading always uses the real path.
    """
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _run_id(root: str, directory: str, root_name: str | None = None) -> str:
    rel = os.path.relpath(directory, root)
    if rel == ".":
        return root_name or os.path.basename(os.path.abspath(root)) or root
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        # a file named directly whose run is its parent directory (Keras `train/`, HF
        # `checkpoint-500/`): the run is named like that directory, not `..`
        return os.path.basename(os.path.abspath(directory)) or directory
    return rel.replace(os.sep, "/")


def _claim(readers: Sequence[Reader], path: str, name: str, forced: bool = False) -> Reader | None:
    """The first reader (by priority) whose name check and sniff accept the file.

    A file named on the command line (`forced`) goes to the first reader that takes its name
    even if the sniff is unsure, so the user hears why it cannot be read.
    """
    head: bytes | None = None
    fallback = None
    for reader in readers:
        if not reader.accepts_name(name):
            continue
        if head is None:
            try:
                with open_source(path) as fh:
                    head = fh.read(HEAD_BYTES)
            except OSError:
                return reader  # let the reader report the I/O error with the file's name
        if reader.sniff(head, name):
            return reader
        fallback = fallback or reader
    return fallback if forced else None


def discover(args: Iterable[str], readers: Sequence[Reader], exclude: Sequence[str] = ()) -> tuple[list[Group], list[LintError]]:
    """Walk every argument; return the groups in a stable order and the I/O errors met."""
    groups: dict[str, Group] = {}
    errors: list[LintError] = []

    def add(root: str, path: str, reader: Reader, size: int | None = None, forced: bool = False) -> None:
        directory = _directory(reader, path)
        key = os.path.normcase(os.path.abspath(directory))  # one run even if named by several arguments
        remote = is_remote(path)
        group = groups.get(key)
        if group is None:
            root_name = root.rstrip("/").rsplit("/", 1)[-1] if remote else None
            group = groups[key] = Group(id=_run_id(root, directory, root_name), root=root, directory=directory, remote=remote)
        ident: tuple | None
        if remote:
            ident = ("url", path)
        else:
            try:
                st = os.stat(path)
                ident = (st.st_dev, st.st_ino)
            except OSError:
                ident = None  # the reader reports it
        if ident is not None:
            if ident in group._seen:
                return  # named twice (a file and its directory), or a hard link
            group._seen.add(ident)
        (group.events if reader.directory_run else group.files).append(Candidate(path, reader, size, forced))

    for arg in args:
        if is_remote(arg):
            try:
                root, listed, is_file = list_remote(arg, readers, exclude)
            except RemoteError as exc:
                errors.append(LintError(arg, str(exc)))
                continue
            if is_file and not listed:
                errors.append(LintError(arg, "not a training log any reader recognises (history JSON, CSVLogger, TensorBoard events)"))
            for url, reader, size in listed:
                add(root, url, reader, size, forced=is_file)
            continue
        if not os.path.lexists(arg):
            errors.append(LintError(display_path(arg), "no such file or directory"))
            continue
        if os.path.isdir(arg):
            for path, reader in _walk(arg, readers, exclude, errors):
                add(arg, path, reader)
            continue
        reader = _claim(readers, arg, os.path.basename(arg), forced=True)
        if reader is None:
            errors.append(LintError(display_path(arg), "not a training log any reader recognises (history JSON, CSVLogger, TensorBoard events)"))
            continue
        add(os.path.dirname(arg) or ".", arg, reader)

    ordered = sorted(groups.values(), key=lambda g: (g.root, g.id))
    _dedupe_ids(ordered)
    return _nest(ordered, groups), errors


def _nest(ordered: list[Group], by_key: dict[str, Group]) -> list[Group]:
    """Fold each TensorBoard-only group into the nearest folder above it (at most NEST_DEPTH
    levels, same argument) that holds a history JSON or CSV; the others stay as they are."""
    top = []
    for group in ordered:
        home = None
        if group.events and not group.files:
            directory = os.path.normcase(os.path.abspath(group.directory))
            for _ in range(NEST_DEPTH):
                parent = os.path.dirname(directory)
                if parent == directory:
                    break
                directory = parent
                found = by_key.get(directory)
                if found is not None and found.files and found.root == group.root:
                    home = found
                    break
        if home is None:
            top.append(group)
        else:
            home.nested.append(group)
    return top


def _dedupe_ids(groups: list[Group]) -> None:
    """Two arguments can yield the same relative id; fall back to the full path then."""
    seen: dict[str, int] = {}
    for g in groups:
        seen[g.id] = seen.get(g.id, 0) + 1
    for g in groups:
        if seen[g.id] > 1:
            g.id = g.directory if g.remote else os.path.normpath(g.directory).replace(os.sep, "/")



def _walk(root: str, readers: Sequence[Reader], exclude: Sequence[str], errors: list[LintError]) -> Iterable[tuple[str, Reader]]:
    """Depth-first, sorted, symlink loops cut by (device, inode), unreadable dirs reported."""
    visited: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        directory = stack.pop()
        try:
            st = os.stat(directory)
        except OSError as exc:
            errors.append(LintError(display_path(directory), f"cannot stat directory: {exc.strerror}"))
            continue
        ident = (st.st_dev, st.st_ino)
        if ident in visited:
            continue  # a symlink loop or a second link to the same directory
        visited.add(ident)
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            errors.append(LintError(display_path(directory), f"cannot list directory: {exc.strerror}"))
            continue
        subdirs = []
        for entry in entries:
            path = os.path.join(directory, entry.name)
            rel = os.path.relpath(path, root)
            if exclude and any(fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(entry.name, pat) for pat in exclude):
                continue
            try:
                is_dir = entry.is_dir()
            except OSError:
                continue
            if is_dir:
                if entry.name not in SKIP_DIRS and not entry.name.startswith("."):
                    subdirs.append(path)
                continue
            reader = _claim(readers, path, entry.name)
            if reader is not None:
                yield path, reader
        stack.extend(reversed(subdirs))


def _directory(reader: Reader, path: str) -> str:
    """The directory whose run a file belongs to (its group)."""
    directory = reader.run_directory(path)  # HF `checkpoint-500/` belongs to its output dir
    if reader.directory_run and split_hint_for(path):
        directory = os.path.dirname(directory) or "."
    return directory


def list_remote(url: str, readers: Sequence[Reader], exclude: Sequence[str]) -> tuple[str, list[tuple[str, Reader, int]], bool]:
    """The log files under a URL from one listing, as `_walk` would find them in a local tree:
    (root URL, [(file URL, reader, size)] in the walk's order, whether the URL names one file).

    A file is taken by its name alone (it is sniffed once fetched, `remote.readable`), so its
    reader here is the first that takes the name. Where readers that take the name would put
    it in different runs (`checkpoint-*/trainer_state.json`), its first bytes decide now.
    """
    from curvelint.remote import fetch_many, list_tree

    root, files, is_file = list_tree(url)
    found: list[tuple[list, str, list[Reader], int]] = []
    for item in files:
        parts = item.url[len(root) + 1:].split("/")
        if not is_file and _skipped(parts, exclude):
            continue
        takers = [r for r in readers if r.accepts_name(parts[-1])]
        if takers:
            found.append(([(1, p) for p in parts[:-1]] + [(0, parts[-1])], item.url, takers, item.size))
    found.sort(key=lambda f: f[0])  # files of a directory before its sub-directories, as `_walk`
    ambiguous = [u for _, u, takers, _ in found if len({(r.directory_run, _directory(r, u)) for r in takers}) > 1]
    heads = fetch_many(ambiguous, head=HEAD_BYTES) if ambiguous else {}
    out = []
    with fetched(heads):
        for _, u, takers, size in found:
            reader = _claim(readers, u, posixpath.basename(u), forced=is_file) if u in heads else takers[0]
            if reader is not None:
                out.append((u, reader, size))
    return root, out, is_file


def _skipped(parts: list[str], exclude: Sequence[str]) -> bool:
    """Whether `_walk` would pass a file by: in a skipped or hidden directory, or excluded by
    a pattern matching its relative path or name, or any of its directories'."""
    for depth, name in enumerate(parts):
        if depth < len(parts) - 1 and (name in SKIP_DIRS or name.startswith(".")):
            return True
        rel = "/".join(parts[:depth + 1])
        if exclude and any(fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(name, pat) for pat in exclude):
            return True
    return False
