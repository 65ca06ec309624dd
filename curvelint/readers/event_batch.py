"""Decode the records of an event file into scalar series, mostly without protobuf objects.

A training log repeats a handful of record layouts thousands of times: the same tag, metadata,
dtype and shape, with only wall_time, step and the number changing. So records are grouped by
length; one record of each group is walked field by field to find its layout (where wall_time,
step and each scalar sit), and every record of the group whose other bytes are identical to it is
decoded at once with numpy. Identical bytes around the same fixed-width slots mean an identical
parse, so this gives exactly what protobuf would. The payload CRCs of such rows follow from the
CRC of the first one (see `EventBatch._crc_ok`). Whatever does not fit a layout (unusual or
repeated fields, int/half tensors, two kinds of event in one) is decoded one by one with
TensorBoard's upb classes, which stay the reference semantics.
"""

from __future__ import annotations

import functools
import re
import struct
from dataclasses import dataclass, field

import numpy as np

from curvelint.readers.tfrecord import crc32c, masked_crc, masked_crcs, windows

#: TensorFlow DataType enum -> (numpy dtype, struct format) of scalars stored as raw tensor_content.
_DTYPES = {1: ("<f4", "<f"), 2: ("<f8", "<d"), 3: ("<i4", "<i"), 9: ("<i8", "<q"), 19: ("<f2", "<e"),
           6: ("i1", "<b"), 4: ("u1", "<B"), 5: ("<i2", "<h")}
_UNPACK = {code: struct.Struct(fmt) for code, (_, fmt) in _DTYPES.items()}
_STRUCTS = {dt: struct.Struct(fmt) for dt, fmt in _DTYPES.values()}
_F8 = struct.Struct("<d")
_U32 = struct.Struct("<I")
#: Event fields that never hold a scalar: the other members of the `what` oneof beside summary
#: (file_version, graph_def, log_message, session_log, run metadata, meta graph), and source_metadata.
_WHAT = frozenset({3, 4, 6, 7, 8, 9})
_NO_SCALARS = _WHAT | {10}
#: Layouts tried per record length before the rest of that group goes to upb one by one.
MAX_LAYOUTS = 16
#: Groups this small are decoded record by record (numpy's per-call cost would dominate).
FEW_ROWS = 8

#: PluginData.plugin_name as serialized (field 1, length, name): found without decoding.
_OTHER_PLUGINS = re.compile(rb"\x0a(?:\x0ahistograms|\x06images|\x05audio|\x04text|\x07hparams|\x0cpr_curves)")
_SCALARS = b"\x0a\x07scalars"

Series = tuple[np.ndarray, np.ndarray, np.ndarray]
#: Records at least this long that carry no scalar (histograms, images) are not checksummed:
#: nothing in them is read. Shorter ones always are (a file_version record, a bad scalar).
LONG_RECORD = 256


def other_plugin(data, start: int, stop: int) -> bool:
    """True if data[start:stop] names a non-scalar plugin (histograms, images, ...) and not
    `scalars`: such a record is skipped whole."""
    return _OTHER_PLUGINS.search(data, start, stop) is not None and data.find(_SCALARS, start, stop) < 0


class _NoLayout(Exception):
    """The record holds something the layout walker does not model; upb decodes it instead."""


@dataclass
class _Layout:
    """Where the variable bytes of one record layout sit; every other byte is fixed."""

    wall: int | None = None                   # offset of wall_time (fixed64 double)
    step: tuple[int, int] | None = None       # (offset, width) of the step varint
    values: list[tuple[str, int, str]] = field(default_factory=list)  # (tag, offset, numpy dtype)
    ignored: list[tuple[int, int]] = field(default_factory=list)  # [start, stop) of other plugins' tensors

    def variable_mask(self, length: int) -> np.ndarray:
        mask = np.zeros(length, dtype=bool)
        if self.wall is not None:
            mask[self.wall:self.wall + 8] = True
        if self.step is not None:
            mask[self.step[0]:self.step[0] + self.step[1]] = True
        for _, offset, dtype in self.values:
            mask[offset:offset + np.dtype(dtype).itemsize] = True
        for start, stop in self.ignored:
            mask[start:stop] = True
        return mask


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise _NoLayout
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def _fields(data: bytes, start: int, end: int, repeated: int = 0):
    """(field number, wire type, payload start, payload end) for each field in data[start:end].

    A singular field seen twice raises: protobuf's "last one wins" is left to upb."""
    pos = start
    seen = set()
    while pos < end:
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, stop = _varint(data, pos)
        elif wire == 1:
            stop = pos + 8
        elif wire == 5:
            stop = pos + 4
        elif wire == 2:
            length, pos = _varint(data, pos)
            stop = pos + length
        else:
            raise _NoLayout
        if stop > end or number in seen and number != repeated:
            raise _NoLayout
        seen.add(number)
        yield number, wire, pos, stop
        pos = stop


