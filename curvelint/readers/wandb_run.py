"""Weights & Biases local run dirs: `wandb/run-<time>-<id>/` (and `offline-run-*`).

What a run dir holds depends on the client's version. W&B 0.8/0.9 wrote `wandb-history.jsonl`
(one JSON object per `wandb.log` call, with `_step`, `_runtime`, `_timestamp`) and
`wandb-summary.json` in the run dir itself; later versions keep `files/wandb-summary.json`
(and, for a while, `files/wandb-history.jsonl`) and the whole run in the binary transaction log
`run-<id>.wandb`: LevelDB's log framing (32 KiB blocks, 7-byte headers: CRC-32 of type and data,
length, type FULL/FIRST/MIDDLE/LAST; after a `:W&B` file header) around serialized `Record`
protobufs of `wandb_internal.proto`. The framing is decoded here (the `wandb` package dropped its
Python reader in 0.30); the records are parsed with the protobuf classes of the installed `wandb`
package (extra `[wandb]`), imported only when such a file is read.

Each run dir is one run, read from its best file: the history JSON lines, else the transaction
log, else the summary (which makes a run "holding only a summary"). The x-axis is `_step` (one
per `wandb.log` call) or, for Hugging Face's `WandbCallback`, `train/global_step`; an `epoch`
(`train/epoch`) logged beside it is kept on each point. When the rows are the epochs (`epoch` equals
`_step`, or every row holds the validation metrics) the run is stepped by epoch.
"""

from __future__ import annotations

import json
import math
import os
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from curvelint.model import VAL, Curve, ReadProblem, Severity
from curvelint.readers.base import Reader, ReadError, Source, decode_text, json_lines
from curvelint.readers.base import open_source  # a local file, or the bytes fetched for a URL
from curvelint.readers.ultralytics import is_ultralytics, tracked_names, with_total_losses

FORMAT = "wandb"
HISTORY_NAME = "wandb-history.jsonl"
SUMMARY_NAME = "wandb-summary.json"
TRANSACTION_SUFFIX = ".wandb"
EXTRA = "pip install 'curvelint[wandb]'"
#: Which file of a run dir is read: the first of these that holds curves.
_RANK = {HISTORY_NAME: 3, TRANSACTION_SUFFIX: 2, SUMMARY_NAME: 1}

# LevelDB log framing as W&B writes it (wandb/sdk/internal/datastore.py up to 0.29, wandb-core)
FILE_HEADER = struct.Struct("<4sHB")  # ident ":W&B", magic 0xBEE1, version 0
FILE_IDENT, FILE_MAGIC = b":W&B", 0xBEE1
BLOCK = 32768
FRAME_HEADER = struct.Struct("<IHB")  # crc32(type byte + data), data length, type
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4

#: W&B's own bookkeeping and logged numbers that are axes or counters, not curves.
_NOT_CURVES = frozenset({"epoch", "train/epoch", "train/global_step", "global_step", "step",
                         "train/total_flos", "total_flos", "train/train_runtime"})
_NOT_CURVE_SUFFIXES = ("runtime", "samples_per_second", "steps_per_second", "tokens_per_second", "num_tokens")
_EPOCH_KEYS = ("epoch", "train/epoch")
_HF_STEP = "train/global_step"


class WandbRunReader(Reader):
    format = FORMAT
    priority = 10  # before the history-JSON reader, which would take a summary JSON

    def accepts_name(self, name: str) -> bool:
        return name in (HISTORY_NAME, SUMMARY_NAME) or (name.startswith("run-") and name.endswith(TRANSACTION_SUFFIX))

    def sniff(self, head: bytes, name: str) -> bool:
        if name.endswith(TRANSACTION_SUFFIX):
            return head.startswith(FILE_IDENT)
        stripped = head.lstrip()
        return not stripped or stripped.startswith(b"{")

    def run_directory(self, path: str) -> str:
        """The run dir: `files/` belongs to it, and `wandb/latest-run` names the run it links to."""
        directory = os.path.dirname(path) or "."
        if os.path.basename(directory) == "files":
            directory = os.path.dirname(directory) or "."
        if os.path.basename(directory) == "latest-run" and os.path.islink(directory):
            target = os.readlink(directory)
            if not os.path.isabs(target):
                target = os.path.join(os.path.dirname(directory), target)
            directory = os.path.normpath(target)
        return directory

    def snapshot_rank(self, path: str) -> tuple | None:
        """A run dir's files are views of one run: the history is read, the others skipped."""
        name = os.path.basename(path)
        return (_RANK[TRANSACTION_SUFFIX if name.endswith(TRANSACTION_SUFFIX) else name],)

    def read(self, path: str) -> Source:
        name = os.path.basename(path)
        if name.endswith(TRANSACTION_SUFFIX):
            return _read_transaction_log(path)
        with open_source(path) as fh:
            data = fh.read()
        if name == SUMMARY_NAME:
            return _read_summary(path, data)
        return _read_history(path, data)


