from __future__ import annotations

import pickle
from dataclasses import FrozenInstanceError, replace

import numpy as np
import pytest

from conftest import OVERFIT, write_csvlogger, write_history_json
from curvelint.engine import Linter
from curvelint.model import Curve, Run, keras_name, series_key
from curvelint.stats import stats


def test_restart_resolution_replaces_repeated_epochs_like_tensorboard():
    # first attempt logged 0-5, resumed from a checkpoint at epoch 3 and ran to 7
    c = Curve("loss", "train", step=[0, 1, 2, 3, 4, 5, 3, 4, 5, 6, 7], value=[9, 8, 7, 6, 5, 4, 6.1, 5.1, 4.1, 3.1, 2.1])
    assert c.restarts.tolist() == [6]
    r = c.resolved
    assert r.step.tolist() == [0, 1, 2, 3, 4, 5, 6, 7]
    assert r.value.tolist() == [9, 8, 7, 6.1, 5.1, 4.1, 3.1, 2.1]


def test_appended_csvlogger_without_initial_epoch_keeps_last_attempt_and_lines():
    c = Curve("loss", "train", step=[0, 1, 2, 0, 1], value=[3, 2, 1, 5, 4], lines=[2, 3, 4, 5, 6])
    r = c.resolved
    assert r.step.tolist() == [0, 1]
    assert r.value.tolist() == [5, 4]
    assert r.lines.tolist() == [5, 6]
    assert c.line_of(1) == 6  # the last point logged at epoch 1


def test_nan_and_inf_are_kept_not_dropped():
    c = Curve("loss", "train", step=[0, 1, 2], value=[1.0, float("nan"), float("inf")])
    assert len(c) == 3
    assert np.isnan(c.value[1]) and np.isinf(c.value[2])


def test_keys_and_keras_names():
    assert series_key("val", "loss") == "val/loss"
    assert series_key("train", "loss", "batch") == "train/loss@batch"
    assert keras_name("val/loss") == "val_loss"
    assert keras_name("train/accuracy") == "accuracy"


def test_run_epochs_counts_resolved_epoch_series_only():
    # a fresh training restarts the loss at its first level: the latest training is analysed
    run = Run("r", [], "x", curves=[
        Curve("loss", "train", step=[0, 1, 2, 0, 1], value=[3, 2, 1, 3, 2]),
        Curve("loss", "train", step=list(range(100)), value=[1.0] * 100, granularity="batch"),
    ])
    assert run.epochs == 2


def test_curves_are_immutable_and_do_not_alias_the_callers_arrays():
    values = np.array([3.0, 2.0, 1.0])
    c = Curve("loss", "train", step=[0, 1, 2], value=values)
    with pytest.raises(FrozenInstanceError):
        c.split = "val"  # type: ignore[misc]
    with pytest.raises(ValueError):
        c.value[0] = 9.0
    values[0] = 9.0  # the caller's array is still theirs
    assert c.value[0] == 3.0 and values.flags.writeable
    renamed = replace(c, split="val")
    assert renamed.key == "val/loss" and c.key == "train/loss" and renamed.raw_name == "loss"
    back = pickle.loads(pickle.dumps(c))  # what a worker process sends back
    assert not back.value.flags.writeable and back.value.tolist() == [3.0, 2.0, 1.0]


def test_a_run_logging_only_test_series_is_linted_as_val_and_its_caches_agree(tmp_path):
    # a custom loop's `test_loss`/`test_accuracy`, resumed at epoch 8 (so the curve's resolved
    # view is a new object), written as CSV and as the same numbers in a history JSON (so the
    # agreement check caches that view before the rename)
    keys = {"loss": "loss", "val_loss": "test_loss", "val_accuracy": "test_accuracy"}
    hist = {new: OVERFIT[old] for old, new in keys.items()}
    resumed = {k: v[:10] + v[8:] for k, v in hist.items()}
    write_csvlogger(tmp_path / "run" / "training.log", resumed, epochs=[*range(10), *range(8, 12)])
    write_history_json(tmp_path / "run" / "history.json", hist)
    report = Linter.create().lint_paths([str(tmp_path)])
    (run,) = report.runs
    assert len(run.sources) == 2
    assert sorted(run.series) == ["train/loss", "val/accuracy", "val/loss"] and not run.has("test/loss")
    val = run.get("val/loss")
    assert (val.split, val.key, val.raw_name) == ("val", "val/loss", "test_loss")
    assert val.value.tolist() == pytest.approx(OVERFIT["val_loss"])
    profile = stats(run).profile("val/loss")
    assert profile.values.tolist() == val.value.tolist() and stats(run).monitor == "val/loss"
    (gen,) = [f for f in report.findings if f.code == "GEN001"]
    assert gen.series[0] == "val/loss" and gen.message.startswith("test_loss rose")


def test_renaming_test_to_val_makes_new_curves_so_nothing_cached_keeps_the_old_split():
    from curvelint.assemble import _test_as_val

    c = Curve("loss", "test", step=[0, 1, 2, 1, 2], value=[1.0, 0.8, 0.9, 0.7, 0.6], raw_name="test_loss")
    assert c.resolved.split == "test"  # cached while reading (the agreement check compares it)
    (renamed,) = _test_as_val([c])
    assert renamed is not c and c.split == "test"
    assert renamed.resolved.split == "val" and renamed.resolved.key == "val/loss"
    run = Run("r", [], "x", curves=[renamed])
    assert run.get("val/loss").split == "val" and stats(run).profile("val/loss").values.tolist() == [1.0, 0.7, 0.6]
