from __future__ import annotations

import numpy as np

from curvelint.model import Curve, Run, keras_name, series_key


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
    run = Run("r", [], "x", curves=[
        Curve("loss", "train", step=[0, 1, 2, 0, 1], value=[1, 1, 1, 1, 1]),
        Curve("loss", "train", step=list(range(100)), value=[1.0] * 100, granularity="batch"),
    ])
    assert run.epochs == 2
