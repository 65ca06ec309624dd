"""Ultralytics `results.csv` (YOLOv8/11/26 detect, segment, classify, pose, obb; YOLOv5 too).

`Trainer.save_metrics` appends one row per epoch to `runs/<task>/train*/results.csv`: the
epoch, in current versions the elapsed `time`, the mean training losses of the epoch
(`train/box_loss`, `train/cls_loss`, `train/dfl_loss`, `train/seg_loss`, `train/pose_loss`,
`train/kobj_loss`; classify logs one `train/loss`), the validation metrics
(`metrics/precision(B)`, `metrics/recall(B)`, `metrics/mAP50(B)`, `metrics/mAP50-95(B)`, (M) for
masks and (P) for keypoints; `metrics/accuracy_top1` when classifying), the validation losses
and the learning rate of each parameter group (`lr/pg0..pgN`). Ultralytics 8.0 padded every
cell to 23 characters and counted epochs from 0; later versions count from 1, as their console
does, and the epochs are kept as logged so a message names the row the user sees. YOLOv5 spells
`metrics/mAP_0.5`, `metrics/mAP_0.5:0.95`, `train/obj_loss` and `x/lr0`.

The rules read `train/loss` and `val/loss`; a detector logs only the terms of its loss, so each
split also gets their sum (`val/loss (box+cls+dfl)` in messages) beside the terms themselves.
The MLflow reader maps the same names for runs Ultralytics logged to MLflow, where `(B)` became
`B`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import numpy as np

from curvelint.model import TRAIN, VAL, Curve, series_key
from curvelint.readers.base import Reader, Source
from curvelint.readers.base import open_source  # a local file, or the bytes fetched for a URL
from curvelint.readers.names import canonical_all
from curvelint.readers.table import header_cells, parse_table

FORMAT = "ultralytics"
RESULTS_NAME = "results.csv"
#: The training arguments Ultralytics saves beside the results (`args.yaml`), kept as evidence:
#: what the run planned (epochs, patience) and the knobs a remediation names.
ARG_KEYS = ("task", "mode", "model", "data", "epochs", "patience", "batch", "imgsz", "optimizer", "lr0", "lrf",
            "cos_lr", "warmup_epochs", "close_mosaic", "weight_decay", "dropout", "resume", "fraction")
#: Metric suffixes: box (B), mask (M), keypoints (P); box metrics are the detector's own.
_KIND = {"b": "", "m": "_mask", "p": "_pose", "o": "_obb"}
_METRIC = re.compile(
    r"metrics/(?P<what>precision|recall|map_?0?\.?5(?:[-:_]0?\.?95|-95)?|map50(?:-95)?|fitness)"
    r"(?:\((?P<kind>[a-z])\)|(?P<bare>[bmpo]))?", re.IGNORECASE)
_ACCURACY = re.compile(r"metrics/accuracy_top(?P<k>\d+)", re.IGNORECASE)
_LOSS = re.compile(r"(?P<split>train|val)/(?P<term>[a-z0-9]+_)?loss", re.IGNORECASE)
_LR = re.compile(r"(?:lr/pg|x/lr)(?P<group>\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class YoloName:
    split: str
    name: str


def tracked_names(keys: list[str], yolo: bool) -> dict[str, tuple[str, str, str]]:
    """(split, name, granularity) of each key a tracker (MLflow, W&B) logged that is a curve:
    an Ultralytics name when the run is a YOLO one, else the canonical name."""
    ours = {k: n for k in keys if (n := yolo_name(k) if yolo else None) is not None}
    names = canonical_all(k for k in keys if k not in ours)
    out = {}
    for key in keys:
        if key in ours:
            out[key] = (ours[key].split, ours[key].name, "epoch")
        elif key in names:
            out[key] = (names[key].split, names[key].name, names[key].granularity)
    return out


def yolo_name(raw: str) -> YoloName | None:
    """The series an Ultralytics column (or MLflow key) is, or None if it is not one of theirs."""
    key = raw.strip()
    m = _LOSS.fullmatch(key)
    if m:
        term = (m.group("term") or "").lower()
        return YoloName(m.group("split").lower(), f"{term}loss")
    m = _METRIC.fullmatch(key)
    if m:
        what = m.group("what").lower().replace("_", "")
        if what.startswith("map"):
            what = "map50_95" if "95" in what else "map50"
        kind = (m.group("kind") or m.group("bare") or "b").lower()
        return YoloName(VAL, what + _KIND.get(kind, f"_{kind}"))
    m = _ACCURACY.fullmatch(key)
    if m:
        return YoloName(VAL, "accuracy" if m.group("k") == "1" else f"accuracy_top{m.group('k')}")
    m = _LR.fullmatch(key)
    if m:
        group = int(m.group("group"))
        return YoloName(TRAIN, "learning_rate" if group == 0 else f"lr_pg{group}")
    return None


def is_ultralytics(keys) -> bool:
    """Do these column names (or MLflow keys) come from Ultralytics? Loss terms plus its metrics."""
    names = [yolo_name(k) for k in keys]
    terms = sum(1 for n in names if n is not None and n.name.endswith("_loss"))
    metrics = sum(1 for k, n in zip(keys, names) if n is not None and k.lower().startswith(("metrics/", "lr/", "x/")))
    return metrics > 0 and (terms > 0 or any(n is not None and n.name == "loss" for n in names))


def with_total_losses(curves: list[Curve]) -> list[Curve]:
    """Each split that logs loss terms but no `loss` gets their sum, point by point, over the
    epochs where every term is logged (a NaN term makes a NaN total: never hidden)."""
    out = list(curves)
    have = {c.key for c in curves}
    for split in (TRAIN, VAL):
        if series_key(split, "loss") in have:
            continue
        terms = [c for c in curves if c.split == split and c.name.endswith("_loss") and c.granularity == "epoch"]
        if not terms:
            continue
        common = terms[0].step
        for t in terms[1:]:
            common = np.intersect1d(common, t.step)
        if not common.size:
            continue
        total = np.zeros(common.size)
        for t in terms:
            idx = _index_of(t.step, common)
            total = total + t.value[idx]
        first = terms[0]
        idx = _index_of(first.step, common)
        words = "+".join(t.name[:-5] for t in terms)
        out.append(Curve(name="loss", split=split, step=common, value=total,
                         wall_time=None if first.wall_time is None else first.wall_time[idx],
                         lines=None if first.lines is None else first.lines[idx],
                         source=first.source, raw_name=f"{split}/loss ({words})",
                         epoch=None if first.epoch is None else first.epoch[idx]))
    return out


def _index_of(steps: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Index of the last point at each wanted step (a step logged twice keeps its later value)."""
    order = np.argsort(steps, kind="stable")
    sorted_steps = steps[order]
    pos = np.searchsorted(sorted_steps, wanted, side="right") - 1
    return order[pos]


