"""TFRecord framing: where each record of an event file starts, and what is wrong where.

A record is: u64 length, u32 masked CRC32C of those 8 bytes, payload, u32 masked CRC32C of the
payload. Framing follows the chain of lengths and checks every header CRC. Event files repeat a
short cycle of record lengths (one event per metric per epoch, then a histogram), so once the
last lengths repeat, the next few thousand headers are predicted from that cycle and checked in
one numpy comparison against the exact header bytes each length must have; the first header
that differs ends the prediction and the plain loop takes over again. Both paths accept exactly
the same records. Payload CRCs are the decoder's job: it checks the records it reads.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

from curvelint.model import ReadProblem, Severity
from curvelint.readers.base import still_written

_HEADER = struct.Struct("<QI")
_U32 = struct.Struct("<I")
#: A length no real event record reaches (TensorBoard caps summaries far below this).
MAX_RECORD = 1 << 30
#: Longest cycle of record lengths looked for; records predicted in the first and in any one go.
MAX_PERIOD = 16
FIRST_PREDICTED = 1024
MAX_PREDICTED = 1 << 14

try:  # CRC32C in C; without it records are still framed and decoded, just not verified
    from google_crc32c import value as crc32c
except ImportError:  # pragma: no cover
    crc32c = None


def masked_crc(data) -> int | None:
    """TFRecord's masked CRC32C of `data` (bytes), None when no CRC32C implementation is installed."""
    if crc32c is None:
        return None
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def masked_crcs(crcs: np.ndarray) -> np.ndarray:
    """`masked_crc` for a uint32 array of plain CRC32C values (uint32 arithmetic wraps as the mask needs)."""
    return ((crcs >> np.uint32(15)) | (crcs << np.uint32(17))) + np.uint32(0xA282EAD8)


def windows(data: np.ndarray, width: int, dtype=np.uint8) -> np.ndarray:
    """A view of `data` with one item (`width` uint8s, or one `dtype` number) starting at every
    byte offset: indexing it with offsets gathers from records without a per-record loop."""
    if dtype == np.uint8:
        return np.ndarray(shape=(len(data) - width + 1, width), dtype=np.uint8, buffer=data, strides=(1, 1))
    return np.ndarray(shape=(len(data) - np.dtype(dtype).itemsize + 1,), dtype=dtype, buffer=data, strides=(1,))


class NotEventFile(Exception):
    """The very first record header is broken and nothing after it is a record."""

    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.message, self.offset = message, offset


