"""The scenarios: one small Keras training per pathology of the rule catalogue, plus healthy runs.

Each scenario is built the way the seed articles show the problem (random labels memorised by
a big MLP, a too-small model on the sine regression, Adam at 1e-5 and at 0.1, unscaled
features, imbalanced labels, EarlyStopping with a small patience) on synthetic data. `fires`
lists the rules that must fire on the run, `quiet` the rules that must not; a healthy run must
get no warning or error at all. Keras is passed in, never imported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from curvelint.trainer import data as D


@dataclass
class Plan:
    """What to train: model (compiled), data, `fit()` arguments, and how many `fit()` calls."""

    model: Any
    data: D.Dataset
    fit: dict[str, Any] = field(default_factory=dict)
    callbacks: list[Any] = field(default_factory=list)
    fits: int = 1
    params: dict[str, Any] = field(default_factory=dict)
    #: Pass the validation data to `fit()`; False trains without it (no `val_*` series at all).
    validation: bool = True


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    build: Callable[[Any, np.random.Generator, int], Plan]
    fires: tuple[str, ...] = ()
    quiet: tuple[str, ...] = ()
    healthy: bool = False
    epochs: int = 40
    histograms: bool = False


def mlp(keras, dim: int, hidden: tuple[int, ...], out: int = 1, out_activation: str | None = "sigmoid",
        dropout: float = 0.0, l2: float = 0.0, trainable: bool = True):
    layers = [keras.Input(shape=(dim,))]
    for width in hidden:
        reg = keras.regularizers.l2(l2) if l2 else None
        layers.append(keras.layers.Dense(width, activation="relu", kernel_regularizer=reg, trainable=trainable))
        if dropout:
            layers.append(keras.layers.Dropout(dropout))
    layers.append(keras.layers.Dense(out, activation=out_activation))
    return keras.Sequential(layers)


def compiled(model, optimizer, loss: str, metrics: list[str] | None = None):
    # several steps per graph call: tiny models spend most of their time in per-step overhead
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics or [], steps_per_execution=16)
    return model


def adam(keras, lr: float, **kw):
    return keras.optimizers.Adam(learning_rate=lr, **kw)


# -- healthy runs ------------------------------------------------------------------------------


def healthy_binary(keras, rng, epochs):
    data = D.moons(rng)
    model = compiled(mlp(keras, 2, (32, 32)), adam(keras, 3e-3), "binary_crossentropy", ["accuracy"])
    early = keras.callbacks.EarlyStopping(monitor="val_loss", patience=8, restore_best_weights=True)
    return Plan(model, data, {"batch_size": 32}, [early], params={"data": "moons", "optimizer": "Adam(3e-3)", "model": "MLP 32-32"})


def healthy_regression(keras, rng, epochs):
    data = D.sine(rng, noise=0.05)
    model = compiled(mlp(keras, 10, (64, 64), out_activation=None), adam(keras, 2e-3), "mse", ["mae"])
    reduce = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=4)
    return Plan(model, data, {"batch_size": 32}, [reduce], params={"data": "sine", "optimizer": "Adam(2e-3)", "model": "MLP 64-64"})


def healthy_multiclass(keras, rng, epochs):
    data = D.blobs(rng, classes=4, spread=1.4)
    model = compiled(mlp(keras, 8, (32,), out=4, out_activation="softmax"), adam(keras, 2e-3),
                     "sparse_categorical_crossentropy", ["accuracy"])
    return Plan(model, data, {"batch_size": 32}, params={"data": "blobs, 4 classes", "optimizer": "Adam(2e-3)", "model": "MLP 32"})


# -- numeric failures --------------------------------------------------------------------------


def nan_loss(keras, rng, epochs):
    data = D.linear_regression(rng, scale=10.0)  # unscaled features (seed 003)
    model = compiled(mlp(keras, 6, (32,), out_activation=None), keras.optimizers.SGD(learning_rate=1e-3), "mse")
    warmup = keras.callbacks.LearningRateScheduler(lambda epoch, lr: 1e-3 * 1.5 ** epoch)  # a warmup with no cap
    return Plan(model, data, {"batch_size": 32}, [warmup],
                params={"data": "linear, features x10", "optimizer": "SGD, learning rate 1e-3 x 1.5 per epoch"})


def divergence(keras, rng, epochs):
    data = D.blobs(rng, classes=3)
    model = compiled(mlp(keras, 8, (64, 64), out=3, out_activation="softmax"), adam(keras, 1e-3),
                     "sparse_categorical_crossentropy", ["accuracy"])
    grow = keras.callbacks.LearningRateScheduler(lambda epoch, lr: 1e-3 * 1.4 ** epoch)  # a schedule with the wrong sign
    return Plan(model, data, {"batch_size": 32}, [grow], params={"optimizer": "Adam, learning rate 1e-3 x 1.4 per epoch"})


def loss_spike(keras, rng, epochs):
    data = D.blobs(rng, classes=3)
    model = compiled(mlp(keras, 8, (32,), out=3, out_activation="softmax"), adam(keras, 1e-3),
                     "sparse_categorical_crossentropy", ["accuracy"])

    def schedule(epoch, lr):
        return 0.12 if epoch == epochs // 2 else 1e-3  # one epoch at a learning rate 120x too high

    return Plan(model, data, {"batch_size": 32}, [keras.callbacks.LearningRateScheduler(schedule)],
                params={"data": "blobs, 3 classes", "optimizer": "Adam(1e-3), one epoch at 0.12"})


# -- optimization ------------------------------------------------------------------------------


def no_learning(keras, rng, epochs):
    data = D.blobs(rng, classes=2)
    model = compiled(mlp(keras, 8, (32, 32)), adam(keras, 1e-7), "binary_crossentropy", ["accuracy"])
    return Plan(model, data, {"batch_size": 32}, params={"optimizer": "Adam(1e-7)"})


def slow_convergence(keras, rng, epochs):
    data = D.blobs(rng, classes=2)
    model = compiled(mlp(keras, 8, (64, 32)), adam(keras, 1e-5), "binary_crossentropy", ["accuracy"])
    return Plan(model, data, {"batch_size": 32}, params={"optimizer": "Adam(1e-5)", "model": "MLP 64-32"})


def oscillation(keras, rng, epochs):
    data = D.sine(rng, noise=0.05)
    model = compiled(mlp(keras, 10, (64, 64), out_activation=None),
                     keras.optimizers.SGD(learning_rate=0.02, momentum=0.995), "mse")
    return Plan(model, data, {"batch_size": 64}, params={"optimizer": "SGD(0.02, momentum=0.995)"})


def not_converged(keras, rng, epochs):
    data = D.sine(rng, noise=0.05)
    model = compiled(mlp(keras, 10, (64, 64), out_activation=None), adam(keras, 3e-4), "mse", ["mae"])
    return Plan(model, data, {"batch_size": 64}, params={"optimizer": "Adam(3e-4)", "epochs": "too few"})


def lr_not_decayed(keras, rng, epochs):
    data = D.blobs(rng, classes=4, spread=2.2)
    model = compiled(mlp(keras, 8, (16,), out=4, out_activation="softmax"), adam(keras, 1e-2),
                     "sparse_categorical_crossentropy", ["accuracy"])
    return Plan(model, data, {"batch_size": 64}, params={"optimizer": "Adam(1e-2) constant", "note": "loss plateaus, LR never lowered"})


def noisy_curve(keras, rng, epochs):
    data = D.blobs(rng, n=640, n_val=40, classes=2, spread=2.0)
    model = compiled(mlp(keras, 8, (32,)), adam(keras, 5e-2), "binary_crossentropy", ["accuracy"])
    return Plan(model, data, {"batch_size": 4}, params={"batch_size": 4, "val_samples": 40, "optimizer": "Adam(5e-2)"})


# -- generalization ----------------------------------------------------------------------------


def overfitting(keras, rng, epochs):
    data = D.blobs(rng, n=500, n_val=300, dim=20, classes=2, spread=3.0)
    model = compiled(mlp(keras, 20, (256, 256)), adam(keras, 1e-3), "binary_crossentropy", ["accuracy"])
    return Plan(model, data, {"batch_size": 32}, params={"data": "200 noisy samples, 20 features", "model": "MLP 256-256"})


def generalization_gap(keras, rng, epochs):
    data = D.blobs(rng, n=500, n_val=300, dim=20, classes=2, spread=3.0)
    model = compiled(mlp(keras, 20, (256, 256), l2=1e-3), adam(keras, 1e-3), "binary_crossentropy", ["accuracy"])
    return Plan(model, data, {"batch_size": 32}, params={"model": "MLP 256-256, L2 1e-3"})


def val_plateau(keras, rng, epochs):
    data = D.blobs(rng, n=1000, n_val=400, dim=10, classes=2, spread=2.5)
    model = compiled(mlp(keras, 10, (64,), l2=3e-3), adam(keras, 1e-3), "binary_crossentropy", ["accuracy"])
    return Plan(model, data, {"batch_size": 32}, params={"model": "MLP 64, L2 3e-3", "data": "600 samples, overlapping classes"})


def underfitting(keras, rng, epochs):
    data = D.sine(rng, dim=10)
    model = compiled(keras.Sequential([keras.Input(shape=(10,)), keras.layers.Dense(1)]), adam(keras, 5e-2), "mse", ["mae"])
    return Plan(model, data, {"batch_size": 32}, params={"model": "Dense(1): linear model on a sine target", "optimizer": "Adam(5e-2)"})


def overconfidence(keras, rng, epochs):
    data = D.checkerboard(rng, n=1600, n_val=1000, cells=4, flip=0.2)
    model = compiled(mlp(keras, 2, (256, 256, 256)), adam(keras, 5e-3), "binary_crossentropy", ["accuracy"])
    return Plan(model, data, {"batch_size": 16},
                params={"data": "4x4 checkerboard, 600 samples, 20% wrong labels", "model": "MLP 256-256-256"})


# -- data --------------------------------------------------------------------------------------


def stuck_metric(keras, rng, epochs):
    data = D.imbalanced(rng, minority=0.05)
    model = compiled(mlp(keras, 8, (16,)), adam(keras, 1e-3), "binary_crossentropy", ["accuracy"])
    return Plan(model, data, {"batch_size": 32}, params={"data": "95/5 imbalance, uninformative features"})


def leakage(keras, rng, epochs):
    base = D.blobs(rng, classes=2)
    data = D.Dataset(base.x_train, base.y_train, base.x_train, base.y_train)  # validation = training data
    model = compiled(mlp(keras, 8, (32,)), adam(keras, 1e-3), "binary_crossentropy", ["accuracy"])
    return Plan(model, data, {"batch_size": 32}, params={"validation_data": "the training data itself"})


def val_better_than_train(keras, rng, epochs):
    data = D.blobs(rng, classes=3)
    model = keras.Sequential([keras.Input(shape=(8,)), keras.layers.GaussianNoise(1.0), keras.layers.Dense(128, activation="relu"),
                              keras.layers.Dropout(0.5), keras.layers.Dense(3, activation="softmax")])
    model = compiled(model, adam(keras, 1e-3), "sparse_categorical_crossentropy", ["accuracy"])
    return Plan(model, data, {"batch_size": 32}, params={"model": "GaussianNoise(1.0) + MLP 128 + Dropout(0.5)"})


def distribution_shift(keras, rng, epochs):
    data = D.shifted(D.linear_regression(rng), shift=1.5, scale=2.0)
    model = compiled(mlp(keras, 6, (32,), out_activation=None), adam(keras, 3e-3), "mse")
    return Plan(model, data, {"batch_size": 32}, params={"validation": "features scaled x2 and shifted +1.5"})


def wasted_epochs(keras, rng, epochs):
    return overfitting(keras, rng, epochs)


def premature_stop(keras, rng, epochs):
    data = D.sine(rng, noise=0.1)
    model = compiled(mlp(keras, 10, (64, 64), out_activation=None), adam(keras, 3e-3), "mse", ["mae"])
    early = keras.callbacks.EarlyStopping(monitor="val_loss", patience=1)
    return Plan(model, data, {"batch_size": 16}, [early], params={"EarlyStopping": "patience=1"})


def restarted_run(keras, rng, epochs):
    data = D.blobs(rng, classes=2)
    model = compiled(mlp(keras, 8, (32,)), adam(keras, 1e-3), "binary_crossentropy", ["accuracy"])
    return Plan(model, data, {"batch_size": 32}, fits=2,
                params={"fits": 2, "CSVLogger": "append=True", "initial_epoch": "not set on the second fit"})


# -- the log itself -----------------------------------------------------------------------------


def no_validation(keras, rng, epochs):
    data = D.moons(rng)
    model = compiled(mlp(keras, 2, (32, 32)), adam(keras, 3e-3), "binary_crossentropy", ["accuracy"])
    return Plan(model, data, {"batch_size": 32}, validation=False,
                params={"data": "moons", "optimizer": "Adam(3e-3)", "validation_data": "not passed to fit()"})


def too_short(keras, rng, epochs):
    data = D.moons(rng)
    model = compiled(mlp(keras, 2, (32, 32)), adam(keras, 3e-3), "binary_crossentropy", ["accuracy"])
    return Plan(model, data, {"batch_size": 32}, params={"data": "moons", "optimizer": "Adam(3e-3)", "note": "2 epochs: too few to judge"})


SCENARIOS: dict[str, Scenario] = {s.name: s for s in [
    Scenario("healthy_binary", "Binary classification (two moons), MLP, EarlyStopping", healthy_binary, healthy=True, epochs=60),
    Scenario("healthy_regression", "Sine regression, MLP 64-64, ReduceLROnPlateau", healthy_regression, healthy=True, epochs=40, histograms=True),
    Scenario("healthy_multiclass", "4-class blobs, softmax MLP", healthy_multiclass, healthy=True, epochs=30),
    Scenario("nan_loss", "Unscaled features and an uncapped warmup: the loss overflows to NaN at epoch 5", nan_loss, fires=("NUM001",), quiet=("NUM002", "OPT001"), epochs=20),
    Scenario("divergence", "Learning rate multiplied by 1.4 every epoch: training loss climbs far above its minimum", divergence, fires=("NUM002",), quiet=("NUM001", "OPT001"), epochs=30),
    Scenario("loss_spike", "One epoch at a learning rate 120x too high, then recovery", loss_spike, fires=("NUM003",), quiet=("NUM001", "NUM002"), epochs=30),
    Scenario("no_learning", "Adam at 1e-7: the loss does not move", no_learning, fires=("OPT001",), quiet=("NUM002", "OPT002", "GEN001"), epochs=20),
    Scenario("slow_convergence", "Adam at 1e-5 (seed 002): steady but very slow descent", slow_convergence, fires=("OPT002",), quiet=("OPT001", "GEN001", "NUM002"), epochs=40),
    Scenario("oscillation", "SGD with momentum 0.995: the loss swings up and down instead of settling", oscillation, fires=("OPT003",), quiet=("NUM001", "OPT001"), epochs=40),
    Scenario("not_converged", "Sine regression stopped while still improving", not_converged, fires=("OPT004",), quiet=("GEN001", "FIT001", "FIT002"), epochs=15),
    Scenario("lr_not_decayed", "Loss plateaus while the logged learning rate never changes", lr_not_decayed, fires=("OPT005",), quiet=("NUM001",), epochs=60),
    Scenario("noisy_curve", "Batch size 4 and a 40-sample validation set", noisy_curve, fires=("OPT006",), quiet=("NUM001",), epochs=30),
    Scenario("overfitting", "Big MLP on 200 noisy samples (seed 002): val_loss turns up", overfitting, fires=("GEN001",), quiet=("DAT002", "DAT004", "OPT001", "NUM002"), epochs=40, histograms=True),
    Scenario("generalization_gap", "Memorising MLP with L2: val_loss settles far above loss", generalization_gap, fires=("GEN002",), quiet=("DAT002", "OPT001"), epochs=40),
    Scenario("val_plateau", "Overlapping classes, MLP with L2: val_loss flat for 40 epochs while loss keeps falling", val_plateau, fires=("GEN003",), quiet=("GEN001", "DAT002"), epochs=60),
    Scenario("underfitting", "Linear model on the sine regression (seed 002: too little capacity)", underfitting, fires=("GEN004",), quiet=("GEN001", "GEN002", "DAT002"), epochs=30),
    Scenario("overconfidence", "Checkerboard with 20% wrong labels: val accuracy keeps rising while val_loss climbs", overconfidence, fires=("GEN005",), quiet=("DAT002", "OPT001"), epochs=150),
    Scenario("stuck_metric", "95/5 class imbalance, no signal: accuracy stuck at the majority rate", stuck_metric, fires=("DAT001",), quiet=("NUM001", "NUM002"), epochs=20),
    Scenario("leakage", "validation_data is the training data", leakage, fires=("DAT002",), quiet=("GEN001", "GEN002", "DAT004"), epochs=20),
    Scenario("val_better_than_train", "GaussianNoise + Dropout(0.5): training loss, measured in train mode, stays above val_loss", val_better_than_train, fires=("DAT003",), quiet=("GEN001", "GEN002", "DAT002"), epochs=30),
    Scenario("distribution_shift", "Validation features scaled differently from training (seed 000)", distribution_shift, fires=("DAT004",), quiet=("DAT002", "OPT001"), epochs=30),
    Scenario("wasted_epochs", "Overfitting run kept training 40 epochs past its best", wasted_epochs, fires=("FIT001", "GEN001"), quiet=("OPT004",), epochs=60),
    Scenario("premature_stop", "EarlyStopping(patience=1) on a noisy, still-improving val_loss (seed 004)", premature_stop, fires=("FIT002",), quiet=("GEN001", "FIT001"), epochs=60),
    Scenario("restarted_run", "Two fit() calls appending to one CSVLogger without initial_epoch", restarted_run, fires=("LOG003",), quiet=("NUM002", "NUM003"), epochs=12),
    Scenario("no_validation", "fit() without validation_data: only training series are logged", no_validation, fires=("LOG004",), quiet=("LOG005", "GEN001", "NUM002"), epochs=20),
    Scenario("too_short", "Two epochs: too short for the curve rules to judge", too_short, fires=("LOG002",), quiet=("LOG005", "GEN001", "OPT001"), epochs=2),
]}
