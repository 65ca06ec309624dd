"""Shared test helpers: write real log files (event files, CSVLogger, history JSON) from numbers.

Event files are written record by record with TensorBoard's own `RecordWriter` and protobufs, the
same bytes TensorFlow's writer produces, so the reader is tested on real framing and CRCs.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import pytest

REPO = Path(__file__).resolve().parents[1]
REALWORLD = Path(os.environ.get("CURVELINT_REALWORLD", REPO.parent / "shared" / "realworld"))


def realworld(needed: str = "MANIFEST.tsv") -> Path:
    """The labeled real-log corpus in ../shared. Its absence fails the test under CI=true (CI
    always has ../shared beside the clone) and skips it elsewhere."""
    if not (REALWORLD / needed).is_file():
        message = f"{REALWORLD / needed} is not present"
        if os.environ.get("CI") == "true":
            pytest.fail(message + ": CI must have ../shared/realworld beside the clone")
        pytest.skip(message)
    return REALWORLD


def event_bytes(events: Iterable[object]) -> bytes:
    import io

    from tensorboard.summary.writer.record_writer import RecordWriter

    buf = io.BytesIO()
    writer = RecordWriter(buf)
    for e in events:
        writer.write(e.SerializeToString())
    return buf.getvalue()


def file_version_event(wall_time: float = 1.0):
    from tensorboard.compat.proto import event_pb2

    return event_pb2.Event(wall_time=wall_time, file_version="brain.Event:2")


def scalar_event(tag: str, step: int, value: float, *, style: str = "tensor", wall_time: float | None = None):
    """One scalar the way a writer stores it: `tensor` (TF2 Keras, tensor_content float32),
    `float_val` (TF2 tensor with typed field), or `simple` (TF1 / tensorboardX / PyTorch)."""
    import struct

    from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2

    if style == "simple":
        value_pb = summary_pb2.Summary.Value(tag=tag, simple_value=value)
    else:
        meta = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))
        if style == "tensor":
            tensor = tensor_pb2.TensorProto(dtype=1, tensor_content=struct.pack("<f", value))
        else:
            tensor = tensor_pb2.TensorProto(dtype=2, double_val=[value])
        value_pb = summary_pb2.Summary.Value(tag=tag, metadata=meta, tensor=tensor)
    return event_pb2.Event(wall_time=float(step) + 100.0 if wall_time is None else wall_time, step=step,
                           summary=summary_pb2.Summary(value=[value_pb]))


def histogram_event(tag: str, step: int, *, payload: bytes = b""):
    """A TF2 histogram summary (plugin 'histograms'); `payload` is put in tensor_content."""
    from tensorboard.compat.proto import event_pb2, summary_pb2, tensor_pb2

    meta = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="histograms"))
    tensor = tensor_pb2.TensorProto(dtype=2, tensor_content=payload or bytes(720))
    value = summary_pb2.Summary.Value(tag=tag, metadata=meta, tensor=tensor)
    return event_pb2.Event(wall_time=step + 100.0, step=step, summary=summary_pb2.Summary(value=[value]))


def write_events(path: Path, series: Mapping[str, Sequence[float]], *, style: str = "tensor",
                 prefix: str = "epoch_", extra: Iterable[object] = (), start: int = 0, wall0: float = 100.0) -> Path:
    """An event file with `series` (tag suffix -> values per epoch)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    events = [file_version_event(wall0)]
    for name, values in series.items():
        for i, v in enumerate(values):
            events.append(scalar_event(prefix + name, start + i, v, style=style, wall_time=wall0 + i))
    events.extend(extra)
    path.write_bytes(event_bytes(events))
    return path


def write_keras_tensorboard(run_dir: Path, history: Mapping[str, Sequence[float]], **kw) -> Path:
    """Keras' TensorBoard callback layout: `train/` gets loss, accuracy, ...; `validation/` gets
    the `val_*` series without the prefix."""
    train = {k: v for k, v in history.items() if not k.startswith("val_")}
    val = {k[4:]: v for k, v in history.items() if k.startswith("val_")}
    write_events(run_dir / "train" / "events.out.tfevents.1700000000.host.1.0.v2", train, **kw)
    if val:
        write_events(run_dir / "validation" / "events.out.tfevents.1700000001.host.1.1.v2", val, **kw)
    return run_dir


def csv_cell(v: float) -> str:
    return "nan" if isinstance(v, float) and math.isnan(v) else repr(float(v))


def write_csvlogger(path: Path, history: Mapping[str, Sequence[float]], *, sep: str = ",", newline: str = "\n",
                    epochs: Sequence[int] | None = None) -> Path:
    """What `keras.callbacks.CSVLogger` writes: `epoch` first, then the keys sorted."""
    keys = sorted(history)
    n = len(next(iter(history.values())))
    epochs = list(range(n)) if epochs is None else list(epochs)
    lines = [sep.join(["epoch", *keys])]
    for i in range(n):
        lines.append(sep.join([str(epochs[i]), *(csv_cell(history[k][i]) for k in keys)]))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((newline.join(lines) + newline).encode())
    return path


def write_history_json(path: Path, history: Mapping[str, Sequence[float]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({k: list(v) for k, v in history.items()}))  # NaN -> NaN token
    return path


def run_cli(*args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess:
    inherited = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}  # CI must not change formats
    full_env = {**inherited, **(env or {})}
    return subprocess.run([sys.executable, "-m", "curvelint", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=120)


OVERFIT = {
    "loss": [1.0, 0.8, 0.6, 0.5, 0.42, 0.36, 0.3, 0.26, 0.22, 0.19, 0.16, 0.14],
    "val_loss": [1.05, 0.85, 0.7, 0.62, 0.6, 0.61, 0.64, 0.68, 0.72, 0.77, 0.81, 0.86],
    "accuracy": [0.5, 0.6, 0.68, 0.74, 0.78, 0.81, 0.84, 0.87, 0.89, 0.91, 0.93, 0.94],
    "val_accuracy": [0.5, 0.58, 0.64, 0.67, 0.68, 0.68, 0.67, 0.67, 0.66, 0.66, 0.65, 0.65],
}
HEALTHY = {
    "loss": [1.0, 0.7, 0.55, 0.45, 0.39, 0.35, 0.32, 0.3, 0.29, 0.28],
    "val_loss": [1.02, 0.74, 0.6, 0.5, 0.45, 0.41, 0.39, 0.37, 0.36, 0.355],
}


@pytest.fixture
def overfit_history() -> dict[str, list[float]]:
    return {k: list(v) for k, v in OVERFIT.items()}
