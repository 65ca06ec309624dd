from __future__ import annotations

import json

import numpy as np

from conftest import OVERFIT, event_bytes, file_version_event, write_csvlogger, write_events, write_history_json, write_keras_tensorboard
from curvelint.engine import Linter


def lint(*paths):
    return Linter.create().lint_paths([str(p) for p in paths])


def test_keras_tensorboard_dir_is_one_run_with_profile_file_ignored(tmp_path):
    run = write_keras_tensorboard(tmp_path / "logs" / "fit" / "20240101-120000", OVERFIT)
    (run / "train" / "events.out.tfevents.1700000002.host.profile-empty").write_bytes(event_bytes([file_version_event()]))
    report = lint(tmp_path / "logs")
    assert [r.id for r in report.runs] == ["fit/20240101-120000"]
    run = report.runs[0]
    assert run.format == "tensorboard"
    assert len(run.sources) == 3
    assert {"train/loss", "val/loss"} <= set(run.series)


def test_json_and_csv_of_one_run_are_one_run_with_two_sources(tmp_path):
    write_history_json(tmp_path / "runs" / "a" / "history.json", OVERFIT)
    write_csvlogger(tmp_path / "runs" / "a" / "training.log", OVERFIT)
    report = lint(tmp_path / "runs")
    assert [r.id for r in report.runs] == ["a"]
    run = report.runs[0]
    assert run.format == "keras-csv+keras-json"
    assert sorted(s.rsplit("/", 1)[-1] for s in run.sources) == ["history.json", "training.log"]
    # findings point at the CSV line of the epoch
    gen = [f for f in report.findings if f.code == "GEN001"]
    assert gen and gen[0].location.path.endswith("training.log") and gen[0].location.line == gen[0].epochs[0] + 2


def test_disagreeing_json_and_csv_are_two_runs_and_said_so(tmp_path):
    write_history_json(tmp_path / "a" / "history.json", OVERFIT)
    other = {k: [v * 1.5 for v in vals] for k, vals in OVERFIT.items()}
    write_csvlogger(tmp_path / "a" / "training.log", other)
    report = lint(tmp_path)
    assert sorted(r.id for r in report.runs) == ["a/history.json", "a/training.log"]
    notes = [e for e in report.errors if not e.fatal]
    assert len(notes) == 1
    assert "disagrees with" in notes[0].message and "history.json" in notes[0].message
    assert "at epoch 0: 0.75 vs 0.5" in notes[0].message  # accuracy 0.5 * 1.5


def test_non_logs_are_ignored_silently(tmp_path):
    (tmp_path / "package.json").write_text(json.dumps({"name": "x", "version": "1"}))
    (tmp_path / "data.csv").write_text("price,volume\n1,2\n")
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "model.h5").write_bytes(b"\x89HDF\r\n")
    report = lint(tmp_path)
    assert report.runs == [] and report.errors == []


def test_unreadable_log_is_log001_and_others_still_linted(tmp_path):
    write_csvlogger(tmp_path / "good" / "training.log", OVERFIT)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "history.json").write_text('{"loss": [0.5, 0.4,, ]}')
    report = lint(tmp_path)
    assert sorted(r.id for r in report.runs) == ["bad", "good"]
    log001 = [f for f in report.findings if f.code == "LOG001"]
    assert len(log001) == 1 and log001[0].run == "bad" and log001[0].location.line == 1
    assert any(f.code == "GEN001" and f.run == "good" for f in report.findings)


def test_several_files_in_one_dir_are_separate_runs_named_by_file(tmp_path):
    write_csvlogger(tmp_path / "attempt_1.csv", OVERFIT)
    write_csvlogger(tmp_path / "attempt_2.csv", {k: v[:6] for k, v in OVERFIT.items()})
    report = lint(tmp_path)
    assert sorted(r.id for r in report.runs) == ["attempt_1.csv", "attempt_2.csv"]


def test_resumed_tensorboard_run_in_two_files_is_concatenated_oldest_first(tmp_path):
    write_events(tmp_path / "run" / "train" / "events.out.tfevents.2.h", {"loss": [0.5, 0.4, 0.3]}, start=3, wall0=5000)
    write_events(tmp_path / "run" / "train" / "events.out.tfevents.1.h", {"loss": [1.0, 0.9, 0.8, 0.7, 0.6]}, wall0=100)
    report = lint(tmp_path)
    run = report.runs[0]
    raw = run.raw("train/loss")
    assert raw.step.tolist() == [0, 1, 2, 3, 4, 3, 4, 5]
    np.testing.assert_allclose(run.get("train/loss").value, [1.0, 0.9, 0.8, 0.5, 0.4, 0.3], rtol=1e-6)
    assert any(f.code == "LOG003" for f in report.findings)


def test_symlink_loop_and_hidden_dirs(tmp_path):
    write_csvlogger(tmp_path / "a" / "training.log", OVERFIT)
    (tmp_path / "a" / "loop").symlink_to(tmp_path)
    write_csvlogger(tmp_path / ".venv" / "training.log", OVERFIT)
    report = lint(tmp_path)
    assert [r.id for r in report.runs] == ["a"]


def test_missing_path_is_a_fatal_error(tmp_path):
    report = lint(tmp_path / "nope")
    assert report.errors and report.errors[0].fatal


def test_file_argument_ids_and_sources_keep_the_users_path(tmp_path):
    p = write_csvlogger(tmp_path / "exp" / "training.log", OVERFIT)
    report = lint(p)
    assert report.runs[0].id == "exp"
    assert report.runs[0].sources == [str(p)]
