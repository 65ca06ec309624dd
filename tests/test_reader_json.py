from __future__ import annotations

import json
import math

import numpy as np
import pytest

from curvelint.readers.base import NotALog, ReadError
from curvelint.readers.keras_json import KerasJsonReader

READER = KerasJsonReader()
LOSS = [0.9, 0.7, float("nan"), 0.5]
VAL = [1.0, 0.8, 0.75, float("inf")]


def read(tmp_path, text: str, name: str = "history.json"):
    p = tmp_path / name
    p.write_text(text)
    return READER.read(str(p))


def by_key(source):
    return {c.key: c for c in source.curves}


def check_curves(source, steps=(0, 1, 2, 3)):
    got = by_key(source)
    assert set(got) >= {"train/loss", "val/loss"}
    np.testing.assert_array_equal(got["train/loss"].value, LOSS)
    np.testing.assert_array_equal(got["val/loss"].value, VAL)
    assert got["train/loss"].step.tolist() == list(steps)


def test_plain_history_dict_with_nan_and_infinity_tokens(tmp_path):
    text = json.dumps({"loss": LOSS, "val_loss": VAL})
    assert "NaN" in text and "Infinity" in text
    check_curves(read(tmp_path, text))


def test_history_wrapper_with_epoch_list(tmp_path):
    text = json.dumps({"history": {"loss": LOSS, "val_loss": VAL}, "epoch": [5, 6, 7, 8], "params": {"epochs": 9}})
    check_curves(read(tmp_path, text), steps=(5, 6, 7, 8))


def test_list_of_per_epoch_dicts(tmp_path):
    rows = [{"epoch": i, "loss": l, "val_loss": v} for i, (l, v) in enumerate(zip(LOSS, VAL))]
    check_curves(read(tmp_path, json.dumps(rows)))


@pytest.mark.parametrize("orient", ["columns", "index", "records", "split", "table"])
def test_pandas_to_json_orientations(tmp_path, orient):
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"loss": LOSS, "val_loss": VAL})
    source = read(tmp_path, df.to_json(orient=orient))
    got = by_key(source)
    # pandas writes NaN and Inf as null: both must stay non-finite, never be dropped
    assert len(got["train/loss"]) == 4 and np.isnan(got["train/loss"].value[2])
    assert got["train/loss"].value[:2].tolist() == LOSS[:2]
    assert not np.isfinite(got["val/loss"].value[3])


@pytest.mark.parametrize("orient_text", [
    '{"loss":{"0":0.9,"1":0.7,"2":null,"3":0.5},"val_loss":{"0":1.0,"1":0.8,"2":0.75,"3":null}}',  # columns
    '{"0":{"loss":0.9,"val_loss":1.0},"1":{"loss":0.7,"val_loss":0.8},"2":{"loss":null,"val_loss":0.75},"3":{"loss":0.5,"val_loss":null}}',  # index
    '{"columns":["loss","val_loss"],"index":[0,1,2,3],"data":[[0.9,1.0],[0.7,0.8],[null,0.75],[0.5,null]]}',  # split
    '{"schema":{"fields":[{"name":"index","type":"integer"}]},"data":[{"index":0,"loss":0.9,"val_loss":1.0},{"index":1,"loss":0.7,"val_loss":0.8},{"index":2,"loss":null,"val_loss":0.75},{"index":3,"loss":0.5,"val_loss":null}]}',  # table
])
def test_pandas_shapes_without_pandas(tmp_path, orient_text):
    got = by_key(read(tmp_path, orient_text))
    assert got["train/loss"].step.tolist() == [0, 1, 2, 3]
    assert got["train/loss"].value[[0, 1, 3]].tolist() == [0.9, 0.7, 0.5]
    assert math.isnan(got["train/loss"].value[2])
    assert got["val/loss"].value[:3].tolist() == [1.0, 0.8, 0.75]


def test_metrics_wrapper_with_float_epochs(tmp_path):
    text = '{"epochs": [0.0, 1.0, 2.0, 3.0], "metrics": {"loss": [0.9, 0.7, NaN, 0.5], "val_loss": [1.0, 0.8, 0.75, Infinity]}}'
    check_curves(read(tmp_path, text))


def test_python_repr_inside_a_json_string(tmp_path):
    inner = "{'loss': [0.9, 0.7, nan, 0.5], 'val_loss': [1.0, 0.8, 0.75, inf]}"
    check_curves(read(tmp_path, json.dumps(inner)))


def test_dict_of_histories_becomes_restarts(tmp_path):
    text = json.dumps({"0": {"loss": [3.0, 2.0]}, "1": {"loss": [1.0, 0.5, 0.25]}})
    c = by_key(read(tmp_path, text))["train/loss"]
    assert c.step.tolist() == [0, 1, 0, 1, 2]
    assert c.resolved.value.tolist() == [1.0, 0.5, 0.25]


def test_bom_is_skipped(tmp_path):
    p = tmp_path / "h.json"
    p.write_bytes(b"\xef\xbb\xbf" + json.dumps({"loss": LOSS, "val_loss": VAL}).encode())
    check_curves(READER.read(str(p)))


def test_malformed_json_names_the_line(tmp_path):
    with pytest.raises(ReadError) as err:
        read(tmp_path, '{\n  "loss": [0.5,\n  0.4,, 0.3]\n}')
    assert err.value.line == 3
    assert "invalid JSON" in err.value.message


def test_truncated_json_keeps_complete_series_and_reports(tmp_path):
    source = read(tmp_path, '{"loss": [0.9, 0.7, 0.6], "val_loss": [1.0, 0.9, 0.8], "lr": [')
    assert set(by_key(source)) == {"train/loss", "val/loss"}
    assert len(source.problems) == 1 and "complete series" in source.problems[0].message


def test_non_numeric_metric_values_are_an_error(tmp_path):
    with pytest.raises(ReadError, match="not a number"):
        read(tmp_path, json.dumps({"loss": ["high", "low"]}))


@pytest.mark.parametrize("text", [
    json.dumps({"name": "my-package", "version": "1.0"}),
    json.dumps({"loss": "categorical_crossentropy", "optimizer": "adam", "metrics": ["accuracy"]}),
    json.dumps([1, 2, 3]),
    '"just a string"',
])
def test_json_that_is_not_a_history_is_not_a_log(tmp_path, text):
    with pytest.raises(NotALog):
        read(tmp_path, text, name="package.json")
    # named like a history, the same content is a broken history, reported (LOG001), not skipped
    with pytest.raises(ReadError, match="named like a Keras history"):
        read(tmp_path, text, name="model_history.json")


def test_empty_file_is_an_error(tmp_path):
    with pytest.raises(ReadError, match="empty"):
        read(tmp_path, "")
