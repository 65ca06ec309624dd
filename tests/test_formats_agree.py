"""The same Keras run written as history JSON, CSVLogger and TensorBoard events must give equal
curves. No training: the three files are written from one set of numbers, NaN included."""

from __future__ import annotations

import numpy as np

from conftest import write_csvlogger, write_history_json, write_keras_tensorboard
from curvelint.engine import Linter

# float32-representable values, so the event files (float32) hold exactly the same numbers
HISTORY = {
    "loss": [1.0, 0.75, 0.5, float("nan"), 0.375],
    "accuracy": [0.5, 0.625, 0.75, 0.75, 0.8125],
    "val_loss": [1.125, 0.875, 0.625, 0.6875, float("nan")],
    "val_accuracy": [0.5, 0.5625, 0.6875, 0.6875, 0.625],
}


def test_three_formats_give_equal_curves(tmp_path):
    write_history_json(tmp_path / "json" / "history.json", HISTORY)
    write_csvlogger(tmp_path / "csv" / "training.log", HISTORY)
    write_keras_tensorboard(tmp_path / "tb", HISTORY)
    report = Linter.create().lint_paths([str(tmp_path)])
    runs = {r.id: r for r in report.runs}
    assert set(runs) == {"json", "csv", "tb"}
    assert {r.format for r in runs.values()} == {"keras-json", "keras-csv", "tensorboard"}
    reference = runs["json"]
    assert sorted(reference.series) == ["train/accuracy", "train/loss", "val/accuracy", "val/loss"]
    for other in (runs["csv"], runs["tb"]):
        assert sorted(other.series) == sorted(reference.series)
        for key in reference.series:
            a, b = reference.get(key), other.get(key)
            assert a.step.tolist() == b.step.tolist(), key
            np.testing.assert_array_equal(a.value, b.value, err_msg=f"{other.id} {key}")
    # and so the findings are the same, apart from where they point
    by_run = {rid: sorted((f.code, f.message) for f in report.findings if f.run == rid) for rid in runs}
    assert by_run["json"] == by_run["csv"] == by_run["tb"]
    assert any(code == "NUM001" for code, _ in by_run["json"])
