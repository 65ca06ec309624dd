"""Only training logs become runs: event files by TensorBoard's file-name pattern, CSVs with a
per-epoch shape, JSON reports that merely mention metrics are not histories, and a file named
like a history that is not one is reported, never skipped or crashed on."""

from __future__ import annotations

import json
import shutil

from conftest import OVERFIT, REPO, write_csvlogger
from curvelint.engine import Linter


def lint(*paths):
    return Linter.create().lint_paths([str(p) for p in paths])


def log001(report):
    return [f for f in report.findings if f.code == "LOG001"]


def other_errors(report):
    """Errors besides the one saying no log was found at all (which is what these trees hold)."""
    return [e for e in report.errors if "no training logs" not in e.message]


def test_source_files_with_tfevents_in_their_name_are_not_event_files(tmp_path):
    # the repository's own files, which linting its root used to report as broken event files
    (tmp_path / "pkg").mkdir()
    shutil.copy(REPO / "curvelint" / "readers" / "tfevents.py", tmp_path / "pkg" / "tfevents.py")
    shutil.copy(REPO / "tests" / "test_reader_tfevents.py", tmp_path / "pkg" / "test_reader_tfevents.py")
    (tmp_path / "pkg" / "my.tfevents.notes").write_text("not an event file")
    report = lint(tmp_path)
    assert report.runs == [] and log001(report) == []


def test_a_report_json_that_mentions_metrics_is_not_a_history(tmp_path):
    # curvelint's own accuracy.json: "precision_not_scored": ["internal-error", ...]
    shutil.copy(REPO / "curvelint" / "accuracy.json", tmp_path / "accuracy.json")
    report = lint(tmp_path)
    assert report.runs == [] and other_errors(report) == []


def test_linting_this_repository_gives_no_log001_and_runs_only_from_logs():
    report = lint(REPO)
    assert log001(report) == []
    not_logs = [s for r in report.runs for s in r.sources if "/fixtures/" not in s.replace("\\", "/")]
    assert not_logs == []


def test_a_small_config_csv_is_not_a_run(tmp_path):
    (tmp_path / "loss_config.csv").write_text("name,loss_weight\nce,1.0\ndice,0.5\n")
    (tmp_path / "params.csv").write_text("model,loss,optimizer\nA,mse,adam\nB,mae,sgd\nC,mse,sgd\n")
    report = lint(tmp_path)
    assert report.runs == [] and other_errors(report) == [] and report.findings == []


def test_per_epoch_csvs_without_an_epoch_column_or_with_few_rows_are_runs(tmp_path):
    # three rows of metrics (pandas to_csv(index=False) of a history), no epoch column
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "losses.csv").write_text("loss,val_loss\n0.9,1.0\n0.7,0.8\n0.6,0.75\n")
    # two epochs with an epoch column (a CSVLogger file of a short run)
    write_csvlogger(tmp_path / "b" / "training.log", {k: v[:2] for k, v in OVERFIT.items()})
    # two epochs, no epoch column, but named as the history it is
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "model_history.csv").write_text("loss,val_loss\n0.9,1.0\n0.7,0.8\n")
    report = lint(tmp_path)
    assert sorted(r.id for r in report.runs) == ["a", "b", "c"]
    assert all(len(r.get("train/loss")) in (2, 3) for r in report.runs)


def test_a_history_json_that_is_a_deeply_nested_list_is_log001_naming_it(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "history.json").write_text("[" * 100_000 + "]" * 100_000)
    report = lint(tmp_path)
    [finding] = log001(report)
    assert finding.severity.value == "error" and "nested too deeply" in finding.message
    assert finding.location.path.endswith("history.json")


def test_a_history_json_without_series_is_log001(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "model_history.json").write_text(json.dumps({"epochs": 10, "seed": 3}))
    report = lint(tmp_path)
    [finding] = log001(report)
    assert "named like a Keras history" in finding.message and finding.location.path.endswith("model_history.json")


def test_deep_json_of_another_name_is_not_a_log(tmp_path):
    (tmp_path / "config.json").write_text('{"loss": ' + "[" * 100_000 + "]" * 100_000 + "}")
    report = lint(tmp_path)
    assert report.runs == [] and other_errors(report) == []
