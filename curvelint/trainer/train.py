"""Training one scenario and writing its run in all three formats at once.

The only module of curvelint that imports TensorFlow/Keras, and only inside its functions.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from curvelint.trainer.scenarios import SCENARIOS, Scenario

FORMATS = ("json", "csv", "tensorboard")
INSTALL_HINT = "the trainer needs TensorFlow/Keras: pip install 'curvelint[train]'"


class TrainerUnavailable(RuntimeError):
    """TensorFlow/Keras are not installed."""


def _keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import keras
        import tensorflow as tf
    except ImportError as exc:
        raise TrainerUnavailable(f"{INSTALL_HINT} ({exc})") from None
    return keras, tf


def _lr_logger(keras):
    class LogLearningRate(keras.callbacks.Callback):
        """Put the optimizer's learning rate in the epoch logs, as Keras' LR callbacks do, so
        CSVLogger, history and TensorBoard all carry it."""

        def on_epoch_end(self, epoch, logs=None):
            if logs is not None and "learning_rate" not in logs:
                logs["learning_rate"] = float(np.asarray(self.model.optimizer.learning_rate))

    return LogLearningRate()


def _plain(history: dict[str, list[Any]]) -> dict[str, list[float]]:
    return {k: [float(v) for v in values] for k, values in history.items()}


def train(scenario: Scenario | str, out: str | os.PathLike, *, epochs: int | None = None, seed: int = 0,
          formats: Sequence[str] = FORMATS) -> dict[str, Any]:
    """Train `scenario` into `out/<name>/` (history.json, training.log, train/ + validation/).
    Returns the manifest entry for the run."""
    if isinstance(scenario, str):
        scenario = SCENARIOS[scenario]
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown formats {sorted(unknown)}; choose from {', '.join(FORMATS)}")
    keras, tf = _keras()
    keras.utils.set_random_seed(seed)
    try:
        tf.config.experimental.enable_op_determinism()
    except Exception:  # already enabled in this process  # noqa: BLE001
        pass
    epochs = epochs or scenario.epochs
    run_dir = Path(out) / scenario.name
    if run_dir.exists():
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True)

    plan = scenario.build(keras, np.random.default_rng(seed), epochs)
    callbacks = [_lr_logger(keras), *plan.callbacks]
    if "csv" in formats:
        callbacks.append(keras.callbacks.CSVLogger(str(run_dir / "training.log"), append=True))
    if "tensorboard" in formats:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(run_dir), histogram_freq=1 if scenario.histograms else 0,
                                                     write_graph=False, profile_batch=0))
    histories = []
    for _ in range(plan.fits):
        validation = {"validation_data": (plan.data.x_val, plan.data.y_val)} if plan.validation else {}
        history = plan.model.fit(plan.data.x_train, plan.data.y_train, epochs=epochs, callbacks=callbacks, verbose=0,
                                 **validation, **plan.fit)
        histories.append(_plain(history.history))
    if "json" in formats:
        doc: Any = histories[0] if len(histories) == 1 else {str(i): h for i, h in enumerate(histories)}
        (run_dir / "history.json").write_text(json.dumps(doc, indent=1) + "\n")
    return manifest_entry(scenario, epochs, seed, plan.params, histories)


def manifest_entry(scenario: Scenario, epochs: int, seed: int, params: dict[str, Any], histories: list[dict[str, list[float]]]) -> dict[str, Any]:
    last = histories[-1]
    trained = len(next(iter(last.values()), []))
    summary = {k: round(v[-1], 6) for k, v in last.items() if v and math.isfinite(v[-1]) and k in ("loss", "val_loss")}
    return {
        "scenario": scenario.name,
        "summary": scenario.summary,
        "params": {"epochs": epochs, "seed": seed, **params},
        "epochs_trained": trained,
        "final": summary,
        "healthy": scenario.healthy,
        "must_fire": list(scenario.fires),
        "must_not_fire": list(scenario.quiet),
    }


def write_manifest(out: str | os.PathLike, entries: Iterable[dict[str, Any]]) -> Path:
    """Merge `entries` into `out/manifest.yaml` (one entry per run directory)."""
    import yaml

    path = Path(out) / "manifest.yaml"
    runs: dict[str, Any] = {}
    if path.exists():
        runs = (yaml.safe_load(path.read_text()) or {}).get("runs", {})
    for entry in entries:
        runs[entry["scenario"]] = entry
    header = ("# Reference runs written by `curvelint train`; regenerate with\n"
              "#   curvelint train --all --out fixtures\n"
              "# must_fire: rules that must report on the run in every format; must_not_fire: rules that\n"
              "# must stay silent; healthy: no warning or error at all.\n")
    path.write_text(header + yaml.safe_dump({"runs": dict(sorted(runs.items()))}, sort_keys=False, width=100))
    return path
