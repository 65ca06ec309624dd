"""Broken, hostile and half-written logs: curvelint never crashes, never hangs, never hides one
run's findings because another file is bad, and reports what it could not read with position."""

from __future__ import annotations

import json
import os
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import OVERFIT, event_bytes, file_version_event, run_cli, scalar_event, write_csvlogger
from curvelint.engine import Linter
from curvelint.model import Severity
from curvelint.readers.base import NotALog, ReadError
from curvelint.readers.keras_csv import KerasCsvReader
from curvelint.readers.keras_json import KerasJsonReader
from curvelint.readers.lightning_csv import LightningCsvReader
from curvelint.readers.tfevents import TensorBoardReader
from curvelint.testing import check_all, make_run

EVENTS = event_bytes([file_version_event()] + [scalar_event("epoch_loss", i, 1.0 / (i + 1)) for i in range(6)])


def record_ends(data: bytes) -> list[int]:
    ends, off = [], 0
    while off < len(data):
        (n,) = struct.unpack_from("<Q", data, off)
        off += 12 + n + 4
        ends.append(off)
    return ends


def test_event_file_cut_at_every_byte(tmp_path):
    ends = record_ends(EVENTS)
    reader = TensorBoardReader()
    p = tmp_path / "events.out.tfevents.1.h"
    for cut in range(1, len(EVENTS)):
        p.write_bytes(EVENTS[:cut])
        source = reader.read(str(p))  # a run still writing: never an error
        complete = sum(1 for e in ends if e <= cut)
        points = len(source.curves[0]) if source.curves else 0
        assert points == max(0, complete - 1), cut  # the first record is file_version
        if cut not in ends:
            assert [pr.severity for pr in source.problems] == [Severity.INFO], cut
            assert source.problems[0].offset == max((e for e in ends if e <= cut), default=0)
        else:
            assert source.problems == []


def test_flipped_bytes_are_reported_with_offsets_never_raised(tmp_path):
    reader = TensorBoardReader()
    p = tmp_path / "events.out.tfevents.1.h"
    ends = record_ends(EVENTS)
    for i in range(len(EVENTS)):
        data = bytearray(EVENTS)
        data[i] ^= 0x5A
        p.write_bytes(bytes(data))
        source = reader.read(str(p))  # a damaged record never makes the whole file unreadable
        assert source.problems, f"flip at {i} went unnoticed"
        hit = next(k for k, e in enumerate(ends) if i < e)
        start = ends[hit - 1] if hit else 0
        assert [pr.offset for pr in source.problems][0] == start, i
        # reading resumed at the next record: only the damaged one is lost
        assert len(source.curves[0]) == (6 if hit == 0 else 5), i


def test_absurd_length_prefix_is_never_allocated(tmp_path):
    from curvelint.readers.tfrecord import masked_crc

    header = struct.pack("<Q", 1 << 40)
    junk = header + struct.pack("<I", masked_crc(header)) + b"x" * 100
    p = tmp_path / "events.out.tfevents.1.h"
    p.write_bytes(EVENTS + junk)
    source = TensorBoardReader().read(str(p))
    assert len(source.curves[0]) == 6
    assert any("implausible" in pr.message or "ends inside" in pr.message for pr in source.problems)
    p.write_bytes(junk)
    with pytest.raises(ReadError):
        TensorBoardReader().read(str(p))


@pytest.mark.parametrize("content, expect", [
    (b"epoch,loss,val_loss\r\n", "no epoch-level scalars"),          # headers only: a run that just started
    (b"epoch,loss,val_loss\n0,0.5,\xe9t\xe9\n1,0.4,0.45\n", "not a number"),  # Latin-1 junk in a cell
    (b"\x00\x01\x02binary", None),                                    # not a log: silently skipped
])
def test_csv_oddities(tmp_path, content, expect):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "training.log").write_bytes(content)
    report = Linter.create().lint_paths([str(tmp_path)])
    messages = " ".join(f.message for f in report.findings)
    if expect is None:
        assert report.runs == [] and report.errors == []
    else:
        assert expect in messages


def test_non_utf8_names_give_valid_utf8_in_every_format(tmp_path):
    d = os.path.join(os.fsencode(tmp_path), b"run-\xff\xfe")
    os.makedirs(d)
    write_csvlogger(__import__("pathlib").Path(os.fsdecode(d)) / "training.log", OVERFIT)
    for fmt in ("text", "json", "markdown", "github", "sarif", "gitlab", "rdjson", "junit"):
        out = tmp_path / f"out.{fmt}"
        proc = run_cli(str(tmp_path), "--isolated", "--exit-zero", "--format", fmt, "-o", str(out))
        assert proc.returncode == 0, (fmt, proc.stderr[-500:])
        text = out.read_bytes().decode("utf-8")  # strict: raises on invalid UTF-8
        assert "xff" in text and "\udcff" not in text, fmt
    report = json.loads((tmp_path / "out.json").read_text())
    assert report["runs"][0]["id"] == "run-\\xff\\xfe"


def test_unreadable_directory_is_an_io_error_and_the_rest_is_linted(tmp_path, monkeypatch):
    write_csvlogger(tmp_path / "good" / "training.log", OVERFIT)
    (tmp_path / "locked").mkdir()
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path).endswith("locked"):  # root reads everything, so deny it here
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    report = Linter.create().lint_paths([str(tmp_path)])
    assert [r.id for r in report.runs] == ["good"]
    assert any("locked" in e.path and "Permission denied" in e.message and e.fatal for e in report.errors)


