"""The bulk event decoder gives exactly what decoding each record with upb gives.

Event files are built from TensorBoard's protobuf classes: a few record layouts (tags, value
kinds, dtypes, metadata) repeated with different wall times, steps and numbers, which is what
the layout grouping exploits, mixed with histograms, hparams, graphs and file_version records.
"""

from __future__ import annotations

import math
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO, event_bytes
from curvelint.readers import tfevents
from curvelint.readers.event_batch import layout_of, other_plugin, scalar_of

# value kinds: how a writer may store one number, plus values that hold no scalar
KINDS = ["simple", "content_f4", "content_f8", "content_i4", "content_i8", "content_f2", "content_u1",
         "content_i1", "content_i2", "float_val", "double_val", "int64_val", "int_val", "half_val",
         "scalars_meta", "histogram", "vector", "hparams", "float_val_unpacked_pair"]
DTYPE = {"content_f4": (1, "<f"), "content_f8": (2, "<d"), "content_i4": (3, "<i"), "content_i8": (9, "<q"),
         "content_f2": (19, "<e"), "content_u1": (4, "<B"), "content_i1": (6, "<b"), "content_i2": (5, "<h")}


def make_value(kind: str, tag: str, number: float, seed: int):
    from tensorboard.compat.proto import summary_pb2, tensor_pb2, tensor_shape_pb2

    def meta(name):
        return summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name=name))

    if kind == "simple":
        return summary_pb2.Summary.Value(tag=tag, simple_value=number)
    if kind in DTYPE:
        code, fmt = DTYPE[kind]
        if fmt == "<e":
            with np.errstate(over="ignore"):
                raw = np.float16(number).tobytes()
        else:
            raw = struct.pack(fmt, number) if fmt in ("<f", "<d") else struct.pack(fmt, seed % 100)
        return summary_pb2.Summary.Value(tag=tag, tensor=tensor_pb2.TensorProto(dtype=code, tensor_content=raw))
    if kind in ("float_val", "double_val"):
        return summary_pb2.Summary.Value(tag=tag, tensor=tensor_pb2.TensorProto(dtype=1, **{kind: [number]}))
    if kind in ("int64_val", "int_val"):
        return summary_pb2.Summary.Value(tag=tag, tensor=tensor_pb2.TensorProto(dtype=9, **{kind: [seed - 50]}))
    if kind == "half_val":
        return summary_pb2.Summary.Value(tag=tag, tensor=tensor_pb2.TensorProto(dtype=19, half_val=[seed % 60000]))
    if kind == "float_val_unpacked_pair":
        return summary_pb2.Summary.Value(tag=tag, tensor=tensor_pb2.TensorProto(dtype=1, float_val=[number, 2.0]))
    if kind == "scalars_meta":
        return summary_pb2.Summary.Value(tag=tag, metadata=meta("scalars"),
                                         tensor=tensor_pb2.TensorProto(dtype=1, tensor_content=struct.pack("<f", number)))
    if kind == "histogram":
        content = struct.pack("<6d", *(number + k for k in range(6)))
        shape = tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=2),
                                                       tensor_shape_pb2.TensorShapeProto.Dim(size=3)])
        return summary_pb2.Summary.Value(tag=tag, metadata=meta("histograms"),
                                         tensor=tensor_pb2.TensorProto(dtype=2, tensor_shape=shape, tensor_content=content))
    if kind == "vector":  # a non-scalar tensor with no plugin name: not a scalar
        shape = tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=2)])
        return summary_pb2.Summary.Value(tag=tag, tensor=tensor_pb2.TensorProto(dtype=1, tensor_shape=shape,
                                                                                 float_val=[number, number]))
    return summary_pb2.Summary.Value(tag=tag, metadata=meta("hparams"))


def reference(data: bytes) -> dict[str, tuple[list, list, list]]:
    """Frame the records and decode every one with upb: the semantics the bulk decoder must keep."""
    from tensorboard.compat.proto import event_pb2

    out: dict[str, tuple[list, list, list]] = {}
    off = 0
    while off < len(data):
        (n,) = struct.unpack_from("<Q", data, off)
        payload = data[off + 12:off + 12 + n]
        off += 16 + n
        if other_plugin(payload, 0, len(payload)):
            continue
        event = event_pb2.Event.FromString(payload)
        for value in event.summary.value:
            number = scalar_of(value)
            if number is not None:
                steps, walls, values = out.setdefault(value.tag, ([], [], []))
                steps.append(event.step)
                walls.append(event.wall_time)
                values.append(number)
    return out


def assert_same(got, want):
    assert set(got) == set(want)
    for tag, (steps, walls, values) in want.items():
        np.testing.assert_array_equal(got[tag][0], np.asarray(steps, dtype=np.int64), err_msg=tag)
        np.testing.assert_array_equal(got[tag][1], np.asarray(walls, dtype=np.float64), err_msg=tag)
        np.testing.assert_array_equal(got[tag][2], np.asarray(values, dtype=np.float64), err_msg=tag)


layouts = st.lists(st.lists(st.tuples(st.sampled_from(KINDS), st.sampled_from(["epoch_loss", "epoch_auc", "l", "é/τ"])),
                            min_size=0, max_size=3), min_size=1, max_size=4)
numbers = st.floats(width=32, allow_nan=True, allow_infinity=True)
points = st.lists(st.tuples(st.integers(0, 3), st.integers(-2**63, 2**63 - 1) | st.integers(0, 300),
                            st.floats(allow_nan=True) | st.just(0.0), numbers, st.integers(0, 10**6)),
                  min_size=1, max_size=150)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layouts=layouts, points=points, file_version=st.booleans())
