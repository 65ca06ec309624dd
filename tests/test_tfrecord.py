"""TFRecord framing: predicting headers from a cycle of lengths accepts exactly the records the
plain loop accepts, and reports the same problems at the same offsets."""

from __future__ import annotations

import mmap
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curvelint.readers import event_batch, tfrecord
from curvelint.readers.tfrecord import Framer, masked_crc


def record(payload: bytes) -> bytes:
    header = struct.pack("<Q", len(payload))
    return header + struct.pack("<I", masked_crc(header)) + payload + struct.pack("<I", masked_crc(payload))


def frame_all(path, window: int = 1 << 30):
    with open(path, "rb") as fh:
        buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    framer = Framer(buf, np.frombuffer(buf, dtype=np.uint8), str(path))
    offsets, lengths = [], []
    while not framer.done:
        o, n = framer.frame(framer.offset + window)
        offsets += o.tolist()
        lengths += n.tolist()
    return offsets, lengths, [(p.offset, p.message) for p in framer.problems]


# a file: cycles of record lengths, repeated, with now and then a change of cycle
cycles = st.lists(st.tuples(st.lists(st.integers(0, 40), min_size=1, max_size=5), st.integers(1, 30)), min_size=1, max_size=5)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cycles=cycles, damage=st.none() | st.tuples(st.integers(0, 10**6), st.integers(1, 255)),
       cut=st.integers(0, 20), window=st.sampled_from([64, 1000, 1 << 30]))
def test_predicted_framing_equals_the_plain_loop(tmp_path, monkeypatch, cycles, damage, cut, window):
    chunks = []
    for lengths, repeat in cycles:
        for r in range(repeat):
            chunks += [record(bytes([r % 251]) * n) for n in lengths]
    data = bytearray(b"".join(chunks))
    if damage is not None:
        data[damage[0] % len(data)] ^= damage[1]
    data = data[:len(data) - cut] if cut < len(data) else data
    path = tmp_path / "events.out.tfevents.1.h"
    path.write_bytes(bytes(data))

    def run():
        try:
            return frame_all(path, window)
        except tfrecord.NotEventFile as exc:
            return ("not an event file", exc.offset)

    predicted = run()
    with monkeypatch.context() as patch:  # undone after each example, not only after the test
        patch.setattr(tfrecord, "MAX_PERIOD", 0)  # never predict: the plain loop alone
        plain = run()
    assert predicted == plain


def test_prediction_covers_a_regular_file():
    """On a long regular file almost every header is checked in bulk, not one by one."""
    import tempfile

    chunks = [record(b"x" * n) for _ in range(2000) for n in (50, 52, 51, 500)]
    with tempfile.NamedTemporaryFile(suffix=".tfevents") as fh:
        fh.write(b"".join(chunks))
        fh.flush()
        buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        framer = Framer(buf, np.frombuffer(buf, dtype=np.uint8), fh.name)
        calls = []
        original = framer._predict
        framer._predict = lambda offset: calls.append(offset) or original(offset)
        offsets, _ = framer.frame(1 << 30)
    assert len(offsets) == 8000 and framer.problems == []
    assert len(calls) < 20  # one try per 32k records, not one per record


@settings(max_examples=100, deadline=None)
@given(length=st.integers(1, 120), rows=st.integers(1, 30), seed=st.integers(0, 2**32 - 1), bad=st.sets(st.integers(0, 29)))
def test_crc_from_the_first_row_equals_crc_of_each_row(length, rows, seed, bad):
    """The table-driven CRC32C of rows that differ in a few columns is the CRC32C of each row."""
    rng = np.random.default_rng(seed)
    template = rng.integers(0, 256, length, dtype=np.uint8)
    variable = np.unique(rng.integers(0, length, rng.integers(0, min(length, 14) + 1))).astype(np.int64)
    block = np.tile(template, (rows, 1))
    block[:, variable] = rng.integers(0, 256, (rows, variable.size), dtype=np.uint8)
    data = bytearray()
    starts = []
    for i, row in enumerate(block):
        payload = row.tobytes()
        chunk = record(payload)
        if i in bad:  # a stored CRC that does not match
            chunk = chunk[:-4] + struct.pack("<I", (masked_crc(payload) + 1) & 0xFFFFFFFF)
        starts.append(len(data) + 12)
        data += chunk
    raw = bytes(data)
    batch = event_batch.EventBatch(raw, np.frombuffer(raw, dtype=np.uint8))
    starts = np.asarray(starts, dtype=np.int64)
    keep = np.full(length, 0xFF, dtype=np.uint8)
    keep[variable] = 0
    template = event_batch._Template(event_batch._Layout(), keep, (block[0] & keep).tobytes(), variable)
    by_table = batch._crc_ok(starts, length, block, template)
    one_by_one = batch._crc_ok(starts, length)
    assert by_table.tolist() == one_by_one.tolist() == [i not in bad for i in range(rows)]


def test_a_header_damaged_inside_a_predicted_run_is_found(tmp_path):
    chunks = [record(b"y" * n) for _ in range(300) for n in (40, 41)]
    data = bytearray(b"".join(chunks))
    where = sum(len(c) for c in chunks[:401])
    data[where + 2] ^= 0xFF  # the length of record 401
    path = tmp_path / "events.out.tfevents.1.h"
    path.write_bytes(bytes(data))
    offsets, _, problems = frame_all(path)
    assert problems[0][0] == where and "length CRC mismatch" in problems[0][1]
    assert len(offsets) == 599 and where not in offsets


@pytest.mark.parametrize("window", [100, 1 << 20])
def test_windows_do_not_change_the_records(tmp_path, window):
    chunks = [record(bytes(n)) for n in range(1, 400)]
    path = tmp_path / "events.out.tfevents.1.h"
    path.write_bytes(b"".join(chunks))
    offsets, lengths, problems = frame_all(path, window)
    assert lengths == list(range(1, 400)) and problems == []
    assert offsets == list(np.cumsum([0] + [n + 16 for n in range(1, 399)]))
