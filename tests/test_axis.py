"""Steps that are global steps are called steps: readers set `Source.axis = "step"` when the x
column/key counts optimizer steps (`step`, `iteration`, `global_step`) and no epoch is logged,
and the run's messages then speak of steps."""

from __future__ import annotations

import json

import pytest

import curvelint
from curvelint.readers.keras_csv import KerasCsvReader
from curvelint.readers.keras_json import KerasJsonReader
from curvelint.readers.lightning_csv import LightningCsvReader


def _csv(path, header, rows):
    path.write_text(",".join(header) + "\n" + "".join(",".join(str(v) for v in r) + "\n" for r in rows))
    return path


def _overfit(n: int = 20) -> tuple[list[float], list[float]]:
    train = [1.0 - 0.045 * i for i in range(n)]
    val = [1.0 - 0.08 * i if i <= 8 else 0.36 + 0.06 * (i - 8) for i in range(n)]
    return train, val


@pytest.mark.parametrize("axis_name, axis", [
    ("step", "step"), ("global_step", "step"), ("iteration", "step"), ("epoch", "epoch"), ("Epoch", "epoch"),
])
def test_csv_axis_column(tmp_path, axis_name, axis):
    path = _csv(tmp_path / "log.csv", [axis_name, "loss", "val_loss"], [(i * 50, 1 - i / 10, 1.1 - i / 10) for i in range(5)])
    source = KerasCsvReader().read(str(path))
    assert source.axis == axis
    assert source.curves[0].step.tolist() == [0, 50, 100, 150, 200]


def test_csv_without_axis_column_counts_epochs(tmp_path):
    path = _csv(tmp_path / "history.csv", ["loss", "val_loss"], [(1 - i / 10, 1.1 - i / 10) for i in range(5)])
    assert KerasCsvReader().read(str(path)).axis == "epoch"


def test_a_run_stepped_by_step_says_steps(tmp_path):
    train, val = _overfit()
    _csv(tmp_path / "log.csv", ["step", "loss", "val_loss"], [(i * 500, t, v) for i, (t, v) in enumerate(zip(train, val))])
    report = curvelint.lint(tmp_path, isolated=True)
    (run,) = report.runs
    assert run.axis == "step"
    overfit = [f for f in report.findings if f.rule == "overfitting"]
    assert overfit and "step 4,000" in overfit[0].message and "epoch 8" not in overfit[0].message


@pytest.mark.parametrize("obj, axis, steps", [
    ({"step": [0, 100, 200], "loss": [1, 0.5, 0.3]}, "step", [0, 100, 200]),
    ({"epoch": [0, 1, 2], "loss": [1, 0.5, 0.3]}, "epoch", [0, 1, 2]),
    ({"loss": [1, 0.5, 0.3]}, "epoch", [0, 1, 2]),
    ([{"global_step": 10, "loss": 1}, {"global_step": 20, "loss": 0.5}], "step", [10, 20]),
    ([{"epoch": 0, "step": 10, "loss": 1}, {"epoch": 1, "step": 20, "loss": 0.5}], "epoch", [0, 1]),
    ({"history": {"loss": [1, 0.5]}, "epoch": [3, 4]}, "epoch", [3, 4]),
    ({"history": {"loss": [1, 0.5], "iteration": [5, 10]}}, "step", [5, 10]),
    ({"history": {"loss": [1, 0.5]}, "iteration": [5, 10]}, "epoch", [0, 1]),  # not read as steps: not steps
])
def test_history_json_axis(tmp_path, obj, axis, steps):
    path = tmp_path / "history.json"
    path.write_text(json.dumps(obj))
    source = KerasJsonReader().read(str(path))
    assert source.axis == axis
    assert source.curves[0].step.tolist() == steps


def test_lightning_metrics_without_epochs_is_stepped_by_global_step(tmp_path):
    """No epoch logged: `train_loss_step` is the training curve (no epoch twin), at its steps."""
    rows = [("", 49, 1.0, ""), ("", 99, 0.9, ""), ("", 99, "", 0.95), ("", 149, 0.8, ""), ("", 199, 0.7, ""),
            ("", 199, "", 0.9)]
    path = _csv(tmp_path / "metrics.csv", ["epoch", "step", "train_loss_step", "val_loss"], rows)
    source = LightningCsvReader().read(str(path))
    assert source.axis == "step"
    curves = {c.key: c for c in source.curves}
    assert set(curves) == {"train/loss", "val/loss"}
    assert curves["train/loss"].step.tolist() == [49, 99, 149, 199] and curves["train/loss"].raw_name == "train_loss_step"
    assert curves["val/loss"].step.tolist() == [99, 199]


def test_lightning_metrics_with_epochs_stay_by_epoch(tmp_path):
    rows = [(0, 49, 1.0, ""), (0, 99, 0.9, ""), (0, 99, "", 0.95), (1, 149, 0.8, ""), (1, 199, 0.7, ""),
            (1, 199, "", 0.9)]
    path = _csv(tmp_path / "metrics.csv", ["epoch", "step", "train_loss_step", "val_loss"], rows)
    source = LightningCsvReader().read(str(path))
    assert source.axis == "epoch"
    assert {c.key for c in source.curves} == {"train/loss@batch", "train/loss", "val/loss"}
