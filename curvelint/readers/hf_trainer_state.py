"""Hugging Face Transformers `trainer_state.json` (TRL's too) and LLaMA-Factory `trainer_log.jsonl`.

`Trainer` saves its state (`TrainerState.save_to_json`, keys sorted) in every `checkpoint-<step>/`
folder and, at the end, in the output dir. Its `log_history` holds one dict per `Trainer.log`
call, each with the global `step` and a fractional `epoch`: training logs (`loss`, `grad_norm`,
`learning_rate`, TRL's `rewards/...`), evaluations (`eval_loss`, `eval_<metric>` and timing
counters), and once training ends a summary (`train_loss`, `train_runtime`, `total_flos`) that
averages the run and is no point of its curve. LLaMA-Factory's `LogCallback` appends one JSON
line per log to `trainer_log.jsonl` (`current_steps`, `loss`, `eval_loss`, `lr` or
`learning_rate`, `epoch`, progress fields); on several GPUs every rank may write its lines.

Points are stepped by global step (`Source.axis == "step"`, epoch-level so the rules judge
them) and keep their epoch in `Curve.epoch`.
"""

from __future__ import annotations

import json
import math
import os
import re
from typing import Any, Mapping

import numpy as np

from curvelint.model import Curve, ReadProblem, Severity
from curvelint.readers.base import HEAD_BYTES, Reader, ReadError, Source, as_int, decode_text, json_lines
from curvelint.readers.base import open_source  # a local file, or the bytes fetched for a URL
from curvelint.readers.names import canonical_all

FORMAT = "hf-trainer-state"
STATE_NAME = "trainer_state.json"
LOG_NAME = "trainer_log.jsonl"
STEP_AXIS = "step"

#: `Trainer` names checkpoint folders after the global step they were saved at.
_CHECKPOINT_DIR = re.compile(r"checkpoint-(\d+)")
#: Keys are sorted, so `global_step` comes before `log_history`, in the first bytes.
_HEAD_GLOBAL_STEP = re.compile(rb'"global_step"\s*:\s*(\d+)')
_LOG_HISTORY = re.compile(r'"log_history"\s*:\s*\[')
_GAP = re.compile(r"[\s,]*")

#: TrainerState fields kept on the run as evidence (a run that stopped at epoch 2.23 of 3).
META_KEYS = ("best_metric", "best_model_checkpoint", "best_global_step", "global_step", "max_steps",
             "num_train_epochs", "epoch")
#: Logged numbers that are axes, counters or timings, not curves.
_NOT_CURVES = frozenset({"epoch", "step", "total_flos", "num_tokens", "num_input_tokens_seen",
                         "total_steps", "percentage", "throughput", "total_tokens",
                         "vram_allocated", "vram_reserved"})
_NOT_CURVE_SUFFIXES = ("_runtime", "_samples_per_second", "_steps_per_second", "_tokens_per_second",
                       "_num_tokens", "_epoch")
#: Keys only the end-of-training summary entry has.
_SUMMARY_KEYS = frozenset({"train_runtime", "total_flos"})
#: LLaMA-Factory's own spellings: its `accuracy` is DPO's `rewards/accuracies`, `predict_loss`
#: the test set's loss.
_LOG_RENAMES = {"current_steps": "step", "accuracy": "rewards/accuracies", "predict_loss": "test_loss"}