def layout_of(record: bytes) -> _Layout:
    """Walk one Event record and say where its wall_time, step and scalars are."""
    layout = _Layout()
    what = 0
    for number, wire, start, stop in _fields(record, 0, len(record)):
        if number == 5 or number in _WHAT:
            what += 1
            if what > 1:
                raise _NoLayout  # two members of the oneof: which one is kept is upb's to say
        if number == 1 and wire == 1:
            layout.wall = start
        elif number == 2 and wire == 0:
            layout.step = (start, stop - start)
        elif number == 5 and wire == 2:
            for vnum, vwire, vstart, vstop in _fields(record, start, stop, repeated=1):
                if vnum != 1 or vwire != 2:
                    raise _NoLayout
                _value_layout(record, vstart, vstop, layout)
        elif number in _NO_SCALARS and wire == 2:
            pass
        else:
            raise _NoLayout
    if layout.values and other_plugin(record, 0, len(record)):
        layout.values.clear()  # the reader skips such mixed records whole, whatever their length
    return layout


def _value_layout(record: bytes, start: int, stop: int, layout: _Layout) -> None:
    """One Summary.Value: a simple_value or a scalar tensor, tagged. The tensor of another plugin
    (a histogram) is left out, its bytes free to vary; anything else is not modelled."""
    tag = slot = tensor = None
    plugin = ""
    for number, wire, fstart, fstop in _fields(record, start, stop):
        if number == 1 and wire == 2:
            tag = record[fstart:fstop].decode("utf-8")
        elif number == 7 and wire == 2:
            pass  # node_name
        elif number == 9 and wire == 2:
            plugin = _plugin_name(record, fstart, fstop)
        elif number == 2 and wire == 5 and slot is None and tensor is None:
            slot = (fstart, "<f4")
        elif number == 8 and wire == 2 and slot is None:
            tensor = (fstart, fstop)
        else:
            raise _NoLayout  # no tag, several kinds of value, or an image/histo/audio proto
    if tag is None:
        raise _NoLayout
    if slot is None and tensor is None:
        return  # metadata only (hparams): no number
    if tensor is not None:
        if plugin not in ("", "scalars"):
            layout.ignored.append(tensor)
            return
        slot = _tensor_slot(record, *tensor)
    layout.values.append((tag, slot[0], slot[1]))


def _plugin_name(record: bytes, start: int, stop: int) -> str:
    name = ""
    for number, wire, fstart, fstop in _fields(record, start, stop):
        if number == 1 and wire == 2:
            for pnum, pwire, pstart, pstop in _fields(record, fstart, fstop):
                if pnum == 1 and pwire == 2:
                    name = record[pstart:pstop].decode("utf-8")
    return name


def _tensor_slot(record: bytes, start: int, stop: int) -> tuple[int, str]:
    """The offset and dtype of the one number in a scalar TensorProto."""
    dtype = 0
    slot = None
    for number, wire, fstart, fstop in _fields(record, start, stop):
        if number == 1 and wire == 0:
            dtype, _ = _varint(record, fstart)
        elif number == 2 and wire == 2:
            if fstop > fstart:  # a shape with dims (or unknown rank): not a scalar
                raise _NoLayout
        elif slot is None and number == 4 and wire == 2:
            slot = ("content", fstart, fstop - fstart)
        elif slot is None and number == 5 and (wire == 2 and fstop - fstart == 4 or wire == 5):
            slot = ("typed", fstart, "<f4")
        elif slot is None and number == 6 and (wire == 2 and fstop - fstart == 8 or wire == 1):
            slot = ("typed", fstart, "<f8")
        else:
            raise _NoLayout
    if slot is None:
        raise _NoLayout
    if slot[0] == "typed":
        return slot[1], slot[2]
    dt = _DTYPES.get(dtype, ("", ""))[0]
    if not dt or np.dtype(dt).itemsize != slot[2]:
        raise _NoLayout
    return slot[1], dt


