"""Keras history JSON: `json.dump(history.history)` and every shape people save it in.

Shapes read: a plain `{"loss": [...]}` dict; `{"history": {...}}` wrappers (with an optional
`epoch` list); a list of per-epoch dicts; pandas `DataFrame.to_json` in the `columns`, `index`,
`records`, `split` and `table` orientations; `{"epochs": [...], "metrics": {...}}`; and a JSON
string holding the Python repr of the dict (`json.dump(str(history.history))`). `NaN`,
`Infinity` and `null` (pandas' NaN) are kept as non-finite values.

A file named like a history (`history.json`, `*_history.json`) is one by intent: if its content
is not a history (no series, a list nested 100,000 deep) that is a read error naming the file,
never a skip. Under other names such content is simply not a log.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np

from curvelint.model import EPOCH, Curve, ReadProblem
from curvelint.readers.base import (Incomplete, NotALog, Reader, ReadError, Source, as_int, decode_text, history_by_name,
                                    still_written)
from curvelint.readers.base import open_source  # a local file, or the bytes fetched for a URL
from curvelint.readers.names import AXIS_NAMES, axis_of, canonical_all, looks_like_metric

FORMAT = "keras-json"
_INT_KEY = re.compile(r"^-?\d+$")
_NONFINITE = {"nan": math.nan, "inf": math.inf, "+inf": math.inf, "-inf": -math.inf,
              "infinity": math.inf, "+infinity": math.inf, "-infinity": -math.inf}


class KerasJsonReader(Reader):
    format = FORMAT
    priority = 30

    def accepts_name(self, name: str) -> bool:
        return name.lower().endswith(".json")

    def sniff(self, head: bytes, name: str) -> bool:
        if history_by_name(name):
            return True
        text = head.lower()
        return any(tok in text for tok in (b"loss", b"acc", b"val_", b"mae", b"mse"))

    def read(self, path: str) -> Source:
        strict = history_by_name(path)
        try:
            return self._read(path, strict)
        except Incomplete:
            raise  # not yet written, whatever its name
        except NotALog as exc:
            if strict:
                raise ReadError(f"named like a Keras history but holds none: {exc}") from None
            raise
        except RecursionError:
            if strict:
                raise ReadError("JSON nested too deeply to be a history") from None
            raise NotALog("JSON nested too deeply") from None

    def _read(self, path: str, strict: bool) -> Source:
        with open_source(path) as fh:
            data = fh.read()
        if not data.strip():
            if still_written(path):
                raise Incomplete("nothing written yet")
            raise ReadError("empty file", offset=0)
        text = decode_text(data, path)
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            if still_written(path):  # json.dump is half-way through (re)writing it: not a broken file yet
                raise Incomplete(f"JSON still being written ({exc.msg} at line {exc.lineno})") from None
            problem = ReadProblem(path, f"invalid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno)
            salvaged = _salvage(text)
            if not salvaged:
                raise ReadError(problem.message, line=exc.lineno) from None
            # json.dump died half-way (a float32 it could not serialize): keep the finished series
            curves = curves_from_object(salvaged, source=path)
            problem = ReadProblem(path, f"{problem.message}; read the {len(salvaged)} complete series before it",
                                  line=exc.lineno)
            return Source(path=path, format=FORMAT, curves=curves, problems=[problem])
        return Source(path=path, format=FORMAT, curves=curves_from_object(obj, source=path, strict=strict),
                      axis=_axis(obj))


def curves_from_object(obj: Any, source: str | None = None, strict: bool = True) -> list[Curve]:
    """Curves from an already-parsed history object (also used for in-memory `History`).

    With `strict`, a metric-named list holding no number at all (`"loss": ["high", "low"]`) is a
    broken history; without, it is taken for what it more likely is, a list of names
    (`"precision_not_scored": ["internal-error"]` in a report). A mostly numeric series with a
    bad value is an error either way."""
    if isinstance(obj, str):
        obj = _parse_repr(obj)
    columns, steps = _table(obj)
    if not columns:
        raise NotALog("no numeric series")
    names = canonical_all(columns)
    if not any(looks_like_metric(raw) for raw in names):
        raise NotALog("no loss or metric series")
    curves = []
    for raw, canon in names.items():
        column = columns[raw]
        part = None
        if isinstance(column, _Restarting):
            col_steps = np.fromiter((k[1] for k in column), dtype=np.int64, count=len(column))
            part = np.fromiter((k[0] for k in column), dtype=np.int64, count=len(column))
            values = list(column.values())
        elif isinstance(column, dict):  # {step: value}, from records/index orientations
            col_steps = np.fromiter(column.keys(), dtype=np.int64, count=len(column))
            values = [column[s] for s in column]
        else:
            values = column
            col_steps = steps if steps is not None and len(steps) == len(column) else np.arange(len(column))
        floats = _floats(values, raw, strict)
        if floats is None:
            continue
        curves.append(Curve(name=canon.name, split=canon.split, granularity=canon.granularity,
                            step=col_steps, value=floats, source=source, raw_name=raw, part=part))
    if not curves:
        raise NotALog("no numeric series")
    return curves


def _axis(obj: Any) -> str:
    """`step` when the history's x values are global steps: the axis key the table is read by
    is `step`, `iteration` or `global_step`, and no epoch is logged."""
    if isinstance(obj, dict):
        for inner in ("history", "metrics"):  # wrappers: the inner table's keys, the outer epochs
            if isinstance(obj.get(inner), (dict, list)):
                outer = [k for k in obj if str(k).lower() in ("epoch", "epochs")]
                return EPOCH if outer else _axis(obj[inner])
        if isinstance(obj.get("columns"), list):  # pandas orient="split"
            return axis_of(str(c) for c in obj["columns"])
        return axis_of(str(k) for k in obj)
    if isinstance(obj, list) and obj and isinstance(obj[0], dict):  # records: the first row's
        return axis_of(str(k) for k in obj[0])
    return EPOCH


_COMPLETE_SERIES = re.compile(r'"([^"\\]{1,200})"\s*:\s*(\[[^\[\]{}"]*\])')


def _salvage(text: str) -> dict[str, list[Any]]:
    """The `"name": [numbers]` pairs that are complete in a truncated history JSON."""
    out: dict[str, list[Any]] = {}
    for m in _COMPLETE_SERIES.finditer(text):
        try:
            values = json.loads(m.group(2))
        except json.JSONDecodeError:
            continue
        if values and looks_like_metric(m.group(1)):
            out[m.group(1)] = values
    return out


def _parse_repr(text: str) -> Any:
    """`json.dump(str(history.history))` leaves a Python dict repr inside a JSON string."""
    stripped = text.strip()
    if not stripped.startswith(("{", "[")):
        raise NotALog("a JSON string, not a history")
    fixed = re.sub(r"\bnan\b", "NaN", stripped)
    fixed = re.sub(r"(?<![\w.])(-?)inf\b", r"\1Infinity", fixed)
    fixed = fixed.replace("'", '"')
    try:
        return json.loads(fixed)
    except json.JSONDecodeError as exc:
        raise ReadError(f"JSON string holding a Python repr that cannot be read: {exc.msg}") from None


def _as_step(value: Any) -> int | None:
    """An epoch number: an integral number, or a string of digits (pandas index keys)."""
    if isinstance(value, str) and _INT_KEY.match(value):
        return int(value)
    return as_int(value)


def _steps(value: Any) -> np.ndarray | None:
    if not isinstance(value, list) or not value:
        return None
    steps = [_as_step(v) for v in value]
    if any(s is None for s in steps):
        return None
    return np.asarray(steps, dtype=np.int64)


def _records(rows: list[Any], index: list[Any] | None = None) -> tuple[dict[str, Any], None]:
    """Per-epoch dicts -> {name: {step: value}}; the step is the row's `epoch` or its position."""
    columns: dict[str, dict[int, Any]] = {}
    for pos, row in enumerate(rows):
        if not isinstance(row, dict):
            continue
        step = None
        for key in ("epoch", "Epoch", "epochs", "step", "global_step", "iteration"):
            if key in row:
                step = _as_step(row[key])
                break
        if step is None and index is not None:
            step = _as_step(index[pos])
        if step is None:
            step = pos
        for name, value in row.items():
            if name.lower() in AXIS_NAMES:
                continue
            columns.setdefault(name, {})[step] = value
    return columns, None