# -- history rows -> curves ---------------------------------------------------------------------


@dataclass
class Rows:
    """`wandb.log` calls: each a dict of logged values, and where it sits in the file."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    problems: list[ReadProblem] = field(default_factory=list)
    summary: dict[str, float] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)


def _read_history(path: str, data: bytes) -> Source:
    rows = Rows()
    if data.strip():
        text = decode_text(data, path)
        for number, row in json_lines(text, path, rows.problems):
            rows.rows.append(row)
            rows.lines.append(number)
    summary = _sibling_summary(path)
    if summary is not None:
        rows.summary = summary
    return _source(path, rows, with_lines=True)


def _read_summary(path: str, data: bytes) -> Source:
    """A run dir with only its summary: the last value of each metric, no curve to lint."""
    try:
        summary = json.loads(decode_text(data, path)) if data.strip() else {}
    except json.JSONDecodeError as exc:
        raise ReadError(f"invalid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno) from None
    if not isinstance(summary, dict):
        raise ReadError("not a W&B summary (a JSON object)")
    values = _summary_values(summary)
    run_dir = WandbRunReader().run_directory(path)
    logs = [n for n in _listdir(run_dir) if n.startswith("run-") and n.endswith(TRANSACTION_SUFFIX)]
    if logs:
        why = f"holds only the run's summary; its history is in {logs[0]}"
        severity = Severity.INFO
    else:
        why = (f"holds only a summary (the last value of {len(values)} metric{'s' if len(values) != 1 else ''}), "
               "no history: the run's wandb-history.jsonl or run-<id>.wandb is not there")
        severity = Severity.WARNING
    meta = {"summary": values} if values else {}
    return Source(path=path, format=FORMAT, problems=[ReadProblem(path, why, severity=severity)], meta=meta)


def _sibling_summary(path: str) -> dict[str, float] | None:
    directory = os.path.dirname(path)
    for candidate in (os.path.join(directory, SUMMARY_NAME), os.path.join(directory, "files", SUMMARY_NAME)):
        try:
            with open_source(candidate) as fh:
                summary = json.loads(fh.read(1 << 22).decode("utf-8", "replace"))
        except (OSError, ValueError, RecursionError):
            continue
        if isinstance(summary, dict):
            return _summary_values(summary)
    return None


def _summary_values(summary: dict[str, Any]) -> dict[str, float]:
    out = {}
    for key, value in _flat(summary):
        number = _number(value)
        if number is not None and not key.startswith("_"):
            out[key] = number
    return out


def _listdir(directory: str) -> list[str]:
    try:
        return sorted(os.listdir(directory))
    except OSError:
        return []


def _flat(row: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """`wandb.log({"val": {"loss": 1}})` is `val.loss`, as W&B's UI shows it; media and tables
    (dicts with `_type`) are not numbers."""
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            if "_type" not in value:
                yield from _flat(value, name + ".")
            continue
        yield name, value


def _number(value: Any) -> float | None:
    """A logged number; W&B 0.8 logged some as strings with a leading space (`" 0.163"`)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _is_curve(key: str) -> bool:
    low = key.lower()
    return not low.startswith("_") and low not in _NOT_CURVES and not low.endswith(_NOT_CURVE_SUFFIXES)


