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
import re
import struct

import numpy as np

from curvelint.model import BATCH, EPOCH, Curve, ReadProblem, Severity
from curvelint.readers.base import Reader, ReadError, Source, add_epoch_means, epochs_at, split_hint_for
from curvelint.readers.names import canonical_all

FORMAT = "tensorboard"
_HEADER = struct.Struct("<QI")
_U32 = struct.Struct("<I")
#: A length no real event record reaches (TensorBoard caps summaries far below this).
MAX_RECORD = 1 << 30
#: TensorFlow DataType enum -> numpy dtype, for scalar tensors stored as raw bytes.
#: PluginData.plugin_name as serialized (field 1, length, name): cheap to find without decoding.
_SKIP_PLUGINS = re.compile(rb"\x0a(?:\x0ahistograms|\x06images|\x05audio|\x04text|\x07hparams|\x0cpr_curves)")
_SCALARS = b"\x0a\x07scalars"


try:  # CRC32C in C; without it records are still framed and decoded, just not verified
    from google_crc32c import value as _crc32c
except ImportError:  # pragma: no cover
    _crc32c = None


def _masked_crc(data) -> int | None:
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


Scalars = dict[str, tuple[list[int], list[float], list[float]]]


def read_scalars(path: str) -> tuple[Scalars, list[ReadProblem]]:
    """{tag: (steps, wall_times, values)} in file order, plus problems met on the way.

    The hot loop touches each record once: frame it, check both CRCs, skip histogram/image
    records by their plugin name without decoding them, decode the rest with upb.
    """
    from tensorboard.compat.proto import event_pb2

    size = os.path.getsize(path)
    if size == 0:
        raise ReadError("empty event file (0 bytes)", offset=0)
    problems: list[ReadProblem] = []
    out: Scalars = {}
    records = 0
    parse = event_pb2.Event.FromString
    unpack_header, unpack_u32 = _HEADER.unpack_from, _U32.unpack_from
    skip, scalars_marker = _SKIP_PLUGINS.search, _SCALARS
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        offset = 0
        while offset < size:
            if size - offset < 12:
                problems.append(_truncated(path, offset, records))
                break
            length, length_crc = unpack_header(buf, offset)
            expected = _masked_crc(buf[offset:offset + 8])
            bad = (expected is not None and expected != length_crc) or length > MAX_RECORD
            if bad:
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
            end = start + length + 4
            if end > size:
                problems.append(_truncated(path, offset, records))
                break
            payload = buf[start:start + length]
            expected = _masked_crc(payload)
            if expected is not None and expected != unpack_u32(buf, start + length)[0]:
                problems.append(ReadProblem(path, "corrupt record (data CRC mismatch); record skipped", offset=offset))
                offset = end
                continue
            records += 1
            record_start, offset = offset, end
            if skip(payload) and scalars_marker not in payload:
                continue  # histogram/image/audio/text summary, found by its plugin name: never decoded
            try:
                event = parse(payload)
            except Exception:  # protobuf's DecodeError and friends
                problems.append(ReadProblem(path, "record is not a valid Event protobuf; skipped", offset=record_start))
                continue
            if not event.HasField("summary"):
                continue
            step, wall = event.step, event.wall_time
            for value in event.summary.value:
                scalar = _scalar(value)
                if scalar is not None:
                    tag = value.tag
                    series = out.get(tag)
                    if series is None:
                        series = out[tag] = ([], [], [])
                    series[0].append(step)
                    series[1].append(wall)
                    series[2].append(scalar)
    return out, problems


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


_UNPACK = {1: struct.Struct("<f"), 2: struct.Struct("<d"), 3: struct.Struct("<i"), 9: struct.Struct("<q"),
           19: struct.Struct("<e"), 6: struct.Struct("<b"), 4: struct.Struct("<B"), 5: struct.Struct("<h")}


def _scalar(value) -> float | None:
    """The number in one Summary.Value, or None if it is not a scalar."""
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
    for field in ("float_val", "double_val", "int64_val", "int_val"):
        vals = getattr(tensor, field)
        if len(vals):
            return float(vals[0])
    if len(tensor.half_val):
        return float(_UNPACK[19].unpack(struct.pack("<H", tensor.half_val[0]))[0])
    return None


def _curves(scalars: Scalars, path: str) -> list[Curve]:
    hint = split_hint_for(path)
    epoch_map = _epoch_map(scalars.pop("epoch", None))
    names = canonical_all(scalars, split_hint=hint)
    curves = []
    for raw, canon in names.items():
        step_list, wall_list, value_list = scalars[raw]
        steps = np.asarray(step_list, dtype=np.int64)
        wall = np.asarray(wall_list, dtype=np.float64)
        values = np.asarray(value_list, dtype=np.float64)
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


def _epoch_map(series: tuple[list[int], list[float], list[float]] | None) -> tuple[np.ndarray, np.ndarray] | None:
    if not series or not series[0]:
        return None
    steps = np.asarray(series[0], dtype=np.int64)
    epochs = np.asarray(series[2], dtype=np.float64)
    order = np.argsort(steps, kind="stable")
    return steps[order], epochs[order]