def _histories(histories: list[dict[str, Any]]) -> tuple[dict[str, Any], None]:
    """Several fits saved together (`{"0": h0, "1": h1}`, `[h0, h1]`). Kept in order as one
    series per metric whose epochs restart for each fit, as an appended CSVLogger file would be;
    `curvelint.attempts` then tells resumes, continuations and fresh trainings apart. A fit's own
    epoch list (`History.epoch`, which starts at `initial_epoch`) numbers its points, so a resumed
    fit shows where it resumed; without one its epochs count from 0."""
    columns: dict[str, dict[tuple[int, int], Any]] = {}
    for fit, h in enumerate(histories):
        series, epochs = _fit(h)
        for name, values in series.items():
            numbered = epochs if epochs is not None and len(epochs) == len(values) else range(len(values))
            col = columns.setdefault(name, {})
            for epoch, v in zip(numbered, values):
                col[(fit, int(epoch))] = v
    return {name: _Restarting(col) for name, col in columns.items()}, None


def _fit(h: dict[str, Any]) -> tuple[dict[str, list[Any]], np.ndarray | None]:
    """One fit's {name: values} and its epoch list: `{"loss": [...], "epoch": [...]}` or
    `{"history": {...}, "epoch": [...]}` (`{"history": h.history, "epoch": h.epoch}`)."""
    inner = h.get("history") if isinstance(h.get("history"), dict) else h
    epochs = None
    for source in (h, inner):
        for key, value in source.items():
            if key.lower() in AXIS_NAMES and epochs is None:
                epochs = _steps(value)
    series = {k: v for k, v in inner.items() if isinstance(v, list) and k.lower() not in AXIS_NAMES}
    return series, epochs