class HfTrainerStateReader(Reader):
    format = FORMAT
    priority = 10  # before the history-JSON reader, which would take any JSON with a loss in it

    def accepts_name(self, name: str) -> bool:
        return name.lower() in (STATE_NAME, LOG_NAME)

    def sniff(self, head: bytes, name: str) -> bool:
        if name.lower() == LOG_NAME:  # LLaMA-Factory's key, or a callback dumping `Trainer.log` dicts
            return b'"current_steps"' in head or b'"step"' in head
        return any(tok in head for tok in (b'"log_history"', b'"global_step"', b'"best_metric"'))

    def run_directory(self, path: str) -> str:
        directory = os.path.dirname(path) or "."
        if _CHECKPOINT_DIR.fullmatch(os.path.basename(directory)):
            return os.path.dirname(directory) or "."
        return directory

    def snapshot_rank(self, path: str) -> tuple | None:
        """(global step, not inside a checkpoint folder): the final file in the output dir wins a
        tie with the last checkpoint, since it also holds the summary."""
        if os.path.basename(path).lower() != STATE_NAME:
            return None
        checkpoint = _CHECKPOINT_DIR.fullmatch(os.path.basename(os.path.dirname(path)))
        try:
            with open_source(path) as fh:
                found = _HEAD_GLOBAL_STEP.search(fh.read(HEAD_BYTES))
        except OSError:
            found = None  # read() reports it
        step = int(found.group(1)) if found else int(checkpoint.group(1)) if checkpoint else -1
        return (step, checkpoint is None)

    def read(self, path: str) -> Source:
        with open_source(path) as fh:
            data = fh.read()
        if not data.strip():
            raise ReadError("empty file", offset=0)
        text = decode_text(data, path)
        if os.path.basename(path).lower() == LOG_NAME:
            return _read_log(text, path)
        return _read_state(text, path)


def _read_state(text: str, path: str) -> Source:
    try:
        state = json.loads(text)
    except json.JSONDecodeError as exc:
        message = f"invalid JSON: {exc.msg} (column {exc.colno})"
        entries = _salvage(text)
        if not entries:
            raise ReadError(message, line=exc.lineno) from None
        # the copy or the save stopped half-way: the entries before the cut are still the curve
        source = _source(path, entries, [], {})
        source.problems.insert(0, ReadProblem(
            path, f"{message}; read the {len(entries)} complete log_history entries before it", line=exc.lineno))
        return source
    except RecursionError:
        raise ReadError("JSON nested too deeply") from None
    if not isinstance(state, dict) or not isinstance(state.get("log_history"), list):
        return _no_curve(path, "no log_history list (not a Trainer state?)")
    meta = {k: state[k] for k in META_KEYS if k in state}
    return _source(path, state["log_history"], [], meta)


def _salvage(text: str) -> list[dict[str, Any]]:
    """The complete `log_history` entries of a truncated or broken trainer_state.json."""
    found = _LOG_HISTORY.search(text)
    if not found:
        return []
    decoder = json.JSONDecoder()
    entries: list[dict[str, Any]] = []
    pos = found.end()
    while True:
        pos = _GAP.match(text, pos).end()
        try:
            entry, pos = decoder.raw_decode(text, pos)
        except (json.JSONDecodeError, RecursionError):
            return entries
        if not isinstance(entry, dict):
            return entries
        entries.append(entry)


def _read_log(text: str, path: str) -> Source:
    """One JSON object per line; a line that is not one is reported and the others kept."""
    entries: list[dict[str, Any]] = []
    lines: list[int] = []
    problems: list[ReadProblem] = []
    for number, entry in json_lines(text, path, problems):
        entries.append({_LOG_RENAMES.get(k, k): v for k, v in entry.items()})
        lines.append(number)
    if not entries:
        raise ReadError(problems[0].message if problems else "no JSON object on any line",
                        line=problems[0].line if problems else None)
    last = entries[-1]
    meta = {"global_step": last.get("step"), "max_steps": last.get("total_steps"), "epoch": last.get("epoch")}
    return _source(path, entries, problems, {k: v for k, v in meta.items() if v is not None},
                   lines=lines, dedupe=True)


