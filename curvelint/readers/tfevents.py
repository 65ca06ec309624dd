"""TensorBoard event files, decoded with TensorBoard's own protobuf classes (never TensorFlow).

Handles the TF2 Keras layout (`<run>/train/`, `<run>/validation/`, tags `epoch_loss`,
`batch_loss`, `evaluation_loss_vs_iterations`), TF2 tensor scalars (`tensor_content` or typed
`*_val` fields), TF1 / tensorboardX / PyTorch `simple_value` scalars, and Lightning's global-step
logging with an `epoch` scalar. Histograms, images, audio, graphs and text are skipped.

The file is a sequence of TFRecords: u64 length, u32 masked CRC32C of the length, payload,
u32 masked CRC32C of the payload. A record cut off at the end (a run still writing) ends the read
with a note; a bad CRC is reported with its byte offset.
"""

from __future__ import annotations

import mmap
import os
import struct

import numpy as np

from curvelint.model import BATCH, EPOCH, Curve, ReadProblem, Severity
from curvelint.readers.event_batch import EventBatch, other_plugin
from curvelint.readers.base import Reader, ReadError, Source, add_epoch_means, epochs_at, split_hint_for
from curvelint.readers.names import canonical_all

FORMAT = "tensorboard"
_HEADER = struct.Struct("<QI")
_U32 = struct.Struct("<I")
#: A length no real event record reaches (TensorBoard caps summaries far below this).
MAX_RECORD = 1 << 30


try:  # CRC32C in C; without it records are still framed and decoded, just not verified
    from google_crc32c import value as _crc32c
except ImportError:  # pragma: no cover
    _crc32c = None


def _masked_crc(data) -> int | None:
    """TFRecord's masked CRC32C (the read loop inlines the same formula)."""
    if _crc32c is None:
        return None
    crc = _crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


class TensorBoardReader(Reader):
    format = FORMAT
    priority = 10
    directory_run = True

    def accepts_name(self, name: str) -> bool:
        return "tfevents" in name

    def read(self, path: str) -> Source:
        scalars, problems = read_scalars(path)
        return Source(path=path, format=FORMAT, curves=_curves(scalars, path), problems=problems)


Scalars = dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
#: Every this many bytes, queued records are decoded and the mapped file's resident pages are
#: handed back, so memory follows the number of scalars kept, not the size of the file.
RELEASE_BYTES = 32 << 20
#: Records shorter than this are not searched for a non-scalar plugin name: scalar events are
#: ~100 bytes, and the few short others are told apart when decoded.
SEARCH_FROM_BYTES = 256


def read_scalars(path: str) -> tuple[Scalars, list[ReadProblem]]:
    """{tag: (steps, wall_times, values)} in file order, plus problems met on the way.

    The loop only frames records: it checks the length CRC (cached per length), skips histogram,
    image, audio and text records by their plugin name without decoding or checksumming them (nothing
    in them is used), checks the data CRC of the rest and hands them to `EventBatch`, which decodes
    them in bulk.
    """
    size = os.path.getsize(path)
    if size == 0:
        raise ReadError("empty event file (0 bytes)", offset=0)
    problems: list[ReadProblem] = []
    batch = EventBatch()
    queue = batch.records.append
    offsets: list[int] = []  # file offset of each record handed to the batch
    records = 0
    header_crcs: dict[int, int | None] = {}
    unpack_header, unpack_u32 = _HEADER.unpack_from, _U32.unpack_from
    crc32c = _crc32c
    release = getattr(mmap, "MADV_DONTNEED", None)
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        offset = released = 0
        while offset < size:
            if size - offset < 12:
                problems.append(_truncated(path, offset, records))
                break
            length, length_crc = unpack_header(buf, offset)
            expected = header_crcs.get(length, -1)
            if expected == -1:
                expected = header_crcs[length] = _masked_crc(buf[offset:offset + 8])
            if (expected is not None and expected != length_crc) or length > MAX_RECORD:
                what = "corrupt record header (length CRC mismatch)" if length <= MAX_RECORD else f"implausible record length {length}"
                resume = _resync(buf, offset + 1, size)
                if resume is None:
                    if records == 0:
                        raise ReadError(f"not a TensorBoard event file ({what})", offset=offset)
                    problems.append(ReadProblem(path, f"{what} after {records} records; no valid record after it", offset=offset))
                    break
                problems.append(ReadProblem(path, f"{what}; skipped {resume - offset} bytes to the next valid record", offset=offset))
                offset = resume
                continue
            start = offset + 12
            stop = start + length
            if stop + 4 > size:
                problems.append(_truncated(path, offset, records))
                break
            record_start, offset = offset, stop + 4
            if length >= SEARCH_FROM_BYTES and other_plugin(buf, start, stop):
                records += 1
                continue  # histogram/image/audio/text summary, found by its plugin name: never decoded
            payload = buf[start:stop]
            if crc32c is not None:
                crc = crc32c(payload)
                if (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF != unpack_u32(buf, stop)[0]:
                    problems.append(ReadProblem(path, "corrupt record (data CRC mismatch); record skipped", offset=record_start))
                    continue
            records += 1
            queue(payload)
            offsets.append(record_start)
            if offset - released > RELEASE_BYTES:
                batch.flush()
                upto = offset - offset % mmap.PAGESIZE
                if release is not None:
                    buf.madvise(release, released, upto - released)
                released = upto
        scalars = batch.series()
    for index in batch.undecodable:
        problems.append(ReadProblem(path, "record is not a valid Event protobuf; skipped", offset=offsets[index]))
    problems.sort(key=lambda p: p.offset if p.offset is not None else -1)
    return scalars, problems


def _resync(buf, start: int, size: int) -> int | None:
    """The next offset at or after `start` holding a whole record whose length CRC and data
    CRC both check out: where reading can resume after a corrupt header. Needs CRC32C."""
    if _crc32c is None:
        return None
    unpack_header, unpack_u32 = _HEADER.unpack_from, _U32.unpack_from
    for pos in range(start, size - 16 + 1):
        length, length_crc = unpack_header(buf, pos)
        if length > size - pos - 16 or _masked_crc(buf[pos:pos + 8]) != length_crc:
            continue
        if _masked_crc(buf[pos + 12:pos + 12 + length]) == unpack_u32(buf, pos + 12 + length)[0]:
            return pos
    return None


def _truncated(path: str, offset: int, records: int) -> ReadProblem:
    return ReadProblem(path, f"file ends inside a record after {records} complete records (still being written?); read what was complete",
                       offset=offset, severity=Severity.INFO)


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