def _is_fit(h: Any, *, longer_than: int = 0) -> bool:
    """A saved `History.history` (every value a list), or one wrapped with its epochs; with
    `longer_than`, some series must hold more points than that (a list of per-epoch records
    may hold one-element lists)."""
    if not isinstance(h, dict) or not h:
        return False
    inner = h.get("history") if isinstance(h.get("history"), dict) else h
    lists = [v for k, v in inner.items() if k.lower() not in AXIS_NAMES]
    return bool(lists) and all(isinstance(v, list) for v in lists) and any(len(v) > longer_than for v in lists)


class _Restarting(dict):
    """{(fit, epoch): value} in insertion order; steps are the epochs, restarting per fit, and
    each point's fit becomes `Curve.part`."""


def _table(obj: Any) -> tuple[dict[str, Any], np.ndarray | None]:
    """Find the {name: values} table in any of the supported shapes."""
    if isinstance(obj, list):
        if obj and all(_is_fit(r, longer_than=1) for r in obj):
            return _histories(obj)  # [h0, h1]: a list of fit histories
        if obj and all(isinstance(r, dict) for r in obj):
            return _records(obj)
        return {}, None
    if not isinstance(obj, dict):
        return {}, None

    # wrappers: {"history": {...}, "epoch": [...]} and {"epochs": [...], "metrics": {...}}
    for inner_key, step_keys in (("history", ("epoch", "epochs")), ("metrics", ("epochs", "epoch"))):
        inner = obj.get(inner_key)
        if isinstance(inner, (dict, list)):
            columns, steps = _table(inner)
            if columns:
                for sk in step_keys:
                    if steps is None and sk in obj:
                        steps = _steps(obj[sk])
                return columns, steps
    # pandas orient="split": {"columns": [...], "index": [...], "data": [[...]]}
    if isinstance(obj.get("columns"), list) and isinstance(obj.get("data"), list):
        cols = obj["columns"]
        rows = [dict(zip(cols, r)) for r in obj["data"] if isinstance(r, list)]
        return _records(rows, obj.get("index") if isinstance(obj.get("index"), list) else None)
    # pandas orient="table": {"schema": {...}, "data": [records]}
    if isinstance(obj.get("schema"), dict) and isinstance(obj.get("data"), list):
        rows = [{k: v for k, v in r.items() if k != "index"} | ({"epoch": r["index"]} if "index" in r else {})
                for r in obj["data"] if isinstance(r, dict)]
        return _records(rows)
    if obj and all(_INT_KEY.match(str(k)) for k in obj) and all(isinstance(v, dict) for v in obj.values()):
        inner = [obj[k] for k in sorted(obj, key=int)]  # fits in order, even if saved with sort_keys
        if all(_is_fit(v) for v in inner):
            return _histories(inner)
        # pandas orient="index": {"0": {"loss": ...}, "1": {...}}
        return _records([{"epoch": int(k), **v} for k, v in obj.items()])

    columns: dict[str, Any] = {}
    steps = None
    for name, value in obj.items():
        if name.lower() in AXIS_NAMES:
            steps = _steps(value)
        elif isinstance(value, list):
            columns[name] = value
        elif isinstance(value, dict) and value and all(_INT_KEY.match(str(k)) for k in value):
            # pandas orient="columns": {"loss": {"0": 0.5, "1": 0.4}}
            columns[name] = {int(k): v for k, v in value.items()}
    return columns, steps


def _floats(values: list[Any], name: str, strict: bool = True) -> np.ndarray | None:
    """Numbers of one series; None if it is not a numeric series at all.

    A metric-named series holding a value that is not a number is an error (the file is a
    history, but broken); other non-numeric columns (notes, params) are simply not curves.
    """
    out = np.empty(len(values), dtype=np.float64)
    for i, v in enumerate(values):
        if v is None:
            out[i] = math.nan
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out[i] = float(v)
        elif isinstance(v, str) and v.strip().lower() in _NONFINITE:
            out[i] = _NONFINITE[v.strip().lower()]
        elif isinstance(v, list) and len(v) == 1 and isinstance(v[0], (int, float)):
            out[i] = float(v[0])
        else:
            if looks_like_metric(name) and isinstance(v, (str, bool, list, dict)) and (strict or _has_number(values)):
                raise ReadError(f"value {str(v)[:40]!r} of {name!r} at index {i} is not a number")
            return None
    return out


def _has_number(values: list[Any]) -> bool:
    return any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