@dataclass
class Framer:
    """Frames one mapped file window by window; `problems` collects what was skipped and why."""

    buf: object                      # the mapped file (bytes-like)
    data: np.ndarray                 # the same bytes as a uint8 array
    path: str
    offset: int = 0                  # where the next record header is expected
    records: int = 0
    done: bool = False
    problems: list[ReadProblem] = field(default_factory=list)
    _headers: dict[int, bytes] = field(default_factory=dict)
    _recent: list[int] = field(default_factory=list)
    _retry_at: int = 0
    _backoff: int = 1
    _cycle: list[int] = field(default_factory=list)  # the last cycle of lengths that held
    _cycles: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray, int]] = field(default_factory=dict)

    def frame(self, until: int) -> tuple[np.ndarray, np.ndarray]:
        """(record offsets, payload lengths) of the whole records starting before `until`
        (a predicted run may end a little after it)."""
        buf, size = self.buf, len(self.data)
        unpack_header = _HEADER.unpack_from
        recent = self._recent
        pieces: list[tuple[np.ndarray, np.ndarray]] = []
        offsets: list[int] = []
        lengths: list[int] = []
        offset = self.offset
        while offset < min(size, until) and not self.done:
            if size - offset < 12:
                self._truncated(offset)
                break
            length, length_crc = unpack_header(buf, offset)
            header = self._header(length) if length <= MAX_RECORD else None
            if header is None or (crc32c is not None and _U32.unpack_from(header, 8)[0] != length_crc):
                offset = self._corrupt(offset, length)
                continue
            end = offset + 16 + length
            if end > size:
                self._truncated(offset)
                break
            offsets.append(offset)
            lengths.append(length)
            offset = end
            self.records += 1
            recent.append(length)
            if len(recent) > 2 * MAX_PERIOD:
                del recent[:MAX_PERIOD]
            if self.records >= self._retry_at and offset < size:
                predicted = self._predict(offset)
                if predicted is not None:
                    pieces.append((np.asarray(offsets, dtype=np.int64), np.asarray(lengths, dtype=np.int64)))
                    pieces.append(predicted)
                    offsets, lengths = [], []
                    self.records += len(predicted[0])
                    recent.extend(predicted[1][-2 * MAX_PERIOD:].tolist())
                    offset = int(predicted[0][-1]) + 16 + int(predicted[1][-1])
        if offset >= size:
            self.done = True
        self.offset = offset
        pieces.append((np.asarray(offsets, dtype=np.int64), np.asarray(lengths, dtype=np.int64)))
        return np.concatenate([p[0] for p in pieces]), np.concatenate([p[1] for p in pieces])

    def _predict(self, offset: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Records from `offset` on, if the file goes on with a cycle of record lengths: the
        cycle last seen (an image every 50 epochs interrupts it only once), or one the last
        lengths repeat. After a miss the next try waits twice as long as the last (up to 64)."""
        recent = self._recent
        if crc32c is not None and offset + 12 <= len(self.data):
            following = _HEADER.unpack_from(self.buf, offset)[0]
            known = self._cycle
            for r in (i for i, n in enumerate(known) if n == following):
                got = self._follow(offset, known[r:] + known[:r])
                if got is not None:
                    return got
            period = next((p for p in range(1, min(MAX_PERIOD, len(recent) // 2) + 1) if recent[-p:] == recent[-2 * p:-p]), 0)
            if period and recent[-period] == following:
                got = self._follow(offset, recent[-period:])
                if got is not None:
                    self._cycle = recent[-period:]
                    return got
        self._backoff = min(64, self._backoff * 2)
        self._retry_at = self.records + self._backoff
        return None

    def _follow(self, offset: int, lengths_cycle: list[int]) -> tuple[np.ndarray, np.ndarray] | None:
        """The records from `offset` on whose headers are exactly those `lengths_cycle` predicts:
        FIRST_PREDICTED records first, then four times as many while every header matches."""
        self._backoff = 1
        period = len(lengths_cycle)
        key = tuple(lengths_cycle)
        known = self._cycles.get(key)
        if known is None:  # the cycle's lengths, their header CRCs, and its size in bytes
            cycle = np.asarray(lengths_cycle, dtype=np.int64)
            crc = np.array([_U32.unpack_from(self._header(n), 8)[0] for n in lengths_cycle], dtype=np.uint32)
            known = self._cycles[key] = (cycle, crc, int(cycle.sum()) + 16 * period)
        cycle, crc, span = known
        lengths_of, crcs_of = windows(self.data, 1, "<u8"), windows(self.data, 1, "<u4")
        found: list[tuple[np.ndarray, np.ndarray]] = []
        want = max(1, FIRST_PREDICTED // period)
        while True:
            cycles = min((len(self.data) - offset) // span, want)
            if cycles < 1:
                break
            lengths = np.tile(cycle, cycles)
            offsets = offset + np.concatenate(([0], np.cumsum(lengths[:-1] + 16)))
            ok = (lengths_of[offsets] == lengths) & (crcs_of[offsets + 8] == np.tile(crc, cycles))
            good = len(ok) if ok.all() else int(np.argmin(ok))
            if good:
                found.append((offsets[:good], lengths[:good]))
            if good < len(ok):
                break
            offset += cycles * span
            want = min(want * 4, MAX_PREDICTED // period)
        if not found:
            return None
        return np.concatenate([f[0] for f in found]), np.concatenate([f[1] for f in found])

    def _header(self, length: int) -> bytes:
        """The 12 header bytes a record of `length` must start with (cached: lengths repeat)."""
        header = self._headers.get(length)
        if header is None:
            prefix = struct.pack("<Q", length)
            crc = masked_crc(prefix)
            header = self._headers[length] = prefix + struct.pack("<I", crc if crc is not None else 0)
        return header

    def _corrupt(self, offset: int, length: int) -> int:
        """Report a broken header; returns the offset of the next whole valid record, or the end
        of the file (and `done`) when there is none."""
        what = "corrupt record header (length CRC mismatch)" if length <= MAX_RECORD else f"implausible record length {length}"
        size = len(self.data)
        resume = _resync(self.buf, offset + 1, size)
        if resume is None:
            if self.records == 0:
                raise NotEventFile(f"not a TensorBoard event file ({what})", offset)
            self.problems.append(ReadProblem(self.path, f"{what} after {self.records} records; no valid record after it", offset=offset))
            self.done = True
            return size
        self.problems.append(ReadProblem(self.path, f"{what}; skipped {resume - offset} bytes to the next valid record", offset=offset))
        return resume

    def _truncated(self, offset: int) -> None:
        """The file ends inside a record: a note, or, for a file still being written, nothing (its
        writer has not finished that record; the next read gets it, as TensorBoard does)."""
        self.done = True
        if still_written(self.path):
            return
        self.problems.append(ReadProblem(
            self.path, f"file ends inside a record after {self.records} complete records (still being written?); read what was complete",
            offset=offset, severity=Severity.INFO))


def _resync(buf, start: int, size: int) -> int | None:
    """The next offset at or after `start` holding a whole record whose length CRC and data
    CRC both check out: where reading can resume after a corrupt header. Needs CRC32C."""
    if crc32c is None:
        return None
    unpack_header, unpack_u32 = _HEADER.unpack_from, _U32.unpack_from
    for pos in range(start, size - 16 + 1):
        length, length_crc = unpack_header(buf, pos)
        if length > size - pos - 16 or masked_crc(buf[pos:pos + 8]) != length_crc:
            continue
        if masked_crc(buf[pos + 12:pos + 12 + length]) == unpack_u32(buf, pos + 12 + length)[0]:
            return pos
    return None
