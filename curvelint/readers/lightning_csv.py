"""PyTorch Lightning `CSVLogger` `metrics.csv`: sparse rows keyed by `epoch` and `step`.

Each row holds only what was logged at that step, so every column has gaps. A column logged at
most once per epoch (`val_loss`, `train_loss_epoch`) is an epoch series stepped by epoch; one
logged more often (`train_loss_step`) is a batch series stepped by global step. A file without
epochs (a `step` column only) is stepped by global step throughout: every series is judged at
the steps it was logged (`Source.axis == "step"`), as a Hugging Face log is.
"""

from __future__ import annotations

import numpy as np

from curvelint.model import BATCH, EPOCH, Curve, series_key
from curvelint.readers.base import Reader, Source, add_epoch_means, epochs_at
from curvelint.readers.base import open_source  # a local file, or the bytes fetched for a URL
from curvelint.readers.names import AXIS_NAMES, STEP, Canonical, canonical_all
from curvelint.readers.table import Table, header_cells, looks_like_header, parse_table

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
        with open_source(path) as fh:
            table = parse_table(fh.read(), path)
        epoch_name = next((h for h in table.header if h.lower() == "epoch"), "epoch")
        step_name = next((h for h in table.header if h.lower() == "step"), "step")
        epoch_of, has_epoch = table.by_row(epoch_name)
        step_of, has_step = table.by_row(step_name)
        names = canonical_all(h for h in table.columns if h.lower() not in AXIS_NAMES)
        by_step = not has_epoch.any() and has_step.any()
        if by_step:
            return _by_step(path, table, names, step_of, has_step)
        curves = []
        for raw, canon in names.items():
            rows, values = table.columns[raw].arrays()
            granularity = canon.granularity
            if granularity == EPOCH:
                epochs = epoch_of[rows][has_epoch[rows]]
                if not epochs.size or np.unique(epochs, return_counts=True)[1].max() > 1:
                    granularity = BATCH  # logged more than once in an epoch
            if granularity == EPOCH:
                keep = has_epoch[rows]
                steps = epoch_of[rows[keep]]
            else:
                keep = np.ones(len(rows), dtype=bool)
                steps = np.where(has_step[rows], step_of[rows], rows)  # no step logged: the row index
            curves.append(Curve(name=canon.name, split=canon.split, granularity=granularity, step=steps,
                                value=values[keep], lines=table.lines[rows[keep]], source=path, raw_name=raw))
        if epoch_name in table.columns and step_name in table.columns:
            both = has_epoch & has_step
            order = np.lexsort((epoch_of[both], step_of[both]))
            map_steps, map_epochs = step_of[both][order], epoch_of[both][order]
            curves = add_epoch_means(curves, lambda steps: epochs_at(steps, map_steps, map_epochs))
        return Source(path=path, format=FORMAT, curves=curves, problems=table.problems)


def _by_step(path: str, table: Table, names: dict[str, Canonical], step_of: np.ndarray,
             has_step: np.ndarray) -> Source:
    """No epoch logged: each series at its global steps, `train_loss_step` included (it is the
    training curve when no epoch-level twin exists)."""
    epoch_level = {series_key(c.split, c.name) for c in names.values() if c.granularity == EPOCH}
    curves = []
    for raw, canon in names.items():
        rows, values = table.columns[raw].arrays()
        granularity = canon.granularity
        if granularity == BATCH and series_key(canon.split, canon.name) not in epoch_level:
            granularity = EPOCH
        steps = np.where(has_step[rows], step_of[rows], rows)
        curves.append(Curve(name=canon.name, split=canon.split, granularity=granularity, step=steps,
                            value=values, lines=table.lines[rows], source=path, raw_name=raw))
    return Source(path=path, format=FORMAT, curves=curves, problems=table.problems, axis=STEP)

