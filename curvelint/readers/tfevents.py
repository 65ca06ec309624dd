"""TensorBoard event files, read without TensorFlow (TensorBoard's protobuf classes only where needed).

Handles the TF2 Keras layout (`<run>/train/`, `<run>/validation/`, tags `epoch_loss`,
`batch_loss`, `evaluation_loss_vs_iterations`), TF2 tensor scalars (`tensor_content` or typed
`*_val` fields), TF1 / tensorboardX / PyTorch `simple_value` scalars, and Lightning's global-step
logging with an `epoch` scalar. Histograms, images, audio, graphs and text are skipped.

Framing (`tfrecord`) and decoding (`event_batch`) work on the memory-mapped file a window at a
time. A record cut off at the end (a run still writing) ends the read with a note; a bad CRC is
reported with its byte offset and reading resumes at the next valid record.
"""

from __future__ import annotations

import mmap
import os
import re
from dataclasses import dataclass

import numpy as np

from curvelint.model import BATCH, EPOCH, Curve, ReadProblem
from curvelint.readers.base import (Incomplete, Reader, ReadError, Source, add_epoch_means, epochs_at, split_hint_for,
                                    still_written)
from curvelint.readers.base import fetched_bytes  # a URL's bytes fetched for it
from curvelint.readers.names import canonical_all

FORMAT = "tensorboard"
#: TensorBoard's own file names: `events.out.tfevents.<time>.<host>[.<pid>.<n>][.v2 | suffix]`.
PREFIX = "events.out.tfevents."
_NAME = re.compile(r"events\.out\.tfevents\.(\d+)(?:\.(.*))?")
_PID_COUNTER = re.compile(r"(.+)\.(\d+)\.(\d+)")


def is_event_file(name: str) -> bool:
    """By TensorBoard's file-name pattern, never a substring (`tfevents.py` is source code)."""
    return name.startswith(PREFIX)


@dataclass(frozen=True)
class Writer:
    """Who wrote an event file, as its name says: TF2 and PyTorch add the writer's process id
    and a counter after the host; TF1 and tensorboardX names stop at the host."""

    time: int
    host: str
    pid: int | None = None


def writer_of(name: str) -> Writer | None:
    """The writer named by an event file's name; None if the name is not TensorBoard's."""
    m = _NAME.fullmatch(name)
    if m is None:
        return None
    rest = m.group(2) or ""
    for suffix in (".v2", ".profile-empty"):
        if rest.endswith(suffix):
            rest = rest[: -len(suffix)]
    parts = _PID_COUNTER.fullmatch(rest)
    if parts:
        return Writer(int(m.group(1)), parts.group(1), int(parts.group(2)))
    return Writer(int(m.group(1)), rest)


class TensorBoardReader(Reader):
    format = FORMAT
    priority = 10
    directory_run = True

    def accepts_name(self, name: str) -> bool:
        return is_event_file(name)

    def read(self, path: str) -> Source:
        scalars, problems = read_scalars(path)
        return Source(path=path, format=FORMAT, curves=_curves(scalars, path), problems=problems)


Scalars = dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
#: The file is framed and decoded this many bytes at a time; then its pages are handed back,
#: so memory follows the number of scalars kept, not the size of the file.
WINDOW_BYTES = 16 << 20


def read_scalars(path: str) -> tuple[Scalars, list[ReadProblem]]:
    """{tag: (steps, wall_times, values)} in file order, plus problems met on the way."""
    from curvelint.readers.event_batch import EventBatch  # not imported until an event file is read
    from curvelint.readers.tfrecord import Framer, NotEventFile

    fetched = fetched_bytes(path)  # a URL's bytes, already in memory; a local file is mapped
    size = os.path.getsize(path) if fetched is None else len(fetched)
    if size == 0:
        if still_written(path):
            raise Incomplete("nothing written yet")
        raise ReadError("empty event file (0 bytes)", offset=0)
    if fetched is None:
        with open(path, "rb") as fh:
            buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)  # closed when the last view of it goes
    else:
        buf = fetched
    data = np.frombuffer(buf, dtype=np.uint8)
    framer = Framer(buf, data, path)
    batch = EventBatch(buf, data)
    release = getattr(mmap, "MADV_DONTNEED", None) if fetched is None else None
    released = 0
    try:
        while not framer.done:
            offsets, lengths = framer.frame(until=framer.offset + WINDOW_BYTES)
            batch.decode(offsets, lengths)
            upto = framer.offset - framer.offset % mmap.PAGESIZE
            if release is not None and upto > released:
                buf.madvise(release, released, upto - released)
                released = upto
    except NotEventFile as exc:
        raise ReadError(exc.message, offset=exc.offset) from None
    problems = framer.problems + [ReadProblem(path, message, offset=offset) for offset, message in batch.problems]
    problems.sort(key=lambda p: p.offset if p.offset is not None else -1)
    return batch.series(), problems


def _curves(scalars: Scalars, path: str) -> list[Curve]:
    hint = split_hint_for(path)
    epoch_map = _epoch_map(scalars.pop("epoch", None))
    names = canonical_all(scalars, split_hint=hint)
    curves = []
    for raw, canon in names.items():
        steps, wall, values = scalars[raw]
        granularity = canon.granularity
        if epoch_map is not None and granularity == EPOCH:
            # Lightning steps by global step and logs an `epoch` scalar beside each metric
            epochs = epochs_at(steps, *epoch_map)
            if epochs.size and np.unique(epochs).size == epochs.size:
                steps = epochs
            else:
                granularity = BATCH
        curves.append(Curve(name=canon.name, split=canon.split, granularity=granularity, step=steps,
                            value=values, wall_time=wall, source=path, raw_name=raw))
    if epoch_map is not None:
        curves = add_epoch_means(curves, lambda steps: epochs_at(steps, *epoch_map))
    return curves


def _epoch_map(series: tuple[np.ndarray, np.ndarray, np.ndarray] | None) -> tuple[np.ndarray, np.ndarray] | None:
    if series is None or not series[0].size:
        return None
    steps, _, epochs = series
    order = np.argsort(steps, kind="stable")
    return steps[order], epochs[order]