def _source(path: str, rows: Rows, with_lines: bool) -> Source:
    """Curves from the logged rows, stepped by `_step` (or HF's global step)."""
    problems = list(rows.problems)
    meta = dict(rows.meta)
    if rows.summary:
        meta["summary"] = rows.summary
    flat = [dict(_flat(r)) for r in rows.rows]
    axis_key = _HF_STEP if any(_HF_STEP in r for r in flat) else "_step"
    steps: list[int | None] = []
    for i, r in enumerate(flat):
        s = _number(r.get(axis_key))
        if s is None and axis_key == "_step":
            s = float(i)  # every wandb.log call has a _step; a hand-written file may not
        steps.append(int(s) if s is not None and math.isfinite(s) else None)
    points: dict[str, tuple[list[int], list[float], list[int], list[float]]] = {}
    epochs: list[float] = []
    for r, step, line in zip(flat, steps, rows.lines or [0] * len(flat)):
        epoch = next((_number(r[k]) for k in _EPOCH_KEYS if k in r), None)
        epochs.append(math.nan if epoch is None else epoch)
        if step is None:
            continue
        wall = _number(r.get("_timestamp"))
        for key, value in r.items():
            if not _is_curve(key):
                continue
            number = _number(value)
            if number is None:
                continue
            col = points.setdefault(key, ([], [], [], []))
            col[0].append(step)
            col[1].append(number)
            col[2].append(line)
            col[3].append(math.nan if wall is None else wall)
    summary_only = {k: v[1][-1] for k, v in points.items() if len(set(v[0])) < 2}
    for key in summary_only:  # logged once (HF's train_loss at the end): a value, not a curve
        del points[key]
    if summary_only:
        meta.setdefault("summary", {}).update(summary_only)

    yolo = is_ultralytics(list(points))
    if yolo:
        meta["framework"] = "ultralytics"
    elif axis_key == _HF_STEP:
        meta["framework"] = "hf"
    epoch_at = _epoch_lookup(steps, epochs)
    named = tracked_names(list(points), yolo)
    curves = []
    for key, (step, value, line, wall) in points.items():
        if key not in named:
            continue
        split, name, granularity = named[key]
        step_arr = np.asarray(step, dtype=np.int64)
        wall_arr = np.asarray(wall, dtype=np.float64)
        curves.append(Curve(name=name, split=split, granularity=granularity, step=step_arr,
                            value=np.asarray(value, dtype=np.float64),
                            wall_time=wall_arr if np.isfinite(wall_arr).all() else None,
                            lines=np.asarray(line, dtype=np.int64) if with_lines else None,
                            source=path, raw_name=key,
                            epoch=epoch_at(step_arr) if epoch_at is not None else None))
    if yolo:
        curves = with_total_losses(curves)
    axis = _axis(curves, steps, epochs, axis_key)
    if axis == "epoch":
        curves = [c if c.epoch is None else _without_epoch(c) for c in curves]
    if not curves:
        if rows.summary:
            why = f"holds only a summary (the last value of {len(rows.summary)} metrics), no history rows"
        elif summary_only:
            why = "holds only single values, logged once each"
        else:
            why = "no history rows" if not rows.rows else "no numeric metric in its history rows"
        problems.append(ReadProblem(path, f"holds no curve: {why}", severity=Severity.WARNING))
    return Source(path=path, format=FORMAT, curves=curves, problems=problems, axis=axis, meta=meta)


def _without_epoch(c: Curve) -> Curve:
    return Curve(name=c.name, split=c.split, step=c.step, value=c.value, granularity=c.granularity,
                 wall_time=c.wall_time, lines=c.lines, source=c.source, raw_name=c.raw_name)


