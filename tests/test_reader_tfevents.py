from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import event_bytes, file_version_event, histogram_event, scalar_event, write_events
from curvelint.model import Severity
from curvelint.readers.base import ReadError
from curvelint.readers.tfevents import TensorBoardReader

READER = TensorBoardReader()


def curves(path):
    source = READER.read(str(path))
    return {c.key: c for c in source.curves}, source


@pytest.mark.parametrize("style", ["tensor", "float_val", "simple"])
def test_scalar_encodings(tmp_path, style):
    p = write_events(tmp_path / "train" / "events.out.tfevents.1.h", {"loss": [0.9, 0.5, float("nan")]}, style=style)
    got, _ = curves(p)
    c = got["train/loss"]
    assert c.step.tolist() == [0, 1, 2]
    np.testing.assert_allclose(c.value[:2], [0.9, 0.5], rtol=1e-6)
    assert math.isnan(c.value[2])
    assert c.wall_time is not None and c.wall_time.size == 3


def test_validation_dir_sets_split_and_batch_series_stay_apart(tmp_path):
    p = write_events(tmp_path / "validation" / "events.out.tfevents.1.h", {"loss": [1.0, 0.8]})
    got, _ = curves(p)
    assert set(got) == {"val/loss"}
    extra = [scalar_event("batch_loss", s, 1.0 / (s + 1)) for s in range(10)]
    p = write_events(tmp_path / "train" / "events.out.tfevents.2.h", {"loss": [1.0, 0.8]}, extra=extra)
    got, _ = curves(p)
    assert set(got) == {"train/loss", "train/loss@batch"}
    assert len(got["train/loss@batch"]) == 10


def test_tf1_keras_tags_in_one_directory(tmp_path):
    p = write_events(tmp_path / "events.out.tfevents.1.h", {"loss": [1, 0.5], "acc": [0.5, 0.7],
                                                            "val_loss": [1.1, 0.6], "val_acc": [0.4, 0.6]},
                     style="simple", prefix="")
    got, _ = curves(p)
    assert set(got) == {"train/loss", "train/accuracy", "val/loss", "val/accuracy"}


def test_histograms_are_skipped_without_decoding(tmp_path):
    # a "histogram" record whose payload is not a valid protobuf: decoding it would be reported
    junk = b"\x0a\x0ahistograms" + b"\xff" * 64
    good = [file_version_event(), scalar_event("epoch_loss", 0, 0.5), histogram_event("dense/kernel_0", 0)]
    data = event_bytes(good)
    from tensorboard.summary.writer.record_writer import RecordWriter
    import io

    buf = io.BytesIO()
    RecordWriter(buf).write(junk)
    p = tmp_path / "train" / "events.out.tfevents.1.h"
    p.parent.mkdir()
    p.write_bytes(data + buf.getvalue())
    got, source = curves(p)
    assert set(got) == {"train/loss"}
    assert source.problems == []


def test_long_broken_histograms_are_skipped_without_checksum(tmp_path):
    # ten undecodable "histogram" records of one length, each with a wrong payload CRC: long
    # records of another plugin are never read, so neither their CRC nor their bytes matter
    import struct

    from curvelint.readers.tfrecord import masked_crc

    junk = b"\x0a\x0ahistograms" + b"\xff" * 300
    header = struct.pack("<Q", len(junk))
    bad = header + struct.pack("<I", masked_crc(header)) + junk + struct.pack("<I", (masked_crc(junk) + 1) & 0xFFFFFFFF)
    data = event_bytes([file_version_event(), scalar_event("epoch_loss", 0, 0.5)]) + bad * 10
    p = tmp_path / "train" / "events.out.tfevents.1.h"
    p.parent.mkdir()
    p.write_bytes(data)
    got, source = curves(p)
    assert set(got) == {"train/loss"}
    assert source.problems == []


