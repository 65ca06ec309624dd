"""Choosing what the fit rules judge a run by: `monitor`/`mode` in the config (globally and per
path, like Keras' `EarlyStopping(monitor=, mode=)`), and the metric's own direction when a run
logs no validation loss."""

from __future__ import annotations

import pytest

from curvelint.config import ConfigError, parse_config
from curvelint.testing import check_all, make_run

# val_loss keeps falling, but BLEU peaks at epoch 4 and loses most of what it had gained
LOSS = [3.0, 2.4, 2.0, 1.7, 1.5, 1.35, 1.25, 1.15, 1.07, 1.0]
VAL_LOSS = [3.1, 2.6, 2.3, 2.1, 2.0, 1.95, 1.92, 1.9, 1.89, 1.88]
BLEU = [0.05, 0.12, 0.18, 0.22, 0.25, 0.22, 0.19, 0.16, 0.14, 0.12]


def _bleu_run(id: str = "nmt/run1"):
    return make_run({"train/loss": LOSS, "val/loss": VAL_LOSS, "val/bleu": BLEU}, id=id,
                    raw_names={"train/loss": "loss", "val/loss": "val_loss", "val/bleu": "val_bleu"})


def _gen001(findings):
    return [f for f in findings if f.code == "GEN001"]


def test_a_metric_that_worsens_while_val_loss_falls_is_an_info_by_default():
    (f,) = _gen001(check_all(_bleu_run()))
    assert f.severity.value == "info"
    assert f.series == ("val/bleu", "train/loss")
    assert "val_bleu fell" in f.message and "from its best 0.25 at epoch 4" in f.message


def test_monitoring_the_metric_makes_it_the_verdict():
    (f,) = _gen001(check_all(_bleu_run(), monitor="val_bleu", mode="max"))
    assert f.severity.value == "warning"
    assert f.evidence["best_epoch"] == 4
    assert "monitor='val_bleu', mode='max'" in f.remediation


def test_mode_min_on_a_score_turns_its_direction():
    # told that lower is better, BLEU's best is its first value 0.05 and the end 0.12 is worse
    (f,) = _gen001(check_all(_bleu_run(), monitor="val_bleu", mode="min"))
    assert f.series[0] == "val/bleu" and f.evidence["best_epoch"] == 0
    assert "val_bleu rose" in f.message and "from its minimum 0.05" in f.message


def test_per_path_monitor_applies_only_to_matching_runs():
    config = {"per-path-monitor": {"nmt/*": {"monitor": "val_bleu", "mode": "max"}}}
    (inside,) = _gen001(check_all(_bleu_run("nmt/run1"), **config))
    (outside,) = _gen001(check_all(_bleu_run("vision/run1"), **config))
    assert inside.severity.value == "warning"
    assert outside.severity.value == "info"


def test_without_a_val_loss_the_first_val_metric_is_monitored_in_its_own_direction():
    run = make_run({
        "train/accuracy": [0.5, 0.62, 0.71, 0.78, 0.83, 0.87, 0.9, 0.92, 0.94, 0.95],
        "val/accuracy": [0.5, 0.6, 0.68, 0.72, 0.74, 0.71, 0.67, 0.64, 0.62, 0.6],
    })
    (f,) = _gen001(check_all(run))
    assert f.severity.value == "warning"
    assert f.series == ("val/accuracy", "train/accuracy")
    assert "accuracy fell" in f.message and "best 0.74 at epoch 4" in f.message


def test_a_monitor_the_run_does_not_log_falls_back_to_val_loss():
    findings = _gen001(check_all(_bleu_run(), monitor="val_rouge"))
    assert [f.severity.value for f in findings] == ["info"]  # only the metric-only BLEU finding


@pytest.mark.parametrize("table, message", [
    ({"mode": "max"}, "set `monitor` too"),
    ({"monitor": "val_bleu", "mode": "maximum"}, "mode must be one of auto, min, max"),
    ({"monitor": 3}, "expected a series name"),
    ({"per-path-monitor": {"nmt/*": {"monitor": "val_bleu", "patience": 3}}}, "unknown key 'patience'"),
])
def test_bad_monitor_config_names_the_problem(table, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_config(table, "pyproject.toml")
