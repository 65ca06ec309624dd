"""PyTorch Lightning `CSVLogger` `metrics.csv`: sparse rows keyed by `epoch` and `step`.

Each row holds only what was logged at that step, so every column has gaps. A column logged at
most once per epoch (`val_loss`, `train_loss_epoch`) is an epoch series stepped by epoch; one
logged more often (`train_loss_step`) is a batch series stepped by global step.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from curvelint.model import BATCH, EPOCH, Curve
from curvelint.readers.base import Reader, Source, add_epoch_means, epochs_at
from curvelint.readers.names import AXIS_NAMES, canonical_all
from curvelint.readers.table import header_cells, looks_like_header, parse_table

FORMAT = "lightning-csv"


class LightningCsvReader(Reader):
    format = FORMAT
    priority = 20

    def accepts_name(self, name: str) -> bool:
        return name.lower().endswith(".csv")

    def sniff(self, head: bytes, name: str) -> bool:
        cells = {c.lower() for c in header_cells(head)}
        return {"epoch", "step"} <= cells and looks_like_header(list(cells))

    def read(self, path: str) -> Source:
        with open(path, "rb") as fh:
            table = parse_table(fh.read(), path)
        epoch_col = table.columns.get(next((h for h in table.header if h.lower() == "epoch"), "epoch"))
        step_col = table.columns.get(next((h for h in table.header if h.lower() == "step"), "step"))
        epoch_of = {} if epoch_col is None else dict(zip(epoch_col.rows, (int(v) for v in epoch_col.values)))
        step_of = {} if step_col is None else dict(zip(step_col.rows, (int(v) for v in step_col.values)))
        names = canonical_all(h for h in table.columns if h.lower() not in AXIS_NAMES)
        curves = []
        for raw, canon in names.items():
            col = table.columns[raw]
            epochs = [epoch_of.get(r) for r in col.rows]
            per_epoch = Counter(e for e in epochs if e is not None)
            granularity = canon.granularity
            if granularity == EPOCH and (not per_epoch or max(per_epoch.values()) > 1):
                granularity = BATCH
            if granularity == EPOCH:
                steps = epochs
            else:
                steps = [step_of.get(r, r) for r in col.rows]
            keep = [i for i, s in enumerate(steps) if s is not None]
            curves.append(Curve(
                name=canon.name, split=canon.split, granularity=granularity,
                step=np.asarray([steps[i] for i in keep], dtype=np.int64),
                value=[col.values[i] for i in keep], lines=[col.lines[i] for i in keep],
                source=path, raw_name=raw,
            ))
        if epoch_col is not None and step_col is not None:
            rows_by_step = sorted((step_of[r], epoch_of[r]) for r in step_of if r in epoch_of)
            map_steps = np.asarray([s for s, _ in rows_by_step], dtype=np.int64)
            map_epochs = np.asarray([e for _, e in rows_by_step], dtype=np.int64)
            curves = add_epoch_means(curves, lambda steps: epochs_at(steps, map_steps, map_epochs))
        return Source(path=path, format=FORMAT, curves=curves, problems=table.problems)
