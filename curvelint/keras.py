"""`CurvelintCallback`: curvelint's rules after every epoch of `model.fit()`, stopping training on
what makes its numbers worthless (NaN, divergence, no learning) before the epochs are spent.

    from curvelint.keras import CurvelintCallback
    model.fit(x, y, validation_data=(xv, yv), epochs=100,
              callbacks=[CurvelintCallback(restore_best_weights=True, output="report.html")])

Importing this module needs neither Keras nor TensorFlow: the callback becomes a subclass of
`keras.callbacks.Callback` when it is first created (a real subclass, so Keras treats it like its
own callbacks, async batch dispatch included). The linting itself is `curvelint.live`; this module
only speaks Keras: epoch logs in, `model.stop_training` and weights out, lines printed the way
Keras' own callbacks print them (`Epoch 12: ...`).
"""

from __future__ import annotations

import math
import os
import sys
from typing import Any, Mapping

from curvelint.config import Config, ConfigError
from curvelint.live import DEFAULT_BUDGET, STOP_ON, LiveHistory, LiveLinter, describe, should_stop
from curvelint.model import Finding, Report, Severity, keras_name, plural

INSTALL_HINT = "CurvelintCallback needs Keras: pip install tensorflow (or keras with another backend)"

#: The output format an `output=` file's suffix implies when `format` is not given.
SUFFIX_FORMATS = {".html": "html", ".htm": "html", ".json": "json", ".md": "markdown", ".sarif": "sarif",
                  ".xml": "junit", ".txt": "text"}

#: Each callback class -> the same class with Keras' Callback as a base (made on first use).
_KERAS_CLASSES: dict[type, type] = {}


