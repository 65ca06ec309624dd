"""CurvelintCallback in real `model.fit()` calls: the bundled trainer's scenarios, a few seconds each.

TensorFlow is part of the test extras (CI always runs this); elsewhere it is skipped only if
TensorFlow is missing. The import test needs no TensorFlow at all."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

#: What must not be printed while training runs: verdicts about how a run ended.
END_ONLY = ("OPT004", "FIT001", "FIT002", "LOG002", "LOG004", "LOG005", "GEN003")


def test_importing_the_module_needs_no_tensorflow():
    code = textwrap.dedent("""
        import importlib.abc, sys

        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("tensorflow", "keras", "tf_keras"):
                    raise ModuleNotFoundError(f"No module named {name!r} (blocked)", name=name)
                return None

        sys.meta_path.insert(0, Block())
        import curvelint.keras
        from curvelint.keras import CurvelintCallback
        from curvelint.live import LiveLinter
        print("HEAVY:", sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "tf_keras")))
        try:
            CurvelintCallback(isolated=True)
        except ImportError as exc:
            print("IMPORT-ERROR:", exc)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "HEAVY: []" in proc.stdout
    assert "IMPORT-ERROR: CurvelintCallback needs Keras: pip install tensorflow" in proc.stdout


if os.environ.get("CI"):
    import tensorflow  # noqa: F401  - CI must have it: a missing install step fails here
else:
    pytest.importorskip("tensorflow")

from curvelint.keras import CurvelintCallback  # noqa: E402
from curvelint.trainer.scenarios import SCENARIOS  # noqa: E402
from curvelint.trainer.train import load_keras  # noqa: E402


@pytest.fixture(scope="module")
def keras():
    return load_keras()[0]


def fit(keras, name: str, callback, *, epochs: int | None = None, seed: int = 0):
    """Train scenario `name` as `curvelint train` does (same seed, same data), with `callback` last;
    returns (plan, History)."""
    import tensorflow as tf

    scenario = SCENARIOS[name]
    keras.utils.set_random_seed(seed)
    try:
        tf.config.experimental.enable_op_determinism()
    except Exception:  # noqa: BLE001 - already enabled in this process
        pass
    epochs = epochs or scenario.epochs
    plan = scenario.build(keras, np.random.default_rng(seed), epochs)
    history = plan.model.fit(plan.data.x_train, plan.data.y_train, epochs=epochs, verbose=0,
                             validation_data=(plan.data.x_val, plan.data.y_val),
                             callbacks=[*plan.callbacks, callback], **plan.fit)
    return plan, history


def printed(out: str) -> list[tuple[int, str]]:
    """(Keras' 1-based epoch, rest of the line) of every `Epoch N: curvelint ...` line."""
    return [(int(m.group(1)), m.group(2)) for m in re.finditer(r"^Epoch (\d+): curvelint (.*)$", out, re.M)]


def test_it_is_a_keras_callback_and_keeps_async_batch_dispatch(keras):
    cb = CurvelintCallback(isolated=True)
    assert isinstance(cb, keras.callbacks.Callback) and isinstance(cb, CurvelintCallback)
    assert type(cb).__name__ == "CurvelintCallback" and type(cb).__module__ == "curvelint.keras"
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
    plain = keras.callbacks.CallbackList([keras.callbacks.Callback()], model=model)
    ours = keras.callbacks.CallbackList([cb], model=model)
    assert ours._async_train == plain._async_train  # no batch hook of ours makes Keras wait

    class Mine(CurvelintCallback):  # a user's subclass becomes a Keras callback too
        pass

    assert isinstance(Mine(isolated=True), keras.callbacks.Callback)


def test_nan_stops_training_at_the_first_nan_epoch(keras, tmp_path, capsys):
    out = tmp_path / "report.json"
    cb = CurvelintCallback(isolated=True, output=out)
    _, history = fit(keras, "nan_loss", cb)
    losses = history.history["loss"]
    first_nan = next(i for i, v in enumerate(losses) if not math.isfinite(v))
    assert cb.stopped_by is not None and cb.stopped_by.code == "NUM001"
    assert cb.stopped_epoch - first_nan <= 1  # found at the first NaN epoch, or the next
    assert len(losses) == cb.stopped_epoch + 1 < SCENARIOS["nan_loss"].epochs  # training really stopped
    lines = printed(capsys.readouterr().out)
    stop = [text for epoch, text in lines if text.startswith("stopping training: ")]
    assert len(stop) == 1 and stop[0].startswith("stopping training: error NUM001 nan-loss: loss became NaN at epoch ")
    assert (cb.stopped_epoch + 1, stop[0]) in lines  # Keras' numbering in front, as its callbacks print
    assert [f.code for f in cb.report.findings if f.severity.value == "error"] == ["NUM001"]
    written = json.loads(out.read_text())
    assert "NUM001" in {f["code"] for f in written["findings"]}


