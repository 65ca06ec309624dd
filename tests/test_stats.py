"""The shared statistics the rules judge by (curvelint.stats): each primitive on curves whose
answer is known by construction."""

from __future__ import annotations

import math

import numpy as np
import pytest

from curvelint.stats import Profile, chance_classes, metric_direction, quantum, robust_noise, stats, trend
from curvelint.testing import make_run


def test_noise_estimates_the_scatter_around_a_trend_not_the_trend():
    rng = np.random.default_rng(0)
    x = np.arange(400)
    sigma = 0.02
    curve = 2.0 * np.exp(-x / 60) + rng.normal(0, sigma, x.size)  # a falling loss with noise
    assert robust_noise(curve) == pytest.approx(sigma, rel=0.15)
    assert robust_noise(2.0 * np.exp(-x / 60)) < 1e-3  # the smooth curve alone has ~no scatter


def test_noise_ignores_an_isolated_outlier():
    rng = np.random.default_rng(1)
    values = 1.0 + rng.normal(0, 0.01, 100)
    spiked = values.copy()
    spiked[50] = 5.0
    assert robust_noise(spiked) == pytest.approx(robust_noise(values), rel=0.1)


def test_quantum_of_a_small_validation_set():
    acc = np.array([40, 42, 44, 44, 43, 44, 45, 44, 44, 44]) / 45
    assert quantum(acc) == pytest.approx(1 / 45, rel=1e-6)
    assert quantum(np.linspace(0.5, 0.9, 10)) == 0.0  # every value distinct: no step to find
    p = Profile("val/accuracy", np.arange(acc.size), acc, True)
    assert p.noise >= (1 / 45) / 2  # a quantized metric is never "noiseless" below its step


def test_trend_is_significant_for_a_noisy_fall_and_not_for_noise():
    rng = np.random.default_rng(2)
    falling = np.linspace(1.0, 0.8, 30) + rng.normal(0, 0.02, 30)
    t = trend(falling)
    assert t.falling() and t.p < 1e-4
    assert t.slope == pytest.approx(-0.2 / 29, rel=0.25)
    flat_p = [trend(1.0 + rng.normal(0, 0.02, 30)).p for _ in range(200)]
    assert 0.01 < np.mean(np.array(flat_p) < 0.05) < 0.1  # ~5% false positives, as a test at 0.05 should


def test_theil_sen_slope_shrugs_off_one_wild_point():
    y = np.linspace(0, 9, 10)
    y[9] = 1000.0
    assert trend(y).slope == pytest.approx(1.0)


def test_trend_of_ties_and_tiny_inputs():
    assert trend(np.ones(10)).p == 1.0
    assert trend(np.array([1.0, 0.5])).p == 1.0


@pytest.mark.parametrize("loss, k", [(math.log(2), 2), (math.log(10) * 1.01, 10), (2.3026, 10), (0.5, None), (1e9, None)])
def test_chance_level(loss, k):
    assert chance_classes(loss) == k


@pytest.mark.parametrize("name, direction", [
    ("loss", "min"), ("mse", "min"), ("wer", "min"), ("accuracy", "max"), ("auc", "max"), ("bleu", "max"),
    ("learning_rate", None), ("fold", None), ("grad_norm", None), ("my_custom_column", None),
])
def test_metric_direction(name, direction):
    assert metric_direction(name) == direction


def test_best_end_and_patience_of_a_curve():
    # new bests at epochs 0, 1 and 4: the two epochs 2-3 without one need patience 3 to reach epoch 4
    p = Profile("val/loss", np.arange(8), np.array([1.0, 0.8, 0.85, 0.9, 0.7, 0.75, 0.8, 0.9]))
    assert (p.best, p.best_value, p.after_best) == (4, 0.7, 3)
    assert p.patience_to_best() == 3
    assert p.end(3) == 0.8
    assert p.worse_than_best(0.8) == pytest.approx(0.1)


def test_a_score_is_oriented_the_other_way():
    p = Profile("val/accuracy", np.arange(5), np.array([0.5, 0.7, 0.9, 0.8, 0.75]), True)
    assert p.best == 2 and p.worse_than_best(0.75) == pytest.approx(0.15)
    assert p.near_best(0.02).tolist() == [False, False, True, False, False]


def test_still_improving_needs_a_significant_and_material_trend():
    epochs = np.arange(20)
    steep = Profile("val/loss", epochs, np.linspace(1.0, 0.5, 20))
    drift = Profile("val/loss", epochs, 0.5 - 1e-4 * epochs)  # monotone, so significant, but negligible
    assert steep.still_improving(10)
    assert not drift.still_improving(10)


def test_pair_interpolates_when_steps_do_not_line_up():
    run = make_run({
        "train/loss": {"step": [500, 1000, 1500, 2000, 2500, 3000], "value": [2.0, 1.5, 1.2, 1.0, 0.9, 0.8]},
        "val/loss": {"step": [1455, 2910], "value": [1.3, 1.1]},
    })
    train, val = stats(run).pair("train/loss", "val/loss")
    assert val.epochs.tolist() == [1455, 2910]
    assert train.values == pytest.approx([1.2 + (1.5 - 1.2) * (1500 - 1455) / 500, 0.9 - (0.9 - 0.8) * (2910 - 2500) / 500])


def test_pair_on_common_epochs():
    run = make_run({"train/loss": [1.0, 0.8, 0.6, 0.5], "val/loss": {"step": [0, 2, 3], "value": [1.1, 0.7, 0.65]}})
    train, val = stats(run).pair("train/loss", "val/loss")
    assert train.epochs.tolist() == [0, 2, 3] and train.values.tolist() == [1.0, 0.6, 0.5]


def test_statistics_are_built_once_per_run():
    run = make_run({"train/loss": [1.0, 0.8, 0.6]})
    assert stats(run) is stats(run)
    assert stats(run).profile("train/loss") is stats(run).profile("train/loss")
    assert stats(run).profile("val/loss") is None


def test_learning_rate_changes_and_restarts():
    lr = [1e-3] * 5 + [5e-4] * 5 + [1e-3] * 5  # a step down, then a warm restart
    run = make_run({"train/loss": [1.0] * 15, "train/learning_rate": lr})
    st = stats(run)
    assert st.lr_changes.tolist() == [5, 10]
    assert st.lr_raised.tolist() == [10]
    assert st.lr_constant() is False
    assert stats(make_run({"train/loss": [1.0, 0.9]})).lr_constant() is None


def test_loss_scale_is_the_larger_of_the_first_two_training_epochs():
    run = make_run({"train/loss": [0.9, 1.2, 0.7], "val/loss": [3.0, 2.0, 1.0]})
    assert stats(run).loss_scale == 1.2


def test_monitor_defaults_to_val_loss_then_the_first_directed_val_metric():
    assert stats(make_run({"train/loss": [1, 0.5], "val/loss": [1, 0.6]})).monitor == "val/loss"
    only_metrics = make_run({"val/fold": [1, 1], "val/auc": [0.6, 0.7], "val/accuracy": [0.5, 0.6]})
    assert stats(only_metrics).monitor == "val/accuracy"
    assert stats(make_run({"train/loss": [1, 0.5]})).monitor is None
