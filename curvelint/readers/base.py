"""The reader contract: sniff a path cheaply, read it into curves, or say exactly why not."""

from __future__ import annotations

import io
import json
import os
import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, BinaryIO, ClassVar, Iterable, Iterator, Mapping

import numpy as np

from curvelint.model import BATCH, EPOCH, Curve, ReadProblem, series_key

#: How much of a file a reader may look at to decide whether it is a training log.
HEAD_BYTES = 4096


class NotALog(Exception):
    """The file is well-formed but holds no training curves (a config JSON, a data CSV)."""


class Incomplete(NotALog):
    """A log being written whose only content so far is a half-written record (an empty file, a
    JSON still being dumped): not yet a log, and not broken either. Raised only for paths in
    `growing` (`curvelint watch`); once the file stops changing it is read strictly again."""


#: Paths whose writer is still appending to them, as `curvelint watch` sees it; empty otherwise.
_GROWING: ContextVar[frozenset[str]] = ContextVar("curvelint_growing", default=frozenset())


@contextmanager
def growing(paths: Iterable[str]) -> Iterator[None]:
    """Read `paths` as files still being written: a half-written LAST record (a CSV row without
    its newline, a TFRecord cut short, a JSON being dumped) is "not yet written", as TensorBoard
    treats it, not an error. Damage before the last record is still reported."""
    token = _GROWING.set(frozenset(paths))
    try:
        yield
    finally:
        _GROWING.reset(token)


def still_written(path: str) -> bool:
    """Whether `path` is read inside `growing` (readers call it; False outside `curvelint watch`)."""
    return path in _GROWING.get()


def written_lines(data: bytes, path: str) -> bytes:
    """The complete lines of a text log: for a file still being written, what follows its last
    newline is a row the writer has not finished (CSVLogger writes a row, then its newline)."""
    if not still_written(path) or data.endswith(b"\n") or data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data  # UTF-16 text has two-byte newlines: left as it is
    return data[: data.rfind(b"\n") + 1]