def test_divergence_stops_training_with_num002(keras, capsys):
    # budget=None: lint every epoch. With the default 1% budget an epoch of this toy model (~70 ms)
    # pays for a lint only every few epochs, which would blur what is measured here: how soon the
    # rule sees the turn (test_live.py tests the budget with a fake clock).
    cb = CurvelintCallback(isolated=True, budget=None)
    _, history = fit(keras, "divergence", cb)
    loss = history.history["loss"]
    assert cb.stopped_by is not None and cb.stopped_by.code == "NUM002"
    best = int(np.argmin(loss))
    # stopped a few epochs after the loss turned, long before the 30 epochs planned
    assert best < cb.stopped_epoch <= best + 10 and len(loss) < SCENARIOS["divergence"].epochs
    assert loss[-1] > loss[best]
    assert "stopping training: error NUM002 divergence: loss rose" in capsys.readouterr().out


def test_overfitting_stops_at_warning_and_restores_the_best_epoch(keras, capsys):
    cb = CurvelintCallback(isolated=True, stop_on="warning", ignore=["GEN002"], restore_best_weights=True)
    plan, history = fit(keras, "overfitting", cb)
    val = history.history["val_loss"]
    assert cb.stopped_by is not None and cb.stopped_by.code == "GEN001"
    assert cb.best_epoch == int(np.argmin(val)) < cb.stopped_epoch
    assert val[-1] > val[cb.best_epoch] * 1.05  # the last epoch's weights were worse
    restored = plan.model.evaluate(plan.data.x_val, plan.data.y_val, verbose=0, batch_size=32, return_dict=True)
    assert restored["loss"] == pytest.approx(val[cb.best_epoch], rel=1e-4)
    out = capsys.readouterr().out
    assert f"curvelint restoring model weights from the end of the best epoch: {cb.best_epoch + 1} (val_loss " in out


def test_restore_at_end_without_a_stop(keras):
    cb = CurvelintCallback(isolated=True, stop_on="never", restore_best_weights=True, restore_at_end=True,
                           verbose=0)
    plan, history = fit(keras, "overfitting", cb, epochs=12)
    val = history.history["val_loss"]
    assert cb.stopped_by is None and len(val) == 12
    restored = plan.model.evaluate(plan.data.x_val, plan.data.y_val, verbose=0, batch_size=32, return_dict=True)
    assert restored["loss"] == pytest.approx(min(val), rel=1e-4)
    assert "GEN001" in {f.code for f in cb.report.findings}


def test_a_healthy_run_trains_every_epoch_and_end_of_run_verdicts_wait(keras, capsys):
    cb = CurvelintCallback(isolated=True, budget=None)  # every rule on every epoch
    _, history = fit(keras, "healthy_multiclass", cb)
    epochs = SCENARIOS["healthy_multiclass"].epochs
    assert cb.stopped_by is None and len(history.history["loss"]) == epochs
    out = capsys.readouterr().out
    mid_run = printed(out)
    assert not [text for _, text in mid_run if any(f" {code} " in text for code in END_ONLY)], mid_run
    assert not [f for f in cb.findings if f.severity.value != "info"]
    final = {f.code for f in cb.report.findings}
    assert final & set(END_ONLY)  # the final lint judges how it ended (FIT001, GEN003 on this run)
    for code in final - {f.code for f in cb.findings}:
        assert re.search(rf"^curvelint after {epochs} epochs: info {code} ", out, re.M)
    assert re.search(rf"^curvelint: \d+ findings \(0 error, 0 warning, \d+ info\) in {epochs} epochs$", out, re.M)
    assert len(cb.live.costs) == epochs


def test_each_fit_is_a_run_of_its_own_and_verbose_0_prints_nothing(keras, tmp_path, capsys):
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    y = x.sum(axis=1)
    cb = CurvelintCallback(isolated=True, verbose=0, run_id="tiny", output=tmp_path / "r.html")
    model.fit(x, y, epochs=4, verbose=0, callbacks=[cb], validation_split=0.25)
    model.fit(x, y, epochs=3, verbose=0, callbacks=[cb], validation_split=0.25)
    assert len(cb.history) == 3 and cb.report.runs[0].id == "tiny"
    assert capsys.readouterr().out == ""
    assert "<html" in (tmp_path / "r.html").read_text().lower()


def test_bad_options_fail_before_training(keras):
    from curvelint.config import ConfigError

    with pytest.raises(ConfigError, match="unknown output format 'htm'"):
        CurvelintCallback(isolated=True, output="report.x", format="htm")
    with pytest.raises(ValueError, match="stop_on"):
        CurvelintCallback(isolated=True, stop_on="warnings")
    with pytest.raises(ConfigError, match="unknown key"):
        CurvelintCallback(config={"selct": ["NUM"]})