def task_of(keys) -> str:
    """detect, segment, pose, classify or obb, from the columns logged."""
    low = [k.lower() for k in keys]
    if any("accuracy_top" in k for k in low):
        return "classify"
    if any("seg_loss" in k or "(m)" in k for k in low):
        return "segment"
    if any("pose_loss" in k or "(p)" in k for k in low):
        return "pose"
    if any("angle_loss" in k for k in low):
        return "obb"
    return "detect"


class UltralyticsReader(Reader):
    format = FORMAT
    priority = 15  # before the Lightning and CSVLogger readers, which would take any CSV

    def accepts_name(self, name: str) -> bool:
        return name.lower() == RESULTS_NAME

    def sniff(self, head: bytes, name: str) -> bool:
        cells = [c.strip().lower() for c in header_cells(head)]
        return (bool(cells) and cells[0] == "epoch" and any(c.startswith(("train/", "val/")) for c in cells)
                and any(c.startswith(("metrics/", "lr/", "x/lr")) for c in cells))

    def read(self, path: str) -> Source:
        with open_source(path) as fh:
            table = parse_table(fh.read(), path)
        epoch_col = next((h for h in table.header if h.strip().lower() == "epoch"), None)
        epoch_of, has_epoch = table.by_row(epoch_col) if epoch_col else (np.arange(len(table.lines)), None)
        time_col = next((h for h in table.header if h.strip().lower() == "time"), None)
        wall = _by_row(table, time_col) if time_col else None
        raws = [h for h in table.columns if h not in (epoch_col, time_col)]
        mapped = {raw: yolo_name(raw) for raw in raws}
        others = canonical_all(r for r, n in mapped.items() if n is None)
        curves = []
        for raw in raws:
            yolo = mapped[raw]
            if yolo is not None:
                split, name = yolo.split, yolo.name
            elif raw in others:
                split, name = others[raw].split, others[raw].name
            else:
                continue
            rows, values = table.columns[raw].arrays()
            if has_epoch is not None:
                keep = has_epoch[rows]
                rows, values = rows[keep], values[keep]
            curves.append(Curve(name=name, split=split, step=epoch_of[rows], value=values,
                                wall_time=None if wall is None else wall[rows], lines=table.lines[rows],
                                source=path, raw_name=raw))
        meta = {"framework": "ultralytics", "task": task_of(table.header)}
        args = read_args(os.path.join(os.path.dirname(path), "args.yaml"))
        if args:
            meta["args"] = args
            meta["task"] = args.get("task", meta["task"])
        return Source(path=path, format=FORMAT, curves=with_total_losses(curves), problems=table.problems, meta=meta)


def _by_row(table, name: str) -> np.ndarray:
    """A column as floats indexed by row, NaN where the row has none."""
    out = np.full(len(table.lines), np.nan)
    column = table.columns.get(name)
    if column is not None:
        rows, values = column.arrays()
        out[rows] = values
    return out


def read_args(path: str) -> dict:
    """The training arguments of `args.yaml` that say what the run planned; {} if there is none
    or it cannot be read (it is evidence, never a reason to refuse the results)."""
    if not os.path.isfile(path):
        return {}
    import yaml  # only when the file is there: linting other formats never imports it

    try:
        with open(path, "rb") as fh:
            data = yaml.safe_load(fh.read(1 << 20))
    except (OSError, yaml.YAMLError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: data[k] for k in ARG_KEYS if k in data and isinstance(data[k], (str, int, float, bool))}
