"""Decode a batch of TensorBoard Event records into scalar series, mostly without protobuf objects.

A training log repeats a handful of record layouts thousands of times: the same tag, metadata,
dtype and shape, with only wall_time, step and the number changing. So records are grouped by
length; one record of each group is walked field by field to find its layout (where wall_time,
step and each scalar sit), and every record of the group whose other bytes are identical to it is
decoded at once with numpy. Identical bytes around the same fixed-width slots mean an identical
parse, so this gives exactly what protobuf would. Whatever does not fit a layout (unusual fields,
repeated fields, int/half tensors, big records) is decoded one by one with TensorBoard's upb
classes, which stay the reference semantics.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field

import numpy as np

#: TensorFlow DataType enum -> (numpy dtype, struct format) of scalars stored as raw tensor_content.
_DTYPES = {1: ("<f4", "<f"), 2: ("<f8", "<d"), 3: ("<i4", "<i"), 9: ("<i8", "<q"), 19: ("<f2", "<e"),
           6: ("i1", "<b"), 4: ("u1", "<B"), 5: ("<i2", "<h")}
_UNPACK = {code: struct.Struct(fmt) for code, (_, fmt) in _DTYPES.items()}
#: Event fields that never hold a scalar (every field but wall_time, step and summary).
_NO_SCALARS = frozenset({3, 4, 6, 7, 8, 9, 10})
#: Layouts tried per record length before the rest of that group goes to upb one by one.
MAX_LAYOUTS = 16

#: PluginData.plugin_name as serialized (field 1, length, name): found without decoding.
_OTHER_PLUGINS = re.compile(rb"\x0a(?:\x0ahistograms|\x06images|\x05audio|\x04text|\x07hparams|\x0cpr_curves)")
_SCALARS = b"\x0a\x07scalars"

Series = tuple[np.ndarray, np.ndarray, np.ndarray]


def other_plugin(data, start: int = 0, stop: int | None = None) -> bool:
    """True if the record names a non-scalar plugin (histograms, images, ...) and not `scalars`:
    nothing in it is read, so it is neither decoded nor checksummed."""
    stop = len(data) if stop is None else stop
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
    for number, wire, start, stop in _fields(record, 0, len(record)):
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
            pass  # file_version, graph_def, log_message, session_log, run metadata, meta graph, source
        else:
            raise _NoLayout
    if layout.values and other_plugin(record):
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
    """Candidate scalar records in file order: append payloads to `records`, then `series()`.

    Appending is all the read loop does per record; `flush()` decodes what is queued so far
    (the reader calls it every few MB, which bounds the memory held by queued payloads).
    """

    def __init__(self) -> None:
        self.records: list[bytes] = []
        self._done = 0  # records decoded by earlier flushes: the index of records[0]
        self._parts: dict[str, list[tuple[np.ndarray, ...]]] = {}
        self.undecodable: list[int] = []  # indices of records upb could not parse either

    def flush(self) -> None:
        """Decode the queued records: grouped by length, each group one contiguous matrix."""
        records, first = self.records.copy(), self._done
        self.records.clear()  # in place: the reader holds `records.append`
        self._done += len(records)
        if not records:
            return
        lengths = np.fromiter(map(len, records), dtype=np.int64, count=len(records))
        order = np.argsort(lengths, kind="stable")
        ordered = lengths[order]
        blob = b"".join([records[i] for i in order.tolist()])
        starts = np.flatnonzero(np.diff(ordered, prepend=-1))
        ends = np.append(starts[1:], len(order))
        offset = 0
        for lo, hi in zip(starts.tolist(), ends.tolist()):
            length = int(ordered[lo])
            indices = order[lo:hi]
            rows = np.frombuffer(blob, dtype=np.uint8, count=(hi - lo) * length, offset=offset).reshape(hi - lo, length)
            self._decode_group(rows, indices + first, [records[i] for i in indices.tolist()])
            offset += (hi - lo) * length

    def series(self) -> dict[str, Series]:
        """{tag: (steps int64, wall_times float64, values float64)} in file order."""
        self.flush()
        out: dict[str, Series] = {}
        for tag, parts in self._parts.items():
            index, steps, walls, values = (np.concatenate(column) for column in zip(*parts))
            order = np.argsort(index, kind="stable")
            out[tag] = (steps[order], walls[order], values[order])
        return out

    def _emit(self, tag: str, index: np.ndarray, steps: np.ndarray, walls: np.ndarray, values: np.ndarray) -> None:
        parts = self._parts.get(tag)
        if parts is None:
            parts = self._parts[tag] = []
        parts.append((index, steps, walls, values))

    def _decode_group(self, rows: np.ndarray, indices: np.ndarray, payloads: list[bytes]) -> None:
        """Rows of one length: peel off one layout at a time, decoding all rows that share it."""
        length = rows.shape[1]
        pending = np.arange(len(payloads))
        for _ in range(MAX_LAYOUTS):
            if not pending.size:
                return
            first = int(pending[0])
            try:
                layout = layout_of(payloads[first])
            except (_NoLayout, UnicodeDecodeError):
                self._decode_one_by_one([(int(indices[first]), payloads[first])])
                pending = pending[1:]
                continue
            block = rows if pending.size == len(rows) else rows[pending]
            fixed = ~layout.variable_mask(length)
            match = (block[:, fixed] == block[0, fixed]).all(axis=1)
            steps = np.zeros(len(block), dtype=np.int64)
            if layout.step is not None:
                steps, ok = _varints(block, *layout.step)
                match &= ok
            chosen = block[match]
            index = indices[pending[match]]
            walls = _column(chosen, layout.wall, "<f8") if layout.wall is not None else np.zeros(len(chosen))
            steps = steps[match]
            for tag, offset, dtype in layout.values:
                self._emit(tag, index, steps, walls, _column(chosen, offset, dtype).astype(np.float64))
            pending = pending[~match]
        self._decode_one_by_one([(int(indices[i]), payloads[i]) for i in pending])

    def _decode_one_by_one(self, records: list[tuple[int, bytes]]) -> None:
        if not records:
            return
        from tensorboard.compat.proto import event_pb2

        parse = event_pb2.Event.FromString
        found: dict[str, tuple[list[int], list[int], list[float], list[float]]] = {}
        for index, payload in records:
            if other_plugin(payload):
                continue  # as the reader does with long records: never decoded
            try:
                event = parse(payload)
            except Exception:  # protobuf's DecodeError and friends
                self.undecodable.append(index)
                continue
            if not event.HasField("summary"):
                continue
            for value in event.summary.value:
                number = scalar_of(value)
                if number is not None:
                    series = found.get(value.tag)
                    if series is None:
                        series = found[value.tag] = ([], [], [], [])
                    series[0].append(index)
                    series[1].append(event.step)
                    series[2].append(event.wall_time)
                    series[3].append(number)
        for tag, (index, steps, walls, values) in found.items():
            self._emit(tag, np.asarray(index, dtype=np.int64), np.asarray(steps, dtype=np.int64),
                       np.asarray(walls, dtype=np.float64), np.asarray(values, dtype=np.float64))


def _column(rows: np.ndarray, offset: int, dtype: str) -> np.ndarray:
    width = np.dtype(dtype).itemsize
    return np.ascontiguousarray(rows[:, offset:offset + width]).view(dtype).reshape(len(rows))


def _varints(rows: np.ndarray, offset: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Decode a fixed-width varint column; `ok` is False where the bytes are not a varint of that width."""
    cols = rows[:, offset:offset + width]
    ok = cols[:, -1] < 0x80
    if width > 1:
        ok &= (cols[:, :-1] >= 0x80).all(axis=1)
    result = np.zeros(len(rows), dtype=np.uint64)
    for k in range(width):
        result |= (cols[:, k] & 0x7F).astype(np.uint64) << np.uint64(7 * k)
    return result.view(np.int64), ok


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