class EventBatch:
    """Decodes the records of one mapped event file, window by window, into scalar series.

    Records are addressed by the offset of their header, which also orders the output.
    """

    def __init__(self, buf, data: np.ndarray) -> None:
        self.buf = buf      # the mapped file: bytes slices for CRC32C and upb
        self.data = data    # the same bytes as uint8, for gathering rows
        self.problems: list[tuple[int, str]] = []  # (record offset, what is wrong)
        self._parts: dict[str, list[tuple[np.ndarray, ...]]] = {}  # decoded a group at a time
        self._points: dict[str, tuple[list, list, list, list]] = {}  # decoded a record at a time

    def decode(self, offsets: np.ndarray, lengths: np.ndarray) -> None:
        """Decode framed records (header offsets, payload lengths), grouped by length."""
        if not offsets.size:
            return
        order = np.argsort(lengths, kind="stable")
        ordered = lengths[order]
        bounds = np.flatnonzero(np.diff(ordered, prepend=-1)).tolist() + [len(order)]
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            length = int(ordered[lo])
            starts = offsets[order[lo:hi]] + 12
            if hi - lo <= FEW_ROWS:
                self._decode_few(starts, length)
            else:
                self._decode_group(starts, length)

    def series(self) -> dict[str, Series]:
        """{tag: (steps int64, wall_times float64, values float64)} in file order."""
        for tag, (where, steps, walls, values) in self._points.items():
            self._emit(tag, np.asarray(where, dtype=np.int64), np.asarray(steps, dtype=np.int64),
                       np.asarray(walls, dtype=np.float64), np.asarray(values, dtype=np.float64))
        self._points = {}
        out: dict[str, Series] = {}
        for tag, parts in self._parts.items():
            where, steps, walls, values = (np.concatenate(column) for column in zip(*parts))
            order = np.argsort(where, kind="stable")
            out[tag] = (steps[order], walls[order], values[order])
        return out

    def _emit(self, tag: str, where: np.ndarray, steps: np.ndarray, walls: np.ndarray, values: np.ndarray) -> None:
        if not where.size:
            return  # every row failed its CRC: not even the tag is trusted
        parts = self._parts.get(tag)
        if parts is None:
            parts = self._parts[tag] = []
        parts.append((where, steps, walls, values))

    def _point(self, tag: str, where: int, step: int, wall: float, value: float) -> None:
        points = self._points.get(tag)
        if points is None:
            points = self._points[tag] = ([], [], [], [])
        points[0].append(where)
        points[1].append(step)
        points[2].append(wall)
        points[3].append(value)

    def _decode_few(self, starts: np.ndarray, length: int) -> None:
        """A handful of records of one length (the step-0 events, a file_version): one by one,
        with a known layout, as numpy's per-call cost would outweigh the work."""
        buf = self.buf
        for start in starts.tolist():
            payload = buf[start:start + length]
            if length >= LONG_RECORD and other_plugin(payload, 0, length):
                continue  # an image or a histogram of a length seen once: not worth a template
            try:
                layout = _template_for(np.frombuffer(payload, dtype=np.uint8)).layout
                step, width = _varint(payload, layout.step[0]) if layout.step is not None else (0, 0)
                if layout.step is not None and width - layout.step[0] != layout.step[1]:
                    raise _NoLayout  # the step varint is not as wide as in the layout
            except (_NoLayout, UnicodeDecodeError):
                self._decode_one_by_one(np.asarray([start]), length)
                continue
            if not layout.values and length >= LONG_RECORD:
                continue
            if crc32c is not None and masked_crc(payload) != _U32.unpack_from(buf, start + length)[0]:
                self._bad_crc(start)
                continue
            wall = _F8.unpack_from(payload, layout.wall)[0] if layout.wall is not None else 0.0
            step = step - (1 << 64) if step >= 1 << 63 else step
            for tag, offset, dtype in layout.values:
                self._point(tag, start - 12, step, wall, float(_STRUCTS[dtype].unpack_from(payload, offset)[0]))

    def _decode_group(self, starts: np.ndarray, length: int) -> None:
        """Records of one length: peel off one layout at a time, decoding all that share it."""
        pending = np.arange(len(starts))
        rows = None  # whole records, gathered once a layout with scalars needs them
        for _ in range(MAX_LAYOUTS):
            if not pending.size:
                return
            first = int(starts[pending[0]])
            try:
                template = _template_for(np.frombuffer(self.buf[first:first + length], dtype=np.uint8))
            except (_NoLayout, UnicodeDecodeError):
                self._decode_one_by_one(starts[pending[:1]], length)
                pending = pending[1:]
                continue
            layout = template.layout
            if not layout.values and length >= LONG_RECORD:
                # a histogram or an image: only its fixed bytes are compared, nothing is checksummed
                pending = pending[~template.matches_at(self.data, starts[pending])]
                continue
            if rows is None:
                rows = windows(self.data, length)[starts]
            block = rows if pending.size == len(rows) else rows[pending]
            match = template.matches(block)
            steps = np.zeros(len(block), dtype=np.int64)
            if layout.step is not None:
                steps, ok = _varints(block, *layout.step)
                match &= ok
            if match.all():  # the usual case: every remaining record has this layout
                chosen, pending = pending, pending[:0]
            else:
                chosen, pending, block, steps = pending[match], pending[~match], block[match], steps[match]
            intact = self._crc_ok(starts[chosen], length, block, template)
            if not intact.all():
                chosen, steps, block = chosen[intact], steps[intact], block[intact]
            if not layout.values:
                continue
            walls = _column(block, layout.wall, "<f8") if layout.wall is not None else np.zeros(len(block))
            where = starts[chosen] - 12
            for tag, offset, dtype in layout.values:
                self._emit(tag, where, steps, walls, _column(block, offset, dtype).astype(np.float64))
        self._decode_one_by_one(starts[pending], length)

    def _crc_ok(self, starts: np.ndarray, length: int, rows: np.ndarray | None = None,
                template: _Template | None = None) -> np.ndarray:
        """Which of these payloads match their stored CRC; the others are reported.

        Given `rows` that share `template`'s fixed bytes, only the first row's CRC32C is
        computed; the others follow exactly from it, since for messages of one length a CRC is
        affine: crc(a ^ d) = crc(a) ^ linear(d), and linear(d) is the XOR of one table lookup
        per differing byte.
        """
        if crc32c is None or not starts.size:
            return np.ones(len(starts), dtype=bool)
        if rows is None or template is None:
            buf = self.buf
            crcs = np.fromiter((crc32c(buf[s:s + length]) for s in starts.tolist()), dtype=np.uint32, count=len(starts))
        else:
            tables, base = template.crc_tables
            diff = (rows[:, template.variable] ^ rows[0, template.variable]).T + base
            crcs = np.bitwise_xor.reduce(tables.take(diff), axis=0) ^ np.uint32(crc32c(rows[0].tobytes()))
        ok = masked_crcs(crcs) == windows(self.data, 1, "<u4")[starts + length]
        if not ok.all():
            for start in starts[~ok].tolist():
                self._bad_crc(start)
        return ok

    def _bad_crc(self, start: int) -> None:
        self.problems.append((start - 12, "corrupt record (data CRC mismatch); record skipped"))

    def _decode_one_by_one(self, starts: np.ndarray, length: int) -> None:
        """Records no layout covers: decoded each with TensorBoard's upb classes."""
        if not starts.size:
            return
        from tensorboard.compat.proto import event_pb2

        parse = event_pb2.Event.FromString
        if length >= LONG_RECORD:  # a long histogram or image, even a broken one: not even checksummed
            starts = starts[[not other_plugin(self.buf, s, s + length) for s in starts.tolist()]]
        intact = self._crc_ok(starts, length)
        for start, ok in zip(starts.tolist(), intact.tolist()):
            payload = self.buf[start:start + length]
            if not ok or other_plugin(payload, 0, length):
                continue  # corrupt (reported), or a short record of another plugin: never decoded
            try:
                event = parse(payload)
            except Exception:  # protobuf's DecodeError and friends
                self.problems.append((start - 12, "record is not a valid Event protobuf; skipped"))
                continue
            for value in event.summary.value:
                number = scalar_of(value)
                if number is not None:
                    self._point(value.tag, start - 12, event.step, event.wall_time, number)