def test_bulk_decoding_equals_decoding_each_record(tmp_path, layouts, points, file_version):
    from tensorboard.compat.proto import event_pb2, summary_pb2

    events = [event_pb2.Event(wall_time=1.0, file_version="brain.Event:2")] if file_version else []
    for which, step, wall, number, seed in points:
        values = [make_value(kind, tag, number, seed) for kind, tag in layouts[which % len(layouts)]]
        events.append(event_pb2.Event(wall_time=wall, step=step, summary=summary_pb2.Summary(value=values)))
    data = event_bytes(events)
    path = tmp_path / "events.out.tfevents.1.h"
    path.write_bytes(data)
    got, problems = tfevents.read_scalars(str(path))
    assert problems == []
    assert_same(got, reference(data))


def test_records_with_the_same_length_but_different_layouts_are_told_apart(tmp_path):
    # same length, same structure but another tag of equal length, and a simple_value beside a tensor
    from tensorboard.compat.proto import event_pb2, summary_pb2

    events = []
    for i in range(40):
        tag = ("epoch_aaa", "epoch_bbb")[i % 2]
        kind = ("simple", "content_f4")[i // 20]
        events.append(event_pb2.Event(wall_time=i, step=i, summary=summary_pb2.Summary(value=[make_value(kind, tag, i / 7, i)])))
    data = event_bytes(events)
    path = tmp_path / "events.out.tfevents.1.h"
    path.write_bytes(data)
    got, _ = tfevents.read_scalars(str(path))
    assert_same(got, reference(data))
    assert len(got["epoch_aaa"][0]) == 20


def test_decoding_in_several_flushes_keeps_file_order(tmp_path, monkeypatch):
    from tensorboard.compat.proto import event_pb2, summary_pb2

    events = [event_pb2.Event(wall_time=i, step=(i * 37) % 101,
                              summary=summary_pb2.Summary(value=[make_value(("simple", "float_val")[i % 2], "x", i, i)]))
              for i in range(500)]
    data = event_bytes(events)
    path = tmp_path / "events.out.tfevents.1.h"
    path.write_bytes(data)
    whole, _ = tfevents.read_scalars(str(path))
    monkeypatch.setattr(tfevents, "WINDOW_BYTES", 300)  # frame and decode a few records at a time
    pieces, _ = tfevents.read_scalars(str(path))
    assert_same(pieces, {t: tuple(map(list, v)) for t, v in whole.items()})
    assert pieces["x"][1].tolist() == [float(i) for i in range(500)]


def test_layouts_the_walker_does_not_model_are_left_to_upb():
    from tensorboard.compat.proto import event_pb2, summary_pb2

    for kind in ("int64_val", "int_val", "half_val", "float_val_unpacked_pair", "vector"):
        payload = event_pb2.Event(step=1, summary=summary_pb2.Summary(value=[make_value(kind, "t", 1.0, 3)])).SerializeToString()
        with pytest.raises(Exception):
            layout_of(payload)
    twice = event_pb2.Event(step=1).SerializeToString() + event_pb2.Event(step=2).SerializeToString()
    with pytest.raises(Exception):  # a singular field twice: protobuf's "last one wins" is upb's to apply
        layout_of(twice)
    summary = event_pb2.Event(step=1, summary=summary_pb2.Summary(value=[make_value("simple", "t", 1.0, 3)]))
    both = summary.SerializeToString() + event_pb2.Event(file_version="brain.Event:2").SerializeToString()
    assert not event_pb2.Event.FromString(both).HasField("summary")  # the later oneof member wins
    with pytest.raises(Exception):
        layout_of(both)


def test_a_record_with_two_oneof_members_reads_as_protobuf_reads_it(tmp_path):
    import io

    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.record_writer import RecordWriter

    summary = event_pb2.Event(step=1, summary=summary_pb2.Summary(value=[make_value("simple", "t", 1.0, 3)])).SerializeToString()
    version = event_pb2.Event(file_version="brain.Event:2").SerializeToString()
    out = io.BytesIO()
    writer = RecordWriter(out)
    for payload in (summary + version, version + summary, summary):
        writer.write(payload)
    path = tmp_path / "events.out.tfevents.1.h"
    path.write_bytes(out.getvalue())
    got, problems = tfevents.read_scalars(str(path))
    assert problems == []
    assert_same(got, reference(out.getvalue()))
    assert got["t"][0].tolist() == [1, 1]  # the record whose summary came last, and the plain one


def test_bundled_keras_event_files_are_read_without_protobuf_objects():
    """The fast path covers everything Keras writes: reading the fixtures never needs upb."""
    code = textwrap.dedent(f"""
        import glob, sys
        from curvelint.readers.tfevents import read_scalars
        files = glob.glob({str(REPO / "fixtures")!r} + "/**/*tfevents*", recursive=True)
        points = sum(len(v[0]) for f in files for v in read_scalars(f)[0].values())
        print(len(files), points, "tensorboard.compat.proto.event_pb2" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert int(out[0]) >= 48 and int(out[1]) > 1000
    assert out[2] == "False"


def test_negative_and_huge_steps_decode_like_protobuf(tmp_path):
    from tensorboard.compat.proto import event_pb2, summary_pb2

    steps = [-1, -(2**63), 2**63 - 1, 0, 127, 128, 16383, 16384, 2**35]
    for step in steps:  # every step its own varint width, several rows per width
        events = [event_pb2.Event(wall_time=math.pi, step=step, summary=summary_pb2.Summary(
            value=[make_value("simple", "s", float(k), k)])) for k in range(3)]
        data = event_bytes(events)
        path = tmp_path / "events.out.tfevents.1.h"
        path.write_bytes(data)
        got, _ = tfevents.read_scalars(str(path))
        assert got["s"][0].tolist() == [step] * 3
