"""Synthetic data sets for the scenarios, made with numpy from a seed: nothing is downloaded."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Dataset:
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray


def _split(x: np.ndarray, y: np.ndarray, n_val: int) -> Dataset:
    return Dataset(x[n_val:], y[n_val:], x[:n_val], y[:n_val])


def blobs(rng: np.random.Generator, n: int = 1200, n_val: int = 300, dim: int = 8, classes: int = 2,
          spread: float = 1.6) -> Dataset:
    """Gaussian clusters, one per class: separable but overlapping, so loss has room to fall."""
    centers = rng.normal(0, 1, size=(classes, dim)) * 1.5
    y = rng.integers(0, classes, size=n)
    x = centers[y] + rng.normal(0, spread, size=(n, dim))
    return _split(x.astype("float32"), y.astype("int32"), n_val)


def moons(rng: np.random.Generator, n: int = 1200, n_val: int = 300, noise: float = 0.25) -> Dataset:
    """Two interleaving half circles (binary, not linearly separable)."""
    y = rng.integers(0, 2, size=n)
    t = rng.uniform(0, np.pi, size=n)
    x = np.stack([np.cos(t), np.sin(t)], axis=1)
    x[y == 1] = np.stack([1 - np.cos(t[y == 1]), 0.5 - np.sin(t[y == 1])], axis=1)
    x += rng.normal(0, noise, size=x.shape)
    return _split(x.astype("float32"), y.astype("float32"), n_val)


def sine(rng: np.random.Generator, n: int = 1500, n_val: int = 500, dim: int = 10, noise: float = 0.0) -> Dataset:
    """y = sin(sum(x)) on x ~ U(0, 1)^dim: the regression of seed 002."""
    x = rng.uniform(0, 1, size=(n, dim))
    y = np.sin(x.sum(axis=1)) + rng.normal(0, noise, size=n)
    return _split(x.astype("float32"), y.astype("float32"), n_val)


def random_labels(rng: np.random.Generator, n: int = 300, n_val: int = 100, dim: int = 10) -> Dataset:
    """Labels independent of the inputs: anything learned is memorised (seed 002)."""
    x = rng.uniform(0, 1, size=(n, dim))
    y = rng.integers(0, 2, size=n)
    return _split(x.astype("float32"), y.astype("float32"), n_val)


def imbalanced(rng: np.random.Generator, n: int = 1500, n_val: int = 400, dim: int = 8, minority: float = 0.05,
               signal: float = 0.0) -> Dataset:
    """Binary labels with a rare positive class; `signal` 0 means features carry no information."""
    y = (rng.uniform(size=n) < minority).astype("float32")
    x = rng.normal(0, 1, size=(n, dim)) + signal * y[:, None]
    return _split(x.astype("float32"), y, n_val)


def linear_regression(rng: np.random.Generator, n: int = 1200, n_val: int = 300, dim: int = 6,
                      scale: float = 1.0) -> Dataset:
    """y = x·w + noise; `scale` multiplies the features (unscaled inputs, seed 003)."""
    w = rng.normal(0, 1, size=dim)
    x = rng.normal(0, 1, size=(n, dim))
    y = x @ w + rng.normal(0, 0.1, size=n)
    return _split((x * scale).astype("float32"), y.astype("float32"), n_val)


def shifted(data: Dataset, shift: float, scale: float) -> Dataset:
    """The validation inputs preprocessed differently from training (scaler fit on each split
    separately, or not applied to validation): seed 000's distribution mismatch."""
    return Dataset(data.x_train, data.y_train, (data.x_val * scale + shift).astype("float32"), data.y_val)


def checkerboard(rng: np.random.Generator, n: int = 2000, n_val: int = 1000, cells: int = 4, flip: float = 0.15) -> Dataset:
    """A 2-D checkerboard learned cell by cell, with `flip` of the labels wrong in both splits:
    accuracy keeps improving while confident mistakes on the wrong labels raise the loss."""
    x = rng.uniform(0, cells, size=(n, 2))
    y = (np.floor(x[:, 0]) + np.floor(x[:, 1])) % 2
    wrong = rng.uniform(size=n) < flip
    y = np.where(wrong, 1 - y, y)
    return _split((x / cells * 2 - 1).astype("float32"), y.astype("float32"), n_val)
