from __future__ import annotations

import math

import numpy as np
import pytest

from curvelint.readers.keras_csv import KerasCsvReader
from curvelint.readers.lightning_csv import LightningCsvReader

READER = KerasCsvReader()


def read(tmp_path, data: bytes | str, name="training.log"):
    p = tmp_path / name
    p.write_bytes(data.encode() if isinstance(data, str) else data)
    return {c.key: c for c in READER.read(str(p)).curves}, READER.read(str(p))


@pytest.mark.parametrize("sep", [",", ";", "\t"])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r\r\n"])
def test_separators_and_line_endings(tmp_path, sep, newline):
    rows = ["epoch,loss,val_loss", "0,0.9,1.0", "1,0.7,0.8", "2,0.6,0.75"]
    data = newline.join(r.replace(",", sep) for r in rows) + newline
    curves, _ = read(tmp_path, data)
    assert curves["train/loss"].value.tolist() == [0.9, 0.7, 0.6]
    assert curves["val/loss"].value.tolist() == [1.0, 0.8, 0.75]
    assert curves["train/loss"].step.tolist() == [0, 1, 2]
    # line numbers are what an editor shows (a `\r\r\n` file is still one row per line)
    assert curves["train/loss"].lines.tolist() == [2, 3, 4]


def test_bom_acc_and_lr_columns(tmp_path):
    data = "\ufeffepoch,acc,loss,lr,val_acc,val_loss\n0,0.5,0.9,0.001,0.4,1.0\n1,0.6,0.7,0.0005,0.5,0.8\n"
    curves, _ = read(tmp_path, data)
    assert set(curves) == {"train/accuracy", "train/loss", "train/learning_rate", "val/accuracy", "val/loss"}
    assert curves["train/learning_rate"].value.tolist() == [0.001, 0.0005]


def test_appended_restart_is_kept_with_lines(tmp_path):
    data = "epoch,loss\n0,3\n1,2\n2,1\n0,5\n1,4\n"
    curves, _ = read(tmp_path, data)
    c = curves["train/loss"]
    assert c.step.tolist() == [0, 1, 2, 0, 1]
    assert c.restarts.tolist() == [3]
    assert c.lines[c.restarts[0]] == 5


def test_empty_and_na_cells_are_missing_but_nan_is_kept(tmp_path):
    data = "epoch,loss,val_loss\n0,0.9,NA\n1,nan,\n2,0.5,0.7\n3,inf,0.6\n"
    curves, _ = read(tmp_path, data)
    loss = curves["train/loss"]
    assert loss.step.tolist() == [0, 1, 2, 3]
    assert math.isnan(loss.value[1]) and math.isinf(loss.value[3])
    assert curves["val/loss"].step.tolist() == [2, 3]


def test_all_na_validation_columns_give_no_validation_series(tmp_path):
    data = "epoch,loss,val_loss\r\n0,0.9,NA\r\n1,0.8,NA\r\n"
    curves, _ = read(tmp_path, data)
    assert set(curves) == {"train/loss"}


def test_pandas_to_csv_without_epoch_counts_rows(tmp_path):
    data = "loss,mae,val_loss,val_mae,learning_rate\n0.5,0.4,0.6,0.5,0.001\n0.4,0.3,0.5,0.4,0.001\n"
    curves, source = read(tmp_path, data, name="training_history.csv")
    assert curves["val/mae"].step.tolist() == [0, 1]
    assert source.format == "csv"


def test_pandas_index_column_is_the_axis(tmp_path):
    data = ",loss,val_loss\n0,0.5,0.6\n1,0.4,0.5\n2,0.35,0.45\n"
    curves, _ = read(tmp_path, data, name="h.csv")
    assert set(curves) == {"train/loss", "val/loss"}
    assert curves["train/loss"].step.tolist() == [0, 1, 2]


def test_ragged_row_and_text_cell_become_problems_not_exceptions(tmp_path):
    data = "epoch,loss,val_loss\n0,0.9,1.0\n1,0.8\n2,oops,0.7\n3,0.5,0.6\n"
    curves, source = read(tmp_path, data)
    lines = sorted(p.line for p in source.problems)
    assert lines == [3, 4]
    assert curves["train/loss"].step.tolist() == [0, 1, 3]


def test_repeated_header_mid_file_switches_columns(tmp_path):
    data = "epoch,loss\n0,3\n1,2\nepoch,loss,val_loss\n0,1.5,1.6\n1,1.0,1.2\n"
    curves, _ = read(tmp_path, data)
    assert curves["train/loss"].value.tolist() == [3, 2, 1.5, 1.0]
    assert curves["val/loss"].step.tolist() == [0, 1]


def test_lightning_metrics_csv(tmp_path):
    rows = ["epoch,step,train_loss_step,train_loss_epoch,val_loss,val_acc"]
    step = 0
    for epoch in range(3):
        for _ in range(4):
            rows.append(f"{epoch},{step},{1.0 / (step + 1)},,,")
            step += 1
        rows.append(f"{epoch},{step - 1},,{0.5 / (epoch + 1)},,")
        rows.append(f"{epoch},{step - 1},,,{0.6 / (epoch + 1)},0.{epoch + 5}")
    p = tmp_path / "metrics.csv"
    p.write_text("\n".join(rows) + "\n")
    reader = LightningCsvReader()
    assert reader.sniff(p.read_bytes()[:4096], p.name)
    curves = {c.key: c for c in reader.read(str(p)).curves}
    assert curves["train/loss@batch"].step.tolist() == list(range(12))
    assert curves["train/loss"].step.tolist() == [0, 1, 2]
    np.testing.assert_allclose(curves["train/loss"].value, [0.5, 0.25, 0.5 / 3])
    assert curves["val/loss"].step.tolist() == [0, 1, 2]
    assert curves["val/accuracy"].value.tolist() == [0.5, 0.6, 0.7]


def test_lightning_step_only_loss_gets_an_epoch_mean(tmp_path):
    rows = ["epoch,step,train_loss,val_loss"]
    for step in range(6):
        rows.append(f"{step // 3},{step},{float(step)},")
        if step % 3 == 2:
            rows.append(f"{step // 3},{step},,{step / 10}")
    p = tmp_path / "metrics.csv"
    p.write_text("\n".join(rows) + "\n")
    curves = {c.key: c for c in LightningCsvReader().read(str(p)).curves}
    assert curves["train/loss@batch"].value.tolist() == [0, 1, 2, 3, 4, 5]
    assert curves["train/loss"].value.tolist() == [1.0, 4.0]  # per-epoch means
    assert curves["val/loss"].step.tolist() == [0, 1]


@pytest.mark.parametrize("reader, text", [
    (KerasCsvReader, "epoch,loss,val_loss\n0,0.9,1.0\ninf,0.8,0.9\nnan,0.7,0.8\n3,0.6,0.7\n"),
    (LightningCsvReader, "epoch,step,train_loss,val_loss\n0,9,0.9,\n0,9,,1.0\ninf,19,0.8,\n1,29,0.7,\n1,29,,0.8\n"),
])
def test_a_non_finite_epoch_cell_drops_its_row_instead_of_raising(tmp_path, reader, text):
    path = tmp_path / ("training.log" if reader is KerasCsvReader else "metrics.csv")
    path.write_text(text)
    source = reader().read(str(path))
    loss = next(c for c in source.curves if c.name == "loss" and c.split == "val")
    assert loss.step.tolist() == ([0, 3] if reader is KerasCsvReader else [0, 1])
    assert loss.lines.tolist() == ([2, 5] if reader is KerasCsvReader else [3, 6])
