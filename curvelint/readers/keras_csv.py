"""Keras `CSVLogger` files and the per-epoch CSVs people write by hand or with pandas.

CSVLogger writes `epoch` first, one row per epoch, any `separator`; with `append=True` a resumed
run starts again at epoch 0 in the same file, which is kept as a restart. Files without an epoch
column (`pd.DataFrame(history.history).to_csv(index=False)`) count rows as epochs.

A CSV is a training log only with a per-epoch shape: an epoch/step column, or only metric
columns (a history dumped with pandas), or at least `MIN_ROWS` rows holding numbers in a metric
column; a file named like a history needs none of these. A `loss_config.csv` of
`name,loss_weight` with two rows is data, not a run.
"""

from __future__ import annotations

import numpy as np

from curvelint.model import Curve
from curvelint.readers.base import NotALog, Reader, Source, history_by_name
from curvelint.readers.base import open_source  # a local file, or the bytes fetched for a URL
from curvelint.readers.names import AXIS_NAMES, axis_of, canonical_all, looks_like_metric
from curvelint.readers.table import Table, header_cells, looks_like_header, parse_table

FORMAT = "keras-csv"
_INDEX_NAMES = frozenset({"", "unnamed: 0", "index"})
#: Rows with a number in a metric column a CSV without an epoch/step column needs to be a log.
MIN_ROWS = 3


class KerasCsvReader(Reader):
    format = FORMAT
    priority = 50

    def accepts_name(self, name: str) -> bool:
        return name.lower().endswith((".csv", ".log", ".tsv", ".txt"))

    def sniff(self, head: bytes, name: str) -> bool:
        return looks_like_header(header_cells(head))

    def read(self, path: str) -> Source:
        with open_source(path) as fh:
            table = parse_table(fh.read(), path)
        axis = next((h for h in table.header if h.strip().lower() in AXIS_NAMES | _INDEX_NAMES), None)
        why = not_per_epoch(table, axis, path)
        if why:
            raise NotALog(why)
        fmt = FORMAT if table.header and table.header[0].strip().lower() == "epoch" else "csv"
        step_of_row = has_step = None  # the epoch column, indexed by row
        if axis is not None and axis in table.columns:
            step_of_row, has_step = table.by_row(axis)
        names = canonical_all(h for h in table.columns if h != axis and h.strip().lower() not in _INDEX_NAMES)
        curves = []
        for raw, canon in names.items():
            rows, values = table.columns[raw].arrays()
            if has_step is None:
                steps = rows  # no epoch column: rows count epochs
            else:
                keep = has_step[rows]
                rows, values = rows[keep], values[keep]
                steps = step_of_row[rows]
            curves.append(Curve(name=canon.name, split=canon.split, granularity=canon.granularity,
                                step=steps, value=values, lines=table.lines[rows], source=path, raw_name=raw))
        return Source(path=path, format=fmt, curves=curves, problems=table.problems,
                      axis=axis_of([axis] if axis is not None else []))


def not_per_epoch(table: Table, axis: str | None, path: str) -> str | None:
    """Why this table is not a per-epoch log, or None if it is one.

    An epoch/step column is enough (a CSVLogger file with only its header is a run that just
    started); a pandas index column is not, since any data frame has one.
    """
    if axis is not None and axis.strip().lower() in AXIS_NAMES:
        return None
    if history_by_name(path):
        return None
    metric_rows = [table.columns[h].arrays()[0] for h in table.columns if h != axis and looks_like_metric(h)]
    if not metric_rows:
        return "no metric column holds numbers"
    named = [h for h in table.header if h != axis and h.strip()]
    if named and all(looks_like_metric(h) for h in named):
        return None  # only metric columns: a history dumped with pandas, however short
    rows = np.unique(np.concatenate(metric_rows)).size
    if rows < MIN_ROWS:
        return f"no epoch/step column and only {rows} row{'s' if rows != 1 else ''} of metrics (not a per-epoch log)"
    return None