@dataclass
class _Template:
    """A layout with what matching and checksumming rows of it needs, built once."""

    layout: _Layout
    keep: np.ndarray          # per byte: 0xFF where fixed, 0 where variable
    fixed: bytes              # a record of this layout with its variable bytes zeroed
    variable: np.ndarray      # positions of the variable bytes

    @classmethod
    def of(cls, row: np.ndarray) -> _Template:
        layout = layout_of(row.tobytes())
        mask = layout.variable_mask(len(row))
        keep = np.where(mask, 0, 0xFF).astype(np.uint8)
        return cls(layout, keep, (row & keep).tobytes(), np.flatnonzero(mask))

    @functools.cached_property
    def crc_tables(self) -> tuple[np.ndarray, np.ndarray]:
        """For each variable position, what each byte value there adds to the CRC, all in one
        flat table; and where each position's 256 entries start in it, as a column."""
        length = len(self.keep)
        tables = [_crc_table(length - 1 - int(p)) for p in self.variable]
        flat = np.concatenate(tables) if tables else np.zeros(0, np.uint32)
        return flat, (np.arange(len(self.variable)) * 256)[:, None]

    def matches_at(self, data: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """`matches` for the records at `starts`, gathering only the bytes that decide it."""
        positions, expected = self.fixed_positions
        match = (data[starts[:, None] + positions] == expected).all(axis=1)
        if self.layout.step is not None:
            offset, width = self.layout.step
            match &= _varint_ok(data[starts[:, None] + np.arange(offset, offset + width)])
        return match

    @functools.cached_property
    def fixed_positions(self) -> tuple[np.ndarray, np.ndarray]:
        positions = np.flatnonzero(self.keep)
        return positions, np.frombuffer(self.fixed, dtype=np.uint8)[positions]

    def matches(self, rows: np.ndarray) -> np.ndarray:
        """Which rows have exactly this template's fixed bytes (compared as whole rows)."""
        masked = np.ascontiguousarray(rows & self.keep)
        return masked.view(f"V{rows.shape[1]}").ravel() == np.frombuffer(self.fixed, dtype=f"V{rows.shape[1]}")[0]


#: Templates seen so far, by record length: the same few layouts recur in every file of a
#: tree, and checking a row against a known template is cheaper than walking it again.
_TEMPLATES: dict[int, list[_Template]] = {}
MAX_TEMPLATES = 512


def _template_for(row: np.ndarray) -> _Template:
    """The template of one record row: a known one whose fixed bytes this row has, or a new one."""
    known = _TEMPLATES.setdefault(len(row), [])
    for template in known:
        if (row & template.keep).tobytes() == template.fixed:
            return template
    template = _Template.of(row)
    if sum(map(len, _TEMPLATES.values())) >= MAX_TEMPLATES:
        _TEMPLATES.clear()
        known = _TEMPLATES[len(row)] = []
    known.append(template)
    return template


@functools.lru_cache(maxsize=4096)
def _crc_table(trailing: int) -> np.ndarray:
    """What each value of one byte followed by `trailing` bytes adds to a CRC32C (its linear part)."""
    zeros = bytes(trailing)
    base = crc32c(bytes(1) + zeros)
    basis = np.array([crc32c(bytes([1 << bit]) + zeros) ^ base for bit in range(8)], dtype=np.uint32)
    bits = (np.arange(256)[:, None] >> np.arange(8)) & 1
    return np.bitwise_xor.reduce(np.where(bits == 1, basis, np.uint32(0)), axis=1).astype(np.uint32)


def _column(rows: np.ndarray, offset: int, dtype: str) -> np.ndarray:
    width = np.dtype(dtype).itemsize
    return np.ascontiguousarray(rows[:, offset:offset + width]).view(dtype).reshape(len(rows))


def _varints(rows: np.ndarray, offset: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Decode a fixed-width varint column; `ok` is False where the bytes are not a varint of that width."""
    if width == 1:  # steps below 128
        steps = rows[:, offset].astype(np.int64)
        return steps, steps < 0x80
    cols = rows[:, offset:offset + width]
    ok = _varint_ok(cols)
    result = np.zeros(len(rows), dtype=np.uint64)
    for k in range(width):
        result |= (cols[:, k] & 0x7F).astype(np.uint64) << np.uint64(7 * k)
    return result.view(np.int64), ok


def _varint_ok(cols: np.ndarray) -> np.ndarray:
    """Rows whose bytes are one varint exactly this wide: continuation bits on all but the last."""
    ok = cols[:, -1] < 0x80
    if cols.shape[1] > 1:
        ok &= (cols[:, :-1] >= 0x80).all(axis=1)
    return ok


def scalar_of(value) -> float | None:
    """The number in one decoded Summary.Value, or None if it is not a scalar."""
    if value.HasField("tensor"):
        plugin = value.metadata.plugin_data.plugin_name
        if plugin and plugin != "scalars":
            return None
        return _scalar_tensor(value.tensor)
    if value.WhichOneof("value") == "simple_value":
        return float(value.simple_value)
    return None


def _scalar_tensor(tensor) -> float | None:
    """The number in a scalar TensorProto (raw bytes or a typed field), None if not a scalar."""
    content = tensor.tensor_content
    if content:
        unpack = _UNPACK.get(tensor.dtype)
        if unpack is None or len(content) != unpack.size or tensor.tensor_shape.dim:
            return None
        return float(unpack.unpack(content)[0])
    if tensor.tensor_shape.dim:
        return None
    for name in ("float_val", "double_val", "int64_val", "int_val"):
        vals = getattr(tensor, name)
        if len(vals):
            return float(vals[0])
    if len(tensor.half_val):
        return float(_UNPACK[19].unpack(struct.pack("<H", tensor.half_val[0]))[0])
    return None