class ReadError(Exception):
    """The file looks like a training log but cannot be read; names the position."""

    def __init__(self, message: str, *, line: int | None = None, offset: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line
        self.offset = offset


@dataclass
class Source:
    """What one file contributed: its curves, and problems that did not stop the read."""

    path: str
    format: str
    curves: list[Curve] = field(default_factory=list)
    problems: list[ReadProblem] = field(default_factory=list)
    #: What `Curve.step` counts: "epoch", or "step" for logs stepped by optimizer step.
    axis: str = EPOCH
    #: Facts the file states about the run (best checkpoint, planned steps), passed to `Run.meta`.
    meta: dict = field(default_factory=dict)
    #: For one of several runs a file holds (an MLflow database): the run's name within the file.
    #: Such a source is a run of its own, `<file>/<run>`, never merged with another by agreement.
    run: str | None = None


class Reader:
    """One log format. `accepts_name` must be free (no I/O); `sniff` sees the first bytes."""

    format: ClassVar[str]
    #: Lower runs first when several readers accept the same file.
    priority: ClassVar[int] = 100
    #: Event-file readers group by directory (Keras train/ + validation/ = one run).
    directory_run: ClassVar[bool] = False

    def accepts_name(self, name: str) -> bool:
        raise NotImplementedError

    def sniff(self, head: bytes, name: str) -> bool:
        return True

    def read(self, path: str) -> Source:
        raise NotImplementedError

    def read_runs(self, path: str) -> list[Source]:
        """Every run the file holds, each a Source with `run` set when there are several. Most
        formats hold one run per file; a tracking database (MLflow's SQLite store) holds many."""
        return [self.read(path)]

    def run_directory(self, path: str) -> str:
        """The directory whose run this file belongs to; discovery groups files by it."""
        return os.path.dirname(path) or "."

    def snapshot_rank(self, path: str) -> tuple | None:
        """None for an ordinary file. For one of several snapshots of the same growing log (HF
        `checkpoint-*/trainer_state.json`), how new it is: of the snapshots in one run directory
        only the highest-ranked one that holds curves is read. May read the file's first bytes."""
        return None


_HISTORY_NAME = re.compile(r"(?:.*[_\-. ])?history(?:[_\-. ].*)?", re.IGNORECASE)


def history_by_name(path: str) -> bool:
    """`history.json`, `model_history.csv`, `history_fold1.json`: a name that says the file holds a
    training history. Such a file is never passed over: if it cannot be read as one, the user hears
    why (a non-log of another name is skipped silently)."""
    stem = os.path.splitext(os.path.basename(path))[0]
    return _HISTORY_NAME.fullmatch(stem) is not None


def split_hint_for(path: str) -> str | None:
    """Keras' TensorBoard callback writes `<run>/train/` and `<run>/validation/`."""
    parent = os.path.basename(os.path.dirname(path)).lower()
    return {"train": "train", "validation": "val", "val": "val", "eval": "val", "test": "test"}.get(parent)


def decode_text(data: bytes, path: str) -> str:
    """UTF-8 (BOM stripped), falling back to Latin-1 so a stray byte never loses a file."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ReadError(f"invalid UTF-16 text: {exc.reason}", offset=exc.start) from None
    if b"\x00" in data[:HEAD_BYTES]:
        raise ReadError("binary data in a text log (NUL byte)", offset=data.index(b"\x00"))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def add_epoch_means(curves: list[Curve], epoch_of_step) -> list[Curve]:
    """Lightning logs `train_loss` per step only; rules compare epochs. For each batch series
    without an epoch twin, add its per-epoch mean (NaN kept: a NaN batch makes a NaN epoch).

    `epoch_of_step` maps an array of global steps to epoch numbers.
    """
    have = {c.key for c in curves}
    out = list(curves)
    for c in curves:
        if c.granularity != BATCH or not c.step.size or series_key(c.split, c.name) in have:
            continue
        epochs = np.asarray(epoch_of_step(c.step), dtype=np.int64)
        uniq, inverse = np.unique(epochs, return_inverse=True)
        sums = np.bincount(inverse, weights=c.value, minlength=uniq.size)
        counts = np.bincount(inverse, minlength=uniq.size)
        out.append(Curve(name=c.name, split=c.split, step=uniq, value=sums / counts, granularity=EPOCH,
                         source=c.source, raw_name=f"{c.raw_name} (epoch mean)"))
    return out


def epochs_at(steps: np.ndarray, map_steps: np.ndarray, map_epochs: np.ndarray) -> np.ndarray:
    """Epoch of each global step, from (step, epoch) pairs sorted by step (Lightning's `epoch`
    scalar/column): the epoch of the nearest pair at or before the step, 0 before the first."""
    if not map_steps.size:
        return np.zeros(steps.shape, dtype=np.int64)
    idx = np.searchsorted(map_steps, steps, side="right") - 1
    return np.where(idx >= 0, map_epochs[np.clip(idx, 0, None)], 0).astype(np.int64)


def json_lines(text: str, path: str, problems: list[ReadProblem]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(1-based line number, object) of each JSON-object line of a JSON-lines log; a line that
    is not valid JSON is reported in `problems` and the others are kept (a log still being
    written ends in a half line, dropped silently while `still_written`)."""
    lines = text.splitlines()
    if lines and still_written(path) and not text.endswith("\n"):
        lines.pop()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            msg = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
            problems.append(ReadProblem(path, f"invalid JSON line: {msg}", line=number))
            continue
        if isinstance(entry, dict):
            yield number, entry


def as_int(value: Any) -> int | None:
    """An integral JSON number (`3`, `3.0`) as an int; None for anything else, booleans too."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


# -- where a log's bytes come from: a local file, or what was fetched for a URL ----------------------

#: The bytes of logs on an object store, by URL, while their run group is linted (None elsewhere):
#: `curvelint.remote` fetches a group's files and readers read them from memory.
_FETCHED: ContextVar[Mapping[str, bytes | OSError] | None] = ContextVar("curvelint_fetched", default=None)


@contextmanager
def fetched(contents: Mapping[str, bytes | OSError]) -> Iterator[None]:
    """Serve `contents` (path or URL -> its bytes, or the OSError its fetch met) to `open_source`
    and `fetched_bytes`, so a reader reads a remote log exactly as it reads a local file."""
    token = _FETCHED.set(contents)
    try:
        yield
    finally:
        _FETCHED.reset(token)


def fetched_bytes(path: str) -> bytes | None:
    """The bytes fetched for `path` (raising the OSError its fetch met); None for a local file,
    which the reader opens (or memory-maps) itself."""
    contents = _FETCHED.get()
    if contents is None:
        return None
    data = contents.get(path)
    if isinstance(data, OSError):
        raise data
    return data


def open_source(path: str) -> BinaryIO:
    """A log opened for reading in binary: what readers call instead of `open(path, "rb")`, so
    one reader serves local paths and URLs alike (a URL's bytes are already in memory)."""
    data = fetched_bytes(path)
    return open(path, "rb") if data is None else io.BytesIO(data)


@contextmanager
def local_file(path: str) -> Iterator[str]:
    """A file on disk holding the log, for libraries that must open it themselves (SQLite): the
    path itself, or a temporary copy of a URL's fetched bytes that is removed afterwards."""
    data = fetched_bytes(path)
    if data is None:
        yield path
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="curvelint-") as tmp:
        copy = os.path.join(tmp, os.path.basename(path) or "log")
        with open(copy, "wb") as fh:
            fh.write(data)
        yield copy
