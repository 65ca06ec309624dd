from __future__ import annotations

import pytest

from curvelint.readers.names import axis_of, canonical, canonical_all, looks_like_metric, normalize


@pytest.mark.parametrize("raw, hint, expected", [
    ("loss", None, ("loss", "train", "epoch")),
    ("val_loss", None, ("loss", "val", "epoch")),
    ("acc", None, ("accuracy", "train", "epoch")),
    ("val_acc", None, ("accuracy", "val", "epoch")),
    ("lr", None, ("learning_rate", "train", "epoch")),
    ("epoch_loss", "val", ("loss", "val", "epoch")),
    ("epoch_learning_rate", "train", ("learning_rate", "train", "epoch")),
    ("batch_loss", "train", ("loss", "train", "batch")),
    ("evaluation_loss_vs_iterations", "val", ("loss", "val", "batch")),
    ("train_loss_step", None, ("loss", "train", "batch")),
    ("val_acc_epoch", None, ("accuracy", "val", "epoch")),
    ("Loss/train", None, ("loss", "train", "epoch")),
    ("Loss/val", None, ("loss", "val", "epoch")),
    ("train/loss", None, ("loss", "train", "epoch")),
    ("Train_Loss", None, ("loss", "train", "epoch")),
    ("Learning_Rate", None, ("learning_rate", "train", "epoch")),
    ("TrainLoss", None, ("loss", "train", "epoch")),
    ("ValLoss", None, ("loss", "val", "epoch")),
    ("validation loss", None, ("loss", "val", "epoch")),
    ("train accuracy", None, ("accuracy", "train", "epoch")),
    ("val_losses", None, ("loss", "val", "epoch")),
    ("train_accs", None, ("accuracy", "train", "epoch")),
    ("test_loss", None, ("loss", "test", "epoch")),
    ("val_mean_absolute_error", None, ("mae", "val", "epoch")),
    ("rnn_val_loss", None, ("rnn_loss", "val", "epoch")),
    # kept by hand: `*_history` and friends are the series itself
    ("train_loss_history", None, ("loss", "train", "epoch")),
    ("val_acc_history", None, ("accuracy", "val", "epoch")),
    ("Train Loss History", None, ("loss", "train", "epoch")),
    ("val_loss_hist", None, ("loss", "val", "epoch")),
    ("loss_per_epoch", None, ("loss", "train", "epoch")),
    ("loss_values", None, ("loss", "train", "epoch")),
    ("val_acc_list", None, ("accuracy", "val", "epoch")),
    ("q_values", None, ("q_values", "train", "epoch")),  # not a metric word before it: kept
    # plurals of any metric word, prefixed too
    ("train_accuracies", None, ("accuracy", "train", "epoch")),
    ("rnn_losses", None, ("rnn_loss", "train", "epoch")),
    ("rewards/accuracies", None, ("rewards_accuracies", "train", "epoch")),  # TRL's own name
    ("val_f1s", None, ("f1", "val", "epoch")),
    ("test_errors", None, ("error", "test", "epoch")),
    ("lrs", None, ("learning_rate", "train", "epoch")),
    ("learning_rates", None, ("learning_rate", "train", "epoch")),
    ("loss", None, ("loss", "train", "epoch")),  # ends in s, is no plural
    # `valid` is a split word, spaces and capitals are separators
    ("Valid MSE", None, ("mse", "val", "epoch")),
    ("valid_loss", None, ("loss", "val", "epoch")),
    ("test_acc", None, ("accuracy", "test", "epoch")),
    ("fine_tune_val_loss", None, ("fine_tune_loss", "val", "epoch")),
    ("val_out_a_loss", None, ("out_a_loss", "val", "epoch")),
])
def test_canonical(raw, hint, expected):
    c = canonical(raw, hint)
    assert (c.name, c.split, c.granularity) == expected


@pytest.mark.parametrize("raw", ["epoch", "step", "Epoch", "global_step", "", "hp_metric"])
def test_axis_and_placeholder_names_are_not_series(raw):
    assert canonical(raw) is None


def test_accuracy_variants_fold_into_accuracy_unless_it_exists():
    m = canonical_all(["sparse_categorical_accuracy", "val_sparse_categorical_accuracy"])
    assert {(c.name, c.split) for c in m.values()} == {("accuracy", "train"), ("accuracy", "val")}
    m = canonical_all(["accuracy", "binary_accuracy"])
    assert m["accuracy"].name == "accuracy" and m["binary_accuracy"].name == "binary_accuracy"


def test_colliding_names_keep_raw_spelling():
    m = canonical_all(["acc", "accuracy"])
    assert m["accuracy"].name == "accuracy"
    assert m["acc"].name == "acc"
    m = canonical_all(["Loss", "loss"])
    assert sorted(c.name for c in m.values()) == ["loss", "loss_2"]


def test_history_suffix_alone_is_a_name():
    c = canonical("history")
    assert c is not None and c.name == "history"
    assert looks_like_metric("val_loss_history") and not looks_like_metric("history")


def test_normalize_compares_spellings():
    assert normalize("Valid MSE") == normalize("valid-mse") == normalize("valid_mse") == "valid_mse"


@pytest.mark.parametrize("names, axis", [
    (["epoch"], "epoch"),
    (["step"], "step"),
    (["global_step"], "step"),
    (["Iteration"], "step"),
    (["epoch", "step"], "epoch"),  # Lightning: steps beside epochs, judged by epoch
    ([], "epoch"),
    (["index"], "epoch"),
])
def test_axis_of(names, axis):
    assert axis_of(names) == axis