def test_truncated_file_keeps_complete_records_and_notes_it(tmp_path):
    p = write_events(tmp_path / "events.out.tfevents.1.h", {"loss": [0.9, 0.8, 0.7]}, style="simple", prefix="")
    data = p.read_bytes()
    p.write_bytes(data[:-7])
    got, source = curves(p)
    assert got["train/loss"].value.size == 2
    assert len(source.problems) == 1
    assert source.problems[0].severity is Severity.INFO
    assert source.problems[0].offset is not None


def test_bad_data_crc_is_reported_with_offset_and_reading_goes_on(tmp_path):
    p = write_events(tmp_path / "events.out.tfevents.1.h", {"loss": [0.9, 0.8, 0.7]}, style="simple", prefix="")
    data = bytearray(p.read_bytes())
    # flip the last byte of the 2nd scalar record's data CRC (records: version, s0, s1, s2)
    offsets, off = [], 0
    import struct

    while off < len(data):
        (n,) = struct.unpack_from("<Q", data, off)
        offsets.append(off)
        off += 12 + n + 4
    end_of_second_scalar = offsets[3] - 1
    data[end_of_second_scalar] ^= 0xFF
    p.write_bytes(bytes(data))
    got, source = curves(p)
    assert got["train/loss"].step.tolist() == [0, 2]
    assert [pr.offset for pr in source.problems] == [offsets[2]]
    assert source.problems[0].severity is Severity.ERROR


def test_zero_byte_and_junk_files_are_read_errors(tmp_path):
    empty = tmp_path / "events.out.tfevents.0.h"
    empty.write_bytes(b"")
    with pytest.raises(ReadError, match="empty"):
        READER.read(str(empty))
    junk = tmp_path / "events.out.tfevents.1.h"
    junk.write_bytes(b"this is not an event file at all" * 10)
    with pytest.raises(ReadError, match="not a TensorBoard event file"):
        READER.read(str(junk))


def test_file_version_only_is_an_empty_source(tmp_path):
    p = tmp_path / "events.out.tfevents.1.h"
    p.write_bytes(event_bytes([file_version_event()]))
    got, source = curves(p)
    assert got == {} and source.problems == []


def test_lightning_global_steps_are_mapped_to_epochs(tmp_path):
    events = [file_version_event()]
    step = 0
    for epoch in range(3):
        for _ in range(5):
            events.append(scalar_event("train_loss", step, 1.0 / (step + 1), style="simple"))
            events.append(scalar_event("epoch", step, float(epoch), style="simple"))
            step += 1
        events.append(scalar_event("val_loss", step - 1, 0.5 / (epoch + 1), style="simple"))
        events.append(scalar_event("epoch", step - 1, float(epoch), style="simple"))
    events.append(scalar_event("hp_metric", 0, -1.0, style="simple"))
    p = tmp_path / "version_0" / "events.out.tfevents.1.h"
    p.parent.mkdir()
    p.write_bytes(event_bytes(events))
    got, _ = curves(p)
    assert set(got) == {"train/loss@batch", "train/loss", "val/loss"}
    assert got["val/loss"].step.tolist() == [0, 1, 2]
    assert got["train/loss"].step.tolist() == [0, 1, 2]
    assert got["train/loss@batch"].step.tolist() == list(range(15))


def test_undecodable_record_is_reported_at_its_own_offset(tmp_path):
    import io

    from tensorboard.summary.writer.record_writer import RecordWriter

    head = event_bytes([file_version_event(), scalar_event("epoch_loss", 0, 0.5)])
    buf = io.BytesIO()
    RecordWriter(buf).write(b"\xff\xff\xff not a protobuf")  # framed and CRC-valid, but junk inside
    tail = event_bytes([scalar_event("epoch_loss", 1, 0.4)])
    p = tmp_path / "train" / "events.out.tfevents.1.h"
    p.parent.mkdir()
    p.write_bytes(head + buf.getvalue() + tail)
    got, source = curves(p)
    assert got["train/loss"].step.tolist() == [0, 1]
    assert [pr.offset for pr in source.problems] == [len(head)]
