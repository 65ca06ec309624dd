"""Training one scenario and writing its run in all three formats at once.

The only module of curvelint that imports TensorFlow/Keras, and only inside its functions.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
from pathlib import Path
from typing import Any, Iterable, NamedTuple, Sequence

import numpy as np

from curvelint.trainer.scenarios import SCENARIOS, Scenario

FORMATS = ("json", "csv", "tensorboard")
INSTALL_HINT = "the trainer needs TensorFlow/Keras: pip install 'curvelint[train]'"


#: TensorFlow's C++ logging (oneDNN and cpu_feature_guard notes, absl's "All log messages
#: before absl::InitializeLog()", E0000 NodeDef lines while training) is configured from the
#: environment once, when TensorFlow loads: set before the import. 3 keeps only FATAL; a value
#: the user set is kept, so TF_CPP_MIN_LOG_LEVEL=0 brings everything back.
QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "3"}


class TrainerUnavailable(RuntimeError):
    """TensorFlow/Keras are not installed."""


def load_keras():
    """(keras, tensorflow), imported quietly; TrainerUnavailable with the install hint if missing.
    `curvelint train` calls it first so the import is not counted in a scenario's time."""
    for name, value in QUIET_ENV.items():
        os.environ.setdefault(name, value)
    try:
        import keras
        import tensorflow as tf
    except ImportError as exc:
        raise TrainerUnavailable(f"{INSTALL_HINT} ({exc})") from None
    _quiet_python_logging(tf)
    return keras, tf


def _quiet_python_logging(tf) -> None:
    """TensorFlow's and absl's Python loggers to errors only: tf.function retracing notes and
    the like are about the tiny reference models, not something a user of the runs can act on."""
    if os.environ.get("TF_CPP_MIN_LOG_LEVEL") != QUIET_ENV["TF_CPP_MIN_LOG_LEVEL"]:
        return  # the user asked for TensorFlow's logs
    tf.get_logger().setLevel(logging.ERROR)
    try:
        from absl import logging as absl_logging
    except ImportError:  # absl comes with TensorFlow; nothing to quiet without it
        return
    absl_logging.set_verbosity(absl_logging.ERROR)


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
    keras, tf = load_keras()
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


class Trained(NamedTuple):
    """One scenario `curvelint train` wrote, for its summary table."""

    entry: dict[str, Any]  # the manifest entry `train` returned
    files: list[tuple[str, str]]  # (format, path relative to --out), as `written_files` lists them
    seconds: float


def written_files(out: str | os.PathLike, name: str) -> list[tuple[str, str]]:
    """(format, path relative to `out`) of every file in `out/<name>/`: `train` empties that
    directory first, so these are exactly the files it wrote."""
    run_dir = Path(out) / name
    found = []
    for path in sorted(p for p in run_dir.rglob("*") if p.is_file()):
        kind = "json" if path.name == "history.json" else "csv" if path.name == "training.log" else \
            "tensorboard" if ".tfevents." in path.name else "other"
        found.append((kind, path.relative_to(out).as_posix()))
    order = {kind: i for i, kind in enumerate(FORMATS)}
    return sorted(found, key=lambda f: (order.get(f[0], len(order)), f[1]))


def summary_table(results: Sequence[Trained]) -> str:
    """One row per file written: scenario, epochs trained (of those asked for, when stopped
    early), format, file, the rules it must fire, wall time; the scenario's columns on its first row."""
    header = ("scenario", "epochs", "format", "file", "expected", "time")
    rows = [header]
    for entry, files, seconds in results:
        asked, trained = entry["params"]["epochs"], entry["epochs_trained"]
        first = (entry["scenario"], str(trained) if trained == asked else f"{trained} of {asked}")
        last = ("none (healthy)" if entry["healthy"] else ",".join(entry["must_fire"]), f"{seconds:.1f}s")
        for i, (kind, path) in enumerate(files or [("-", "(no file)")]):
            rows.append((*first, kind, path, *last) if i == 0 else ("", "", kind, path, "", ""))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    right = {1, 5}  # numbers
    return "\n".join("  ".join(cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))).rstrip()
                     for row in rows)


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