class CurvelintCallback:
    """Lint the history after every epoch with the rules and configuration of `curvelint check`.

    Each new finding is printed once, as a Keras callback prints (`verbose=0` prints nothing). A
    finding at or above `stop_on` (`"error"` by default: NaN, divergence, no learning; `"warning"`
    adds overfitting and the other warnings; `"never"` only reports) sets
    `model.stop_training = True` and says which finding did. Rules that judge how a run ended
    (not converged, wasted epochs, premature stop, too few epochs, ...) wait for the end: after
    the last epoch the whole history is linted once more, not in progress, and the result is
    `self.report` (also written to `output` in `format`, inferred from the suffix when omitted).

    `restore_best_weights=True` keeps a copy of the weights whenever `monitor` improves (default:
    the config's `monitor`, else `val_loss`, else `loss`; `mode` as in `EarlyStopping`) and puts
    them back when curvelint stops training, and also at the end of a run that was not stopped
    when `restore_at_end=True`.

    `config`: a `Config`, a `[tool.curvelint]`-shaped dict, a config file path, or None for the
    nearest config file at or above the working directory (`isolated=True`: none). `select`,
    `extend_select`, `ignore` act like the command-line flags. `run_id` names the run in findings
    and is what per-path config globs match (default: the model's name). `min_severity` hides
    milder findings from the printed lines (default: the config's). `budget` bounds the time
    linting takes mid-run (see `curvelint.live`; None: every rule every epoch). A bad config or
    format raises `ConfigError` here, before training starts.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> CurvelintCallback:
        real = _keras_class(cls)  # the class with Keras' Callback as a base (a subclass of `cls`)
        return super(CurvelintCallback, real).__new__(real)

    def __init__(self, config: Config | Mapping[str, Any] | str | None = None, *, stop_on: str = "error",
                 restore_best_weights: bool = False, restore_at_end: bool = False, monitor: str | None = None,
                 mode: str = "auto", verbose: int = 1, output: str | os.PathLike | None = None,
                 format: str | None = None, run_id: str | None = None, min_severity: str | None = None,
                 select: list[str] | None = None, extend_select: list[str] | None = None,
                 ignore: list[str] | None = None, isolated: bool = False,
                 budget: float | None = DEFAULT_BUDGET) -> None:
        super().__init__()
        if stop_on not in STOP_ON:
            raise ValueError(f"stop_on must be one of {', '.join(STOP_ON)}, got {stop_on!r}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be auto, min or max, got {mode!r}")
        if min_severity is not None and min_severity not in ("info", "warning", "error"):
            raise ValueError(f"min_severity must be info, warning or error, got {min_severity!r}")
        self.live = LiveLinter(config, select=select, extend_select=extend_select, ignore=ignore,
                               framework="keras", budget=budget, isolated=isolated)
        self.stop_on, self.verbose, self.run_id = stop_on, verbose, run_id
        self.restore_best_weights, self.restore_at_end = restore_best_weights, restore_at_end
        self.monitor, self.mode = monitor, mode
        self.min_severity = min_severity or self.live.config.min_severity
        self.output = None if output is None else os.fspath(output)
        self.format = format or (SUFFIX_FORMATS.get(os.path.splitext(self.output)[1].lower()) if self.output else None)
        if self.output is not None:
            self.live.render(Report(), self.format)  # an unknown format fails now, not after training
        self._reset()

    def _reset(self) -> None:
        self.history = LiveHistory()
        #: The findings printed during training (in progress), in the order they were found.
        self.findings: list[Finding] = []
        #: The finding that stopped training, and the (0-based) epoch it was found at.
        self.stopped_by: Finding | None = None
        self.stopped_epoch: int | None = None
        #: The final lint of the whole history, set by `on_train_end`.
        self.report: Report | None = None
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.best_weights: list | None = None
        #: An exception the linting raised: reported once, and curvelint stays out of the way.
        self.error: BaseException | None = None
        self._monitor: tuple[str, str] | None = None
        self.live.reset()

    # -- Keras hooks ---------------------------------------------------------------------------

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        self._reset()  # one fit() is one run, as EarlyStopping starts afresh
        self.live.run_id = self.run_id or getattr(self.model, "name", None) or "keras"

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        logs = dict(logs or {})
        self.history.add(epoch, logs)
        if self.restore_best_weights:
            self._track_best(epoch, logs)
        if self.error is not None:
            return
        try:
            new = self.live.update(self.history)
        except Exception as exc:  # noqa: BLE001 - a linter bug must not end a training
            self.error = exc
            self._say(f"Epoch {epoch + 1}: curvelint failed ({type(exc).__name__}: {exc}); "
                      "it lints nothing more in this fit", progbar=True, file=sys.stderr)
            return
        self.findings.extend(new)
        stop = should_stop(new, self.stop_on) if self.stopped_by is None else None
        for f in new:
            if f is not stop and self._shown(f):
                self._say(f"Epoch {epoch + 1}: curvelint {describe(f)}", progbar=True)
        if stop is not None:
            self.stopped_by, self.stopped_epoch = stop, epoch
            self.model.stop_training = True
            self._say(f"Epoch {epoch + 1}: curvelint stopping training: {describe(stop)}",
                      progbar=True, force=True)

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        if self.restore_best_weights and self.best_weights is not None and (self.stopped_by is not None or self.restore_at_end):
            where = f"Epoch {self.stopped_epoch + 1}: " if self.stopped_epoch is not None else ""
            self._say(f"{where}curvelint restoring model weights from the end of the best epoch: {self.best_epoch + 1} "
                      f"({self._monitor[0]} {self.best:.4g}).")
            self.model.set_weights(self.best_weights)
        if self.error is not None:
            return
        try:
            self.report = self.live.finish(self.history)
        except Exception as exc:  # noqa: BLE001
            self.error = exc
            self._say(f"curvelint failed on the final history ({type(exc).__name__}: {exc})", file=sys.stderr)
            return
        epochs = len(self.history)
        for f in self.live.new(self.report.findings):  # end-of-run verdicts, and what the budget had deferred
            if self._shown(f):
                self._say(f"curvelint after {plural(epochs, 'epoch')}: {describe(f)}")
        if self.output is not None:
            self._write()
        counts = self.report.counts()
        total = len(self.report.findings)
        summary = (f"curvelint: {plural(total, 'finding')} ({', '.join(f'{n} {s}' for s, n in counts.items())}) "
                   f"in {plural(epochs, 'epoch')}" if total else f"curvelint: no findings in {plural(epochs, 'epoch')}")
        if self.output is not None:
            summary += f"; report written to {self.output}"
        self._say(summary)

    # -- helpers -------------------------------------------------------------------------------

    def _track_best(self, epoch: int, logs: Mapping[str, Any]) -> None:
        """EarlyStopping's bookkeeping: copy the weights each time the monitor improves."""
        if self._monitor is None:
            self._monitor = self._choose_monitor(logs)
            if self._monitor is None:
                return
        name, mode = self._monitor
        value = logs.get(name)
        try:
            value = float(value)
        except (TypeError, ValueError):
            return  # not logged this epoch (`validation_freq`)
        if not math.isfinite(value):
            return
        if self.best is None or (value < self.best if mode == "min" else value > self.best):
            self.best, self.best_epoch = value, epoch
            self.best_weights = self.model.get_weights()

    def _choose_monitor(self, logs: Mapping[str, Any]) -> tuple[str, str] | None:
        """(logged name, min|max): the `monitor` argument, the config's, else val_loss, else loss."""
        from curvelint.readers.names import canonical
        from curvelint.stats import metric_direction

        configured = self.live.config.monitor_for([self.live.run_id])
        wanted = self.monitor or (configured.name if configured else None)
        mode = self.mode if self.mode != "auto" or self.monitor else (configured.mode if configured else "auto")
        candidates = [wanted, keras_name(wanted)] if wanted and "/" in wanted else [wanted]
        name = next((c for c in candidates if c and c in logs), None)
        if name is None:
            if wanted and self.monitor:
                self._say(f"curvelint: monitor {wanted!r} is not in the logs ({', '.join(logs)}); "
                          "no weights are kept", file=sys.stderr, force=True)
                return None
            name = "val_loss" if "val_loss" in logs else "loss" if "loss" in logs else None
            if name is None:
                return None
        if mode == "auto":
            canon = canonical(name)
            mode = (metric_direction(canon.name) if canon else None) or "min"
        return name, mode

    def _shown(self, f: Finding) -> bool:
        return self.min_severity is None or f.severity.rank >= Severity(self.min_severity).rank

    def _say(self, text: str, *, progbar: bool = False, file: Any = None, force: bool = False) -> None:
        """Print a line as Keras' callbacks do: on stdout (absl logging when Keras' interactive
        logging is off), after a line break while the epoch's progress bar is still open."""
        if not self.verbose and not force:
            return
        if progbar and (self.params or {}).get("verbose") in (1, "auto"):
            text = "\n" + text  # ModelCheckpoint does the same: the bar's line is not finished yet
        if file is not None:
            print(text.lstrip("\n"), file=file, flush=True)
            return
        import keras

        try:
            interactive = keras.config.is_interactive_logging_enabled()
        except AttributeError:  # older Keras
            interactive = True
        if interactive:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()
        else:
            from absl import logging

            logging.info(text.lstrip("\n"))

    def _write(self) -> None:
        assert self.report is not None and self.output is not None
        try:
            text = self.live.render(self.report, self.format)
            with open(self.output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except (OSError, ConfigError) as exc:  # training is over: say so, do not lose the model
            self._say(f"curvelint: cannot write {self.output}: {getattr(exc, 'strerror', None) or exc}",
                      file=sys.stderr, force=True)


def _keras_class(cls: type) -> type:
    """`cls` (CurvelintCallback or a user's subclass of it) with `keras.callbacks.Callback` as a
    base too, made once per class, on first use: only then is Keras imported."""
    made = _KERAS_CLASSES.get(cls)
    if made is not None:
        return made
    try:
        import keras
    except ImportError as exc:
        raise ImportError(f"{INSTALL_HINT} ({exc})") from None
    if issubclass(cls, keras.callbacks.Callback):
        made = cls
    else:
        made = type(cls.__name__, (cls, keras.callbacks.Callback),
                    {"__module__": cls.__module__, "__doc__": cls.__doc__, "__qualname__": cls.__qualname__})
        _KERAS_CLASSES[made] = made
    _KERAS_CLASSES[cls] = made
    return made


__all__ = ["CurvelintCallback"]