def _epoch_lookup(steps: list[int | None], epochs: list[float]):
    """The epoch of any step: the last epoch logged at or before it (None if none is logged)."""
    pairs = [(s, e) for s, e in zip(steps, epochs) if s is not None and math.isfinite(e)]
    if not pairs:
        return None
    pairs.sort(key=lambda p: p[0])
    at = np.asarray([p[0] for p in pairs], dtype=np.int64)
    ep = np.asarray([p[1] for p in pairs], dtype=np.float64)

    def epoch_of(step: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(at, step, side="right") - 1
        return np.where(idx >= 0, ep[np.clip(idx, 0, None)], np.nan)

    return epoch_of


def _axis(curves: list[Curve], steps: list[int | None], epochs: list[float], axis_key: str) -> str:
    """`epoch` when each row is an epoch: the logged epoch equals the step, or (no epoch logged)
    every row holds the validation metrics (they are computed once an epoch). Else `step`."""
    if axis_key == _HF_STEP:
        return "step"
    logged = [(s, e) for s, e in zip(steps, epochs) if s is not None and math.isfinite(e)]
    if logged:
        return "epoch" if all(float(s) == e for s, e in logged) else "step"
    all_steps = {s for s in steps if s is not None}
    val = [c for c in curves if c.split == VAL]
    if val and all_steps and all(set(c.step.tolist()) == all_steps for c in val):
        return "epoch"
    return "step"


# -- the binary transaction log ------------------------------------------------------------------


def _read_transaction_log(path: str) -> Source:
    with open_source(path) as fh:
        data = fh.read()
    if len(data) < FILE_HEADER.size:
        raise ReadError(f"truncated W&B transaction log: {len(data)} bytes, shorter than its header", offset=0)
    ident, magic, version = FILE_HEADER.unpack_from(data, 0)
    if ident != FILE_IDENT or magic != FILE_MAGIC:
        raise ReadError("not a W&B transaction log (bad file header)", offset=0)
    if version != 0:
        raise ReadError(f"W&B transaction log version {version} is not one curvelint knows (0)", offset=0)
    pb = _protobufs(path)
    rows = Rows()
    run_info: dict[str, Any] = {}
    records = 0
    for offset, payload in frames(data, path, rows.problems):
        record = pb.Record()
        try:
            record.ParseFromString(payload)
        except Exception as exc:  # protobuf's DecodeError; the framing was sound, the bytes not
            rows.problems.append(ReadProblem(path, f"undecodable W&B record: {exc}", offset=offset))
            continue
        records += 1
        kind = record.WhichOneof("record_type")
        if kind == "history":
            row: dict[str, Any] = {}
            for item in record.history.item:
                row[_item_key(item)] = _item_value(item)
            if "_step" not in row and record.history.HasField("step"):
                row["_step"] = record.history.step.num
            rows.rows.append(row)
            rows.lines.append(0)
        elif kind == "summary":
            for item in record.summary.update:
                number = _number(_json(item.value_json))
                key = _item_key(item)
                if number is not None and not key.startswith("_"):
                    rows.summary[key] = number
        elif kind == "run":
            run = record.run
            run_info = {k: v for k, v in (("run_id", run.run_id), ("display_name", run.display_name),
                                          ("project", run.project), ("group", run.run_group)) if v}
    if run_info:
        rows.meta["wandb"] = run_info
    if not records and rows.problems:
        first = rows.problems[0]
        raise ReadError(first.message, offset=first.offset)
    return _source(path, rows, with_lines=False)


def _item_key(item) -> str:
    return item.key or ".".join(item.nested_key)


def _item_value(item) -> Any:
    if item.value_json:
        return _json(item.value_json)
    which = item.WhichOneof("value") if hasattr(item, "WhichOneof") else None
    return getattr(item, which) if which not in (None, "none", "json", "text") else None


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _protobufs(path: str):
    """wandb's own record classes; a clear problem when the extra is not installed."""
    try:
        from wandb.proto import wandb_internal_pb2
    except Exception as exc:  # ImportError, or wandb refusing this protobuf version
        detail = "" if isinstance(exc, ModuleNotFoundError) else f" ({type(exc).__name__}: {exc})"
        raise ReadError(f"reading a W&B transaction log (.wandb) needs the wandb package{detail}: {EXTRA}") from None
    return wandb_internal_pb2


def frames(data: bytes, path: str, problems: list[ReadProblem]) -> Iterator[tuple[int, bytes]]:
    """(offset, payload) of every record in LevelDB log framing, CRCs checked.

    A block's last < 7 bytes are zero padding; a record longer than what is left of a block is
    split into FIRST, MIDDLE..., LAST fragments. A bad CRC or an impossible fragment is reported
    and reading goes on at the next block, as LevelDB's reader does; a cut-off record at the end
    (a run still writing, a copy stopped half-way) is reported with its offset.
    """
    crc_seed = [zlib.crc32(bytes([t])) for t in range(LAST + 1)]
    pos = FILE_HEADER.size
    pending: list[bytes] = []
    pending_at = -1
    while pos < len(data):
        left = BLOCK - pos % BLOCK
        if left < FRAME_HEADER.size:
            pos += left
            continue
        if pos + FRAME_HEADER.size > len(data):
            problems.append(ReadProblem(path, "truncated W&B transaction log: the file ends inside a record header",
                                        offset=pos))
            return
        crc, length, kind = FRAME_HEADER.unpack_from(data, pos)
        if kind == 0 and length == 0 and crc == 0:  # preallocated zeros at the end of the block
            pos += left
            continue
        end = pos + FRAME_HEADER.size + length
        if end > len(data):
            problems.append(ReadProblem(path, f"truncated W&B transaction log: a record of {length} bytes is cut "
                                              f"off after {len(data) - pos - FRAME_HEADER.size}", offset=pos))
            return
        payload = data[pos + FRAME_HEADER.size:end]
        if kind > LAST or length > left - FRAME_HEADER.size or zlib.crc32(payload, crc_seed[kind]) != crc:
            problems.append(ReadProblem(path, "corrupt W&B record (bad checksum or length); skipped to the next block",
                                        offset=pos))
            pending = []
            pos += left
            continue
        if kind == FULL:
            if pending:
                problems.append(ReadProblem(path, "a split W&B record was never completed", offset=pending_at))
                pending = []
            yield pos, payload
        elif kind == FIRST:
            pending, pending_at = [payload], pos
        elif pending:
            pending.append(payload)
            if kind == LAST:
                yield pending_at, b"".join(pending)
                pending = []
        else:
            problems.append(ReadProblem(path, "a W&B record fragment without its first part", offset=pos))
        pos = end
    if pending:
        problems.append(ReadProblem(path, "truncated W&B transaction log: the last record is incomplete",
                                    offset=pending_at))
