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
from collections import defaultdict

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
_DTYPES = {1: "<f4", 2: "<f8", 3: "<i4", 9: "<i8", 19: "<f2", 6: "<i1", 4: "<u1", 5: "<i2"}


def _masked_crc(data: bytes) -> int | None:
    try:
        import google_crc32c
    except ImportError:  # pragma: no cover - optional speed-up; records are still framed
        return None
    crc = google_crc32c.value(data)
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


def read_scalars(path: str) -> tuple[dict[str, list[tuple[int, float, float]]], list[ReadProblem]]:
    """{tag: [(step, wall_time, value), ...]} in file order, plus problems met on the way."""
    from tensorboard.compat.proto import event_pb2

    size = os.path.getsize(path)
    if size == 0:
        raise ReadError("empty event file (0 bytes)", offset=0)
    problems: list[ReadProblem] = []
    out: dict[str, list[tuple[int, float, float]]] = defaultdict(list)
    records = 0
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        offset = 0
        while offset < size:
            if size - offset < _HEADER.size:
                problems.append(_truncated(path, offset, records))
                break
            length, length_crc = _HEADER.unpack_from(buf, offset)
            expected = _masked_crc(buf[offset : offset + 8])
            if expected is not None and expected != length_crc:
                if records == 0:
                    raise ReadError("not a TensorBoard event file (bad record header)", offset=offset)
                problems.append(ReadProblem(path, f"corrupt record header (length CRC mismatch) after {records} records; rest of file skipped", offset=offset))
                break
            if length > MAX_RECORD:
                if records == 0:
                    raise ReadError(f"not a TensorBoard event file (record length {length})", offset=offset)
                problems.append(ReadProblem(path, f"record length {length} is implausible; rest of file skipped", offset=offset))
                break
            end = offset + _HEADER.size + length + _U32.size
            if end > size:
                problems.append(_truncated(path, offset, records))
                break
            payload = buf[offset + _HEADER.size : end - _U32.size]
            expected = _masked_crc(payload)
            if expected is not None and expected != _U32.unpack_from(buf, end - _U32.size)[0]:
                problems.append(ReadProblem(path, "corrupt record (data CRC mismatch); record skipped", offset=offset))
                offset = end
                continue
            records += 1
            offset = end
            if _SKIP_PLUGINS.search(payload) and _SCALARS not in payload:
                continue  # histogram/image/audio/text summary, found by its plugin name: never decoded
            try:
                event = event_pb2.Event.FromString(payload)
            except Exception:  # protobuf's DecodeError and friends
                problems.append(ReadProblem(path, "record is not a valid Event protobuf; skipped", offset=offset))
                continue
            if not event.HasField("summary"):
                continue
            for value in event.summary.value:
                scalar = _scalar(value)
                if scalar is not None:
                    out[value.tag].append((event.step, event.wall_time, scalar))
    return out, problems


def _truncated(path: str, offset: int, records: int) -> ReadProblem:
    return ReadProblem(path, f"file ends inside a record after {records} complete records (still being written?); read what was complete",
                       offset=offset, severity=Severity.INFO)


def _scalar(value) -> float | None:
    kind = value.WhichOneof("value")
    if kind == "simple_value":
        return float(value.simple_value)
    if kind != "tensor":
        return None
    plugin = value.metadata.plugin_data.plugin_name
    if plugin and plugin != "scalars":
        return None
    tensor = value.tensor
    if tensor.tensor_shape.dim:
        return None
    if tensor.tensor_content:
        dtype = _DTYPES.get(tensor.dtype)
        if dtype is None or len(tensor.tensor_content) != np.dtype(dtype).itemsize:
            return None
        return float(np.frombuffer(tensor.tensor_content, dtype=dtype)[0])
    for field in ("float_val", "double_val", "int64_val", "int_val"):
        vals = getattr(tensor, field)
        if len(vals):
            return float(vals[0])
    if len(tensor.half_val):
        return float(np.array([tensor.half_val[0]], dtype=np.uint16).view(np.float16)[0])
    return None


def _curves(scalars: dict[str, list[tuple[int, float, float]]], path: str) -> list[Curve]:
    hint = split_hint_for(path)
    epoch_map = _epoch_map(scalars.pop("epoch", None))
    names = canonical_all(scalars, split_hint=hint)
    curves = []
    for raw, canon in names.items():
        points = scalars[raw]
        steps = np.fromiter((p[0] for p in points), dtype=np.int64, count=len(points))
        wall = np.fromiter((p[1] for p in points), dtype=np.float64, count=len(points))
        values = np.fromiter((p[2] for p in points), dtype=np.float64, count=len(points))
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


def _epoch_map(points: list[tuple[int, float, float]] | None) -> tuple[np.ndarray, np.ndarray] | None:
    if not points:
        return None
    steps = np.asarray([p[0] for p in points], dtype=np.int64)
    epochs = np.asarray([p[2] for p in points], dtype=np.float64)
    order = np.argsort(steps, kind="stable")
    return steps[order], epochs[order]
