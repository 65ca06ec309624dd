"""Registers the built-in readers through the same hook a team plugin would use."""

from __future__ import annotations

from curvelint.hookspecs import hookimpl
from curvelint.readers.hf_trainer_state import HfTrainerStateReader
from curvelint.readers.keras_csv import KerasCsvReader
from curvelint.readers.keras_json import KerasJsonReader
from curvelint.readers.lightning_csv import LightningCsvReader
from curvelint.readers.mlflow_store import MlflowFileStoreReader, MlflowSqliteReader
from curvelint.readers.tfevents import TensorBoardReader
from curvelint.readers.ultralytics import UltralyticsReader
from curvelint.readers.wandb_run import WandbRunReader


#: The plugin API this module was written for; the host refuses a mismatch by name.
CURVELINT_PLUGIN_API = 1

@hookimpl
def curvelint_readers():
    return [TensorBoardReader(), HfTrainerStateReader(), MlflowFileStoreReader(), MlflowSqliteReader(), WandbRunReader(),
            UltralyticsReader(), LightningCsvReader(), KerasJsonReader(), KerasCsvReader()]