def test_many_non_log_files_are_skipped_without_reading_them(tmp_path, monkeypatch):
    junk = tmp_path / "data"
    junk.mkdir()
    for i in range(100_000):
        (junk / f"img{i:06d}.png").touch()
    write_csvlogger(tmp_path / "run" / "training.log", OVERFIT)
    opened = []
    real_open = open

    def counting_open(path, *args, **kwargs):
        opened.append(path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", counting_open)
    report = Linter.create().lint_paths([str(tmp_path)])
    assert [r.id for r in report.runs] == ["run"]
    assert not [p for p in opened if str(p).endswith(".png")]


def test_a_large_csv_reads_correctly(tmp_path):
    rows = 200_000  # ~12 MB; the reader is linear (timing belongs in benchmarks/)
    lines = ["epoch,loss,val_loss"] + [f"{i},{1.0 / (i + 1)!r},{1.1 / (i + 1)!r}" for i in range(rows)]
    (tmp_path / "training.log").write_text("\n".join(lines) + "\n")
    source = KerasCsvReader().read(str(tmp_path / "training.log"))
    loss = {c.key: c for c in source.curves}["train/loss"]
    assert len(loss) == rows and loss.lines[-1] == rows + 1


def test_rule_returning_garbage_becomes_int001_and_others_stay(tmp_path):
    from test_plugins import GOOD_RULE, lint_json, make_dist

    bad = GOOD_RULE.replace('yield Violation(f"{run.epochs} epochs, budget {opts.max_epochs}", epochs=(opts.max_epochs, run.epochs - 1))',
                            'yield {"message": "not a Violation"}').replace('"epoch-budget"', '"sloppy-rule"').replace('"ACME001"', '"SLP001"')
    site = tmp_path / "site"
    make_dist(site, "sloppy", "0.1", {"sloppy": bad + "\n@hookimpl\ndef curvelint_rules():\n    return [EpochBudget]\n"}, {"sloppy": "sloppy"})
    write_csvlogger(tmp_path / "logs" / "a" / "training.log", OVERFIT)
    proc, out = lint_json(tmp_path / "logs", site)
    codes = [f["code"] for f in out["findings"]]
    assert "INT001" in codes and "GEN001" in codes
    assert "not a curvelint.Violation" in next(f["message"] for f in out["findings"] if f["code"] == "INT001")


def test_exit_codes_for_broken_inputs(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "history.json").write_text('{"loss": [0.5, ')
    proc = run_cli(str(tmp_path), "--isolated")
    assert proc.returncode == 1  # LOG001 is an error finding
    assert "LOG001" in proc.stdout and "1 run" in proc.stdout
    assert run_cli(str(tmp_path / "nope"), "--isolated").returncode == 2


# ------------------------------------------------------------------------------------------------
# Property-based: any bytes give a Source or the project's own read error; any series, no crash

READERS = [(TensorBoardReader(), "events.out.tfevents.1.h"), (KerasJsonReader(), "history.json"),
           (KerasCsvReader(), "training.log"), (LightningCsvReader(), "metrics.csv")]
PREFIXES = [b"", EVENTS[:60], b'{"loss": [', b"epoch,loss,val_loss\n0,", b"epoch,step,train_loss,val_loss\n"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix=st.sampled_from(PREFIXES), data=st.binary(max_size=400), which=st.integers(0, len(READERS) - 1))
def test_readers_on_arbitrary_bytes(tmp_path, prefix, data, which):
    reader, name = READERS[which]
    p = tmp_path / name
    p.write_bytes(prefix + data)
    try:
        source = reader.read(str(p))
    except (ReadError, NotALog):
        return
    for curve in source.curves:
        assert curve.step.shape == curve.value.shape


values = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64), st.none())


@settings(max_examples=80, deadline=None)
@given(train=st.lists(values, max_size=40), val=st.lists(values, max_size=40),
       acc=st.lists(st.floats(0, 1), max_size=40), lr=st.lists(st.floats(0, 1), max_size=40))
def test_no_rule_raises_on_any_series(train, val, acc, lr):
    series = {k: v for k, v in {"train/loss": train, "val/loss": val, "val/accuracy": acc,
                                "train/learning_rate": lr}.items() if v}
    findings = check_all(make_run(series))
    crashed = [f.message for f in findings if f.code == "INT001"]
    assert crashed == []
    for f in findings:
        json.dumps(f.evidence, allow_nan=False)  # evidence stays strict JSON


@settings(max_examples=30, deadline=None)
@given(steps=st.lists(st.integers(0, 50), min_size=1, max_size=30))
def test_restarts_in_any_order_resolve_to_increasing_steps(steps):
    run = make_run({"train/loss": {"step": steps, "value": [float(i) for i in range(len(steps))]}})
    resolved = run.get("train/loss")
    assert np.all(np.diff(resolved.step) > 0)
    assert check_all(run) is not None


def test_unreadable_file_is_log001_naming_it(tmp_path, monkeypatch):
    write_csvlogger(tmp_path / "good" / "training.log", OVERFIT)
    write_csvlogger(tmp_path / "locked" / "training.log", OVERFIT)
    real_open = open

    def guarded_open(path, *args, **kwargs):
        if "locked" in os.fspath(path) and str(path).endswith("training.log"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", guarded_open)
    report = Linter.create().lint_paths([str(tmp_path)])
    log001 = [f for f in report.findings if f.code == "LOG001"]
    assert [f.run for f in log001] == ["locked"]
    assert "Permission denied" in log001[0].message and log001[0].location.path.endswith("training.log")
    assert any(f.code == "GEN001" and f.run == "good" for f in report.findings)