def _source(path: str, entries: list[Any], problems: list[ReadProblem], meta: dict,
            lines: list[int] | None = None, dedupe: bool = False) -> Source:
    """Curves from log entries, one per logged key, stepped by global step.

    The summary entry ends the curve; entries after it (`trainer.evaluate()` on the final or
    best weights, at the last step) are kept in meta, not as points. With `dedupe` (a JSON-lines
    log several processes may have written), the last line of each step is kept.
    """
    points: dict[str, tuple[list[int], list[float], list[float], list[int]]] = {}
    steps_seen: set[int] = set()
    repeated = no_step = 0
    after: list[dict[str, Any]] = []
    for pos, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        if is_summary(entry):
            meta["train_summary"] = entry
            after = [e for e in entries[pos + 1:] if isinstance(e, dict)]
            break
        point = entry_point(entry)
        if point is None:
            continue
        step, epoch, values = point
        if step is None:
            no_step += 1
            continue
        repeated += step in steps_seen
        steps_seen.add(step)
        line = lines[pos] if lines is not None else 0
        for key, value in values.items():
            col = points.setdefault(key, ([], [], [], []))
            col[0].append(step)
            col[1].append(value)
            col[2].append(epoch)
            col[3].append(line)
    if after:
        meta["logged_after_training"] = after
    if no_step:
        problems.append(ReadProblem(path, f"{no_step} log entries have no integer step; they were not read",
                                    severity=Severity.WARNING))
    if repeated and dedupe:
        problems.append(ReadProblem(
            path, f"{repeated} line{' repeats' if repeated == 1 else 's repeat'} a step logged before (several "
                  "processes writing one log, or a resumed run); the last line of each step was kept",
            severity=Severity.INFO))

    curves = []
    for raw, canon in canonical_all(points).items():
        step, value, epoch, line = (np.asarray(a) for a in points[raw])
        keep = _last_of_each_step(step) if dedupe else slice(None)
        curves.append(Curve(name=canon.name, split=canon.split, granularity=canon.granularity,
                            step=step[keep], value=value[keep], epoch=epoch[keep].astype(np.float64),
                            lines=line[keep] if lines is not None else None, source=path, raw_name=raw))
    if not curves:
        what = ("only the end-of-training summary" if "train_summary" in meta
                else "no entries" if not entries else "no loss or metric")
        return _no_curve(path, f"{'log_history' if lines is None else 'the log'} holds {what}", problems, meta)
    return Source(path=path, format=FORMAT, curves=curves, problems=problems, axis=STEP_AXIS, meta=meta)


def _no_curve(path: str, why: str, problems: list[ReadProblem] | None = None, meta: dict | None = None) -> Source:
    """A valid Trainer log with nothing to lint is said so, never passed over in silence."""
    problem = ReadProblem(path, f"holds no curve: {why}", severity=Severity.WARNING)
    return Source(path=path, format=FORMAT, problems=[*(problems or []), problem], axis=STEP_AXIS, meta=meta or {})


def is_summary(entry: Mapping[str, Any]) -> bool:
    """Whether a `log_history` entry is the end-of-training summary (`train_loss`, `train_runtime`,
    `total_flos`): an average over the run, no point of its curve, and the end of it."""
    return bool(_SUMMARY_KEYS & entry.keys())


def entry_point(entry: Mapping[str, Any]) -> tuple[int | None, float, dict[str, float]] | None:
    """One `log_history` entry (a `Trainer.log` call) as (global step, fractional epoch or NaN,
    {logged name: value}) with only the values that are curves (no step, epoch, timing or token
    counter); None when it has none. The step is None when the entry has no integer `step`.
    The reader and the live callback (`curvelint.hf`) both map entries with this."""
    values = {k: v for k, v in _numbers(entry).items() if _is_curve(k)}
    if not values:
        return None
    epoch = entry.get("epoch")
    epoch = float(epoch) if isinstance(epoch, (int, float)) and not isinstance(epoch, bool) else math.nan
    return as_int(entry.get("step")), epoch, values


def _is_curve(key: str) -> bool:
    low = key.lower()
    return low not in _NOT_CURVES and not low.endswith(_NOT_CURVE_SUFFIXES)


def _numbers(entry: Mapping[str, Any]) -> dict[str, float]:
    """The numeric values of one entry (null is NaN); strings, lists and flags are not curves."""
    out = {}
    for key, value in entry.items():
        if value is None:
            out[key] = math.nan
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = float(value)
    return out


def _last_of_each_step(step: np.ndarray) -> np.ndarray:
    """Indices that sort `step` and keep, of points sharing a step, the one logged last."""
    order = np.argsort(step, kind="stable")
    ordered = step[order]
    last = np.append(ordered[1:] != ordered[:-1], True)
    return order[last]
